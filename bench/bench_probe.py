"""A dry-run probe as a whole process, beside the floor of this stack, in the same run.

The fake server runs as its own process (``smtpdiag serve``) so that it never shares a GIL with
what is measured.  Reported, each as a median of --runs cold processes, wall and CPU time (CPU
says more on a loaded machine), bytecode cached as in any installed package (``time_with_cpu``):
  - bare aiosmtplib doing the same session (bench/bare_session.py) — the floor;
  - ``smtpdiag probe --dry-run`` (target: <= 1.5x the floor);
  - ``swaks --quit-after RCPT`` when swaks is installed.
Then in-process: the time smtpdiag adds per step over bare aiosmtplib, over many sessions in
one process (target: <= 2 ms per step).

    python bench/bench_probe.py [--runs 15] [--sessions 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from common import have, line, load, save, smtpdiag_command, summary, time_with_cpu

HERE = Path(__file__).resolve().parent
STEPS = 7  # connect, greeting, ehlo, mail, rcpt, rset, quit


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def fake_server(tls: str) -> Iterator[tuple[int, str | None]]:
    port = free_port()
    proc = subprocess.Popen([*smtpdiag_command(), "serve", "--port", str(port), "--tls", tls],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ca_file = None
    try:
        assert proc.stdout is not None
        listening = False
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (listening and (tls == "none" or ca_file)):
            text = proc.stdout.readline()
            listening = listening or "listening" in text.lower()
            found = re.search(r"(/\S+\.pem)", text)
            if found:
                ca_file = found.group(1)
        # The server logs every session to stdout: read on, or a full pipe stalls the server
        # (after a few dozen sessions) and the sessions time out.
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        for _ in range(50):  # wait until connections are accepted
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port, ca_file
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def in_process(port: int, sessions: int) -> tuple[float, float]:
    sys.path.insert(0, str(HERE))
    from bare_session import session

    from smtpdiag.net.probe import ProbeOptions, probe

    options = ProbeOptions(tls="none", dry_run=True, helo="bench.smtpdiag.test", timeout=10)
    await probe(f"127.0.0.1:{port}", options)
    await session("127.0.0.1", port, None)
    start = time.perf_counter()
    for _ in range(sessions):
        await session("127.0.0.1", port, None)
    bare = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(sessions):
        report = await probe(f"127.0.0.1:{port}", options)
        assert report.verdict == "accepted", report.summary
    ours = time.perf_counter() - start
    return bare / sessions, ours / sessions


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--sessions", type=int, default=200)
    args = parser.parse_args()
    results: dict[str, object] = {}
    cmd = smtpdiag_command()
    for tls in ("none", "starttls"):
        with fake_server(tls) as (port, ca_file):
            extra = [ca_file] if ca_file else []
            floor = summary(time_with_cpu(
                [sys.executable, str(HERE / "bare_session.py"), "127.0.0.1", str(port), *extra],
                args.runs))
            probe_args = [*cmd, "probe", f"127.0.0.1:{port}", "--dry-run", "--helo",
                          "bench.smtpdiag.test", "--tls", tls if tls == "none" else "starttls"]
            if ca_file:
                probe_args += ["--ca-file", ca_file]
            ours = summary(time_with_cpu(probe_args, args.runs))
            ratio = ours["median_ms"] / floor["median_ms"]
            label = "plain" if tls == "none" else "STARTTLS"
            print(f"--- {label} session on 127.0.0.1:{port} ({load()})")
            print(line("bare aiosmtplib process (floor)", floor))
            print(line("smtpdiag probe --dry-run", ours, floor),
                  f" [{'ok' if ratio <= 1.5 else 'OVER TARGET'}: target 1.5x]")
            results[label] = {"floor": floor, "smtpdiag": ours, "ratio": ratio}
            if have("swaks"):
                swaks = summary(time_with_cpu(
                    ["swaks", "--server", f"127.0.0.1:{port}", "--quit-after", "RCPT",
                     "--to", "postmaster@smtpdiag.test", "--helo", "bench.smtpdiag.test",
                     *(["-tls"] if ca_file else [])], args.runs))
                print(line("swaks --quit-after RCPT", swaks, floor))
                results[label]["swaks"] = swaks  # type: ignore[index]
            else:
                print("swaks: not installed (apt-get install swaks to compare)")
            if tls == "none":
                bare, probe_time = asyncio.run(in_process(port, args.sessions))
                per_step = (probe_time - bare) / STEPS * 1000
                print(f"in-process, {args.sessions} sessions: bare {bare * 1000:.2f} ms, "
                      f"smtpdiag {probe_time * 1000:.2f} ms per session -> "
                      f"{per_step:.2f} ms added per step "
                      f"[{'ok' if per_step <= 2 else 'OVER TARGET'}: target 2 ms]")
                results["in_process"] = {"bare_ms": bare * 1000, "smtpdiag_ms": probe_time * 1000,
                                         "per_step_overhead_ms": per_step}
    print(f"results: {save('probe', results)}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("LANG", "C.UTF-8")
    raise SystemExit(main())
