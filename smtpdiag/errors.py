"""The one exception tree of smtpdiag.

    SmtpdiagError                 anything smtpdiag itself reports
    ├── UsageError                the user asked for something malformed (exit code: usage)
    │   └── TargetError           a target that cannot be parsed
    ├── DnsError                  NXDOMAIN, SERVFAIL, no records, resolver timeout
    ├── ConnectError              refused, unreachable, reset, closed by the peer
    ├── TlsError                  handshake or certificate failure
    ├── StepTimeout               a step did not finish within its deadline
    └── ProtocolError             the peer sent something that is not SMTP

Library and OS exceptions are converted into these once, at the I/O edge (``session.py`` and
``dns.py``); nothing above that edge ever sees an ``OSError`` or an ``aiosmtplib`` exception.
Every error carries the step it happened in (when there is one) so that the one-line message a
user sees names where it went wrong and what was seen.
"""

from __future__ import annotations

__all__ = [
    "ConnectError",
    "DnsError",
    "ProtocolError",
    "SmtpdiagError",
    "StepTimeout",
    "TargetError",
    "TlsError",
    "UsageError",
    "quoted",
]

QUOTE_LIMIT = 200  # characters of user input an error message repeats


def quoted(value: str, limit: int = QUOTE_LIMIT) -> str:
    """User input as an error message quotes it: at most ``limit`` characters, in quotes.

    A message names what was wrong, it does not echo a 100 KB targets-file line back; the
    length of what was left out is said instead.  Not escaped here (``repr`` was): every
    message is escaped where it is shown (``render.doc.clean``), and escaped twice a
    backslash would double (``C:\\mail`` shown as ``C:\\\\mail``).
    """
    if len(value) <= limit:
        return f"'{value}'"
    return f"'{value[:limit]}'… ({len(value)} characters)"


class SmtpdiagError(Exception):
    """Base of every error smtpdiag reports; ``kind`` is the stable name used in JSON."""

    kind = "error"

    def __init__(self, message: str, *, step: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.step = step

    def __str__(self) -> str:
        return f"{self.step}: {self.message}" if self.step else self.message


class UsageError(SmtpdiagError):
    """The user asked for something malformed; nothing was sent anywhere."""

    kind = "usage"


class TargetError(UsageError):
    """A target (host, host:port, [v6]:port, domain) that cannot be parsed."""

    kind = "target"


class DnsError(SmtpdiagError):
    """A DNS lookup failed: NXDOMAIN, SERVFAIL, no answer, or the resolver timed out."""

    kind = "dns"


class ConnectError(SmtpdiagError):
    """The TCP connection could not be made, or the peer closed it."""

    kind = "connect"


class TlsError(SmtpdiagError):
    """The TLS handshake or the certificate check failed."""

    kind = "tls"


class StepTimeout(SmtpdiagError):
    """A step did not finish in time (named ``StepTimeout`` to not shadow the builtin)."""

    kind = "timeout"


class ProtocolError(SmtpdiagError):
    """The peer sent something that is not a valid SMTP reply."""

    kind = "protocol"
