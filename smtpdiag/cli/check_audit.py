"""``check --audit``: each target's mail domain audited after its probe, within the run's deadline.

An audit asks many DNS questions and walks every MX address, so it can take longer than the
probe; ``--deadline`` bounds the whole run all the same: an audit still unfinished then makes
its target CRITICAL, saying so, like a probe the deadline cut off.  A domain named by several
targets is audited once.  Used by the one process and by each ``--workers`` process alike.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..core.health import CheckResult
    from ..model import AuditReport
    from ..net.audit import AuditOptions

__all__ = ["Auditor"]


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
