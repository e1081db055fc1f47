"""The DNS layer: from a domain to the hosts and addresses that receive its mail.

RFC 5321 §5.1 decides the order: MX records by preference, or, when a domain has no MX records
at all, the domain itself as an implicit MX. RFC 7505 adds the null MX (``0 .``), which says the
domain accepts no mail, so nothing further is looked up. Every dnspython and OS exception is
converted here, once, into a ``DnsError`` (or a ``TargetError`` for a name that cannot be a DNS
name), and each message names the name, the record type and the server that was asked, because
"which server said what about which record" is the whole of a DNS diagnosis.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from dataclasses import dataclass

import dns.asyncresolver
import dns.exception
import dns.message
import dns.name
import dns.nameserver
import dns.query
import dns.resolver
import dns.reversename
from dns.rdtypes.ANY.MX import MX
from dns.rdtypes.ANY.PTR import PTR
from dns.rdtypes.IN.A import A
from dns.rdtypes.IN.AAAA import AAAA

from smtpdiag.errors import DnsError, TargetError, UsageError, quoted
from smtpdiag.model import MxHost, Resolution

from .dnswords import (
    TCP_RETRY,
    TCP_RETRY_LEAST,
    Words,
    _host_text,
    _seconds,
    _Silent,
    _tcp_failure,
    _unanswered,
    _unconfigured,
    missing,
)
from .mxqueue import MxQueue

__all__ = ["Candidate", "Resolver"]

STEP = "dns"
# How long the other address family (A, AAAA) is waited for once one has answered with
# addresses: a zone that drops AAAA questions costs a probe this, not its whole time.
FAMILY_GRACE = 1.0


@dataclass(frozen=True, slots=True)
class Candidate:
    """One host to try, in order; ``error`` says why ``addresses`` is empty, so it can be shown."""

    host: str
    preference: int | None
    addresses: tuple[str, ...]
    error: str | None = None
    cname: str | None = None  # the canonical name, when ``host`` is an alias (CNAME)
    late: bool = False  # the lookup was cut short by the caller's deadline, not its timeout
    # (A or AAAA, why) for a family whose question failed while the other one answered
    failed: tuple[tuple[str, str], ...] = ()


def _to_name(text: str) -> tuple[dns.name.Name, str]:
    """Parse a user-given name into an absolute DNS name (IDNA-encoded) and its display form.

    The display form is the text as given, without a trailing dot, so messages show what the
    user typed (``bücher.test``) while the query uses the A-label (``xn--bcher-kva.test``).
    """
    display = text.strip()
    if display.endswith(".") and display != ".":
        display = display[:-1]
    if not display or display == ".":
        raise TargetError("an empty domain name cannot be looked up", step=STEP)
    if any(ch.isspace() for ch in display):
        raise TargetError(f"{quoted(display)} is not a domain name: it contains whitespace",
                          step=STEP)
    try:
        name = name_of(display)
    except (dns.exception.DNSException, UnicodeError, ValueError) as exc:
        raise TargetError(f"{quoted(display)} is not a valid domain name: {exc}",
                          step=STEP) from exc
    return name, display


def name_of(text: str) -> dns.name.Name:
    """``text`` as an absolute DNS name: a user's name (IDNA-encoded), or one shown as
    ``dnswords._host_text`` shows a name from an answer, its odd bytes as U+DC00 + byte; a
    name a server gave is asked again about exactly (audit asks about its MX hosts so)."""
    if text.isascii() or not any("\udc00" <= ch <= "\udcff" for ch in text):
        return dns.name.from_text(text, origin=dns.name.root)
    labels = []
    for label in text.split("."):
        codes = [ord(ch) - 0xDC00 if "\udc00" <= ch <= "\udcff" else ord(ch) for ch in label]
        if any(code > 0x7F for code in codes) and not all(
                "\udc00" <= ch <= "\udcff" or ch.isascii() for ch in label):
            raise ValueError("it mixes bytes shown as \\xNN with characters beyond ASCII")
        labels.append(bytes(codes))
    return dns.name.Name([*labels, b""])


def _has_addresses(task: asyncio.Future[dns.resolver.Answer | None]) -> bool:
    """Whether a finished A/AAAA question found any address."""
    return not task.cancelled() and task.exception() is None and bool(task.result())


class Resolver(Words):
    """Looks up MX, A, AAAA and PTR records through one nameserver or the system's resolver.

    ``timeout`` bounds each whole lookup (dnspython's ``lifetime``), retries included, so a
    silent server costs at most ``timeout`` seconds per question and never hangs a probe.
    """

    def __init__(self, nameserver: tuple[str, int] | None = None, timeout: float = 5.0) -> None:
        if nameserver is not None:
            host, port = nameserver
            try:
                ipaddress.ip_address(host)
            except ValueError:
                raise UsageError(f"the nameserver must be an IP address, not {quoted(host)}"
                                 ) from None
            if not 0 < port < 65536:
                raise UsageError(f"the nameserver port must be 1-65535, not {port}")
        if timeout <= 0:
            raise UsageError(f"the DNS timeout must be positive, not {timeout}")
        self._nameserver = nameserver
        self._timeout = float(timeout)
        self._impl: dns.asyncresolver.Resolver | None = None

    def _resolver(self) -> dns.asyncresolver.Resolver:
        """Build dnspython's resolver on first use, so a broken system config is a DnsError."""
        if self._impl is None:
            from .nameserver import StrictNameserver

            if self._nameserver is None:
                impl = dns.asyncresolver.Resolver(configure=True)
                impl.nameservers = [  # the system's servers, a malformed reply told as such
                    StrictNameserver(ns.address, ns.port) if type(ns) is
                    dns.nameserver.Do53Nameserver else ns for ns in impl.nameservers]
            else:
                impl = dns.asyncresolver.Resolver(configure=False)
                impl.nameservers = [StrictNameserver(*self._nameserver)]
            impl.timeout = self._timeout
            impl.lifetime = self._timeout
            impl.cache = None  # a diagnostic tool must see what the server says now
            self._impl = impl
        return self._impl

    async def _query(
        self, name: dns.name.Name, display: str, rdtype: str, until: float | None = None
    ) -> dns.resolver.Answer | None:
        """One question; ``None`` when the name exists without this type (NoAnswer).

        ``until`` (``time.monotonic()``) is the caller's deadline, when that comes before
        this resolver's own timeout.  A question UDP got no answer to is asked once more over
        TCP (a path that drops UDP to port 53, a server that answers TCP only), so the
        message can say whether that helped; its answer is taken when it did.
        """
        what = f"{rdtype} {display}"
        lifetime = self._lifetime(self._timeout, until)
        try:
            return await self._ask(name, display, rdtype, lifetime)
        except _Silent:
            if lifetime < self._timeout:
                raise LateError(f"no answer from {self._named()} for {what} in the "
                                f"{_seconds(lifetime)} s left of the probe's overall time limit "
                                f"(to ask it again: {self._dig(rdtype, name, '+tcp')})",
                                step=STEP) from None
        retry = self._lifetime(min(self._timeout, TCP_RETRY), until)
        if retry < TCP_RETRY_LEAST:
            raise DnsError(self._silent(name, what, None), step=STEP)
        try:
            return await self._ask(name, display, rdtype, retry, tcp=True)
        except _Silent as exc:
            raise DnsError(self._silent(name, what, exc), step=STEP) from None

    @staticmethod
    def _lifetime(lifetime: float, until: float | None) -> float:
        """``lifetime``, or less when the caller's deadline comes first."""
        left = None if until is None else until - time.monotonic()
        return lifetime if left is None or left >= lifetime else max(left, 0.001)

    async def _ask(self, name: dns.name.Name, display: str, rdtype: str, lifetime: float,
                   tcp: bool = False) -> dns.resolver.Answer | None:
        """One question over UDP (TCP when its answer is truncated) or TCP only; this is the
        one place where dnspython's exceptions become ours.  ``_Silent`` when nothing answered:
        a timeout, or over TCP a connection refused or closed without an answer."""
        what = f"{rdtype} {display}"
        try:
            resolver = self._resolver()
            return await resolver.resolve(name, rdtype, lifetime=lifetime, search=False,
                                          tcp=tcp)
        except dns.resolver.NoAnswer:
            return None
        except dns.resolver.NXDOMAIN as exc:
            raise _Missing(missing(exc, name, display)[1], step=STEP) from None
        except dns.exception.Timeout:
            raise _Silent(f"no answer within {_seconds(lifetime)} s") from None
        except dns.resolver.NoNameservers as exc:
            why = _unanswered(exc) if tcp else None
            if why is not None:
                raise _Silent(why) from None
            raise DnsError(self._failure(exc, rdtype, name, display), step=STEP) from None
        except dns.resolver.YXDOMAIN:
            message = f"{self._who()} answered YXDOMAIN (name too long after DNAME) for {what}"
            raise DnsError(message, step=STEP) from None
        except dns.resolver.NoResolverConfiguration:
            raise DnsError(_unconfigured(what), step=STEP) from None
        except dns.exception.DNSException as exc:
            raise DnsError(f"{self._who()} could not answer {what}: {exc}", step=STEP) from None
        except (OSError, ValueError) as exc:
            if tcp and isinstance(exc, OSError):
                raise _Silent(_tcp_failure(exc)) from None
            detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise DnsError(
                f"{self._who()} could not be asked {what}: {detail}", step=STEP
            ) from None

    async def _addresses(self, name: dns.name.Name, display: str) -> tuple[str, ...]:
        """A then AAAA, asked concurrently; empty when the name has neither."""
        found, _, _ = await self._addresses_of(name, display)
        return found

    async def _addresses_of(self, name: dns.name.Name, display: str, until: float | None = None
                            ) -> tuple[tuple[str, ...], str | None, tuple[tuple[str, str], ...]]:
        """A then AAAA, asked concurrently; the canonical name when ``name`` is an alias; and
        (family, why) for a family that failed while the other answered.

        If one family answers with addresses, the other is waited for ``FAMILY_GRACE`` more at
        most, and its error is a note, not raised: the addresses we have are still worth
        trying, and a zone that drops AAAA questions must not spend the probe's time.  If
        neither answers and one failed, that failure is raised.
        """
        asks = [asyncio.ensure_future(self._query(name, display, rdtype, until))
                for rdtype in ("A", "AAAA")]
        try:
            done, _ = await asyncio.wait(asks, return_when=asyncio.FIRST_COMPLETED)
            grace = None  # no family has an address yet: wait for both
            if any(_has_addresses(task) for task in done):
                grace = FAMILY_GRACE if until is None else min(
                    FAMILY_GRACE, max(0.0, until - time.monotonic()))
            await asyncio.wait(asks, timeout=grace)
        finally:
            late = [task for task in asks if not task.done()]
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        found: list[str] = []
        failures: list[tuple[str, DnsError]] = []
        alias: str | None = None
        for rdtype, task in zip(("A", "AAAA"), asks, strict=True):
            if task.cancelled():  # the other family answered and the grace ran out
                failures.append((rdtype, DnsError(
                    f"no answer within {_seconds(FAMILY_GRACE)} s from {self.server} for "
                    f"{rdtype} {display}, although the {'AAAA' if rdtype == 'A' else 'A'} "
                    "answer came", step=STEP)))
                continue
            result = task.exception() or task.result()
            if isinstance(result, DnsError):
                failures.append((rdtype, result))
            elif isinstance(result, BaseException):
                raise result  # a bug: not ours to hide
            elif result is not None:
                found.extend(rd.address for rd in result if isinstance(rd, A | AAAA))
                if result.canonical_name != name:
                    alias = _host_text(result.canonical_name)
        if not found and failures:
            raise failures[0][1]
        return tuple(found), alias, tuple((rdtype, f.message) for rdtype, f in failures)

    async def addresses(self, name: str) -> tuple[str, ...]:
        """The A then AAAA addresses of a host; a DnsError when it has none."""
        qname, display = _to_name(name)
        found = await self._addresses(qname, display)
        if not found:
            raise DnsError(f"{display} has no A or AAAA records ({self._who()} answered "
                           "both with none, NODATA): give it an address", step=STEP)
        return found

    async def candidate(self, name: dns.name.Name, preference: int | None,
                        until: float | None = None) -> Candidate:
        """Addresses of one MX host; a failure is recorded on it rather than raised."""
        host = _host_text(name)
        try:
            found, alias, failed = await self._addresses_of(name, host, until)
        except DnsError as exc:
            return Candidate(host, preference, (), exc.message, late=isinstance(exc, LateError))
        if not found:
            return Candidate(host, preference, (), f"{host} has no A or AAAA records "
                             f"({self._who()} answered both with none, NODATA): give it an "
                             "address, or name another host in the MX record", alias)
        return Candidate(host, preference, found, cname=alias, failed=failed)

    async def mail_hosts(self, domain: str) -> tuple[Resolution, list[Candidate]]:
        """The hosts that receive mail for ``domain``, in the order RFC 5321 §5.1 tries them,
        every one of them looked up (``LOOKAHEAD`` at a time)."""
        resolution, queue = await self.mx_queue(domain)
        found: list[Candidate] = []
        try:
            while (candidate := await queue.next()) is not None:
                found.append(candidate)
        finally:
            queue.close()
        # An MX target that is an alias is kept as such: RFC 2181 §10.3 forbids it (a finding).
        return queue.resolution(resolution, found), found

    async def mx_queue(self, domain: str, until: float | None = None
                       ) -> tuple[Resolution, MxQueue]:
        """The MX answer for ``domain`` and its hosts to be looked up in order, as they are
        walked (``MxQueue``); an implicit MX's one host comes looked up already."""
        name, display = _to_name(domain)
        try:
            answer = await self._query(name, display, "MX", until)
        except _Missing as exc:  # the domain itself: who said so, and what to look at
            raise DnsError(f"{exc.message}; {self._who()} answered so to MX {display}: check "
                           "its spelling, and that it is registered and delegated ("
                           f"{self._dig('MX', name)})", step=STEP) from None
        if answer is None:
            found, _, failed = await self._addresses_of(name, display, until)
            if not found:
                raise DnsError(
                    f"{display} has no MX, A or AAAA records ({self._who()} answered each "
                    "with none): it cannot receive mail; publish an MX record naming its mail "
                    "host, or MX 0 . to say it takes none (RFC 7505)", step=STEP)
            host = Candidate(_host_text(name), None, found, failed=failed)
            return Resolution(display, "implicit-mx"), MxQueue(self, [], until, [host])
        records = sorted(
            ((rd.preference, rd.exchange) for rd in answer if isinstance(rd, MX)),
            key=lambda item: (item[0], item[1].to_text().lower()),
        )
        if not records:
            raise DnsError(f"the MX answer for {display} held no MX records", step=STEP)
        mx = tuple(MxHost(pref, _host_text(exchange)) for pref, exchange in records)
        hosts = [(pref, exchange) for pref, exchange in records if exchange != dns.name.root]
        if not hosts:  # MX 0 . (RFC 7505), or '.' written wrongly: a finding names how
            return Resolution(display, "null-mx", mx=mx), MxQueue(self, [], until)
        # '.' beside real hosts is no host to walk (a finding names it): senders that do not
        # bounce at once try the others
        return Resolution(display, "mx", mx=mx), MxQueue(self, hosts, until)

    async def ptr(self, address: str) -> str | None:
        """The reverse name of an address, or None: a missing PTR is a finding, not a failure."""
        try:
            name = dns.reversename.from_address(address)
            answer = await self._query(name, address, "PTR")
        except (DnsError, dns.exception.DNSException, ValueError, OSError):
            return None
        if answer is None:
            return None
        names = sorted(_host_text(rd.target) for rd in answer if isinstance(rd, PTR))
        return names[0] if names else None


class _Missing(DnsError):
    """NXDOMAIN: the name, or the end of the aliases it leads to, does not exist."""


class LateError(DnsError):
    """A lookup the caller's deadline cut short (``Candidate.late``): no more time to ask."""
