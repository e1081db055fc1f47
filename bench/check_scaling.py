"""The scaling part of ``bench_check.py``: the one-process floor, the floor sharded by hand over
every core, and ``check --workers 1..CPUs``, alternately, each beside the responder's CPU.

The target (issue 13) is ``check --workers N`` at >= 1.2x the one-process floor.  Two more
figures say whether that is within reach on the machine measured: the floor itself forked over
every core (each copy every Nth target: what sharding gives the bare script, the responder
sharing the cores), and what every core could give at the CPU a probe measured
(``check_report.core_bound``).  The clients take turns in an order that moves on by one each
round, and ``--workers N`` is also compared with the floor of its own round (the median of
those paired ratios): a shared machine's load drifts between rounds more than within one.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from check_measure import with_responder
from check_report import core_bound, ratios, show, show_bound, summarise

__all__ = ["scaling"]

Run = Callable[..., dict[str, Any]]


def scaling(count: int, concurrency: int, runs: int, loops: list[str],
            allows: Callable[[str], bool], listing: str, out_file: str, cpus: int,
            server_pids: list[int], timeout: float, floor: Run, smtpdiag: Run,
            target: float) -> dict[str, Any]:
    """``runs`` rounds of every client on every loop; the results, printed as they are summed
    up (empty when no round ran)."""
    floors: dict[tuple[str, int], list[dict[str, Any]]] = {}
    ours: dict[tuple[str, int], list[dict[str, Any]]] = {}
    clients = [("floor", n) for n in sorted({1, cpus})] + [
        ("smtpdiag", n) for n in range(1, cpus + 1)]
    for round_ in range(runs):
        if not allows(f"scaling {count}@{concurrency}"):
            break
        for loop in loops:
            # Each round starts one client later: the load of a shared machine drifts, and
            # always running the floor first would hand it the same side of every drift.
            turn = round_ % len(clients)
            for kind, n in clients[turn:] + clients[:turn]:
                if kind == "floor":
                    floors.setdefault((loop, n), []).append(with_responder(
                        server_pids, count, floor, listing, concurrency, loop, timeout, n))
                else:
                    ours.setdefault((loop, n), []).append(with_responder(
                        server_pids, count, smtpdiag, listing, out_file, concurrency, n,
                        loop, timeout))
    if not ours:
        return {}
    print(f"scaling, N = {count:,}, concurrency {concurrency} in all, {runs} run(s) "
          "each; peak RSS of the whole process tree:")
    results: dict[str, Any] = {"targets": count, "concurrency": concurrency}
    for loop in loops:
        base = _summed(floors[(loop, 1)], count)
        results[loop] = {"floor": base}
        print(show(f"floor on {loop} (one process)", base, None, tree_rss=True))
        if cpus > 1:
            spread = _summed(floors[(loop, cpus)], count)
            results[loop][f"floor_{cpus}"] = spread
            print(show(f"floor, {cpus} processes by hand", spread, base, tree_rss=True))
        for workers in range(1, cpus + 1):
            stats = _summed(ours[(loop, workers)], count)
            results[loop][f"workers_{workers}"] = stats
            print(show(f"smtpdiag --workers {workers} on {loop}", stats, base, tree_rss=True))
            if workers > 1:
                print(f"  {'':<30} of its CPU per probe: the parent (reading, merging, "
                      f"writing) {stats['own_cpu_ms_per_probe']:.3f} ms, the workers "
                      f"{stats['cpu_ms_per_probe'] - stats['own_cpu_ms_per_probe']:.3f} ms")
        paired = [first["wall_s"] / mine["wall_s"]  # the same targets: rates' ratio
                  for mine, first in zip(ours[(loop, cpus)], floors[(loop, 1)], strict=True)]
        results[loop]["paired_rate_ratios"] = paired
        print(f"  {'':<30} --workers {cpus} against the floor of the same round: "
              f"{statistics.median(paired):.2f}x [{min(paired):.2f}-{max(paired):.2f}]")
        most = results[loop][f"workers_{cpus}"]
        most["bound"] = core_bound(base, most, cpus, target)
        print(show_bound(most["bound"], most, base, cpus, target))
        beside = [results[loop][f"workers_{w}"]["responder_cpu_ms_per_probe"]
                  for w in range(1, cpus + 1)]
        print(f"  {'':<30} responder CPU per probe: "
              f"{base['responder_cpu_ms_per_probe']:.3f} ms beside the floor, "
              + ", ".join(f"{ms:.3f} ms beside --workers {w}"
                          for w, ms in enumerate(beside, 1)))
    if {"asyncio", "uvloop"} <= set(loops):
        best = max((v for k, v in results["uvloop"].items()
                    if k.startswith("workers_")), key=lambda v: v["probes_per_s"])
        print(f"  not the target: smtpdiag's best on uvloop against the floor on asyncio: "
              f"{ratios(best, results['asyncio']['floor'], True)}")
    return results


def _summed(runs: list[dict[str, Any]], count: int) -> dict[str, Any]:
    stats = summarise(runs, count)
    stats["responder_cpu_ms_per_probe"] = float(
        statistics.median(r["responder_ms"] for r in runs))
    return stats
