"""Many probes at once: bounded concurrency, one overall deadline, results as they finish.

``probe_many`` is an async iterator of ``(index, Report)`` in completion order, so a caller can
stream each result the moment it is known.  At most ``concurrency`` probes run at a time (a
fixed pool of workers pulling from one list, which bounds concurrency the way a semaphore would
without a task per waiting target).  Every probe is bounded by its own options (``deadline``,
else 4 x ``timeout``) and by what is left of the overall ``deadline``; a target that the overall
deadline cuts off, or never lets start, still yields a ``Report`` with verdict ``failed`` and a
``timeout`` error, so every target is reported exactly once.  Nothing here raises for what a
server or the network does; a bug inside one probe becomes that target's ``error``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from ..errors import SmtpdiagError, UsageError
from ..model import ErrorInfo, Report
from .probe import ProbeOptions, default_deadline, probe

__all__ = ["GRACE", "probe_many"]

# How long past its limit a probe may take to hand in its own (partial) report before it is
# cancelled and reported by the fleet instead.
GRACE = 0.25


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _failed(target: str, opts: ProbeOptions, kind: str, message: str, started_at: str,
            elapsed_ms: float) -> Report:
    return Report(target=target, verdict="failed", summary=message, dry_run=opts.dry_run,
                  error=ErrorInfo(kind, message, None), started_at=started_at,
                  elapsed_ms=elapsed_ms)


async def _one(target: str, opts: ProbeOptions, end: float | None, overall: str) -> Report:
    """One probe within its own limit and what is left of the overall deadline."""
    own = opts.deadline or default_deadline(opts)
    limit = min(own, end - time.monotonic()) if end is not None else own
    started_at, started = _now(), time.perf_counter()
    try:
        async with asyncio.timeout(limit + GRACE):  # no task per probe, unlike wait_for
            report = await probe(target, replace(opts, deadline=limit))
        if end is not None and limit < own and report.error is None and any(
                a.error is not None and a.error.kind == "timeout" for a in report.attempts
        ) and time.monotonic() >= end - GRACE:
            # The probe timed out on the overall deadline, not on its own: say so.
            report = replace(report, error=ErrorInfo(
                "timeout", f"cut off by the overall deadline of {overall} s", None))
        return report
    except TimeoutError:
        cut = (f"cut off by the overall deadline of {overall} s" if end is not None
               and time.monotonic() >= end else f"no result within {limit:g} s")
        return _failed(target, opts, "timeout", cut, started_at,
                       (time.perf_counter() - started) * 1000)
    except SmtpdiagError as exc:  # a target that cannot be parsed: ours, not the server's
        return _failed(target, opts, exc.kind, str(exc), started_at,
                       (time.perf_counter() - started) * 1000)
    except Exception as exc:  # a bug in one probe must not take the others down
        return _failed(target, opts, "error", f"internal error ({type(exc).__name__}): {exc}",
                       started_at, (time.perf_counter() - started) * 1000)


async def probe_many(targets: Sequence[str], opts: ProbeOptions, *, concurrency: int = 20,
                     deadline: float | None = None) -> AsyncIterator[tuple[int, Report]]:
    """Probe every target; yield ``(index into targets, Report)`` as each one finishes."""
    if concurrency < 1:
        raise UsageError("concurrency must be at least 1")
    if deadline is not None and deadline <= 0:
        raise UsageError("the overall deadline must be a positive number of seconds")
    end = time.monotonic() + deadline if deadline is not None else None
    overall = f"{deadline:g}" if deadline is not None else "-"
    queue: asyncio.Queue[tuple[int, Report]] = asyncio.Queue()
    todo = iter(enumerate(targets))
    started: dict[int, float] = {}

    async def worker() -> None:
        for index, target in todo:
            if end is not None and time.monotonic() >= end:
                return  # the rest are reported as never started, below
            started[index] = time.perf_counter()
            queue.put_nowait((index, await _one(target, opts, end, overall)))

    workers = [asyncio.create_task(worker()) for _ in range(min(concurrency, len(targets)))]
    reported: set[int] = set()
    try:
        while len(reported) < len(targets):
            if end is None:
                index, report = await queue.get()
            else:
                try:
                    index, report = await asyncio.wait_for(
                        queue.get(), max(0.0, end + GRACE - time.monotonic()))
                except TimeoutError:
                    break
            reported.add(index)
            yield index, report
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    while not queue.empty():  # finished in the very last moment
        index, report = queue.get_nowait()
        if index not in reported:
            reported.add(index)
            yield index, report
    for index, target in enumerate(targets):
        if index not in reported:
            began = started.get(index)
            message = (f"cut off by the overall deadline of {overall} s" if began is not None
                       else f"not started: the overall deadline of {overall} s came first")
            elapsed = (time.perf_counter() - began) * 1000 if began is not None else 0.0
            yield index, _failed(target, opts, "timeout", message, _now(), elapsed)
