"""Benchmark ``smtpdiag check`` at fleet scale against the floor of its stack, in the same run.

    .venv/bin/python bench/bench_check.py [--sizes 1000,10000,100000] [--concurrency 100,500]
        [--runs 3] [--big-runs 1] [--scaling 10000] [--budget 1080] [--run-timeout 400]
        [--listeners 8] [--responders 1] [--loop auto] [--client-loops asyncio,uvloop]
        [--profile] [--formats jsonl,nagios,junit,text] [--formats-size 100000]

All traffic is loopback (127.0.0.1).  Every process runs on its own:
- the target: ``bench/responder.py``, a minimal asyncio SMTP responder with ``--listeners``
  ports, so that a client talking to it is limited by its own CPU (the report shows how busy
  the floor kept its core: near 100 % means the client, not the server, set the pace).  With
  ``--loop auto`` (the default) it runs on uvloop when that is installed (``pip install
  uvloop``): about a third of the CPU per session, which matters where the responder shares
  two cores with the clients; its CPU per probe is printed beside each client's;
- the floor: ``bench/check_floor.py``, a bare aiosmtplib script doing the same dry-run session
  (connect, greeting, EHLO, MAIL, RCPT, RSET, QUIT) with the same concurrency;
- smtpdiag: ``smtpdiag check --targets-file F --concurrency C --format jsonl --output FILE``
  (``--workers 1`` for the per-process figures; 1..CPUs for the scaling).
Both clients run on each of ``--client-loops`` (default: asyncio's own loop, and uvloop when it
is installed; smtpdiag is told with ``SMTPDIAG_LOOP``), and each is compared with the floor
*on the same loop*: that is the target.  Beside it, smtpdiag on uvloop against the floor on
asyncio's loop says what ``pip install 'smtpdiag[fast]'`` buys a user over a plain script; it
is printed as such and is not the target.
For each size N and concurrency C the floor and smtpdiag run alternately ``--runs`` times
(``--big-runs`` at 100,000 and more); reported: probes/s, CPU ms per probe (user + system of
the whole process tree, from ``wait4``), peak RSS (the client's VmHWM; with workers, the most
the process tree held at once, sampled every 10 ms), each with its ratio to the floor.
Targets (issue 13): CPU per probe <= 1.3x the floor; peak RSS <= 80 MiB at 100,000 targets,
concurrency 500; with every core, throughput >= 1.2x the single-process floor.  ``--formats``
adds one run per output format at ``--formats-size`` targets (``check_formats.py``, on the
first client loop): peak RSS must hold for every streaming format, not only jsonl.

Beside the scaling (``check_scaling.py``): the floor forked over every core by hand (what
sharding gives the bare script itself here), and what every core could give at the CPU a probe
measured (the tree's and the responder's) against the floor held to one core, with the tree's
CPU a probe 1.2x needs: on a shared machine the rates say how busy it was, these say whether
the target is within reach.

Where the time of one run goes, process by process (CPU, waiting for a core, asleep), is what
``bench/check_tree.py`` shows: for a ``--workers`` run that is not busy on every core.

The run is bounded: each client process is killed after ``--run-timeout`` seconds, and no new
run starts once ``--budget`` seconds have passed (what was skipped is said).  The machine is
shared, so rates vary from run to run: compare the ratios, and the min/max printed beside the
medians.  Results go to ``bench/results/check.json`` for a whole default run, else to a file
named by the sizes, concurrencies and scaling measured (``.partial.json`` when cut short).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from check_measure import cpu_seconds, measure, tree
from check_report import ratios, show, summarise
from check_scaling import scaling

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
HELO = "bench.smtpdiag.test"
TARGET_CPU_RATIO = 1.3
TARGET_RSS_MIB = 80.0
TARGET_SCALING = 1.2


def run_floor(targets_file: str, concurrency: int, loop: str, timeout: float,
              processes: int = 1) -> dict[str, Any]:
    result = measure([sys.executable, str(HERE / "check_floor.py"), targets_file,
                      str(concurrency), loop, str(processes)], timeout)
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


def run_smtpdiag(targets_file: str, out_file: str, concurrency: int, workers: int, loop: str,
                 timeout: float) -> dict[str, Any]:
    result = measure([sys.executable, *check_argv(targets_file, out_file, concurrency,
                                                  workers)], timeout, {"SMTPDIAG_LOOP": loop})
    ok = 0
    with open(out_file) as lines:
        for line in lines:
            ok += '"state":"OK"' in line
    result["ok"] = ok
    return result


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
    # An installed package has its .pyc files; with PYTHONDONTWRITEBYTECODE set (as some shells
    # and CI images do) every run of a development install would time Python's compiler, about
    # a tenth of a second of each start-up.  The warm-up runs below write them.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    server = subprocess.Popen([sys.executable, str(HERE / "responder.py"), "--listeners",
                               str(args.listeners), "--processes", str(args.responders),
                               "--loop", args.loop],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    results: dict[str, Any] = {"sizes": {}, "scaling": {}, "client_loops": args.client_loops}
    cpus = len(os.sched_getaffinity(0))
    load = os.getloadavg()
    print(f"bench_check: {cpus} CPUs, load average {load[0]:.2f} at the start; responder "
          f"{args.responders} process(es), {args.listeners} listeners; clients on "
          f"{' and '.join(args.client_loops)}; ratios are to the floor on the same loop, "
          "measured in the same run")
    try:
        assert server.stdout is not None
        ports = json.loads(server.stdout.readline())
        server_pids = tree(server.pid)
        with tempfile.TemporaryDirectory(prefix="smtpdiag-bench-") as tmp:
            out_file = os.path.join(tmp, "out.jsonl")
            warm = targets_file(tmp, ports, 1000)
            for loop in args.client_loops:
                run_floor(warm, 100, loop, args.run_timeout)
                run_smtpdiag(warm, out_file, 100, 1, loop, args.run_timeout)
            big = [n for n in args.sizes if n >= 100_000]
            for count in [n for n in args.sizes if n < 100_000]:
                one_size(args, budget, ports, tmp, out_file, count, server_pids, results)
            if args.scaling:  # before the big sizes, which a tight --budget may cut
                results["scaling"] = scaling(
                    args.scaling, max(args.concurrency), args.runs, args.client_loops,
                    budget.allows, targets_file(tmp, ports, args.scaling), out_file, cpus,
                    server_pids, args.run_timeout, run_floor, run_smtpdiag, TARGET_SCALING)
            for count in big:
                one_size(args, budget, ports, tmp, out_file, count, server_pids, results)
            if args.formats and budget.allows("formats"):
                from check_formats import bench_formats

                loop = args.client_loops[0]
                results["formats"] = bench_formats(
                    args.formats, args.formats_size, max(args.concurrency),
                    listing=targets_file(tmp, ports, args.formats_size), out_file=out_file,
                    timeout=args.run_timeout,
                    measure=lambda argv, timeout: measure(argv, timeout,
                                                          {"SMTPDIAG_LOOP": loop}),
                    floor=lambda listing, concurrency, timeout: run_floor(
                        listing, concurrency, loop, timeout),
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
    path = RESULTS / results_name(args, budget)
    results.update(when=time.strftime("%Y-%m-%dT%H:%M:%S%z"), python=sys.version.split()[0],
                   cpus=cpus, load_average_at_start=load, skipped=budget.skipped)
    path.write_text(json.dumps(results, indent=2))
    print(f"written to {path}")
    return 0


def results_name(args: argparse.Namespace, budget: Budget) -> str:
    """``check.json`` for a whole run with the default sizes; any other run is named by what
    it measured (``check.n10000-c500-s10000.json``), and a run the budget cut short is
    ``….partial.json``, so neither overwrites the full figures."""
    whole = (args.sizes == [1000, 10000, 100000] and args.concurrency == [100, 500]
             and args.scaling == 10000 and not args.formats)
    name = "check" if whole else "check.n{}-c{}-s{}{}".format(
        "+".join(map(str, args.sizes)) or "0", "+".join(map(str, args.concurrency)),
        args.scaling, "-f" + "+".join(args.formats) if args.formats else "")
    return name + (".partial.json" if budget.skipped else ".json")


def one_size(args: argparse.Namespace, budget: Budget, ports: list[int], tmp: str,
             out_file: str, count: int, server_pids: list[int],
             results: dict[str, Any]) -> None:
    """N = ``count`` at each concurrency: the floor and smtpdiag alternately, on each client
    loop, ``--runs`` times (``--big-runs`` from 100,000 on), with the responder's CPU per
    probe for each."""
    listing = targets_file(tmp, ports, count)
    runs = args.big_runs if count >= 100_000 else args.runs
    for concurrency in args.concurrency:
        key = f"{count}@{concurrency}"
        measured: dict[tuple[str, str], list[dict[str, Any]]] = {}
        responder: dict[tuple[str, str], list[float]] = {}
        for _ in range(runs):
            if not budget.allows(key):
                break
            for loop in args.client_loops:
                for client in ("floor", "smtpdiag"):
                    before = cpu_seconds(server_pids)
                    measured.setdefault((loop, client), []).append(
                        run_floor(listing, concurrency, loop, args.run_timeout)
                        if client == "floor" else
                        run_smtpdiag(listing, out_file, concurrency, 1, loop, args.run_timeout))
                    responder.setdefault((loop, client), []).append(
                        (cpu_seconds(server_pids) - before) / count)
        if not measured:
            continue
        print(f"N = {count:,}, concurrency {concurrency}, {runs} run(s) each "
              f"(median [min-max]):")
        entry: dict[str, Any] = {}
        for loop in args.client_loops:
            base = summarise(measured[(loop, "floor")], count)
            mine = summarise(measured[(loop, "smtpdiag")], count)
            for name, stats in (("floor", base), ("smtpdiag", mine)):
                stats["responder_cpu_ms_per_probe"] = statistics.median(
                    responder[(loop, name)]) * 1000
            entry[loop] = {"floor": base, "smtpdiag": mine}
            print(show(f"floor on {loop}", base, None))
            print(show(f"smtpdiag check on {loop}", mine, base))
            print(f"  {'':<30} responder CPU per probe: "
                  f"{base['responder_cpu_ms_per_probe']:.3f} ms beside the floor, "
                  f"{mine['responder_cpu_ms_per_probe']:.3f} ms beside smtpdiag")
        if {"asyncio", "uvloop"} <= entry.keys():
            print(f"  not the target: smtpdiag on uvloop against the floor on asyncio: "
                  f"{ratios(entry['uvloop']['smtpdiag'], entry['asyncio']['floor'])}")
        results["sizes"][key] = entry


def verdicts(results: dict[str, Any]) -> None:
    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print("targets (each against the floor on the same loop):")
    for key, entry in results["sizes"].items():
        for loop, pair in entry.items():
            ratio = pair["smtpdiag"]["cpu_ms_per_probe"] / pair["floor"]["cpu_ms_per_probe"]
            pair["cpu_ratio"] = ratio
            print(f"  {key} on {loop}: CPU per probe <= {TARGET_CPU_RATIO}x floor: {ratio:.2f}x "
                  f"{met(ratio <= TARGET_CPU_RATIO)}")
    for loop, pair in (results["sizes"].get("100000@500") or {}).items():
        rss = pair["smtpdiag"]["peak_rss_mib"]
        print(f"  peak RSS at 100,000 targets, concurrency 500, on {loop} <= "
              f"{TARGET_RSS_MIB:.0f} MiB: {rss:.1f} MiB {met(rss <= TARGET_RSS_MIB)}")
    if "100000@500" not in results["sizes"]:
        print("  peak RSS at 100,000 targets, concurrency 500: not measured this run")
    formats = results.get("formats") or {}
    for fmt in ("jsonl", "nagios", "junit", "text"):
        if fmt in formats and (formats["targets"], formats["concurrency"]) == (100_000, 500):
            rss = formats[fmt]["peak_rss_mib"]
            print(f"  --format {fmt}: peak RSS at 100,000 targets, concurrency 500 <= "
                  f"{TARGET_RSS_MIB:.0f} MiB: {rss:.1f} MiB {met(rss <= TARGET_RSS_MIB)}")
    for loop in results.get("client_loops", []):
        scaled = (results.get("scaling") or {}).get(loop)
        if not scaled:
            continue
        best = max(v["probes_per_s"] for k, v in scaled.items() if k.startswith("workers_"))
        ratio = best / scaled["floor"]["probes_per_s"]
        print(f"  every core on {loop}: best throughput >= {TARGET_SCALING}x the one-process "
              f"floor: {ratio:.2f}x {met(ratio >= TARGET_SCALING)}")
        for key, spread in scaled.items():
            if key.startswith("floor_"):
                bound = scaled[f"workers_{key[6:]}"]["bound"]["bound_vs_floor_core"]
                print(f"    (the floor itself over {key[6:]} processes by hand: "
                      f"{spread['probes_per_s'] / scaled['floor']['probes_per_s']:.2f}x; at the "
                      f"CPU a probe measured, with the cores to themselves, smtpdiag's "
                      f"workers could reach at most {bound:.2f}x the floor's one core)")


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


def _loops(text: str) -> list[str]:
    loops = [part.strip() for part in text.split(",") if part.strip()]
    for loop in loops:
        if loop not in ("asyncio", "uvloop"):
            raise argparse.ArgumentTypeError(f"{loop!r}: a client loop is asyncio or uvloop")
    return loops


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
    has_uvloop = importlib.util.find_spec("uvloop") is not None
    parser.add_argument("--client-loops", type=_loops,
                        default=["asyncio", "uvloop"] if has_uvloop else ["asyncio"],
                        help="the loops both clients run on, each compared on its own "
                             "(default: asyncio, and uvloop when installed)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--formats", type=lambda text: [f for f in text.split(",") if f],
                        default=[], help="also measure these output formats (jsonl, nagios, "
                        "junit, text, json) at --formats-size targets, the largest concurrency")
    parser.add_argument("--formats-size", type=_numbers_one, default=100_000)
    args = parser.parse_args()
    if "uvloop" in args.client_loops and not has_uvloop:
        parser.error("--client-loops uvloop: uvloop is not installed (pip install uvloop)")
    return bench(args)


if __name__ == "__main__":
    sys.exit(main())
