"""``check --workers N``: the targets shared over N processes, merged back into one run.

One Python process probes about as fast as one core runs its event loop, so a large run forks
N workers (``fork``: they start at once, with everything imported and the targets parsed).
Each worker takes the next target whenever one of its probes comes free (``_Claims``), so the
work follows the CPU each one gets; it has its share of ``--concurrency`` and the same
overall deadline (one point in ``time.monotonic``,
which every process shares).  It judges each report and renders what the output needs (the
streamed line, else the pickled ``CheckResult``), and sends them to the parent in batches.
The parent is the only writer: one progress bar, one output, the same results as one process
gives (whole-run formats sort by input index; jsonl lines carry theirs).  A target whose worker
died before reporting it is reported all the same: UNKNOWN, saying so.
"""

from __future__ import annotations

import gc
import os
import pickle
import selectors
import signal
import sys
import time
from array import array
from collections.abc import Callable, Collection, Iterator, Sequence
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from ..core.health import CheckResult
    from ..core.targets import Target
    from ..core.thresholds import Thresholds
    from ..net.audit import AuditOptions
    from ..net.probe import ProbeOptions

__all__ = ["BATCH", "run_sharded", "shares"]

BATCH = 64  # results per message to the parent (or what 0.1 s brought)
_SEND_SECONDS = 0.1
_LATE = 5.0  # seconds past the deadline (plus the fleet's grace) before workers are stopped

Streamer = Callable[["CheckResult"], Any]
# (indexes, states, text): a batch of lines joined, for formats that only join them (jsonl).
OnLines = Callable[[Sequence[int], list[str], str], None]


def shares(total: int, parts: int) -> list[int]:
    """``total`` split over ``parts`` as evenly as can be, larger shares first."""
    return [total // parts + (k < total % parts) for k in range(parts)]


class _Claims:
    """The run's targets, each taken by whichever worker has a probe to spare first.

    A fixed share per worker (every Nth target) let one worker finish early while another,
    which the scheduler gave less of a core, still had a queue of its own: the run's tail
    used one core.  Taken one at a time as probes come free, the targets follow the CPU each
    worker gets, and a worker whose probes all hang (silent hosts) takes no more of them,
    as one process's pool would not.  The counter is shared memory set up before the fork.
    """

    def __init__(self, targets: Collection[str | Target], context: Any) -> None:
        self.targets, self.total = targets, len(targets)
        self.next = context.RawValue("q", 0)
        self.lock = context.Lock()

    def _indexes(self) -> Iterator[int]:
        counter, lock, total = self.next, self.lock, self.total
        while True:
            with lock:
                index = counter.value
                counter.value = index + 1
            if index >= total:
                return
            yield index

    def taken(self) -> Iterator[tuple[int, str | Target]]:
        """``(index, target)`` for each target this process takes, in increasing order."""
        pick = getattr(self.targets, "pick", None)
        if pick is not None:  # a Targets: parses only the lines it hands out
            return cast("Iterator[tuple[int, str | Target]]", pick(self._indexes()))
        from .check_targets import picked

        return picked(enumerate(self.targets), self._indexes())


def _work(claims: _Claims, conn: Connection, options: ProbeOptions,
          thresholds: Thresholds, concurrency: int, deadline: float | None, end: float | None,
          streamer: Streamer | None, audit: AuditOptions | None = None,
          joined: bool = False) -> None:
    """One worker: probe (and with ``audit``, audit) the shard, send ``[(index, state, piece
    or result)]`` batches; ``joined``: ``(indexes, states, the lines joined)`` instead."""
    from ..net import eventloop
    from ..net.fleet import probe_many
    from .check_audit import Auditor, judge_all

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it stops us with TERM
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    async def run() -> None:
        import asyncio

        batch: list[Any] = []  # (index, state, piece or result); joined: the lines
        indexes: array[int] = array("q")  # joined: each line's index and state
        states: list[str] = []
        sent = time.monotonic()
        timer: asyncio.TimerHandle | None = None

        def send() -> None:
            nonlocal batch, indexes, states, sent
            message = (indexes.tobytes(), states, "".join(batch)) if joined else batch
            conn.send_bytes(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))
            batch, sent = [], time.monotonic()
            if joined:
                indexes, states = array("q"), []

        def add(result: CheckResult) -> None:
            if joined:
                assert streamer is not None
                indexes.append(result.index)
                states.append(result.state)
                batch.append(streamer(result))
            else:
                batch.append((result.index, result.state,
                              streamer(result) if streamer is not None else result))
            if len(batch) >= BATCH or time.monotonic() - sent >= _SEND_SECONDS:
                send()

        def send_waiting() -> None:
            """Results no later result carried along (the rest hang): sent within 0.1 s all
            the same, so the parent's bar moves and a stopped run has them."""
            nonlocal timer
            if batch and time.monotonic() - sent >= _SEND_SECONDS:
                send()
            timer = loop.call_later(_SEND_SECONDS, send_waiting)

        loop = asyncio.get_running_loop()
        timer = loop.call_later(_SEND_SECONDS, send_waiting)
        auditor = None if audit is None else Auditor(
            audit, end, f"{deadline:g}" if deadline is not None else "-")
        try:
            await judge_all(lambda on_report: probe_many(
                claims.targets, options, concurrency=concurrency, deadline=deadline, ends_at=end,
                numbered=claims.taken(), deliver=on_report),
                            thresholds, all_hosts=options.all_mx, deliver=add,
                            auditor=auditor, concurrency=concurrency)
        finally:
            if timer is not None:
                timer.cancel()
        if batch:
            send()

    try:
        eventloop.run(run(), claims.total)  # the loop the whole run would have
    except BrokenPipeError:  # the parent is gone; nobody to report to
        pass
    except Exception as exc:  # a bug: the parent reports this shard's missing targets
        sys.stderr.write(f"smtpdiag check: a worker failed ({type(exc).__name__}: {exc})\n")
    finally:
        conn.close()


def _lost(target: str | Target, index: int, options: ProbeOptions,
          thresholds: Thresholds) -> CheckResult:
    from ..core.health import judge
    from ..model import ErrorInfo, Report

    text = target if isinstance(target, str) else target.text
    message = "the worker process probing this target stopped before reporting it"
    report = Report(target=text, verdict="failed", summary=message, dry_run=options.dry_run,
                    error=ErrorInfo("error", message, None))
    return judge(report, thresholds, index=index, all_hosts=options.all_mx)


def run_sharded(targets: Collection[str | Target], options: ProbeOptions, thresholds: Thresholds,
                *, workers: int, concurrency: int, deadline: float | None,
                streamer: Streamer | None, on_line: Callable[[int, str, str], None],
                on_result: Callable[[CheckResult], None], tick: Callable[[], None],
                started: float, audit: AuditOptions | None = None,
                on_lines: OnLines | None = None) -> None:
    """Probe ``targets`` in ``workers`` processes; hand each result to ``on_line(index,
    state, piece)`` (``streamer``'s piece) or ``on_result`` as it arrives; ``tick`` while
    waiting.  With ``on_lines`` (the pieces are lines, only joined), each batch goes to
    ``on_lines(indexes, states, text)`` at once."""
    import multiprocessing

    from ..net.eventloop import loop_factory
    from ..net.fleet import GRACE

    # A bad SMTPDIAG_LOOP is said once, here, not by every worker; uvloop is imported once.
    loop_factory(len(targets))
    context = multiprocessing.get_context("fork")
    # One deadline for the run: the time since it started counts against it.
    end = None if deadline is None else (
        time.monotonic() + deadline - (time.perf_counter() - started))
    gc.freeze()  # the workers share these pages with us until they write to them
    pending: dict[Connection, Any] = {}
    claims = _Claims(targets, context)
    joined = on_lines is not None and streamer is not None
    ready = selectors.DefaultSelector()  # one, not one per wait: a wait per batch
    for k, share in enumerate(shares(concurrency, workers)):
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_work, daemon=True, name=f"smtpdiag-check-{k}",
                                  args=(claims, send, options, thresholds, share, deadline, end,
                                        streamer, audit, joined))
        process.start()
        send.close()
        pending[receive] = process
        ready.register(receive, selectors.EVENT_READ)
    seen = bytearray(len(targets))
    try:
        while pending:
            for key, _ in ready.select(timeout=_SEND_SECONDS):
                conn = key.fileobj
                assert isinstance(conn, Connection)
                try:
                    message = pickle.loads(conn.recv_bytes())
                except (EOFError, OSError):
                    ready.unregister(conn)
                    pending.pop(conn).join()
                    conn.close()
                    continue
                if joined:
                    assert on_lines is not None
                    raw, states, text = message
                    numbers = array("q")
                    numbers.frombytes(raw)
                    for index in numbers:
                        seen[index] = 1
                    on_lines(numbers, states, text)
                    continue
                for index, state, payload in message:
                    seen[index] = 1
                    if streamer is not None:
                        on_line(index, state, payload)
                    else:
                        on_result(payload)
            tick()
            if end is not None and time.monotonic() > end + GRACE + _LATE:
                break
    finally:
        ready.close()
        for conn, process in pending.items():
            if process.is_alive():
                os.kill(process.pid, signal.SIGTERM)
            process.join()
            conn.close()
    if 0 not in seen:
        return
    for index, target in enumerate(targets):
        if seen[index]:
            continue
        result = _lost(target, index, options, thresholds)
        if streamer is not None:
            on_line(index, result.state, streamer(result))
        else:
            on_result(result)
