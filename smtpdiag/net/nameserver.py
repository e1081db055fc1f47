"""A nameserver that reports a malformed reply instead of waiting past it.

dnspython reads UDP replies with ``ignore_errors=True``: a reply it cannot parse (a TLSA record
whose digest has the wrong length, an MX whose name runs off the end) is dropped as if forged,
and the question ends in a timeout, so the user reads "no answer within 5 s" about a server
that did answer.  A diagnostic tool must say what was answered: here such a reply raises, and
the resolver reports it among its per-server errors (``dns.Resolver._failure`` words it).
A reply that parses but answers another question (another query ID or name: a forger racing
the server, RFC 5452 §9.1) is dropped and the real one waited for, as a resolver does; only
when none comes is the mismatch reported, not a bare timeout.  Replies from another address
are ignored, as before.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import dns.asyncbackend
import dns.asyncquery
import dns.exception
import dns.inet
import dns.message
import dns.nameserver
import dns.query

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
        af = dns.inet.af_for_address(self.address)
        destination = dns.inet.low_level_address_tuple((self.address, self.port), af)
        local = None
        if source or source_port:
            local = (source or ("::" if af == socket.AF_INET6 else "0.0.0.0"), source_port)
        backend = backend or dns.asyncbackend.get_default_backend()
        connected = (self.address, self.port) if backend.datagram_connection_required() \
            else None
        begin = time.time()
        expiration = begin + timeout if timeout is not None else None
        async with await backend.make_socket(af, socket.SOCK_DGRAM, 0, local,
                                             connected) as sock:
            await dns.asyncquery.send_udp(sock, request, destination, expiration)
            stray = False
            while True:
                try:
                    reply, received, _ = await dns.asyncquery.receive_udp(
                        sock, destination, expiration, ignore_unexpected=True,
                        one_rr_per_rrset=one_rr_per_rrset, keyring=request.keyring,
                        request_mac=request.mac, ignore_trailing=ignore_trailing,
                        raise_on_truncation=True, ignore_errors=False, query=request)
                except dns.exception.Timeout:
                    if stray:  # only replies to another question came
                        raise dns.query.BadResponse from None
                    raise
                if request.is_response(reply):
                    reply.time = received - begin
                    return reply  # type: ignore[no-any-return]
                stray = True
