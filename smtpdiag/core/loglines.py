"""Who a delivery line of an MTA's log is about, and what became of it.

Pure: one line in, its fields out.  ``bounce.read_diagnostic`` finds the reply in a log line;
this reads the rest of what the MTA logged about that delivery, so that a record of a log line
names its recipient and its outcome as a bounce's report would (``Final-Recipient``,
``Action``, ``Status``)::

    Postfix    … postfix/smtp[1234]: 4F2A13C0D1: to=<ann@example.org>, … status=bounced (…)
    Exim       2026-12-02 10:00:01 1sXyZa-000abc-Ab ** ann@example.org R=dnslookup …: 550 …
    Sendmail   … sm-mta[123]: 0B2JA1x0: to=<ann@example.org>, … dsn=5.2.2, stat=Service unavailable
    OpenSMTPD  … mta delivery evpid=… to=<ann@example.org> … result="PermFail" stat="550 …"
    qmail      … delivery 42: failure: …   (its recipient is on the "starting delivery" line)

The outcome is the MTA's own word for it: failed for good (Postfix ``bounced``, ``expired``;
Exim ``**``; OpenSMTPD ``PermFail``; qmail ``failure``; Sendmail a 5.x.x ``dsn``), delayed and
still being retried (``deferred``, ``==``, ``TempFail``, ``deferral``, a 4.x.x ``dsn``), or
delivered (``sent``, ``=>``, ``Ok``, ``success``).  A line that is none of these gives nothing.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import NamedTuple

from .bounce import Diagnostic, read_diagnostic

__all__ = ["LogDelivery", "is_delivery_line", "log_delivery", "logged_diagnostic"]

_ENH = r"[245]\.[0-9]{1,3}\.[0-9]{1,3}"
_POSTFIX = re.compile(r"\bto=<(?P<to>[^<>\s]*)>.*?\bstatus=(?P<word>[a-z]+)\b")
_EXIM = re.compile(r"(?:^|\s)[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4} "
                   r"(?P<word>\*\*|==|=>|->|\*>) (?P<to>[^\s:<>]+)")
_OPENSMTPD = re.compile(r"\bto=<(?P<to>[^<>\s]*)>.*?\bresult=\"?(?P<word>[A-Za-z]+)")
_SENDMAIL = re.compile(r"\bto=<?(?P<to>[^<>\s,]+)>?,.*?\bstat=(?P<word>\w+)")
_QMAIL = re.compile(r"\bdelivery \d+: (?P<word>success|failure|deferral):")
_DSN = re.compile(rf"\bdsn=(?P<status>{_ENH})\b")
# The MTA's own words about the outcome, after the fields: Postfix's "status=bounced (…)",
# Sendmail's "stat=…" (the rest of the line), OpenSMTPD's quoted stat="…".
_DETAIL = re.compile(r"\bstatus=[a-z]+ \((?P<postfix>.*)\)\s*$|\bstat=\"(?P<quoted>.*)\"\s*$|"
                     r"\bstat=(?P<rest>.*)$")
_WORDS = {
    "bounced": "failed", "expired": "failed", "undeliverable": "failed", "deferred": "delayed",
    "sent": "delivered", "**": "failed", "==": "delayed", "=>": "delivered", "->": "delivered",
    "*>": "delivered", "permfail": "failed", "tempfail": "delayed", "loop": "failed",
    "ok": "delivered", "failure": "failed", "deferral": "delayed", "success": "delivered",
}


class LogDelivery(NamedTuple):
    """What a log line says of one delivery (None where it does not say)."""

    recipient: str | None
    action: str | None  # failed | delayed | delivered (RFC 3464's words)
    status: str | None  # the enhanced code the MTA logged as its DSN status (``dsn=``)
    detail: str | None = None  # its words about the outcome, without the fields before them


def log_delivery(line: str) -> LogDelivery | None:
    """The recipient, outcome and status a delivery line of an MTA's log names; None for any
    other text."""
    if "=" not in line and "delivery " not in line:
        return None
    dsn = _DSN.search(line) if "dsn=" in line else None
    status = dsn.group("status") if dsn else None
    said = _DETAIL.search(line) if "stat" in line else None
    detail = next((words for words in said.groups() if words is not None), None) if said \
        else None
    for pattern in (_POSTFIX, _OPENSMTPD, _EXIM):
        found = pattern.search(line)
        if found and found.group("word").lower() in _WORDS:
            return LogDelivery(found.group("to") or None, _WORDS[found.group("word").lower()],
                               status, detail)
    found = _SENDMAIL.search(line) if "stat=" in line else None
    if found:
        word = found.group("word").lower()
        action = "delivered" if word == "sent" else "delayed" if word == "deferred" or (
            status or "").startswith("4") else "failed"
        return LogDelivery(found.group("to"), action, status, detail)
    found = _QMAIL.search(line)
    if found:
        return LogDelivery(None, _WORDS[found.group("word")], status)
    return None


def logged_diagnostic(line: str, logged: LogDelivery | None) -> Diagnostic:
    """The reply in a log line, read from the MTA's words about the outcome where it logs them
    after its fields (a relay's host name, "relay=spamfilter.example", is not read as a cause),
    with the ``dsn=`` status where those words hold no code of their own."""
    if logged is None or not logged.detail:
        return read_diagnostic(line)
    found = read_diagnostic(logged.detail)
    if found.code is None and found.enhanced is None and logged.status:
        return replace(found, enhanced=logged.status)
    return found


def is_delivery_line(line: str) -> bool:
    """Whether a line is an MTA's log of a delivery that did not succeed (failed or delayed):
    the lines of a mail log worth reading when a whole log is given."""
    found = log_delivery(line)
    return found is not None and found.action in ("failed", "delayed")
