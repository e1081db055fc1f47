"""smtpdiag: a live SMTP session diagnostic client.

Walks a mail server through greeting, EHLO, STARTTLS, AUTH, MAIL, RCPT and DATA, and annotates
every reply with what it means and how to fix it.

The public Python API (semver-stable: every name in ``__all__``; see the README)::

    import smtpdiag
    report = smtpdiag.probe_sync("mx.example.com:25", dry_run=True)  # or await probe()
    run = smtpdiag.check_sync(["mx1.example.com:25"], expect=["rcpt=250"])
    smtpdiag.explain("550 5.7.1 Relay access denied")

Only the error tree is imported eagerly; everything else loads on first use (PEP 562), so
``import smtpdiag`` and the quick commands stay cheap.
"""

from .interrupt import install_if_program as _quiet_ctrl_c

_quiet_ctrl_c()  # first: Ctrl-C during the imports below is one quiet line (see interrupt.py)

import importlib  # noqa: E402
from typing import TYPE_CHECKING as _TYPE_CHECKING  # noqa: E402

from .errors import (  # noqa: E402
    ConnectError,
    DnsError,
    ProtocolError,
    SmtpdiagError,
    StepTimeout,
    TargetError,
    TlsError,
    UsageError,
)

if _TYPE_CHECKING:
    from .api import check, check_sync, explain, probe, probe_sync, shown
    from .core.health import CheckResult, CheckRun, Metrics, Reason
    from .model import (
        Annotation,
        Attempt,
        Capabilities,
        EnhancedNote,
        ErrorInfo,
        Finding,
        MxHost,
        ProviderNote,
        Reply,
        Report,
        Resolution,
        Step,
        TlsInfo,
    )

__version__ = "0.1.0"

__all__ = [
    "Annotation",
    "Attempt",
    "Capabilities",
    "CheckResult",
    "CheckRun",
    "ConnectError",
    "DnsError",
    "EnhancedNote",
    "ErrorInfo",
    "Finding",
    "Metrics",
    "MxHost",
    "ProtocolError",
    "ProviderNote",
    "Reason",
    "Reply",
    "Report",
    "Resolution",
    "SmtpdiagError",
    "Step",
    "StepTimeout",
    "TargetError",
    "TlsError",
    "TlsInfo",
    "UsageError",
    "__version__",
    "check",
    "check_sync",
    "explain",
    "probe",
    "probe_sync",
    "shown",
]

# public name -> the module that defines it (loaded on first use)
_LAZY = {
    **dict.fromkeys(("check", "check_sync", "explain", "probe", "probe_sync", "shown"),
                   ".api"),
    **dict.fromkeys(("CheckResult", "CheckRun", "Metrics", "Reason"), ".core.health"),
    **dict.fromkeys(("Annotation", "Attempt", "Capabilities", "EnhancedNote", "ErrorInfo",
                     "Finding", "MxHost", "ProviderNote", "Reply", "Report", "Resolution",
                     "Step", "TlsInfo"), ".model"),
}


def __getattr__(name: str) -> object:
    """Load a public name's module on first use (``explain 550`` never loads the engine)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
