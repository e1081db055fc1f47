"""Walking a target's hosts in order, each one as soon as its addresses are known.

A mail domain's MX hosts come from an ``MxQueue`` (``dns.py``), looked up a few at a time
ahead of the walk, so a domain with hundreds of MX records walks its best host at once instead
of spending the probe's time on names it never reaches.  When a host does not answer (no
connection, no greeting, a 4xx greeting, or no address) the next one is tried, as RFC 5321
§5.1 asks; ``all_mx`` walks every host and address at once instead.  When the probe's time
runs out first, ``untried`` counts the hosts that were never walked, so the report can say so.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from ..model import Attempt, ErrorInfo
from .session import WalkOptions, walk

if TYPE_CHECKING:
    from .dns import Candidate
    from .mxqueue import MxQueue

__all__ = ["HostWalk", "should_fall_back"]

FALLBACK_STEPS = ("connect", "tls", "greeting")


def should_fall_back(attempt: Attempt) -> bool:
    """Whether the next host is to be tried after ``attempt``: it did not answer at all."""
    if attempt.outcome == "accepted":  # its greeting was a 220 (nearly every walk)
        return False
    if attempt.outcome == "failed":
        return attempt.error is None or attempt.error.step in (*FALLBACK_STEPS, "dns")
    greeting = next((s for s in attempt.steps if s.name == "greeting"), None)
    return bool(greeting and greeting.reply and greeting.reply.klass == 4)


class HostWalk:
    """The attempts of one probe, host after host, in the order the hosts come."""

    def __init__(self, port: int, opts: WalkOptions, deadline: float, all_mx: bool) -> None:
        self.port = port
        self.opts = opts
        self.deadline = deadline
        self.all_mx = all_mx
        self.out_of_time = False  # the walk stopped because the probe's time ran out
        self.untried = 0  # hosts never walked because of that
        self._taken = 0
        self._found: list[Attempt | asyncio.Future[Attempt]] = []

    async def take(self, host: str, addresses: tuple[str, ...], why: str | None,
                   late: bool = False) -> bool:
        """Walk one host's addresses, or record why it has none (``late``: its lookup was cut
        short by the deadline); False when no further host is to be tried."""
        self._taken += 1
        if not addresses:
            self._found.append(self._no_address(host, why))
            return self._time_left(late)
        for address in addresses:
            if self.all_mx:
                self._found.append(asyncio.ensure_future(
                    walk(host, address, self.port, self.opts, self.deadline)))
                continue
            attempt = await walk(host, address, self.port, self.opts, self.deadline)
            self._found.append(attempt)
            if not should_fall_back(attempt):
                return False
            if not self._time_left():
                return False
        return True

    def _time_left(self, late: bool = False) -> bool:
        if late or time.monotonic() >= self.deadline:
            self.out_of_time = True
        return not self.out_of_time

    def _no_address(self, host: str, why: str | None) -> Attempt:
        return Attempt(host, None, self.port, self.opts.tls, outcome="failed",
                       error=ErrorInfo("dns", why or f"{host} has no address", "dns"))

    async def take_all(self, queue: MxQueue) -> list[Candidate]:
        """Every host ``queue`` gives, until one answers or time runs out; then the lookups
        already started are awaited (each ends by the deadline), so a host that has no
        address is reported even when the walk did not need it.  Every host looked up."""
        taken: list[Candidate] = []
        try:
            while (host := await queue.next()) is not None:
                taken.append(host)
                if not await self.take(host.host, host.addresses, host.error, host.late):
                    break
            asked = await queue.asked()
        finally:
            queue.close()
        failed = [h for h in asked if not h.addresses]
        self._found += (self._no_address(h.host, h.error) for h in failed)
        if self.out_of_time:
            self.untried = queue.total - self._taken - len(failed)
        return taken + asked

    async def attempts(self) -> list[Attempt]:
        """Every attempt in the order the hosts came (``all_mx``: its walks awaited)."""
        return [item if isinstance(item, Attempt) else await item for item in self._found]

    def close(self) -> None:
        """Cancel the walks still under way (``all_mx``, when the probe itself was cancelled);
        a caller must call it (``finally``)."""
        for item in self._found:
            if not isinstance(item, Attempt):
                item.cancel()
