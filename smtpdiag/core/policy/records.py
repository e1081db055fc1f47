"""The facts ``audit`` gathers, as plain frozen records: the input of every policy rule.

The I/O edge fills them; the rules only read them.  DNS answers keep their status
(``ok``/``nodata``/``nxdomain``/``error``) because "no record" and "could not ask" lead to
different advice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ...model import Attempt

__all__ = ["AddressFacts", "Answer", "Gathered", "Hit", "HostFacts", "HttpsPolicy", "MxFacts",
           "SubmissionFacts", "bounded"]


@dataclass(frozen=True, slots=True)
class Answer:
    """One DNS question and what came back; TXT strings are joined, other rdata as text."""

    name: str
    rdtype: str
    status: str  # ok | nodata | nxdomain | error
    records: tuple[str, ...] = ()
    cname: str | None = None  # the canonical name when ``name`` was an alias
    authenticated: bool = False  # the resolver's AD bit
    error: str | None = None

    @property
    def found(self) -> bool:
        return self.status == "ok" and bool(self.records)


@dataclass(frozen=True, slots=True)
class HostFacts:
    """One MX host: its preference, addresses, and how its name resolved."""

    host: str
    preference: int | None
    addresses: tuple[str, ...] = ()
    cname: str | None = None
    status: str = "ok"  # ok | nodata | nxdomain | error | literal | null
    error: str | None = None
    # (A or AAAA, why) for an address family whose question failed while the other answered
    failed: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class MxFacts:
    """The domain's MX answer: ``mx``, ``implicit`` (no MX: its own address), ``null``,
    ``nxdomain``, ``none`` (neither MX nor address) or ``error``."""

    domain: str
    status: str
    hosts: tuple[HostFacts, ...] = ()
    error: str | None = None
    cname: str | None = None  # the domain is an alias: of this name
    beside: bool = False  # ... and it has MX records of its own too (RFC 1034 §3.6.2)


@dataclass(frozen=True, slots=True)
class AddressFacts:
    """One MX address: its reverse names, which of them point back, and the probe walk."""

    host: str
    address: str
    ptr: tuple[str, ...] = ()
    ptr_status: str = "ok"
    confirmed: tuple[str, ...] = ()  # PTR names whose A/AAAA include ``address``
    attempt: Attempt | None = None
    chain: tuple[bytes, ...] = field(default=(), repr=False)  # DER, leaf first (for DANE)
    chain_error: str | None = None  # why ``chain`` could not be read, when it was tried
    ptr_error: str | None = None  # what the server said, when the PTR lookup failed


@dataclass(frozen=True, slots=True)
class HttpsPolicy:
    """The MTA-STS policy fetch: ``error`` says which step failed, if one did."""

    url: str
    status: int | None = None
    content_type: str | None = None
    body: str = ""
    error: str | None = None  # connect | certificate | redirect | too-large | timeout
    error_detail: str = ""
    location: str | None = None


@dataclass(frozen=True, slots=True)
class SubmissionFacts:
    """One read-only check of a submission port: the STARTTLS posture of 587 (RFC 3207,
    RFC 6409), or implicit TLS on 465 (RFC 8314, ``implicit``); for both, whether the
    certificate verifies for the host name a mail client connects to."""

    host: str
    address: str
    port: int
    error: str | None = None
    starttls: bool = False
    auth_before_tls: tuple[str, ...] = ()
    mail_before_tls: int | None = None  # the reply code to MAIL sent before STARTTLS
    injection: bool | None = None  # None: not tested (no STARTTLS, or the handshake failed)
    tls_error: str | None = None
    implicit: bool = False
    tls_version: str | None = None
    cert_error: str | None = None  # why the certificate does not verify; None: it does


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule fired: a catalogue ``id``, what it is about, and the facts that made it fire."""

    id: str
    subject: str
    detail: str = ""
    severity: str | None = None  # overrides the catalogue's (e.g. testing vs enforce mode)


@dataclass(frozen=True, slots=True)
class Gathered:
    """Everything the I/O edge fetched for one domain; ``None`` means "not looked at"."""

    domain: str
    mx: MxFacts
    addresses: tuple[AddressFacts, ...] = ()
    sts_txt: Answer | None = None
    sts_policy: HttpsPolicy | None = None
    tlsrpt: Answer | None = None
    tlsa: tuple[tuple[str, Answer], ...] | None = None  # (MX host, TLSA answer)
    spf: tuple[Answer, ...] | None = None  # every TXT/A/MX answer SPF evaluation needed
    dmarc: tuple[Answer, ...] | None = None  # the domain's, then the organisational domain's
    org_domain: str | None = None
    # (destination, answer) for each rua destination outside the policy's organisational
    # domain: its <policy-domain>._report._dmarc.<destination> TXT (RFC 7489 §7.1)
    dmarc_reports: tuple[tuple[str, Answer], ...] = ()
    dnsbl: tuple[tuple[str, str, Answer, Answer | None], ...] | None = None
    submission: tuple[SubmissionFacts, ...] | None = None


def bounded(hits: list[Hit], limit: int = 5) -> list[Hit]:
    """Each finding once (the same finding of several records says how many), and the first
    ``limit`` findings of each kind, the last of them counting the rest: a zone of thousands
    of MX or TLSA records gets a few findings, not thousands."""
    unique = [hit if count == 1 else Hit(hit.id, hit.subject, f"{hit.detail} ({count} such "
                                         "records)", hit.severity)
              for hit, count in Counter(hits).items()]
    of_kind = Counter(hit.id for hit in unique)
    seen: Counter[str] = Counter()
    kept: list[Hit] = []
    for hit in unique:
        seen[hit.id] += 1
        if seen[hit.id] > limit:
            continue
        if seen[hit.id] == limit and of_kind[hit.id] > limit:
            hit = Hit(hit.id, hit.subject, f"{hit.detail}; and {of_kind[hit.id] - limit} more "
                      "records alike", hit.severity)
        kept.append(hit)
    return kept
