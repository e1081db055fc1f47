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
            "sys_ms_per_probe": statistics.median(r.get("sys_s", 0.0) * 1000 / targets
                                                  for r in runs),
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


def core_bound(floor: dict[str, Any], tree: dict[str, Any], cpus: int,
               target: float) -> dict[str, float]:
    """What ``cpus`` cores can give at the CPU a probe measured, the responder's included.

    The one-process floor is held to one core (at most ``1000 / F`` probes/s at ``F`` ms a
    probe); the workers and the responder share every core, so at ``T`` ms a probe for the
    tree and ``r`` for the responder they give at most ``cpus * 1000 / (T + r)``.  Whether a
    scaling target is within reach is then a matter of CPU a probe, which a shared machine
    disturbs far less than it disturbs rates; and how much of the cores a run got says what
    the rest of the machine took."""
    responder = tree["responder_cpu_ms_per_probe"]
    cost = tree["cpu_ms_per_probe"] + responder
    bound = cpus * 1000 / cost
    return {
        "bound_probes_per_s": bound,
        "bound_vs_floor_rate": bound / floor["probes_per_s"],
        "bound_vs_floor_core": bound * floor["cpu_ms_per_probe"] / 1000,
        "cores_used": cost * tree["probes_per_s"] / 1000 / cpus,
        "floor_cores_used": (floor["cpu_ms_per_probe"] + floor["responder_cpu_ms_per_probe"])
        * floor["probes_per_s"] / 1000 / cpus,
        "tree_needed_ms": cpus * 1000 / (target * floor["probes_per_s"]) - responder,
        "tree_needed_idle_ms": cpus * floor["cpu_ms_per_probe"] / target - responder,
    }


def show_bound(bound: dict[str, float], tree: dict[str, Any], floor: dict[str, Any],
               cpus: int, target: float) -> str:
    pad = " " * 33
    return (f"{pad}{cpus} cores at {tree['cpu_ms_per_probe']:.3f} ms a probe (kernel "
            f"{tree['sys_ms_per_probe']:.3f}) + the responder's "
            f"{tree['responder_cpu_ms_per_probe']:.3f}: at most "
            f"{bound['bound_probes_per_s']:.0f} probes/s, {bound['bound_vs_floor_rate']:.2f}x "
            f"the floor's rate ({bound['bound_vs_floor_core']:.2f}x one core at the floor's "
            f"{floor['cpu_ms_per_probe']:.3f} ms, kernel {floor['sys_ms_per_probe']:.3f});\n"
            f"{pad}the run had {bound['cores_used'] * 100:.0f}% of the cores (the floor's "
            f"{bound['floor_cores_used'] * 100:.0f}%); {target}x needs the tree at <= "
            f"{bound['tree_needed_ms']:.3f} ms a probe at the floor's rate measured, <= "
            f"{bound['tree_needed_idle_ms']:.3f} ms were the floor alone on one core")
