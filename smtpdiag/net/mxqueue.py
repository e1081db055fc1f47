"""A domain's MX hosts, looked up in preference order as a walk reaches them (``MxQueue``).

At most ``LOOKAHEAD`` hosts are looked up at once, so a probe walks its best host as soon as
that host's addresses are known, and a domain with hundreds of MX records costs no more DNS
than the hosts walked and a few ahead.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import replace
from typing import TYPE_CHECKING

from ..model import MxHost, Resolution

if TYPE_CHECKING:
    import dns.name

    from .dns import Candidate, Resolver

__all__ = ["LOOKAHEAD", "MxQueue"]

# MX hosts whose addresses are asked at once, ahead of the walk: enough that a walk falling
# back to the next host rarely waits, few enough that a domain with hundreds of MX records
# does not spend the probe's time (or the nameserver's patience) on names it never walks.
LOOKAHEAD = 4


class MxQueue:
    """The hosts of one MX answer, handed out in order by ``next`` (``LOOKAHEAD`` of them
    being looked up at any time); ``close`` cancels what is still being asked, and a caller
    must call it (``finally``)."""

    def __init__(self, resolver: Resolver, records: list[tuple[int, dns.name.Name]],
                 until: float | None, ready: list[Candidate] | None = None) -> None:
        unique = {name: (preference, name) for preference, name in reversed(records)}
        records = sorted(unique.values(), key=records.index)  # a host listed twice: its best
        self.total = len(records) or len(ready or ())
        self._resolver = resolver
        self._records = deque(records)
        self._until = until
        self._ready = deque(ready or ())
        self._asking: deque[asyncio.Task[Candidate]] = deque()

    async def next(self) -> Candidate | None:
        """The next host with its addresses (or why it has none); None after the last."""
        if self._ready:
            return self._ready.popleft()
        while self._records and len(self._asking) < LOOKAHEAD:
            preference, name = self._records.popleft()
            self._asking.append(asyncio.ensure_future(
                self._resolver.candidate(name, preference, self._until)))
        if not self._asking:
            return None
        return await self._asking.popleft()

    async def asked(self) -> list[Candidate]:
        """The hosts whose lookups have started and not been taken yet, once they end (each
        ends by the deadline): a walk that stops early still reports what it asked."""
        found = [await task for task in self._asking]
        self._asking.clear()
        return found

    def close(self) -> None:
        for task in self._asking:
            task.cancel()
        self._asking.clear()

    @staticmethod
    def resolution(resolution: Resolution, found: list[Candidate]) -> Resolution:
        """``resolution`` with the aliases (CNAME) its MX hosts in ``found`` turned out to be."""
        aliases = {c.host: c.cname for c in found if c.cname}
        if not aliases:
            return resolution
        return replace(resolution, mx=tuple(MxHost(m.preference, m.host, aliases.get(m.host))
                                            for m in resolution.mx))
