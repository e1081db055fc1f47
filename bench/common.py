"""Shared helpers for the benchmarks: timing whole processes and summarising the runs.

Benchmarks report ratios against a baseline measured in the same run, never absolute
assertions: the machine's speed varies, the ratio much less.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def smtpdiag_command() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m smtpdiag``."""
    script = Path(sys.executable).with_name("smtpdiag")
    return [str(script)] if script.exists() else [sys.executable, "-m", "smtpdiag"]


def time_process(argv: list[str], runs: int, env: dict[str, str] | None = None) -> list[float]:
    """Wall-clock seconds of ``runs`` cold runs of ``argv`` (one warm-up run first)."""
    full_env = dict(os.environ, **(env or {}))
    subprocess.run(argv, capture_output=True, env=full_env, check=False)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, env=full_env, check=False)
        times.append(time.perf_counter() - start)
    return times


def summary(times: list[float]) -> dict[str, float]:
    return {
        "median_ms": statistics.median(times) * 1000,
        "min_ms": min(times) * 1000,
        "max_ms": max(times) * 1000,
        "stdev_ms": (statistics.stdev(times) if len(times) > 1 else 0.0) * 1000,
        "runs": len(times),
    }


def line(label: str, stats: dict[str, float], baseline: dict[str, float] | None = None) -> str:
    ratio = f"  {stats['median_ms'] / baseline['median_ms']:.2f}x baseline" if baseline else ""
    return (f"{label:<38} median {stats['median_ms']:7.1f} ms  "
            f"(min {stats['min_ms']:.1f}, max {stats['max_ms']:.1f}, "
            f"sd {stats['stdev_ms']:.1f}, n={stats['runs']:.0f}){ratio}")


def save(name: str, data: object) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2))
    return path


def have(tool: str) -> bool:
    return shutil.which(tool) is not None
