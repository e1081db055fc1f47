"""``check --audit``'s ``AuditQueue``: each audited result handed on as its audit finishes, never
more than ``limit`` audits under way, so a run holds no task per target until its end.  The
audits here are plain coroutines on a real event loop (the auditing itself is tested against
real servers in test_check_audit.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from smtpdiag.cli.check_audit import AuditQueue


class _Audits:
    """Stands in for ``Auditor``: each "audit" takes a little while and says how many ran."""

    def __init__(self) -> None:
        self.running = self.most = 0

    async def __call__(self, result: Any) -> Any:
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await asyncio.sleep(0.001 * (result % 7))
            return result * 10
        finally:
            self.running -= 1


@pytest.mark.parametrize("limit", [1, 3, 50])
def test_every_result_is_handed_on_once_with_at_most_limit_audits_under_way(limit: int) -> None:
    audits, seen = _Audits(), []

    async def main() -> int:
        queue = AuditQueue(audits, seen.append, limit)  # type: ignore[arg-type]
        most_pending = 0
        for result in range(200):
            await queue.add(result)
            most_pending = max(most_pending, len(queue.pending))
        await queue.drain()
        assert not queue.pending
        return most_pending

    most_pending = asyncio.run(main())
    assert sorted(seen) == [r * 10 for r in range(200)]
    assert audits.most <= limit and most_pending < limit
    assert audits.most == min(limit, 200) or limit == 50  # the bound is used, not just kept


def test_a_failing_audit_is_raised_where_the_queue_is_awaited() -> None:
    class Failing(_Audits):
        async def __call__(self, result: Any) -> Any:
            await asyncio.sleep(0)
            raise RuntimeError(f"a bug auditing {result}")

    async def main() -> None:
        queue = AuditQueue(Failing(), [].append, 4)  # type: ignore[arg-type]
        await queue.add(1)
        await queue.drain()

    with pytest.raises(RuntimeError, match="a bug auditing 1"):
        asyncio.run(main())
