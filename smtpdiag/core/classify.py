"""One compact record per diagnostic text or bounced recipient: the cause, for thousands at once.

``explain`` gives a whole explanation (code meanings, provider text, notes) for one input;
``--lines``, mboxes and maildirs with ``--jsonl`` need the same reading for thousands of
inputs a second.  A record keeps what a pipeline sorts and counts by — code, enhanced code, the
command answered, the provider pattern and the ``reason`` — and leaves the catalogue's prose to
``smtpdiag explain`` of that one text.  Schema: ``smtpdiag/schema/bounce.schema.json``.
"""

from __future__ import annotations

from typing import Any

from .. import catalogue
from .bounce import Diagnostic
from .loglines import log_delivery, logged_diagnostic
from .reason import decide

__all__ = ["BOUNCE_SCHEMA", "MAX_INPUT_SHOWN", "classify", "classify_message", "record"]

BOUNCE_SCHEMA = "smtpdiag.bounce/1"
MAX_INPUT_SHOWN = 1_000


def record(found: Diagnostic, text: str, *, final: bool | None = None,
           report: str = "") -> dict[str, Any]:
    """The record of one diagnostic found in ``text``; ``report``: what its bounce says to
    people about the failure."""
    code = found.code
    enhanced = found.enhanced
    if code is not None and enhanced and enhanced[0] != str(code)[0]:
        enhanced = None  # its class contradicts the reply: the reply code decides
    entry = catalogue.match_provider(code, enhanced, found.message)
    reason = decide(code=code, enhanced=enhanced, text=found.message, command=found.command,
                    entry=entry, final=final, local=found.local, searched=True, report=report)
    result: dict[str, Any] = {
        "schema": BOUNCE_SCHEMA, "input": text[:MAX_INPUT_SHOWN], "code": code,
        "enhanced": enhanced, "step": found.command, "form": found.form, "reason": reason,
        "provider": entry.id if entry is not None and entry.kind != "text" else None,
        "recipient": None, "action": None, "status": None, "remote_mta": None,
    }
    if reason["decided_by"] == "none" and code is None and enhanced is None and final is None:
        result["error"] = "no SMTP reply code, enhanced status code or known bounce wording"
    return result


def classify(text: str) -> dict[str, Any]:
    """The record of one diagnostic text (a ``--lines`` line); a delivery line of an MTA's
    log also gives the recipient, outcome and status it names (``loglines``)."""
    stripped = text.strip()
    logged = log_delivery(stripped)
    found = record(logged_diagnostic(stripped, logged), stripped)
    if logged is not None:
        found.update(recipient=logged.recipient, action=logged.action, status=logged.status)
    return found


def classify_message(data: bytes) -> list[dict[str, Any]]:
    """One record per failed recipient of a bounce message."""
    from .dsn import read_message

    records = []
    for found in read_message(data):
        item = record(found.diagnostic, found.diagnostic_code or found.diagnostic.message,
                      final=found.final, report=found.report)
        item.update(recipient=found.recipient, action=found.action, status=found.status,
                    remote_mta=found.remote_mta)
        records.append(item)
    return records
