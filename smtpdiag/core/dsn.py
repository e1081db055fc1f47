"""Read a bounce message: an RFC 3464 delivery status notification, or a bounce in prose.

Pure: bytes in (already read by the CLI), one ``Recipient`` record per failed recipient out.
MIME is the standard library's ``email`` package.  A ``multipart/report;
report-type=delivery-status`` gives, per recipient, Final-Recipient, Action, Status, Remote-MTA
and Diagnostic-Code; the human-readable part often adds the command the reply answered
(Postfix: "in reply to RCPT TO command").  Bounces without a report (qmail, Exim, Exchange,
Gmail, Yahoo…) are prose: the returned copy of the message is cut off and the rest is read by
``bounce.read_diagnostic``.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, replace
from email.message import Message
from functools import cache

from .bounce import Diagnostic, find_command, read_diagnostic
from .dsn_fields import ADDRESS as _ADDRESS
from .dsn_fields import address as _address
from .dsn_fields import field_groups as _field_groups
from .dsn_fields import field_value as _value
from .dsn_fields import recipient as _recipient
from .forwards import inline_bounce
from .mbox import split_mbox
from .notices import delay_warning
from .prose import (
    about_a_failure,
    forwarded_bounce,
    generated,
    html_text,
    mdn_rejection,
    opening,
    raw_text,
    segments,
    transient_recipients,
    unquoted,
    without_scan_notes,
)
from .transfer import field_group, parsed_message, part_text, subject_text

__all__ = ["MAX_MESSAGE", "Recipient", "is_message", "read_message", "report_words",
           "split_mbox"]

MAX_MESSAGE = 10_000_000  # bytes of one message read: a report for 10,000 recipients is ~2 MB
# Where the copy of the returned message (or its headers) starts in a prose bounce.
_RETURNED = re.compile(
    r"^(?:[ \t]*-+ ?(?:This is a copy of|Original message|Below this line is a copy|The original "
    r"message|Returned message|Undelivered message|Unsent message|Headers of|Copy of|"
    r"Message headers? follows?)|"
    r"[-=]+\s*(?:Original|Returned|Undelivered)\b|Return-Path:|Received: from |"
    r"(?:The )?original message (?:as received )?(?:is )?(?:as )?follows|"
    r"--- ?Below this line|Content-Type: message/rfc822)", re.I | re.M)
_SYSTEM = re.compile(r"(?:mailer-daemon|postmaster)@", re.I)
_HEADER_START = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:", re.M)
_FIELD = re.compile(rb"^(?:Final-Recipient|Original-Recipient):", re.I | re.M)
# Microsoft 365's report for people: the reply's code alone, in a section for admins.
_NDR_STATUS = re.compile(r"^Status code:\s*[45][0-9]{2}\b", re.M)
# Gmail's report headline ("** Address not found **") and the paragraph under it ("Your message
# wasn't delivered to … because the address couldn't be found …").
_HEADLINE = re.compile(r"^[ \t]*\*\*[ \t]*(?P<head>[^*\n]{3,80}?)[ \t]*\*\*[ \t]*\n(?:[ \t]*\n)*"
                       r"(?P<said>[^\n]{0,500}(?:\n[^\n]{1,500}){0,3})", re.M)
# Sendmail's Subject names the first failure ("Returned mail: User unknown"), or nothing.
_SUBJECT_CAUSE = re.compile(r"Returned mail:\s*(?P<cause>.{3,300})", re.I)
_NO_CAUSE = re.compile(r"\bsee (?:the )?transcript\b|\bfor details\b", re.I)
# Reports that are about something else than a failed delivery (RFC 5965, RFC 8098).
_NOT_FAILURES = frozenset({"feedback-report", "disposition-notification"})
_ACTION = re.compile(r"[a-z]+")
_REPORT_START = re.compile(r"^(?:Reporting-MTA|Final-Recipient|Original-Recipient|"
                           r"Received-From-MTA|Arrival-Date|Original-Envelope-Id):", re.I | re.M)


@dataclass(frozen=True, slots=True)
class Recipient:
    """One failed (or delayed) recipient of a bounce and what its report says."""

    recipient: str | None
    action: str | None
    status: str | None
    remote_mta: str | None
    diagnostic_code: str | None
    diagnostic: Diagnostic
    final: bool
    report: str = ""  # what the bounce tells people about the failure (``report_words``)


def is_message(data: bytes) -> bool:
    """Whether ``data`` looks like an RFC 5322 message (headers first), not a bare text."""
    head = data.lstrip()[:2_000]
    if head.startswith(b"From "):
        return True
    return bool(_HEADER_START.match(head)) and b"\n\n" in data.replace(b"\r\n", b"\n")[:200_000]


def _prose(message: Message) -> str:
    """The human-readable text of a bounce, up to where the returned message begins."""
    texts: list[str] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            break
        if kind.startswith("text/") and "attachment" not in str(part.get("Content-Disposition")):
            text = part_text(part)
            if kind == "text/html" and texts:
                continue
            if kind == "text/html":
                text = html_text(text)
            texts.append(text)
    body = "\n".join(texts).replace("\r\n", "\n")
    cut = _RETURNED.search(body, 1)
    return without_scan_notes(body[:cut.start()] if cut else body)


def report_words(message: Message, prose: str, recipients: int = 1) -> str:
    """What a bounce tells people about why delivery failed, apart from the quoted reply:
    Gmail's report sentence under its headline ("** Address not found **" / "Your message
    wasn't delivered to … because the address couldn't be found …"; the headline alone where no
    sentence follows), and, in a bounce for one recipient, Sendmail's Subject ("Returned mail:
    User unknown": it names the first failure only; not "see transcript for details", nor any
    Subject that repeats the original message's, like Exchange's "Undeliverable: …").  The
    reason reads it where the reply's own words name no cause (``reason.decide``)."""
    said = []
    headline = _HEADLINE.search(prose)
    if headline:
        said.append(" ".join(headline.group("said").split()) or headline.group("head"))
    subject = _SUBJECT_CAUSE.match(subject_text(message).strip())
    if subject and recipients == 1 and not _NO_CAUSE.search(subject.group("cause")):
        said.append(subject.group("cause").strip())
    return " ".join(said)[:1_000]


def _told(records: list[Recipient], message: Message, prose: str) -> list[Recipient]:
    """The records, each with what the bounce's report says (``report_words``)."""
    report = report_words(message, prose, len(records))
    return [replace(found, report=report) for found in records] if report else records


def _with_status(found: Diagnostic, status: str | None) -> Diagnostic:
    if found.enhanced or not status or not re.fullmatch(r"[245]\.[0-9]{1,3}\.[0-9]{1,3}", status):
        return found
    return replace(found, enhanced=status)


def _cut_short(found: Diagnostic, prose: Diagnostic) -> bool:
    """A Diagnostic-Code holding only the first line of a multi-line reply (``550-…``, as
    Sendmail writes it) whose whole reply the prose's transcript has."""
    return (found.code is not None and prose.code == found.code
            and len(found.lines) == 1 and bool(re.match(r"[0-9]{3}-", found.lines[0]))
            and len(prose.message) > len(found.message)
            and prose.message.startswith(found.message[:40]))


def _from_report(groups: list[Message], prose: str) -> list[Recipient]:
    records = []
    prose_found = read_diagnostic(prose) if prose.strip() else None
    listed = {address.lower(): text for address, text in segments(prose)}
    # Exim: what an alias, a forward, a pipe or a file became, listed under that instead
    became = {a.lower(): text for a, text in generated(prose)} if "generated " in prose else {}
    prose_step = cache(lambda: find_command(prose))  # once: a report may list 10,000
    for group in groups:
        recipient = _recipient(group)
        # its word, without a comment ("failed (permanent)"); none, but a retry time: delayed
        named = _ACTION.match((_value(group, "Action") or "").lower())
        action = named.group(0) if named else "delayed" if _value(
            group, "Will-Retry-Until") else None
        status = (_value(group, "Status") or "").split(" ")[0] or None
        if recipient is None and action is None and status is None:
            continue  # the per-message group
        if action in _DONE:
            continue
        diagnostic_code = _value(group, "Diagnostic-Code")
        about_all = None  # the prose's reply, where the prose does not list others only
        found = read_diagnostic(f"Diagnostic-Code: {diagnostic_code}") if diagnostic_code \
            else None
        if found is None or (found.code is None and not found.message):
            # no Diagnostic-Code, or one that says nothing ("smtp;"): what the prose says
            # about this recipient, else about all (unless it lists others only), else the
            # Status field with its comment
            key = (recipient or "").lower()
            own = _own(listed.get(key) or became.get(key), recipient or "")
            about_all = None if listed and key not in listed else prose_found
            found = own or about_all or read_diagnostic(_value(group, "Status") or "")
        elif prose_found is not None and _cut_short(found, prose_found):
            found = prose_found
        elif found.code is not None and not found.message.replace(str(found.code), "", 1) \
                .strip(" .-"):
            # a Diagnostic-Code with the code alone ("smtp; 550"): the words this recipient's
            # own prose lines give for the same code
            own = _own(listed.get((recipient or "").lower()), recipient or "")
            if own is not None and own.code == found.code and own.message:
                found = own
        # the step this recipient's own lines name (Postfix writes one "in reply to" each),
        # else the one the prose names (a transcript's command before the list)
        own_lines = listed.get((recipient or "").lower())
        command = found.command or (find_command(own_lines) if own_lines else None) \
            or prose_step()
        if found.code is None and about_all is not None and about_all.code is not None \
                and not diagnostic_code:
            found = about_all
        found = _with_status(found, status)
        if command and not found.command:
            found = replace(found, command=command)
        records.append(Recipient(recipient, action, status, _value(group, "Remote-MTA"),
                                 diagnostic_code, found, action != "delayed"))
    return records


def message_prose(data: bytes) -> tuple[Message, str]:
    """A message as ``read_message`` parses it, and its text for people (``_prose``)."""
    message = parsed_message(data[:MAX_MESSAGE].replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
    return message, _prose(message)


def read_message(data: bytes, depth: int = 0) -> list[Recipient]:
    """Every failed recipient of one bounce message (``[]`` when it reports none, or is no
    bounce: a person's message whose words name no failure); a message that forwards a bounce
    as an attachment gives the bounce's (``prose.forwarded_bounce``)."""
    data = data[:MAX_MESSAGE]
    if b"\r" in data:  # CRLF, or the bare CR of old Mac mailers: every reader below splits on LF
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    message = parsed_message(data)
    attached = (forwarded_bounce(message) or inline_bounce(message)) if depth < 3 else None
    if attached is not None:
        with contextlib.suppress(UnicodeError, LookupError, ValueError, TypeError):
            found = read_message(attached.as_bytes(), depth + 1)
            if found:
                return found
    prose = _prose(message)
    if message.get_param("report-type", "", header="content-type") in _NOT_FAILURES:
        # an abuse report (ARF) or a read receipt: nothing failed, unless the MDN is a rejection
        refused = mdn_rejection(message, prose)
        return _told([Recipient(refused, "failed", None, None, None, read_diagnostic(prose),
                                True)], message, prose) if refused else []
    reports = [part for part in message.walk() if part.get_content_type() in (
        "message/delivery-status", "message/global-delivery-status")]
    for part in reports:
        records = _from_report(_field_groups(part), prose)
        if records:
            return _told(records, message, prose)
    if reports and _all_delivered(reports):
        return []  # a report of recipients delivered, relayed or expanded only: no failure
    raw = None
    if not reports and _FIELD.search(data[:MAX_MESSAGE]):
        # A report the MIME walk did not find: fields written into the text part (decoded
        # there), or a boundary the body never uses.
        raw = prose if _FIELD.search(prose.encode("utf-8", "replace")) else raw_text(
            data[:MAX_MESSAGE])
        groups = [field_group(block.strip())
                  for block in re.split(r"\n\s*\n", raw) if _FIELD.search(block.encode())]
        records = _from_report(groups, _before_fields(raw) if raw is prose else (
            prose or _before_fields(raw)))
        if records:
            return _told(records, message, prose)
    if not prose.strip():  # nothing walkable: the body as text
        prose = _before_fields(raw if raw is not None else raw_text(data[:MAX_MESSAGE]))
    if not prose.strip():
        return []
    failed = [found.group(1) for found in _ADDRESS.finditer(
        str(message.get("X-Failed-Recipients") or ""))][:1_000]
    records = _from_prose(unquoted(prose), _address(str(message.get("To", ""))), failed,
                          subject_text(message))
    if not about_a_failure(message, [found.diagnostic for found in records], prose):
        return []  # a person's message, not a bounce: nothing in it failed
    return _told(records, message, prose)


_DONE = frozenset({"delivered", "relayed", "expanded"})


def _all_delivered(reports: list[Message]) -> bool:
    """Whether the reports name recipients, and every one delivered, relayed or expanded."""
    actions = [_ACTION.match((_value(group, "Action") or "").lower())
               for part in reports for group in _field_groups(part) if _recipient(group)]
    return bool(actions) and all(action is not None and action.group(0) in _DONE
                                 for action in actions)


def _before_fields(text: str) -> str:
    """Prose read from a raw body: up to the report's fields or the returned message."""
    end = _REPORT_START.search(text)
    text = text[:end.start()] if end else text
    cut = _RETURNED.search(text, 1)
    return text[:cut.start()] if cut else text


def _from_prose(prose: str, sender: str | None, failed: list[str] | None = None,
                subject: str = "") -> list[Recipient]:
    """A bounce without a report: one record per recipient it lists (or its
    X-Failed-Recipients header names), or one for its text; a delay warning's (by its words
    or its ``subject``, ``notices.delay_warning``) are delayed, not failed."""
    delayed = delay_warning(subject, prose)
    action = "delayed" if delayed else None  # a warning says so in words: as a DSN's Action
    whole = read_diagnostic(prose)
    if whole.code is not None and not whole.message and _NDR_STATUS.search(prose):
        whole = replace(whole, message=opening(prose))
    listed = segments(prose, sender) or [(address, "") for address in failed or ()]
    retried = set() if delayed else transient_recipients(prose)  # Sendmail's transient section
    if len(listed) < 2:
        address = listed[0][0] if listed else _named(prose, sender)
        later = (address or "").lower() in retried
        return [Recipient(address, "delayed" if later else action, None, None, None, whole,
                          not (delayed or later))]
    return [Recipient(address, "delayed" if address.lower() in retried else action, None, None,
                      None, _own(text, address) or whole,
                      not delayed and address.lower() not in retried)
            for address, text in listed]


def _named(prose: str, sender: str | None) -> str | None:
    """The first address a bounce that lists no recipient names, other than the sender it is
    sent back to (quoted in the returned copy's From:) and the mail system's own; one on a
    quoted header line ("Your message  To: list@…  Subject: …", the original's To, often a
    list) only where no other is named.  Exchange's X.400 form "dda:SMTP=ann@…" gives ann@…."""
    quoted = None
    for found in _ADDRESS.finditer(prose):
        address = _X400_SMTP.sub("", found.group(1).lstrip("'"))  # "to 'ann@…'": no quote
        if address.lower() == (sender or "").lower() or _SYSTEM.match(address):
            continue
        line = prose.rfind("\n", 0, found.start()) + 1
        if _ID_LINE.match(prose, line):  # a message's identifier ("References: <E1x@h>")
            continue
        if _HEADER_LINE.match(prose, line):
            quoted = quoted or address
            continue
        return address
    return quoted


_X400_SMTP = re.compile(r"^(?:SMTP|RFC-?822)=", re.I)
_HEADER_LINE = re.compile(r"[ \t>]*(?:To|Cc|From|Sender|Reply-To):", re.I)
_ID_LINE = re.compile(r"[ \t>]*(?:References|In-Reply-To|(?:Original |Resent-)?Message[ -]?ID|"
                      r"Content-ID)[ \t]*:", re.I)


def _own(text: str | None, address: str) -> Diagnostic | None:
    """What a prose bounce says about one recipient; None when its lines hold only the address
    (the reason is written once, for all of them)."""
    if not text:
        return None
    found = read_diagnostic(text)
    if found.code is None and found.enhanced is None and len(found.message) <= len(address) + 4:
        return None
    return found
