"""``check --audit``: each target's mail domain audited after its probe, within the run's deadline.

An audit asks many DNS questions and walks every MX address, so it can take longer than the
probe; ``--deadline`` bounds the whole run all the same: an audit still unfinished then makes
its target CRITICAL, saying so, like a probe the deadline cut off.  A domain named by several
targets is audited once.  Used by the one process and by each ``--workers`` process alike.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..core.health import CheckResult
    from ..core.thresholds import Thresholds
    from ..model import AuditReport, Report
    from ..net.audit import AuditOptions

__all__ = ["AuditQueue", "Auditor", "judge_all"]


Probing = Callable[["Callable[[int, Report], None] | None"],
                   AsyncIterator[tuple[int, "Report"]]]


async def judge_all(probing: Probing, thresholds: Thresholds, *,
                    all_hosts: bool, deliver: Callable[[CheckResult], None],
                    auditor: Auditor | None, concurrency: int) -> None:
    """Judge each probed report as it comes and hand the result on, after its audit when
    there is an ``auditor`` (closed at the end, whatever happened).  The one loop of ``check``,
    in the single process and in each worker.  ``probing(on_report)`` is ``probe_many``: with
    no audit, each report is judged and handed on from its probe's own task (``on_report``),
    and only what the deadline left comes through the iterator."""
    from ..core.health import judge

    def judged(position: int, report: Report) -> None:
        deliver(judge(report, thresholds, index=position, all_hosts=all_hosts))

    audits = None if auditor is None else AuditQueue(auditor, deliver, concurrency)
    try:
        async for position, report in probing(judged if audits is None else None):
            result = judge(report, thresholds, index=position, all_hosts=all_hosts)
            if audits is None:
                deliver(result)
            else:
                await audits.add(result)
        if audits is not None:
            await audits.drain()
    finally:
        if auditor is not None:
            await auditor.close()


class Auditor:
    """Audit the domain of each result handed in; ``end`` is the deadline as
    ``time.monotonic()`` (asyncio's clock), or None."""

    def __init__(self, options: AuditOptions, end: float | None, overall: str,
                 progress: Callable[[str, str], None] | None = None) -> None:
        self.options = options
        self.end = end
        self.overall = overall
        self.progress = progress
        self.audits: dict[str, asyncio.Task[AuditReport]] = {}

    async def __call__(self, result: CheckResult) -> CheckResult:
        from ..core.audit_states import audit_cut_off, not_a_domain, with_audit
        from ..net.audit import audit

        resolution = result.report.resolution
        if resolution is None or resolution.domain is None:
            return not_a_domain(result) if result.report.error is None else result
        domain = resolution.domain
        if self.progress is not None:
            self.progress("audit", domain)
        task = self.audits.get(domain)
        if task is None:
            task = self.audits[domain] = asyncio.ensure_future(audit(domain, self.options))
        try:
            async with asyncio.timeout_at(self.end):
                report = await asyncio.shield(task)  # other targets may wait for it too
        except TimeoutError:
            return audit_cut_off(result, self.overall)
        return with_audit(result, report)

    async def close(self) -> None:
        """Cancel the audits the deadline left unfinished."""
        for task in self.audits.values():
            task.cancel()
        for task in self.audits.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


class AuditQueue:
    """Audited results handed on as each audit finishes, at most ``limit`` audits under way.

    A result waits for its audit in a task; without a bound, a run would hold one task (and
    its result) per target until the end.  ``add`` waits while ``limit`` audits are under
    way, so what is held is bounded by the concurrency, whatever the number of targets.
    """

    def __init__(self, auditor: Auditor, deliver: Callable[[CheckResult], None],
                 limit: int) -> None:
        self.auditor, self.deliver, self.limit = auditor, deliver, max(1, limit)
        self.pending: set[asyncio.Task[CheckResult]] = set()
        self.failure: BaseException | None = None

    async def add(self, result: CheckResult) -> None:
        task = asyncio.ensure_future(self.auditor(result))
        self.pending.add(task)
        task.add_done_callback(self._done)
        while len(self.pending) >= self.limit:
            await asyncio.wait(self.pending, return_when=asyncio.FIRST_COMPLETED)
        self._raise()

    async def drain(self) -> None:
        """Wait for every audit under way (each result is handed on as it finishes)."""
        while self.pending:
            await asyncio.wait(self.pending)
        self._raise()

    def _done(self, task: asyncio.Task[CheckResult]) -> None:
        self.pending.discard(task)
        if task.cancelled():
            return
        failure = task.exception()
        if failure is not None:  # a bug: raised where add or drain is awaited
            self.failure = self.failure or failure
            return
        self.deliver(task.result())

    def _raise(self) -> None:
        if self.failure is not None:
            raise self.failure
