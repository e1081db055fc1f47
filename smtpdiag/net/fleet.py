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
import re
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterator
from dataclasses import replace
from datetime import UTC, datetime

from ..core.targets import Target
from ..core.text import seconds
from ..errors import SmtpdiagError, UsageError
from ..model import ErrorInfo, Report
from .probe import ProbeOptions, default_deadline, probe
from .stepclock import StepClock

__all__ = ["GRACE", "probe_many"]

# How long past its limit a probe may take to hand in its own (partial) report before it is
# cancelled and reported by the fleet instead.
GRACE = 0.25


def _now(at: float | None = None) -> str:
    """``at`` (``time.time()``), or now, as the reports write it."""
    return datetime.fromtimestamp(time.time() if at is None else at, UTC).isoformat(
        timespec="seconds")


def _text(target: str | Target) -> str:
    return target.text if isinstance(target, Target) else target


def _failed(target: str | Target, opts: ProbeOptions, kind: str, message: str, started_at: str,
            elapsed_ms: float) -> Report:
    return Report(target=_text(target), verdict="failed", summary=message, dry_run=opts.dry_run,
                  error=ErrorInfo(kind, message, None), started_at=started_at,
                  elapsed_ms=elapsed_ms)


async def _one(target: str | Target, opts: ProbeOptions, end: float | None,
               overall: str, clock: StepClock) -> Report:
    """One probe within its own limit and what is left of the overall deadline.

    The limit is kept by the fleet worker's one ``StepClock`` (``stepclock.py``), not by an
    ``asyncio.timeout`` per probe: the same cancellation when it runs out (and one from
    elsewhere still wins), without a timer set and cancelled for every target."""
    own = opts.deadline or default_deadline(opts)
    now = time.monotonic()
    limit = min(own, end - now) if end is not None else own
    started, wall = time.perf_counter(), time.time()  # formatted only if the fleet reports
    clock.start(limit + GRACE)
    try:
        report = await probe(target, opts, until=now + limit)
    except asyncio.CancelledError:
        if not clock.stop():
            raise  # not the probe's time running out: Ctrl-C, or the fleet's end
        return _timed_out(target, opts, end, overall, limit, started, wall)
    except TimeoutError:
        clock.stop()
        return _timed_out(target, opts, end, overall, limit, started, wall)
    except SmtpdiagError as exc:  # a target that cannot be parsed: ours, not the server's
        clock.stop()
        return _failed(target, opts, exc.kind, str(exc), _now(wall),
                       (time.perf_counter() - started) * 1000)
    except Exception as exc:  # a bug in one probe must not take the others down
        clock.stop()
        return _failed(target, opts, "error", f"internal error ({type(exc).__name__}): {exc}",
                       _now(wall), (time.perf_counter() - started) * 1000)
    clock.stop()
    if end is not None and limit < own and report.error is None and any(
            a.error is not None and a.error.kind == "timeout" for a in report.attempts
    ) and time.monotonic() >= end - GRACE:
        report = _cut_off(report, overall)
    return report


def _cut_off(report: Report, overall: str) -> Report:
    """The probe timed out on the overall deadline, not on its own: say so, with the step it
    was waiting at and what that step had seen (the attempt's own error says both), once.
    The step's own "within N s" goes: it was what the deadline left, which differs from run
    to run, and the deadline is named."""
    last = max(i for i, a in enumerate(report.attempts)
               if a.error is not None and a.error.kind == "timeout")
    attempt = report.attempts[last]
    assert attempt.error is not None
    seen = re.sub(r" within [0-9.]+ s\b", "", attempt.error.message, count=1)
    error = ErrorInfo("timeout", f"cut off by the overall deadline of {overall} s: {seen}",
                      attempt.error.step)
    attempts = list(report.attempts)
    attempts[last] = replace(attempt, error=error)
    return replace(report, error=error, attempts=tuple(attempts))


def _timed_out(target: str | Target, opts: ProbeOptions, end: float | None, overall: str,
               limit: float, started: float, wall: float) -> Report:
    cut = (f"cut off by the overall deadline of {overall} s" if end is not None
           and time.monotonic() >= end else f"no result within {seconds(limit)} s")
    return _failed(target, opts, "timeout", cut, _now(wall),
                   (time.perf_counter() - started) * 1000)


async def probe_many(targets: Collection[str | Target], opts: ProbeOptions, *,
                     concurrency: int = 20, deadline: float | None = None,
                     ends_at: float | None = None,
                     numbered: Iterator[tuple[int, str | Target]] | None = None,
                     deliver: Callable[[int, Report], None] | None = None,
                     ) -> AsyncIterator[tuple[int, Report]]:
    """Probe every target; yield ``(index into targets, Report)`` as each one finishes.

    ``deadline`` (seconds) starts now, unless ``ends_at`` says when it ends (a
    ``time.monotonic()`` point: a run split over processes has one deadline for all).
    ``numbered`` gives the ``(index, target)`` pairs to probe instead of every target of
    ``targets`` (then only its size counts): a ``--workers`` process's share, taken as it goes.
    With ``deliver``, each report goes to it from its probe's own task the moment it is done
    (no queue and no step of this iterator between them: a few microseconds a probe at fleet
    scale), and the iterator yields only what the deadline cut off or never let start; an
    exception ``deliver`` raises ends the run and is raised here.
    """
    if concurrency < 1:
        raise UsageError("concurrency must be at least 1")
    if deadline is not None and deadline <= 0:
        raise UsageError("the overall deadline must be a positive number of seconds")
    end = ends_at if ends_at is not None else (
        time.monotonic() + deadline if deadline is not None else None)
    overall = f"{deadline:g}" if deadline is not None else "-"
    # A finished probe, or None when one of the probing tasks has run out of targets.
    queue: asyncio.Queue[tuple[int, Report] | None] = asyncio.Queue()
    todo = numbered if numbered is not None else enumerate(targets)
    # Memory per target is one byte (reported or not); what is kept per probe under way goes
    # when its report does, so 100,000 targets cost no more than 1,000.
    started: dict[int, tuple[float, str | Target]] = {}
    unstarted: list[tuple[int, str | Target]] = []  # taken when the deadline had come
    reported = bytearray(len(targets))
    running = min(concurrency, len(targets))
    failures: list[Exception] = []

    async def worker() -> None:
        clock = StepClock()  # one timer for every probe this worker runs, one after another
        walks = StepClock()  # and one for the steps of all its walks
        walks.lend_to_walks()
        try:
            for index, target in todo:
                if end is not None and time.monotonic() >= end:
                    unstarted.append((index, target))  # reported below, with the rest
                    return
                started[index] = (time.perf_counter(), target)
                report = await _one(target, opts, end, overall, clock)
                if deliver is None:
                    queue.put_nowait((index, report))
                else:
                    reported[index] = 1
                    del started[index]
                    deliver(index, report)
                # Let go of it now, while its records are still in the CPU's cache: kept until
                # the next probe replaced it, every worker held a finished report (its attempt,
                # steps and replies) through the whole of its next probe, twice the objects
                # alive per probe under way, freed long after they were last touched.
                del report
        except Exception as exc:  # deliver's, or reading the targets: raised by the loop below
            failures.append(exc)
        finally:
            clock.close()
            walks.close()
            queue.put_nowait(None)

    workers = [asyncio.create_task(worker()) for _ in range(running)]
    try:
        while running:
            if end is None:
                item = await queue.get()
            else:
                try:
                    async with asyncio.timeout(max(0.0, end + GRACE - time.monotonic())):
                        item = await queue.get()
                except TimeoutError:
                    break
            if item is None:
                running -= 1
                if failures:
                    raise failures[0]
                continue
            index, report = item
            reported[index] = 1
            del started[index]
            yield index, report
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    while not queue.empty():  # finished in the very last moment
        item = queue.get_nowait()
        if item is not None and not reported[item[0]]:
            reported[item[0]] = 1
            started.pop(item[0], None)
            yield item
    # What the deadline cut off or never let start, in input order: those under way or
    # taken, then every target no probe took.
    left = sorted([(index, began, target) for index, (began, target) in started.items()
                   if not reported[index]]
                  + [(index, None, target) for index, target in unstarted], key=_first)
    for index, began, target in left:
        if began is not None:
            yield index, _failed(target, opts, "timeout",
                                 f"cut off by the overall deadline of {overall} s", _now(),
                                 (time.perf_counter() - began) * 1000)
        else:
            yield index, _never(target, opts, overall)
    for index, target in todo:
        yield index, _never(target, opts, overall)


def _first(item: tuple[int, float | None, str | Target]) -> int:
    return item[0]


def _never(target: str | Target, opts: ProbeOptions, overall: str) -> Report:
    return _failed(target, opts, "timeout",
                   f"not started: the overall deadline of {overall} s came first", _now(), 0.0)
