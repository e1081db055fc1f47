"""smtpdiag: a live SMTP session diagnostic client.

Walks a mail server through greeting, EHLO, STARTTLS, AUTH, MAIL, RCPT and DATA, and annotates
every reply with what it means and how to fix it.  The package's public names are re-exported
here; heavy modules (the session, DNS, the fake server) load only when used.
"""

from .errors import (
    ConnectError,
    DnsError,
    ProtocolError,
    SmtpdiagError,
    StepTimeout,
    TargetError,
    TlsError,
    UsageError,
)

__version__ = "0.1.0"

__all__ = [
    "ConnectError",
    "DnsError",
    "ProtocolError",
    "Reply",
    "Report",
    "SmtpdiagError",
    "StepTimeout",
    "TargetError",
    "TlsError",
    "UsageError",
    "__version__",
]


def __getattr__(name: str) -> object:
    """``Report`` and ``Reply`` load on first use, so ``explain 550`` skips the model."""
    if name in ("Report", "Reply"):
        from . import model

        return getattr(model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
