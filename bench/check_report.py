"""How ``bench_check.py`` sums up and prints the runs of one client: medians with their range,
and ratios to the floor measured in the same run."""

from __future__ import annotations

import statistics
from typing import Any

__all__ = ["ratios", "show", "summarise"]


def summarise(runs: list[dict[str, Any]], targets: int) -> dict[str, Any]:
    rates = [targets / r["wall_s"] for r in runs]
    cpus = [r["cpu_s"] * 1000 / targets for r in runs]
    return {"probes_per_s": statistics.median(rates), "rate_min": min(rates),
            "rate_max": max(rates), "cpu_ms_per_probe": statistics.median(cpus),
            "cpu_min": min(cpus), "cpu_max": max(cpus),
            "busy": statistics.median(r["cpu_s"] / r["wall_s"] for r in runs),
            "own_cpu_ms_per_probe": statistics.median(r["own_cpu_s"] * 1000 / targets
                                                      for r in runs),
            "peak_rss_mib": max(r["rss_mib"] for r in runs),
            "peak_tree_rss_mib": max(r["tree_rss_mib"] for r in runs),
            "ok": min(r["ok"] for r in runs), "runs": len(runs),
            "killed": sum(r["killed"] for r in runs), "targets": targets}


def show(label: str, stats: dict[str, Any], base: dict[str, Any] | None,
         tree_rss: bool = False) -> str:
    rate = (f"{stats['probes_per_s']:7.0f} probes/s [{stats['rate_min']:.0f}-"
            f"{stats['rate_max']:.0f}]")
    cpu = (f"CPU {stats['cpu_ms_per_probe']:.3f} ms/probe [{stats['cpu_min']:.3f}-"
           f"{stats['cpu_max']:.3f}], {stats['busy'] * 100:3.0f}% busy")
    rss = stats["peak_tree_rss_mib"] if tree_rss else stats["peak_rss_mib"]
    text = f"  {label:<30} {rate}  {cpu}  peak RSS {rss:6.1f} MiB"
    if base is not None:
        text += "  | " + ratios(stats, base, tree_rss)
    return text + (f"  (only {stats['ok']} OK; {stats['killed']} run(s) killed)"
                   if stats["killed"] or stats["ok"] < stats.get("targets", 0) else "")


def ratios(stats: dict[str, Any], base: dict[str, Any], tree_rss: bool = False) -> str:
    key = "peak_tree_rss_mib" if tree_rss else "peak_rss_mib"
    return (f"rate {stats['probes_per_s'] / base['probes_per_s']:.2f}x, "
            f"CPU {stats['cpu_ms_per_probe'] / base['cpu_ms_per_probe']:.2f}x, "
            f"RSS {stats[key] / base[key]:.2f}x floor")
