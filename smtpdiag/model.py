"""Frozen records that flow from the session walk to the renderers.

A ``Report`` is the one input of every renderer; everything in it is plain data (str, int, float,
tuples, other records), so ``to_dict`` gives the JSON form without any custom encoder.
Server text is kept exactly as received (decoded, with undecodable bytes shown as ``\\xNN``);
escaping for a terminal is the renderers' job, never the model's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import field
from typing import Any

from .record import record
from .reply import Reply as Reply  # its own module: a quick explain needs only this record

REPORT_VERSION = 2

CLASS_NAMES = {
    2: "Positive Completion",
    3: "Positive Intermediate",
    4: "Transient Negative Completion",
    5: "Permanent Negative Completion",
}


@record
class EnhancedNote:
    """What an enhanced status code means, from the registry or from its parts."""

    code: str
    name: str
    description: str
    fix: str
    registered: bool


@record
class ProviderNote:
    """A provider- or MTA-specific reply recognised by code and text pattern."""

    id: str
    provider: str
    name: str
    description: str
    fix: str
    overrides_registry: bool = False
    registry_note: str = ""


@record
class ReasonNote:
    """Why a reply refused, in the documented vocabulary (``catalogue/data/reasons.json``)."""

    name: str
    permanent: bool
    who: str  # sender | sender-admin | recipient-admin
    decided_by: str  # session | provider | text | report | action | enhanced | basic | none
    rule: str
    summary: str


@record
class Annotation:
    """What a reply means in the context of the step that it answered."""

    code: int
    name: str
    class_name: str
    description: str
    fix: str
    known: bool = True
    enhanced: EnhancedNote | None = None
    provider: ProviderNote | None = None
    advice: tuple[str, ...] = ()
    reason: ReasonNote | None = None  # set for every refusal (4xx, 5xx)


@record
class ErrorInfo:
    """A failure that ended a walk, in the form every renderer can show."""

    kind: str
    message: str
    step: str | None = None

    @property
    def shown(self) -> str:
        """``message`` as every output shows it (server text escaped); ``message`` is exact."""
        from .core.text import clean

        return clean(self.message)


@record
class Step:
    """One exchange of the walk: what we sent, what came back, how long it took."""

    name: str
    sent: str | None = None
    reply: Reply | None = None
    annotation: Annotation | None = None
    elapsed_ms: float = 0.0
    error: ErrorInfo | None = None
    # What the server sent after this step's reply without being asked (a second reply, a
    # reply glued to it, junk), as received; None when nothing came.
    unasked: str | None = None
    # When the reply's first bytes came, after the step began (the greeting only): a 220-
    # line at once and the last one seconds later is a pre-greet test, not a slow server.
    first_line_ms: float | None = None


@record
class TlsInfo:
    """Facts about the TLS layer of a session, recorded even when verification failed."""

    mode: str
    version: str | None = None
    cipher: str | None = None
    subject: str | None = None
    issuer: str | None = None
    sans: tuple[str, ...] = ()
    not_after: str | None = None
    days_left: int | None = None
    hostname_matched: bool | None = None
    verified: bool = False
    verify_error: str | None = None
    handshake_ms: float = 0.0


@record
class Capabilities:
    """The EHLO extensions that matter for diagnosis, plus everything else advertised."""

    size: int | None = None
    pipelining: bool = False
    eightbitmime: bool = False
    smtputf8: bool = False
    chunking: bool = False
    dsn: bool = False
    enhancedstatuscodes: bool = False
    starttls: bool = False
    auth: tuple[str, ...] = ()
    other: tuple[str, ...] = ()
    # further extension lines advertised than ``other`` holds: past its first 50, or past the
    # lines smtpdiag keeps of a reply (counted, never read)
    other_more: int = 0


@record
class Finding:
    """A judgement over a whole attempt: ``severity`` is ok, info, warning or critical."""

    severity: str
    message: str
    step: str | None = None

    @property
    def shown(self) -> str:
        """``message`` as every output shows it (server text escaped); ``message`` is exact."""
        from .core.text import clean

        return clean(self.message)


@record
class Attempt:
    """One connection to one address of one host, and the walk over it."""

    host: str
    address: str | None
    port: int
    tls_mode: str
    steps: tuple[Step, ...] = ()
    tls: TlsInfo | None = None
    capabilities: Capabilities | None = None
    error: ErrorInfo | None = None
    outcome: str = "accepted"  # core.verdicts.OUTCOMES: accepted | partial | deferred | ...
    elapsed_ms: float = 0.0
    findings: tuple[Finding, ...] = ()
    # What EHLO offered before STARTTLS (None when there was no STARTTLS): ``capabilities`` is
    # what it offered last, over TLS, where STARTTLS itself is no longer listed.
    capabilities_before_tls: Capabilities | None = None


@record
class MxHost:
    """One MX record's target and preference, as the domain's DNS gave it."""

    preference: int
    host: str
    cname: str | None = None  # the name this MX target is an alias of (it should be none)


@record
class Resolution:
    """How a target became addresses: MX, implicit MX, a literal, or a name used as is."""

    domain: str | None
    method: str  # mx | implicit-mx | literal | name | null-mx
    mx: tuple[MxHost, ...] = ()
    findings: tuple[Finding, ...] = ()  # about the MX set itself (aliases, equal preferences)


@record
class Report:
    """Everything a probe learned about one target; the one input of every renderer."""

    target: str
    verdict: str  # core.verdicts.VERDICTS: accepted, partial, deferred, refused, failed, no-mail
    summary: str
    resolution: Resolution | None = None
    attempts: tuple[Attempt, ...] = ()
    error: ErrorInfo | None = None
    dry_run: bool = False
    started_at: str = ""
    elapsed_ms: float = 0.0
    version: int = field(default=REPORT_VERSION)

    @property
    def shown(self) -> str:
        """``summary`` as every output shows it (server text escaped); ``summary`` is exact."""
        from .core.text import clean

        return clean(self.summary)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = plain(self)
        return data


_FIELDS: dict[type, tuple[str, ...]] = {}
_LEAVES = frozenset({str, int, float, bool, type(None)})


def plain(value: Any) -> Any:
    """What ``dataclasses.asdict`` gives for these records, without its deep copies.

    ``asdict`` deep-copies every leaf; over a thousand reports that was the largest single
    cost of ``check`` (profiled with bench/bench_check.py).  Tuples become lists (same JSON).
    """
    kind = type(value)
    names = _FIELDS.get(kind)
    if names is None:
        if kind is tuple or kind is list:
            return [item if type(item) in _LEAVES else plain(item) for item in value]
        if kind is dict:
            return {k: item if type(item) in _LEAVES else plain(item)
                    for k, item in value.items()}
        if not dataclasses.is_dataclass(value):
            return value
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(value))
    out = {}
    for name in names:
        item = getattr(value, name)
        out[name] = item if type(item) in _LEAVES else plain(item)
    return out


AUDIT_VERSION = 1


@record
class AuditFinding:
    """One judgement of ``audit``: what was seen (``detail``) and, from the catalogue, what it
    means, why it matters to senders and how to fix it.  ``id`` names the catalogue entry."""

    id: str
    area: str
    severity: str  # critical | warning | info
    subject: str
    title: str
    detail: str = ""
    meaning: str = ""
    why: str = ""
    fix: str = ""


@record
class AuditArea:
    """One section of an audit: its verdict, the facts looked at, and the findings."""

    name: str
    title: str
    verdict: str  # pass | warn | fail | skipped
    facts: tuple[str, ...] = ()
    findings: tuple[AuditFinding, ...] = ()
    note: str = ""


@record
class AuditReport:
    """The delivery posture of one mail domain; the one input of the audit renderers."""

    domain: str
    verdict: str  # pass | warn | fail
    summary: str
    areas: tuple[AuditArea, ...] = ()
    attempts: tuple[Attempt, ...] = ()
    started_at: str = ""
    elapsed_ms: float = 0.0
    version: int = field(default=AUDIT_VERSION)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = plain(self)
        return data
