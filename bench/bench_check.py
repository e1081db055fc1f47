"""Benchmark ``smtpdiag check`` at fleet scale against the floor of its stack, in the same run.

    .venv/bin/python bench/bench_check.py [--sizes 1000,10000,100000] [--concurrency 100,500]
        [--runs 3] [--big-runs 1] [--scaling 10000] [--budget 1080] [--run-timeout 400]
        [--listeners 8] [--responders 1] [--loop auto] [--profile]
        [--formats jsonl,nagios,junit,text] [--formats-size 100000]

All traffic is loopback (127.0.0.1).  Every process runs on its own:
- the target: ``bench/responder.py``, a minimal asyncio SMTP responder with ``--listeners``
  ports, so that a client talking to it is limited by its own CPU (the report shows how busy
  the floor kept its core: near 100 % means the client, not the server, set the pace).  With
  ``--loop auto`` (the default) it runs on uvloop when that is installed (``pip install
  uvloop``): about a third of the CPU per session, which matters where the responder shares
  two cores with the clients; its CPU per probe is printed beside each client's;
- the floor: a bare aiosmtplib script doing the same dry-run session (connect, greeting, EHLO,
  MAIL, RCPT, RSET, QUIT) with the same concurrency (a pool of that many tasks);
- smtpdiag: ``smtpdiag check --targets-file F --concurrency C --format jsonl --output FILE``
  (``--workers 1`` for the per-process figures; 1..CPUs for the scaling).
For each size N and concurrency C the floor and smtpdiag run alternately ``--runs`` times
(``--big-runs`` at 100,000 and more); reported: probes/s, CPU ms per probe (user + system of
the whole process tree, from ``wait4``), peak RSS (the client's VmHWM; with workers, the most
the process tree held at once, sampled every 10 ms), each with its ratio to the floor.
Targets (issue 13): CPU per probe <= 1.3x the floor; peak RSS <= 80 MiB at 100,000 targets,
concurrency 500; with every core, throughput >= 1.2x the single-process floor.  ``--formats``
adds one run per output format at ``--formats-size`` targets (``check_formats.py``): peak RSS
must hold for every streaming format, not only jsonl.

The run is bounded: each client process is killed after ``--run-timeout`` seconds, and no new
run starts once ``--budget`` seconds have passed (what was skipped is said).  The machine is
shared, so rates vary from run to run: compare the ratios, and the min/max printed beside the
medians.  Results go to ``bench/results/check.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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
TARGET_CPU_RATIO = 1.3
TARGET_RSS_MIB = 80.0
TARGET_SCALING = 1.2
_TICK = os.sysconf("SC_CLK_TCK")


# -- the floor (run as ``bench_check.py --floor FILE --concurrency C``) -------------------------


def floor(targets_file: str, concurrency: int) -> None:
    """The same sessions with bare aiosmtplib, a pool of ``concurrency`` tasks."""
    import aiosmtplib

    targets = Path(targets_file).read_text().split()

    async def session(target: str) -> bool:
        host, port = target.rsplit(":", 1)
        smtp = aiosmtplib.SMTP(hostname=host, port=int(port), timeout=30, use_tls=False,
                               start_tls=False, local_hostname=HELO)
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
        todo = iter(targets)
        ok = 0

        async def worker() -> None:
            nonlocal ok
            for target in todo:
                done = await session(target)  # not ``ok += await …``: that reads ok first
                ok += done

        await asyncio.gather(*(worker() for _ in range(min(concurrency, len(targets)))))
        return ok

    print(json.dumps({"ok": asyncio.run(main()), "total": len(targets)}))


# -- measuring -------------------------------------------------------------------------------


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children") as handle:
                todo += [int(p) for p in handle.read().split()]
        except OSError:
            pass
    return pids


def _status_kib(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _watch_memory(pid: int, done: threading.Event, peak: dict[str, float]) -> None:
    """The client's own peak (VmHWM) and the most its process tree held at once (VmRSS sum).

    ``wait4``'s ``ru_maxrss`` would not do: Linux carries the parent's peak across fork and
    exec into the child's, so every child would seem at least as big as this script.
    """
    while not done.is_set():
        peak["own"] = max(peak["own"], _status_kib(pid, "VmHWM:") / 1024)
        tree = sum(_status_kib(p, "VmRSS:") for p in _tree(pid)) / 1024
        peak["tree"] = max(peak["tree"], tree)
        done.wait(0.01)


def cpu_seconds(pids: list[int]) -> float:
    """User + system time of these processes so far (and of their reaped children)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        except (OSError, ValueError, IndexError):
            pass
    return total / _TICK


def measure(argv: list[str], timeout: float) -> dict[str, Any]:
    """Wall time, CPU time (the whole tree, from wait4) and peak RSS of one client process."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                text=True)
        done, peak = threading.Event(), {"own": 0.0, "tree": 0.0}
        poller = threading.Thread(target=_watch_memory, args=(proc.pid, done, peak))
        poller.start()
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        # WNOWAIT: the child stays a zombie (its /proc entry readable) until reaped below.
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
        killer.cancel()
        done.set()
        poller.join()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
                "rss_mib": peak["own"], "tree_rss_mib": peak["tree"],
                "exit": proc.returncode, "stdout": out.read(), "stderr": err.read()[-2000:],
                "killed": proc.returncode == -9}


def run_floor(targets_file: str, concurrency: int, timeout: float) -> dict[str, Any]:
    result = measure([sys.executable, __file__, "--floor", targets_file, "--concurrency",
                      str(concurrency)], timeout)
    try:
        result["ok"] = json.loads(result["stdout"])["ok"]
    except (ValueError, KeyError):
        result["ok"] = 0
    return result


def check_argv(targets_file: str, out_file: str, concurrency: int, workers: int,
               fmt: str = "jsonl") -> list[str]:
    return ["-m", "smtpdiag", "check", "--targets-file", targets_file, "--concurrency",
            str(concurrency), "--timeout", "60", "--helo", HELO, "--format", fmt,
            "--output", out_file, "--no-progress", "--workers", str(workers)]


def run_smtpdiag(targets_file: str, out_file: str, concurrency: int, workers: int,
                 timeout: float) -> dict[str, Any]:
    result = measure([sys.executable, *check_argv(targets_file, out_file, concurrency,
                                                  workers)], timeout)
    ok = 0
    with open(out_file) as lines:
        for line in lines:
            ok += '"state":"OK"' in line
    result["ok"] = ok
    return result


def summarise(runs: list[dict[str, Any]], targets: int) -> dict[str, Any]:
    rates = [targets / r["wall_s"] for r in runs]
    cpus = [r["cpu_s"] * 1000 / targets for r in runs]
    return {"probes_per_s": statistics.median(rates), "rate_min": min(rates),
            "rate_max": max(rates), "cpu_ms_per_probe": statistics.median(cpus),
            "cpu_min": min(cpus), "cpu_max": max(cpus),
            "busy": statistics.median(r["cpu_s"] / r["wall_s"] for r in runs),
            "peak_rss_mib": max(r["rss_mib"] for r in runs),
            "peak_tree_rss_mib": max(r["tree_rss_mib"] for r in runs),
            "ok": min(r["ok"] for r in runs), "runs": len(runs),
            "killed": sum(r["killed"] for r in runs), "targets": targets}


def show(label: str, stats: dict[str, Any], base: dict[str, Any] | None,
         tree: bool = False) -> str:
    rate = (f"{stats['probes_per_s']:7.0f} probes/s [{stats['rate_min']:.0f}-"
            f"{stats['rate_max']:.0f}]")
    cpu = (f"CPU {stats['cpu_ms_per_probe']:.3f} ms/probe [{stats['cpu_min']:.3f}-"
           f"{stats['cpu_max']:.3f}], {stats['busy'] * 100:3.0f}% busy")
    rss = stats["peak_tree_rss_mib"] if tree else stats["peak_rss_mib"]
    text = f"  {label:<22} {rate}  {cpu}  peak RSS {rss:6.1f} MiB"
    if base is not None:
        base_rss = base["peak_tree_rss_mib"] if tree else base["peak_rss_mib"]
        text += (f"  | rate {stats['probes_per_s'] / base['probes_per_s']:.2f}x, "
                 f"CPU {stats['cpu_ms_per_probe'] / base['cpu_ms_per_probe']:.2f}x, "
                 f"RSS {rss / base_rss:.2f}x floor")
    return text + (f"  (only {stats['ok']} OK; {stats['killed']} run(s) killed)"
                   if stats["killed"] or stats["ok"] < stats.get("targets", 0) else "")


class Budget:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds
        self.skipped: list[str] = []

    def allows(self, what: str) -> bool:
        if time.monotonic() < self.end:
            return True
        self.skipped.append(what)
        return False


def targets_file(tmp: str, ports: list[int], count: int) -> str:
    path = os.path.join(tmp, f"targets-{count}.txt")
    if not os.path.exists(path):
        Path(path).write_text("".join(f"127.0.0.1:{ports[i % len(ports)]}\n"
                                      for i in range(count)))
    return path


def bench(args: argparse.Namespace) -> int:
    budget = Budget(args.budget)
    server = subprocess.Popen([sys.executable, str(HERE / "responder.py"), "--listeners",
                               str(args.listeners), "--processes", str(args.responders),
                               "--loop", args.loop],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    results: dict[str, Any] = {"sizes": {}, "scaling": {}}
    cpus = len(os.sched_getaffinity(0))
    load = os.getloadavg()
    print(f"bench_check: {cpus} CPUs, load average {load[0]:.2f} at the start; responder "
          f"{args.responders} process(es), {args.listeners} listeners; ratios are to the "
          "floor measured in the same run")
    try:
        assert server.stdout is not None
        ports = json.loads(server.stdout.readline())
        server_pids = _tree(server.pid)
        with tempfile.TemporaryDirectory(prefix="smtpdiag-bench-") as tmp:
            out_file = os.path.join(tmp, "out.jsonl")
            warm = targets_file(tmp, ports, 1000)
            run_floor(warm, 100, args.run_timeout)
            big = [n for n in args.sizes if n >= 100_000]
            for count in [n for n in args.sizes if n < 100_000]:
                one_size(args, budget, ports, tmp, out_file, count, server_pids, results)
            if args.scaling:  # before the big sizes, which a tight --budget may cut
                scaling(args, budget, ports, tmp, out_file, cpus, results)
            for count in big:
                one_size(args, budget, ports, tmp, out_file, count, server_pids, results)
            if args.formats and budget.allows("formats"):
                from check_formats import bench_formats

                results["formats"] = bench_formats(
                    args.formats, args.formats_size, max(args.concurrency),
                    listing=targets_file(tmp, ports, args.formats_size), out_file=out_file,
                    timeout=args.run_timeout, measure=measure, floor=run_floor,
                    argv=check_argv)
            if args.profile:
                profile(targets_file(tmp, ports, min(args.sizes)), out_file)
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(30)
    verdicts(results)
    if budget.skipped:
        print(f"skipped (--budget {args.budget:g} s spent): {', '.join(budget.skipped)}")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "check.json"
    results.update(when=time.strftime("%Y-%m-%dT%H:%M:%S%z"), python=sys.version.split()[0],
                   cpus=cpus, load_average_at_start=load, skipped=budget.skipped)
    path.write_text(json.dumps(results, indent=2))
    print(f"written to {path}")
    return 0


def one_size(args: argparse.Namespace, budget: Budget, ports: list[int], tmp: str,
             out_file: str, count: int, server_pids: list[int],
             results: dict[str, Any]) -> None:
    """N = ``count`` at each concurrency: the floor and smtpdiag alternately, ``--runs`` times
    (``--big-runs`` from 100,000 on), with the responder's CPU per probe for each."""
    listing = targets_file(tmp, ports, count)
    runs = args.big_runs if count >= 100_000 else args.runs
    for concurrency in args.concurrency:
        key = f"{count}@{concurrency}"
        floor_runs: list[dict[str, Any]] = []
        ours: list[dict[str, Any]] = []
        responder: dict[str, list[float]] = {"floor": [], "smtpdiag": []}
        for _ in range(runs):
            if not budget.allows(key):
                break
            before = cpu_seconds(server_pids)
            floor_runs.append(run_floor(listing, concurrency, args.run_timeout))
            middle = cpu_seconds(server_pids)
            ours.append(run_smtpdiag(listing, out_file, concurrency, 1, args.run_timeout))
            responder["floor"].append((middle - before) / count)
            responder["smtpdiag"].append((cpu_seconds(server_pids) - middle) / count)
        if not ours:
            continue
        base, mine = summarise(floor_runs, count), summarise(ours, count)
        for name, stats in (("floor", base), ("smtpdiag", mine)):
            stats["responder_cpu_ms_per_probe"] = statistics.median(responder[name]) * 1000
        results["sizes"][key] = {"floor": base, "smtpdiag": mine}
        print(f"N = {count:,}, concurrency {concurrency}, {len(ours)} run(s) each "
              f"(median [min-max]):")
        print(show("floor (bare aiosmtplib)", base, None))
        print(show("smtpdiag check", mine, base))
        print(f"  {'':<22} responder CPU per probe: {base['responder_cpu_ms_per_probe']:.3f} "
              f"ms beside the floor, {mine['responder_cpu_ms_per_probe']:.3f} ms beside "
              "smtpdiag")


def scaling(args: argparse.Namespace, budget: Budget, ports: list[int], tmp: str,
            out_file: str, cpus: int, results: dict[str, Any]) -> None:
    count, concurrency = args.scaling, max(args.concurrency)
    listing = targets_file(tmp, ports, count)
    floor_runs: list[dict[str, Any]] = []
    per_workers: dict[int, list[dict[str, Any]]] = {w: [] for w in range(1, cpus + 1)}
    for _ in range(args.runs):
        if not budget.allows(f"scaling {count}@{concurrency}"):
            break
        floor_runs.append(run_floor(listing, concurrency, args.run_timeout))
        for workers in per_workers:
            per_workers[workers].append(run_smtpdiag(listing, out_file, concurrency, workers,
                                                     args.run_timeout))
    if not floor_runs:
        return
    base = summarise(floor_runs, count)
    print(f"scaling, N = {count:,}, concurrency {concurrency} in all, {len(floor_runs)} run(s) "
          "each; peak RSS of the whole process tree:")
    print(show("floor (one process)", base, None, tree=True))
    results["scaling"] = {"targets": count, "concurrency": concurrency, "floor": base}
    for workers, runs in per_workers.items():
        stats = summarise(runs, count)
        results["scaling"][f"workers_{workers}"] = stats
        print(show(f"smtpdiag --workers {workers}", stats, base, tree=True))


def verdicts(results: dict[str, Any]) -> None:
    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print("targets:")
    for key, pair in results["sizes"].items():
        ratio = pair["smtpdiag"]["cpu_ms_per_probe"] / pair["floor"]["cpu_ms_per_probe"]
        pair["cpu_ratio"] = ratio
        print(f"  {key}: CPU per probe <= {TARGET_CPU_RATIO}x floor: {ratio:.2f}x "
              f"{met(ratio <= TARGET_CPU_RATIO)}")
    big = results["sizes"].get("100000@500")
    if big is not None:
        rss = big["smtpdiag"]["peak_rss_mib"]
        print(f"  peak RSS at 100,000 targets, concurrency 500 <= {TARGET_RSS_MIB:.0f} MiB: "
              f"{rss:.1f} MiB {met(rss <= TARGET_RSS_MIB)}")
    else:
        print("  peak RSS at 100,000 targets, concurrency 500: not measured this run")
    formats = results.get("formats") or {}
    for fmt in ("jsonl", "nagios", "junit", "text"):
        if fmt in formats and (formats["targets"], formats["concurrency"]) == (100_000, 500):
            rss = formats[fmt]["peak_rss_mib"]
            print(f"  --format {fmt}: peak RSS at 100,000 targets, concurrency 500 <= "
                  f"{TARGET_RSS_MIB:.0f} MiB: {rss:.1f} MiB {met(rss <= TARGET_RSS_MIB)}")
    scaling_ = results.get("scaling") or {}
    best = max((v["probes_per_s"] for k, v in scaling_.items() if k.startswith("workers_")),
               default=None)
    if best is not None:
        ratio = best / scaling_["floor"]["probes_per_s"]
        print(f"  every core: best throughput >= {TARGET_SCALING}x the one-process floor: "
              f"{ratio:.2f}x {met(ratio >= TARGET_SCALING)}")


def profile(listing: str, out_file: str) -> None:
    import pstats

    with tempfile.TemporaryDirectory() as tmp:
        stats_file = os.path.join(tmp, "check.prof")
        subprocess.run([sys.executable, "-m", "cProfile", "-o", stats_file,
                        *check_argv(listing, out_file, 100, 1)], check=False,
                       capture_output=True)
        print("\nprofile of one smtpdiag run (cProfile, top 25 by own time):")
        pstats.Stats(stats_file).sort_stats("tottime").print_stats(25)


def _numbers(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part]


def _numbers_one(text: str) -> int:
    return _numbers(text)[0]


def _numbers_one(text: str) -> int:
    return _numbers(text)[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", type=_numbers, default=[1000, 10000, 100000])
    parser.add_argument("--concurrency", type=_numbers, default=[100, 500])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--big-runs", type=int, default=1,
                        help="runs at 100,000 targets and more")
    parser.add_argument("--scaling", type=int, default=10000,
                        help="targets for the 1..CPUs workers scaling (0: skip it)")
    parser.add_argument("--budget", type=float, default=1080,
                        help="seconds; no new run starts after this")
    parser.add_argument("--run-timeout", type=float, default=400,
                        help="seconds before one client process is killed")
    parser.add_argument("--listeners", type=int, default=8)
    parser.add_argument("--responders", type=int, default=1)
    parser.add_argument("--loop", choices=("auto", "asyncio", "uvloop"), default="auto",
                        help="the responder's event loop (auto: uvloop when installed)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--formats", type=lambda text: [f for f in text.split(",") if f],
                        default=[], help="also measure these output formats (jsonl, nagios, "
                        "junit, text, json) at --formats-size targets, the largest concurrency")
    parser.add_argument("--formats-size", type=_numbers_one, default=100_000)
    parser.add_argument("--floor", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor is not None:
        floor(args.floor, args.concurrency[0])
        return 0
    return bench(args)


if __name__ == "__main__":
    sys.exit(main())
