"""Benchmark ``smtpdiag check`` over 1,000 targets against the floor of its stack.

    .venv/bin/python bench/bench_check.py [--targets 1000] [--servers 10] [--concurrency 100]
                                          [--runs 3] [--formats text,jsonl] [--no-swaks]
                                          [--profile]

What runs, all on 127.0.0.1 and each in its own process, so no two share a GIL:
- the servers: ``--servers`` fake servers (scenario healthy, no TLS), one process;
- smtpdiag: ``smtpdiag check --targets-file … --concurrency N`` (dry run: connect, greeting,
  EHLO, MAIL, RCPT, RSET, QUIT), every result judged and written (each of ``--formats``) to a
  file;
- the floor: a bare aiosmtplib script doing the same sessions at the same concurrency;
- swaks in ``xargs -P 8``, when swaks is installed.
Both smtpdiag and the floor hit the same servers with the same target list, alternately,
``--runs`` times; the medians are compared.  Peak RSS is each client process's own (VmHWM,
polled from ``/proc/PID/status`` every 10 ms), not the benchmark's or the servers'.  Targets:
smtpdiag at least 0.8x the floor's throughput, peak RSS at most 150 MiB.  Results go to
``bench/results/check.json``.

``--profile`` runs smtpdiag once more under cProfile and prints the top functions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
HELO = "bench.smtpdiag.test"
TARGET_RATIO = 0.8
TARGET_RSS_MIB = 150.0


# -- the processes this script starts (run as ``bench_check.py --serve / --floor``) ---------


def serve(count: int) -> None:
    """Start ``count`` healthy fake servers, print their ports as one JSON line, wait for EOF."""
    from smtpdiag.fakeserver import FakeServer

    servers = [FakeServer("healthy", host="127.0.0.1", tls="none").start() for _ in range(count)]
    try:
        print(json.dumps([s.port for s in servers]), flush=True)
        sys.stdin.read()
    finally:
        for server in servers:
            server.stop()


def floor(targets_file: str, concurrency: int) -> None:
    """The same sessions with bare aiosmtplib: the floor of this stack."""
    import aiosmtplib

    targets = Path(targets_file).read_text().split()

    async def one(target: str, gate: asyncio.Semaphore) -> bool:
        host, port = target.rsplit(":", 1)
        async with gate:
            smtp = aiosmtplib.SMTP(hostname=host, port=int(port), timeout=30,
                                   use_tls=False, start_tls=False, local_hostname=HELO)
            try:
                await smtp.connect()
                await smtp.ehlo()
                await smtp.mail("")
                await smtp.rcpt("postmaster")
                await smtp.rset()
                await smtp.quit()
                return True
            except aiosmtplib.SMTPException:
                smtp.close()
                return False

    async def main() -> int:
        gate = asyncio.Semaphore(concurrency)
        done = await asyncio.gather(*(one(t, gate) for t in targets))
        return sum(done)

    ok = asyncio.run(main())
    print(json.dumps({"ok": ok, "total": len(targets)}))


# -- measuring -------------------------------------------------------------------------------


def _peak_rss_mib(pid: int, done: threading.Event, peak: list[float]) -> None:
    """Poll the child's VmHWM (its own peak RSS, fresh since its exec) until it exits.

    ``wait4``'s ``ru_maxrss`` would not do: Linux carries the parent's peak across fork and
    exec into the child's, so every child would seem at least as big as this script.
    """
    path = f"/proc/{pid}/status"
    while not done.is_set():
        try:
            with open(path) as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peak[0] = max(peak[0], int(line.split()[1]) / 1024)
        except (OSError, ValueError, IndexError):
            pass
        done.wait(0.01)


def measure(argv: list[str], stdin: str | None = None) -> dict[str, Any]:
    """Wall time, CPU time and peak RSS of this one child, plus what it printed."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL if stdin is None else
                                subprocess.PIPE, stdout=out, stderr=err, text=True)
        done, peak = threading.Event(), [0.0]
        poller = threading.Thread(target=_peak_rss_mib, args=(proc.pid, done, peak))
        poller.start()
        if stdin is not None:
            assert proc.stdin is not None
            proc.stdin.write(stdin)
            proc.stdin.close()
        # WNOWAIT: the child stays a zombie (its /proc entry readable) until reaped below.
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
        done.set()
        poller.join()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {"wall_s": wall, "rss_mib": peak[0], "cpu_s": usage.ru_utime + usage.ru_stime,
                "exit": proc.returncode, "stdout": out.read(), "stderr": err.read()}


def check_argv(targets_file: str, out_file: str, fmt: str, concurrency: int) -> list[str]:
    return ["-m", "smtpdiag", "check", "--targets-file", targets_file, "--concurrency",
            str(concurrency), "--timeout", "60", "--helo", HELO, "--format", fmt, "--output",
            out_file, "--no-progress"]


def run_smtpdiag(targets_file: str, out_file: str, fmt: str, args: argparse.Namespace
                 ) -> dict[str, Any]:
    result = measure([sys.executable, *check_argv(targets_file, out_file, fmt,
                                                  args.concurrency)])
    text = Path(out_file).read_text()
    if fmt == "jsonl":
        result["ok"] = [json.loads(line)["state"] for line in text.splitlines()].count("OK")
    else:
        result["ok"] = args.targets if result["exit"] == 0 else 0
    return result


def run_floor(targets_file: str, args: argparse.Namespace) -> dict[str, Any]:
    result = measure([sys.executable, __file__, "--floor", targets_file,
                      "--concurrency", str(args.concurrency)])
    result["ok"] = json.loads(result["stdout"])["ok"] if result["exit"] == 0 else 0
    return result


def run_swaks(targets: list[str], args: argparse.Namespace) -> dict[str, Any] | None:
    swaks = shutil.which("swaks")
    if swaks is None or args.no_swaks:
        return None
    script = (f'for t; do {swaks} --server "$t" --helo {HELO} --from "" --to postmaster '
              '--quit-after RCPT >/dev/null 2>&1 && echo ok; done')
    argv = ["xargs", "-P", "8", "-n", "25", "sh", "-c", script, "sh"]
    result = measure(argv, "\n".join(targets) + "\n")
    result["ok"] = result["stdout"].count("ok")
    result["rss_mib"] = float("nan")  # xargs's own; each swaks is a short-lived grandchild
    return result


def profile(targets_file: str, args: argparse.Namespace) -> None:
    import pstats

    with tempfile.TemporaryDirectory() as tmp:
        stats_file = os.path.join(tmp, "check.prof")
        argv = check_argv(targets_file, os.path.join(tmp, "out"), args.formats[0],
                          args.concurrency)
        subprocess.run([sys.executable, "-m", "cProfile", "-o", stats_file, *argv],
                       check=False, capture_output=True)
        print(f"\nprofile of one smtpdiag run (--format {args.formats[0]}; top 25 by own time):")
        pstats.Stats(stats_file).sort_stats("tottime").print_stats(25)


def rate(results: list[dict[str, Any]], targets: int) -> dict[str, float]:
    walls = [r["wall_s"] for r in results]
    wall = statistics.median(walls)
    return {"probes_per_s": targets / wall, "wall_s": wall, "wall_min_s": min(walls),
            "wall_max_s": max(walls), "cpu_s": statistics.median(r["cpu_s"] for r in results),
            "peak_rss_mib": max(r["rss_mib"] for r in results),
            "ok": min(r["ok"] for r in results), "runs": len(results)}


def show(label: str, stats: dict[str, float], floor_stats: dict[str, float] | None) -> str:
    ratio = (f"  {stats['probes_per_s'] / floor_stats['probes_per_s']:.2f}x floor"
             if floor_stats else "")
    return (f"{label:<30} {stats['probes_per_s']:6.1f} probes/s  (median {stats['wall_s']:.2f} s"
            f" for {stats['ok']:.0f} OK; min {stats['wall_min_s']:.2f}, max "
            f"{stats['wall_max_s']:.2f}; CPU {stats['cpu_s']:.2f} s)  peak RSS "
            f"{stats['peak_rss_mib']:.1f} MiB{ratio}".replace("peak RSS nan MiB", "RSS n/a"))


def report(args: argparse.Namespace, floor_runs: list[dict[str, Any]],
           smtpdiag_runs: dict[str, list[dict[str, Any]]],
           swaks_run: dict[str, Any] | None) -> None:
    floor_stats = rate(floor_runs, args.targets)
    per_format = {fmt: rate(runs, args.targets) for fmt, runs in smtpdiag_runs.items()}
    load = os.getloadavg()
    print(f"{args.targets} targets over {args.servers} loopback fake servers (separate "
          f"process), concurrency {args.concurrency}, {args.runs} runs each, median; "
          f"{os.cpu_count()} CPUs, load average {load[0]:.2f}")
    print(show("floor (bare aiosmtplib)", floor_stats, None))
    for fmt, stats in per_format.items():
        print(show(f"smtpdiag check --format {fmt}", stats, floor_stats))
    swaks_stats = None
    if swaks_run is None:
        why = "--no-swaks" if args.no_swaks else "swaks is not installed"
        print(f"{'swaks (xargs -P 8)':<30} skipped: {why}")
    else:
        swaks_stats = rate([swaks_run], args.targets)
        print(show("swaks (xargs -P 8)", swaks_stats, floor_stats))
    verdicts = {}
    for fmt, stats in per_format.items():
        ratio = stats["probes_per_s"] / floor_stats["probes_per_s"]
        rss = stats["peak_rss_mib"]
        verdicts[fmt] = {"ratio": ratio, "throughput_target_met": ratio >= TARGET_RATIO,
                         "rss_target_met": rss <= TARGET_RSS_MIB}
        print(f"--format {fmt}: throughput >= {TARGET_RATIO}x floor: {ratio:.2f}x "
              f"{'met' if ratio >= TARGET_RATIO else 'NOT met'}; peak RSS <= "
              f"{TARGET_RSS_MIB:.0f} MiB: {rss:.1f} MiB "
              f"{'met' if rss <= TARGET_RSS_MIB else 'NOT met'}")
    every = floor_runs + [r for runs in smtpdiag_runs.values() for r in runs]
    if any(r["ok"] != args.targets for r in every):
        print("warning: not every session succeeded; see the OK counts above")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "check.json"
    if swaks_stats is not None:
        swaks_stats["peak_rss_mib"] = None  # type: ignore[assignment]
    path.write_text(json.dumps({
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "python": sys.version.split()[0],
        "cpus": os.cpu_count(), "load_average": load, "targets": args.targets,
        "servers": args.servers, "concurrency": args.concurrency,
        "floor": floor_stats, "smtpdiag": per_format, "swaks": swaks_stats,
        "verdicts": verdicts,
    }, indent=2))
    print(f"written to {path}")


def bench(args: argparse.Namespace) -> int:
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(args.servers)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        ports = json.loads(server.stdout.readline())
        targets = [f"127.0.0.1:{ports[i % len(ports)]}" for i in range(args.targets)]
        with tempfile.TemporaryDirectory(prefix="smtpdiag-bench-") as tmp:
            targets_file = os.path.join(tmp, "targets.txt")
            Path(targets_file).write_text("\n".join(targets) + "\n")
            out_file = os.path.join(tmp, "out")
            run_floor(targets_file, args)  # warm-up: page cache, server connections
            floor_runs: list[dict[str, Any]] = []
            smtpdiag_runs: dict[str, list[dict[str, Any]]] = {f: [] for f in args.formats}
            for _ in range(args.runs):
                floor_runs.append(run_floor(targets_file, args))
                for fmt in args.formats:
                    smtpdiag_runs[fmt].append(run_smtpdiag(targets_file, out_file, fmt, args))
            swaks_run = run_swaks(targets, args)
            if args.profile:
                profile(targets_file, args)
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(30)
    report(args, floor_runs, smtpdiag_runs, swaks_run)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--servers", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--formats", default=["text", "jsonl"],
                        type=lambda text: text.split(","),
                        help="smtpdiag output formats to measure, comma-separated")
    parser.add_argument("--no-swaks", action="store_true", help="skip the (slow) swaks run")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--floor", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return 0
    if args.floor is not None:
        floor(args.floor, args.concurrency)
        return 0
    return bench(args)


if __name__ == "__main__":
    sys.exit(main())
