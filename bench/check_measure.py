"""Measuring one client process of ``bench_check.py``: wall time, CPU time of its whole process
tree (``wait4``) and of the process alone, and peak memory (its own ``VmHWM``, and the most its
tree held at once)."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["cpu_seconds", "measure", "tree", "with_responder"]

_TICK = os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
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
        held = sum(_status_kib(p, "VmRSS:") for p in tree(pid)) / 1024
        peak["tree"] = max(peak["tree"], held)
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


def _own_cpu_seconds(pid: int) -> float:
    """User + system time of this process alone (not of its children): with ``--workers``,
    the parent's share of the tree's CPU."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK
    except (OSError, ValueError, IndexError):
        return 0.0


def measure(argv: list[str], timeout: float, env: dict[str, str] | None = None
            ) -> dict[str, Any]:
    """Wall time, CPU time (the whole tree, from wait4; ``sys_s`` the kernel's part of it) and
    peak RSS of one client process."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                text=True, env=None if env is None else {**os.environ, **env})
        done, peak = threading.Event(), {"own": 0.0, "tree": 0.0}
        poller = threading.Thread(target=_watch_memory, args=(proc.pid, done, peak))
        poller.start()
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        # WNOWAIT: the child stays a zombie (its /proc entry readable) until reaped below.
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
        own = _own_cpu_seconds(proc.pid)  # final: the zombie's own times, its children's apart
        killer.cancel()
        done.set()
        poller.join()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
                "sys_s": usage.ru_stime, "own_cpu_s": own,
                "rss_mib": peak["own"], "tree_rss_mib": peak["tree"],
                "exit": proc.returncode, "stdout": out.read(), "stderr": err.read()[-2000:],
                "killed": proc.returncode == -9}


def with_responder(server_pids: list[int], count: int, run: Callable[..., dict[str, Any]],
                   *args: Any) -> dict[str, Any]:
    """``run(*args)``, one client run of ``count`` probes, with the responder's CPU per probe
    meanwhile (``responder_ms``)."""
    before = cpu_seconds(server_pids)
    result = run(*args)
    result["responder_ms"] = (cpu_seconds(server_pids) - before) * 1000 / count
    return result
