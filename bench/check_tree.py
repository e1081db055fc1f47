"""Where the time of one ``check`` run goes, process by process: parent, each worker, responder.

    .venv/bin/python bench/check_tree.py [--targets 10000] [--concurrency 500] [--workers 2]
        [--loop asyncio] [--floor] [--runs 1] [--listeners 8]

Starts ``bench/responder.py``, runs ``smtpdiag check`` (or with ``--floor`` the bare script,
``check_floor.py``) once per ``--runs``, and samples ``/proc`` every 20 ms for every process of
the client's tree and the responder.  For each process it prints the CPU it used (user and
system; the kernel's part beside it), the time it sat runnable but waiting for a core
(``schedstat``: the run queue), what is left of the wall time (asleep: waiting for the
network, a pipe, a timer), and its voluntary and involuntary context switches.  A tree that
is not busy on every core shows here which process sleeps and which one waits for a core.
Linux only (``/proc/<pid>/schedstat``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from check_measure import tree

HERE = Path(__file__).resolve().parent
_TICK = os.sysconf("SC_CLK_TCK")


def sample(pid: int) -> dict[str, float] | None:
    """CPU, run-queue wait (seconds) and context switches of one process so far."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            head, rest = handle.read().rsplit(")", 1)
        fields = rest.split()
        with open(f"/proc/{pid}/schedstat") as handle:
            _on_cpu, waited, _slices = (int(x) for x in handle.read().split())
        switches = {}
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if "ctxt_switches" in line:
                    name, value = line.split(":")
                    switches[name] = int(value)
    except (OSError, ValueError):
        return None
    return {"cpu": (int(fields[11]) + int(fields[12])) / _TICK, "sys": int(fields[12]) / _TICK,
            "wait": waited / 1e9, "name": head.split("(", 1)[1],  # type: ignore[dict-item]
            "vol": switches.get("voluntary_ctxt_switches", 0),
            "invol": switches.get("nonvoluntary_ctxt_switches", 0)}


def watch(root: int, extra: list[int], done: threading.Event,
          last: dict[int, dict[str, Any]]) -> None:
    while not done.is_set():
        for pid in tree(root) + extra:
            seen = sample(pid)
            if seen is not None:
                seen["first"] = last.get(pid, {}).get("first", time.perf_counter())
                seen["last"] = time.perf_counter()
                last[pid] = seen
        done.wait(0.02)


def one_run(argv: list[str], env: dict[str, str], server: list[int]) -> None:
    before = {pid: sample(pid) for pid in server}
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    done, last = threading.Event(), {}  # type: ignore[var-annotated]
    poller = threading.Thread(target=watch, args=(proc.pid, server, done, last))
    poller.start()
    os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
    done.set()
    poller.join()
    _, _, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    print(f"wall {wall:.2f} s; the client's tree used {usage.ru_utime + usage.ru_stime:.2f} s "
          f"CPU ({(usage.ru_utime + usage.ru_stime) / wall * 100:.0f}% of one core)")
    print(f"  {'process':<28} {'alive s':>7} {'CPU s':>6} {'kernel':>6} {'run-queue s':>11} "
          f"{'asleep s':>8} {'vol cs':>8} {'invol cs':>8}")
    for pid, seen in last.items():
        base = before.get(pid) or {"cpu": 0.0, "sys": 0.0, "wait": 0.0, "vol": 0, "invol": 0}
        cpu, waited = seen["cpu"] - base["cpu"], seen["wait"] - base["wait"]
        label = f"{'responder' if pid in server else seen['name']} [{pid}]"
        alive = wall if pid in server else seen["last"] - seen["first"]
        print(f"  {label:<28} {alive:7.2f} {cpu:6.2f} {seen['sys'] - base['sys']:6.2f} "
              f"{waited:11.2f} {max(0.0, alive - cpu - waited):8.2f} "
              f"{seen['vol'] - base['vol']:8d} {seen['invol'] - base['invol']:8d}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--targets", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--floor", action="store_true", help="the bare script instead")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--listeners", type=int, default=8)
    parser.add_argument("--format", default="jsonl")
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, str(HERE / "responder.py"), "--listeners",
                               str(args.listeners)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        ports = json.loads(server.stdout.readline())
        with tempfile.TemporaryDirectory(prefix="smtpdiag-tree-") as tmp:
            listing = os.path.join(tmp, "targets.txt")
            Path(listing).write_text("".join(f"127.0.0.1:{ports[i % len(ports)]}\n"
                                             for i in range(args.targets)))
            if args.floor:
                argv = [sys.executable, str(HERE / "check_floor.py"), listing,
                        str(args.concurrency), args.loop]
            else:
                argv = [sys.executable, "-m", "smtpdiag", "check", "--targets-file", listing,
                        "--concurrency", str(args.concurrency), "--timeout", "60", "--helo",
                        "bench.smtpdiag.test", "--format", args.format, "--output",
                        os.path.join(tmp, "out"), "--no-progress", "--workers",
                        str(args.workers)]
            for _ in range(args.runs):
                one_run(argv, {"SMTPDIAG_LOOP": args.loop}, tree(server.pid))
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
