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


def time_with_cpu(argv: list[str], runs: int, env: dict[str, str] | None = None
                  ) -> dict[str, list[float]]:
    """Wall-clock and CPU seconds (user + system, of the process and anything it waits for) of
    ``runs`` cold runs of ``argv``, output discarded.  CPU time says what a run costs when other
    processes share the machine (then wall time mostly says how busy it was).

    The warm-up run may write bytecode (``PYTHONDONTWRITEBYTECODE`` is dropped): an installed
    package has its ``.pyc`` files, and a run without them would time Python's compiler.
    """
    full_env = dict(os.environ, **(env or {}))
    full_env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(argv, capture_output=True, env=full_env, check=False)
    wall, cpu = [], []
    for _ in range(runs):
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 env=full_env)
        _, status, usage = os.wait4(child.pid, 0)
        wall.append(time.perf_counter() - start)
        child.returncode = os.waitstatus_to_exitcode(status)
        cpu.append(usage.ru_utime + usage.ru_stime)
    return {"wall": wall, "cpu": cpu}


def summary(times: list[float] | dict[str, list[float]]) -> dict[str, float]:
    """Median, spread and count of wall times; with ``time_with_cpu``'s result, CPU too."""
    wall = times["wall"] if isinstance(times, dict) else times
    result = {
        "median_ms": statistics.median(wall) * 1000,
        "min_ms": min(wall) * 1000,
        "max_ms": max(wall) * 1000,
        "stdev_ms": (statistics.stdev(wall) if len(wall) > 1 else 0.0) * 1000,
        "runs": len(wall),
    }
    if isinstance(times, dict):
        result["cpu_median_ms"] = statistics.median(times["cpu"]) * 1000
        result["cpu_min_ms"] = min(times["cpu"]) * 1000
    return result


def line(label: str, stats: dict[str, float], baseline: dict[str, float] | None = None) -> str:
    ratio = f"  {stats['median_ms'] / baseline['median_ms']:.2f}x baseline" if baseline else ""
    cpu = ""
    if "cpu_median_ms" in stats:
        cpu = f"  cpu {stats['cpu_median_ms']:7.1f} ms (min {stats['cpu_min_ms']:.1f})"
        if baseline and "cpu_median_ms" in baseline:
            cpu += f" {stats['cpu_median_ms'] / baseline['cpu_median_ms']:.2f}x"
    return (f"{label:<38} median {stats['median_ms']:7.1f} ms  "
            f"(min {stats['min_ms']:.1f}, max {stats['max_ms']:.1f}, "
            f"sd {stats['stdev_ms']:.1f}, n={stats['runs']:.0f}){ratio}{cpu}")


def load() -> str:
    """The machine's load average and cores, to print beside any timing."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (5 min {five:.2f}) on {os.cpu_count()} cores"


def save(name: str, data: object) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2))
    return path


def have(tool: str) -> bool:
    return shutil.which(tool) is not None
