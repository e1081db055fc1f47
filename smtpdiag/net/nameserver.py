"""A nameserver that reports a malformed reply instead of waiting past it.

dnspython reads UDP replies with ``ignore_errors=True``: a reply it cannot parse (a TLSA record
whose digest has the wrong length, an MX whose name runs off the end) is dropped as if forged,
and the question ends in a timeout, so the user reads "no answer within 5 s" about a server
that did answer.  A diagnostic tool must say what was answered: here such a reply raises, and
the resolver reports it among its per-server errors (``dns.Resolver._failure`` words it).
Replies from another address are still ignored, as before.
"""

from __future__ import annotations

from typing import Any

import dns.asyncquery
import dns.message
import dns.nameserver

__all__ = ["StrictNameserver"]


class StrictNameserver(dns.nameserver.Do53Nameserver):
    """``Do53Nameserver`` whose UDP reads raise on a reply that cannot be parsed."""

    async def async_query(self, request: dns.message.QueryMessage, timeout: float,
                          source: str | None, source_port: int, max_size: bool,
                          backend: Any, one_rr_per_rrset: bool = False,
                          ignore_trailing: bool = False) -> dns.message.Message:
        if max_size:  # TCP: dnspython raises on a malformed reply already
            return await super().async_query(request, timeout, source, source_port, max_size,
                                             backend, one_rr_per_rrset, ignore_trailing)
        options: dict[str, Any] = {"one_rr_per_rrset": one_rr_per_rrset,
                                   "ignore_trailing": ignore_trailing}
        return await dns.asyncquery.udp(
            request, self.address, timeout=timeout, port=self.port, source=source,
            source_port=source_port, raise_on_truncation=True, backend=backend,
            ignore_errors=False, ignore_unexpected=True, **options)
