"""Any DNS question ``audit`` asks, answered as a plain ``Answer`` that keeps what a diagnosis
needs: the status (no record vs. no name vs. could not ask), the alias that was followed, and
the resolver's AD bit (was the answer DNSSEC-validated?).  Errors never escape: a failed
question is an ``Answer`` with status ``error`` and a message naming the server and question.
"""

from __future__ import annotations

import asyncio

import dns.asyncresolver
import dns.exception
import dns.flags
import dns.name
import dns.resolver
import dns.reversename

from ..core.policy.records import Answer
from ..errors import DnsError, TargetError
from .dns import Resolver, _to_name
from .dnswords import (
    TCP_RETRY,
    _host_text,
    _seconds,
    _Silent,
    _tcp_failure,
    _unanswered,
    _unconfigured,
    missing,
)

__all__ = ["PolicyResolver", "rdata_text"]


def rdata_text(rdata: object) -> str:
    """TXT as its joined strings (RFC 7208 §3.3), names without the final dot, others as text.

    A TXT byte that is not UTF-8 is kept as that byte (``surrogateescape``, as server text
    is), so it is escaped once where it is shown: ``\\xff``, not the text of an escape that
    showing escapes again (``\\\\xff``)."""
    strings = getattr(rdata, "strings", None)
    if strings is not None:
        return b"".join(strings).decode("utf-8", "surrogateescape")
    for attr in ("target", "exchange"):
        name = getattr(rdata, attr, None)
        if isinstance(name, dns.name.Name):
            pref = getattr(rdata, "preference", None)
            text = _host_text(name)
            return f"{pref} {text}" if pref is not None else text
    return str(rdata)


# Questions one audit has in flight at once: a domain with 200 MX hosts asks 400 address
# questions, and all at once they overran the nameserver (or its rate limit), whose dropped
# answers the audit then reported as lookups that failed.
IN_FLIGHT = 20


class PolicyResolver(Resolver):
    """The probe's resolver, asking with the AD flag (RFC 6840 §5.7) so a validating
    resolver says whether it validated, at most ``IN_FLIGHT`` questions at a time (a
    question's time counts from when it is sent); everything else is as ``Resolver``."""

    def __init__(self, nameserver: tuple[str, int] | None = None, timeout: float = 5.0) -> None:
        super().__init__(nameserver, timeout)
        self._slots = asyncio.Semaphore(IN_FLIGHT)
        self._plain: Resolver | None = None  # without EDNS, for a server from before it

    def _resolver(self) -> dns.asyncresolver.Resolver:
        fresh = self._impl is None
        impl = super()._resolver()
        if fresh:
            impl.flags = dns.flags.RD | dns.flags.AD
            impl.use_edns(0, 0, 1232)
        return impl

    async def ask(self, name: str, rdtype: str) -> Answer:
        """One question; never raises for anything DNS or the network does."""
        try:
            qname, display = _to_name(name)
        except TargetError as exc:
            return Answer(name, rdtype, "error", error=exc.message)
        return await self.ask_name(qname, display, rdtype)

    async def reverse(self, address: str) -> Answer:
        """The PTR question for an address."""
        try:
            qname = dns.reversename.from_address(address)
        except (dns.exception.DNSException, ValueError) as exc:
            return Answer(address, "PTR", "error", error=str(exc))
        return await self.ask_name(qname, address, "PTR")

    def _without_edns(self) -> dns.asyncresolver.Resolver:
        """The probe's plain resolver (no EDNS), asking with the AD flag all the same."""
        if self._plain is None:
            self._plain = Resolver(self._nameserver, self._timeout)
            self._plain._resolver().flags = dns.flags.RD | dns.flags.AD
        return self._plain._resolver()

    async def ask_name(self, qname: dns.name.Name, display: str, rdtype: str,
                       *, edns: bool = True, tcp: bool = False) -> Answer:
        """One question; one that UDP got no answer to is asked once more over TCP, as the
        probe's resolver does (``Resolver._query``)."""
        what = f"{rdtype} {display}"
        try:
            impl = self._resolver() if edns else self._without_edns()
        except dns.resolver.NoResolverConfiguration:
            return Answer(display, rdtype, "error", error=_unconfigured(what))
        lifetime = min(self._timeout, TCP_RETRY) if tcp else self._timeout
        try:
            async with self._slots:
                answer = await impl.resolve(qname, rdtype, lifetime=lifetime, search=False,
                                            raise_on_no_answer=False, tcp=tcp)
        except dns.resolver.NXDOMAIN as exc:
            alias, said = missing(exc, qname, display)
            if alias is None:
                said = f"{display} does not exist"
            return Answer(display, rdtype, "nxdomain", cname=alias, error=said)
        except dns.exception.Timeout:
            if tcp:
                raise _Silent(f"no answer within {_seconds(lifetime)} s") from None
            try:
                return await self.ask_name(qname, display, rdtype, edns=edns, tcp=True)
            except _Silent as exc:
                return Answer(display, rdtype, "error", error=self._silent(qname, what, exc))
        except dns.resolver.NoNameservers as exc:
            why = _unanswered(exc) if tcp else None
            if why is not None:
                raise _Silent(why) from None
            if edns and any(len(e) > 3 and e[3] == "FORMERR" for e in exc.kwargs.get("errors")
                            or ()):  # RFC 6891 §7: a server from before EDNS; ask it without
                return await self.ask_name(qname, display, rdtype, edns=False)
            return Answer(display, rdtype, "error", error=self._failure(exc, rdtype, qname,
                                                                         display))
        except (dns.exception.DNSException, OSError, ValueError) as exc:
            if tcp and isinstance(exc, OSError):
                raise _Silent(_tcp_failure(exc)) from None
            return Answer(display, rdtype, "error", error=f"{self._who()} could not answer "
                          f"{what}: {exc}")
        response = answer.response
        authenticated = bool(response.flags & dns.flags.AD)
        cname = None
        if answer.canonical_name != qname:
            cname = _host_text(answer.canonical_name)
        rrset = answer.rrset
        if rrset is None:
            return Answer(display, rdtype, "nodata", cname=cname, authenticated=authenticated)
        records = tuple(sorted(rdata_text(rd) for rd in rrset))
        return Answer(display, rdtype, "ok", records, cname, authenticated)

    async def must(self, name: str, rdtype: str) -> Answer:
        """As ``ask``, but a failure to ask at all is raised (for the first question)."""
        answer = await self.ask(name, rdtype)
        if answer.status == "error":
            raise DnsError(answer.error or f"{rdtype} {name} failed", step="dns")
        return answer
