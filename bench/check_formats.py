"""``bench_check.py --formats``: what each output format of ``check`` costs at fleet scale.

For each format asked (jsonl, nagios, junit, text; json too, though it keeps every full
report by design) one ``smtpdiag check --format F --output FILE --workers 1`` run at N targets
and concurrency C, beside one run of the bare aiosmtplib floor in the same run: probes/s, CPU
ms per probe and peak RSS (VmHWM), each as a ratio to the floor, and the peak RSS as a ratio
to jsonl's (the format that keeps nothing).  The output is read back to count the OK targets,
so a format that lost results cannot look cheap.  Target (issue 13): peak RSS <= 80 MiB at
100,000 targets, concurrency 500, for every streaming format.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

__all__ = ["FORMATS", "bench_formats"]

FORMATS = ("jsonl", "nagios", "junit", "text", "json")

# How many targets a format's output says were OK.
_OK: dict[str, Callable[[str], int]] = {
    "jsonl": lambda text: text.count('"state":"OK"'),
    "nagios": lambda text: len(re.findall(r"^OK ", text, re.M)),
    "junit": lambda text: text.count('<property name="state" value="OK" />'),
    "text": lambda text: len(re.findall(r"^OK ", text, re.M)),
    "json": lambda text: text.count('"state": "OK",\n      "exit_code"'),
}


def bench_formats(formats: list[str], count: int, concurrency: int, *, listing: str,
                  out_file: str, timeout: float, measure: Callable[..., dict[str, Any]],
                  floor: Callable[[str, int, float], dict[str, Any]],
                  argv: Callable[..., list[str]]) -> dict[str, Any]:
    """Run the floor once, then each format once; print and return the figures."""
    import sys

    base = floor(listing, concurrency, timeout)
    figures: dict[str, Any] = {"targets": count, "concurrency": concurrency,
                               "floor": _figures(base, count)}
    print(f"formats, N = {count:,}, concurrency {concurrency}, one run each, --workers 1 "
          "(ratios to the floor of this run; RSS also to jsonl's):")
    print(_line("floor (bare aiosmtplib)", figures["floor"], None, None))
    for fmt in formats:
        run = measure([sys.executable, *argv(listing, out_file, concurrency, 1, fmt)], timeout)
        with open(out_file, encoding="utf-8") as handle:
            run["ok"] = _OK[fmt](handle.read())
        figures[fmt] = _figures(run, count)
        print(_line(f"--format {fmt}", figures[fmt], figures["floor"], figures.get("jsonl")))
    return figures


def _figures(run: dict[str, Any], count: int) -> dict[str, Any]:
    return {"probes_per_s": count / run["wall_s"], "cpu_ms_per_probe": run["cpu_s"] * 1000 /
            count, "peak_rss_mib": run["rss_mib"], "ok": run.get("ok", 0),
            "killed": run.get("killed", False)}


def _line(label: str, stats: dict[str, Any], base: dict[str, Any] | None,
          jsonl: dict[str, Any] | None) -> str:
    text = (f"  {label:<24} {stats['probes_per_s']:7.0f} probes/s  CPU "
            f"{stats['cpu_ms_per_probe']:.3f} ms/probe  peak RSS {stats['peak_rss_mib']:6.1f} MiB")
    if base is not None:
        text += (f"  | rate {stats['probes_per_s'] / base['probes_per_s']:.2f}x, CPU "
                 f"{stats['cpu_ms_per_probe'] / base['cpu_ms_per_probe']:.2f}x, RSS "
                 f"{stats['peak_rss_mib'] / base['peak_rss_mib']:.2f}x floor")
    if jsonl is not None and stats is not jsonl:
        text += f", {stats['peak_rss_mib'] / jsonl['peak_rss_mib']:.2f}x jsonl"
    return text + (f"  ({stats['ok']} OK{', killed' if stats['killed'] else ''})")
