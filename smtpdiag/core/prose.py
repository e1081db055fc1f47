"""Bounces in prose that name several recipients, and bounces whose MIME structure is broken.

Pure: text in, text out.  A prose bounce (qmail, Exim, OpenSMTPD, Exchange 2003, Sendmail's
transcript, many webmail providers) lists each failed recipient on a line of its own, followed
by what went wrong for it::

    <ana@example.org>:                                   qmail
    ana@example.org                                      Exim (indented, reason below)
    ana@example.org: 550 5.1.1 … User unknown            OpenSMTPD
    ana@example.org on Mon, 1 Jun 2026 10:00:00 +0000    Exchange 2003
    550 5.1.1 <ana@example.org>... User unknown          Sendmail's per-recipient summary

``segments`` cuts the prose at each such line, so every recipient is read with its own words.
Only lines that start with an address count: an address inside a sentence is not a recipient.
``raw_text`` is for a message whose MIME cannot be walked (a boundary the body never uses, a
``boundary=`` parameter not folded into its header): its body as text, without MIME lines.
``html_text`` reads a bounce sent as HTML only (Microsoft 365, webmail providers): its words,
a line per block, entities decoded.  ``forwarded_bounce`` finds the bounce a person forwarded
as an attachment ("Fwd: failure notice" with the bounce attached as ``message/rfc822``), as
admins receive them from users.
"""

from __future__ import annotations

import html
import re
from email.message import Message
from itertools import islice

from .bounce import Diagnostic
from .notices import automatic_reply, challenge, delivered_notice
from .transfer import (
    body_bytes,
    decode_body,
    header_text,
    message_bytes,
    parsed_message,
    subject_text,
)

__all__ = ["about_a_failure", "bounce_headers", "forwarded_bounce", "generated", "html_text",
           "mdn_rejection", "opening", "raw_text", "segments", "transient_recipients", "unquoted",
           "without_scan_notes"]

_ADDRESS = r"[A-Za-z0-9._%+=/'&!#$*?^`{|}~-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
# A label some mail systems write before each recipient ("Recipient: ann@…", "Recipient address:
# ann@…", "Empfänger: …"), its failure on the lines below; never "To:", which a quoted header
# block has (the original's, often a list).
_LABEL = (r"(?:(?i:(?:failed |original |final |invalid |unknown )?recipient(?:s| address)?|"
          r"empf[äa]nger(?:adresse)?|destinataire|destinatari[oa]|destinat[áa]rio)"
          r"[ \t]*[:：][ \t]*)?")
# A line that starts with a recipient, as the bounce formats above write one.
_RECIPIENT_LINE = re.compile(
    rf"^[ \t]*(?:{_LABEL}[<\"']?(?P<address>{_ADDRESS})[>\"']?"
    rf"(?=[ \t]*(?:$|:|\.\.\.|\(|\[|on |Invalid |[A-Z]))|"
    rf"[45][0-9][0-9][ -](?:[245]\.[0-9]{{1,3}}\.[0-9]{{1,3}} )?<?(?P<summary>{_ADDRESS})>?\.\.\.|"
    # "To: ann@…" only with its failure's label on the next line ("Error: 550 …")
    rf"(?i:to)[ \t]*:[ \t]*<?(?P<listed>{_ADDRESS})>?[ \t]*(?=\n[ \t]*(?i:error|reason|status|"
    rf"diagnostic|problem)\b))",
    re.MULTILINE)
# An address that finishes a sentence ("A message sent by\n  <…>\ncould not be delivered").
# A reply code or an enhanced code in a recipient's lines (not a date's or a size's digits).
_CODED = re.compile(r"(?<![\w.])[245]\.[0-9]{1,3}\.[0-9]{1,3}(?![\w.])|"
                    r"(?:^|[\s#'\"(])[45][0-9]{2}[ -]", re.M)
_MID_SENTENCE = re.compile(r"\b(?:by|from|to|for|of)$", re.I)
_MIME_LINE = re.compile(r"^(?:[ \t]*--[^\s]+[ \t]*|Content-[A-Za-z-]+:.*|MIME-Version:.*|"
                        r"[ \t]*boundary=.*|This is a (?:multi-part|MIME-encapsulated) message.*)$",
                        re.I | re.M)
# A section head of a prose bounce ("   ----- Transcript of session follows -----").
_HEAD_LINE = re.compile(r"^[ \t]*-{3,}[^\n]*-{3,}[ \t]*$", re.M)
# Sendmail's dialogue with one host ("... while talking to mx.example.org.:"), and the lines
# just above a summary line: what was sent and answered (">>> DATA", "<<< 550 …") and Sendmail
# V5's per-host lines ("550 example.org (smtp)... 550 Host unknown").
_TALKING = re.compile(r"^[ \t]*(?:\.\.\.[ \t]*)?while talking to\b", re.I | re.M)
_DIALOGUE_LINE = re.compile(r"[ \t]*(?:<<<|>>>|[245][0-9]{2} [^\s<>@]+ \([\w-]+\)\.\.\.)")
MAX_DIALOGUE = 4_000  # characters above a summary line searched for its own lines
MAX_RECIPIENTS = 1_000
MAX_HEADS = 20  # section heads read for transient errors (Sendmail writes three or four)
_BLANK = re.compile(r"\n[ \t]*\n")
# What HTML holds that is no text (a style sheet, a script), where its lines break, its tags.
_HTML_DROP = re.compile(r"<(style|script|head)\b[^>]{0,500}>.*?</\1\s*>", re.I | re.S)
_HTML_BREAK = re.compile(r"<(?:br|/?p|/?div|/?tr|/?li|/?h[1-6]|/?table|/?pre)\b[^>]{0,500}>", re.I)
_HTML_TAG = re.compile(r"<[^>]{0,500}>")
# Who writes bounces, and the Subjects they give them.
_BOUNCER = re.compile(r"mailer-daemon|postmaster|mail delivery (?:sub)?system|"
                      r"mail administrator|mailadmin|\bMAILER\b", re.I)
_BOUNCE_SUBJECT = re.compile(r"undeliver|delivery (?:status|fail|notification|report|problem)|"
                             r"returned mail|failure notice|delivery failed|non-?delivery|"
                             r"could not be delivered|delivery has failed|mail system error",
                             re.I)
_FORWARDED = re.compile(r"^\s*(?:fwd?|fw|wg|tr|rv|enc|doorst)\s*:", re.I)


def segments(prose: str, sender: str | None = None) -> list[tuple[str, str]]:
    """``[(address, its text)]`` for every recipient the prose lists on a line of its own.

    ``sender`` (the bounce's own ``To:``, the original sender) is not a recipient, nor is an
    address that finishes a sentence (Exim: "A message sent by\n  <…>\ncould not be
    delivered").  A recipient listed twice
    (a bounce written in two languages) keeps its first text, unless only the second has a
    reply code (Exchange lists each for people, then with its reply for admins): then both.
    """
    # where, which address, whether a recipient, whether a Sendmail summary line
    starts: list[tuple[int, str, bool, bool]] = []
    for match in _RECIPIENT_LINE.finditer(prose):
        address = match.group("address") or match.group("summary") or match.group("listed")
        if starts and starts[-1][1].lower() == address.lower() and prose[match.start()] in " \t" \
                and not _BLANK.search(prose, starts[-1][0], match.start()):
            continue  # Postfix folds a reply's own "<ann@…>: …" onto an indented line
        before = prose[max(0, match.start() - 200):match.start()].rstrip()
        starts.append((match.start(), address, address.lower() != (sender or "").lower()
                       and not _MID_SENTENCE.search(before), match.group("summary") is not None))
        if len(starts) > MAX_RECIPIENTS:
            break  # the one past the last read: where the last one's lines end
    found: dict[str, tuple[str, str]] = {}
    done = 0  # where the previous recipient's own lines end
    for number, (start, address, recipient, summary) in enumerate(starts[:MAX_RECIPIENTS]):
        following = starts[number + 1][0] if number + 1 < len(starts) else len(prose)
        begin, end = (_transcript_start(prose, done, start), _line_end(prose, start)) \
            if summary else (start, _section_end(prose, start, following))
        done = end
        key = address.lower()
        if recipient and (key not in found or _bare(found[key][1], address)):
            found[key] = (address, prose[begin:end].strip())
        elif recipient and summary and begin < start:
            # listed above ("(reason: …)"), its dialogue in the transcript below: both its own
            found[key] = (address, f"{found[key][1]}\n{prose[begin:end].strip()}")
        elif recipient and not _CODED.search(found[key][1]) \
                and _CODED.search(prose, start, end):
            # listed for people first, then again with its reply for admins (Exchange's
            # "Diagnostic information for administrators"): both its own
            found[key] = (address, f"{found[key][1]}\n{prose[start:end].strip()}")
    return list(found.values())


# A section head for recipients still being tried ("----- The following addresses had transient
# non-fatal errors -----", Sendmail's, after its "permanent fatal errors").
_TRANSIENT_HEAD = re.compile(r"transient|non-?fatal|temporar|deferred|delayed|still (?:being )?"
                             r"(?:tried|retried)", re.I)


def transient_recipients(prose: str) -> set[str]:
    """The recipients (lower case) a prose bounce lists under a section head for transient
    errors: still being retried, unlike those under its head for permanent ones."""
    heads = list(islice(_HEAD_LINE.finditer(prose), MAX_HEADS)) if "---" in prose else []
    found: set[str] = set()
    for number, head in enumerate(heads):
        if _TRANSIENT_HEAD.search(head.group()):
            end = heads[number + 1].start() if number + 1 < len(heads) else len(prose)
            found.update(address.lower() for address, _ in segments(prose[head.end():end]))
    return found


# Exim lists what an address became ("  bob@example.net\n    (generated from ann@…)", "  pipe
# to |/usr/bin/x\n    generated by ann@…", or by its system filter: "generated by
# system-filter"), with the failure's words indented under it.
_GENERATED = re.compile(
    rf"^(?P<indent>[ \t]*)\S[^\n]*\n[ \t]+\(?generated (?:from|by) <?(?P<address>{_ADDRESS}|"
    r"[^\s<>()@]+)>?\)?"
    r"[ \t]*$", re.M | re.I)


def generated(prose: str) -> list[tuple[str, str]]:
    """``[(address, its text)]`` for every address Exim says another was generated from (an
    alias, a forward, a pipe or a file): its report's Final-Recipient is that first address,
    its reason the lines under what it became."""
    found = []
    for match in _GENERATED.finditer(prose):
        end = match.end()
        depth = len(match.group("indent"))
        for line in re.finditer(r"\n([ \t]*)\S[^\n]*", prose[end:end + 2_000]):
            if line.start() != end - match.end() or len(line.group(1)) <= depth:
                break  # a blank line, or the next listed address
            end = match.end() + line.end()
        found.append((match.group("address"), prose[match.start():end].strip()))
        if len(found) >= MAX_RECIPIENTS:
            break
    return found


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    return len(text) if end < 0 else end


def _section_end(prose: str, start: int, following: int) -> int:
    """Where a recipient's lines end: at the next recipient, or before at a section head
    ("----- Transcript of session follows -----": the transcript is each recipient's own)."""
    head = _HEAD_LINE.search(prose, _line_end(prose, start), following)
    return head.start() if head else following


def _transcript_start(prose: str, done: int, start: int) -> int:
    """Where a Sendmail summary line's own lines start.  Sendmail writes each recipient's
    dialogue before its summary line ("While talking to mx…:", ">>> RCPT To:<…>", "<<< 550 …",
    then "550 <ann@…>... User unknown"), and Sendmail V5 a line per host before it ("550
    example.org (smtp)... 550 Host unknown"); what stands between the previous recipient's
    lines and the last dialogue (another host's, a deferred one's) is nobody's here."""
    low = max(done, start - MAX_DIALOGUE)
    talking = [found.start() for found in _TALKING.finditer(prose, low, start)]
    if talking:
        return talking[-1]
    begin = start
    for line in reversed(prose[low:start].split("\n")[:-1]):
        if not _DIALOGUE_LINE.match(line):
            break
        begin -= len(line) + 1
    return begin


def _bare(text: str, address: str) -> bool:
    """Whether a recipient's text holds nothing but its address (Sendmail lists the address
    under "The following addresses had permanent fatal errors", then writes why in the
    transcript below: "<ann@…>... Deferred: Connection refused by …").  A section head never
    stands in it: a recipient's lines end at one (``_section_end``), and a summary line's,
    which may run across one, hold its reply code."""
    return not text.replace(address, "").strip(" \t\n<>\"'")


def html_text(text: str) -> str:
    """The words of an HTML part: style sheets and scripts left out, a line per block (so a
    recipient's line still starts a line), entities decoded (``couldn&#39;t`` reads as the
    words patterns know)."""
    text = _HTML_DROP.sub(" ", text)
    text = _HTML_TAG.sub(" ", _HTML_BREAK.sub("\n", text))
    return html.unescape(text)


_QUOTE_MARK = re.compile(r"^[ \t]*>[ \t]?", re.M)


def unquoted(text: str) -> str:
    """A bounce forwarded inline with its lines quoted ("> The original message was received
    at …" under "Begin forwarded message:"): one level of quote marks taken off where most of
    its lines carry one, so its recipients start lines again; other text as it is."""
    lines = [line for line in text.splitlines() if line.strip()]
    marked = sum(1 for line in lines if line.lstrip().startswith(">"))
    return _QUOTE_MARK.sub("", text) if lines and marked * 2 > len(lines) else text


def raw_text(data: bytes) -> str:
    """The body of a message read as text: MIME boundaries and part headers left out."""
    text = data.replace(b"\r\n", b"\n").decode("utf-8", "replace")
    head_end = text.find("\n\n")
    body = text[head_end + 2:] if head_end >= 0 else text
    return _MIME_LINE.sub("", body)


def _is_bounce(message: Message, *, subject: bool) -> bool:
    """Whether a message was written by a mail system about a failed delivery: a report, a
    mail system's From, or (``subject``) a bounce's Subject that is not a forward's."""
    if message.get_content_type() == "multipart/report":
        return True
    if _BOUNCER.search(str(message.get("From") or "")):
        return True
    title = subject_text(message)  # "=?utf-8?B?RGVsaXZlcnk…?="
    return subject and not _FORWARDED.match(title) and bool(_BOUNCE_SUBJECT.search(title))


def bounce_headers(message: Message) -> bool:
    """Whether a message's headers say a mail system wrote it about a failed delivery."""
    return _is_bounce(message, subject=True)


def about_a_failure(message: Message, found: list[Diagnostic], prose: str) -> bool:
    """Whether a message without a delivery report is a bounce: its headers say a mail system
    wrote it about a failed delivery (a report, a mail system's From, a bounce's Subject, a
    forward's too, an X-Failed-Recipients header, the null sender ``Return-Path: <>``), its
    ``prose`` says a delivery failed ("could not be delivered to the following recipients"),
    or what was read from it (``found``) holds a reply code, an enhanced code or a wording the
    catalogue knows.  A person's message is none of these: nothing in it failed; nor is an
    automatic reply, nor a challenge that holds the message until its sender verifies
    themselves, nor a notice that it was delivered, relayed or recalled (``notices``), whoever
    sent it, where no reply code was read from it."""
    from .. import catalogue

    title = subject_text(message)
    if not any(diagnostic.code is not None or diagnostic.enhanced for diagnostic in found) \
            and (challenge(prose) or delivered_notice(title, prose)):
        return False  # held until its sender says they are a person, or delivered: no failure
    if _is_bounce(message, subject=True):
        return True
    if automatic_reply(message, title, prose):
        return False  # a vacation or out-of-office reply (RFC 3834), whatever its words say
    if message.get("X-Failed-Recipients") \
            or _BOUNCE_SUBJECT.search(title) or str(message.get("Return-Path") or "").strip() \
            == "<>" or _FAILED_DELIVERY.search(prose[:20_000]):
        return True
    return any(diagnostic.code is not None or diagnostic.enhanced is not None
               or catalogue.match_provider(None, None, diagnostic.message[:2_000]) is not None
               for diagnostic in found)


# An MDN's disposition (RFC 8098, RFC 3798): "deleted" (or RFC 3798's "denied", "failed")
# without being shown to anyone; and the words that say a mail system refused the message.
_MDN_DISPOSITION = re.compile(r";\s*(?:deleted|denied|failed)\b", re.I)
_REJECTED = re.compile(r"\breject(?:ed|ion)?\b", re.I)
_MDN_RECIPIENT = re.compile(rf"<?({_ADDRESS})>?\s*$")


def mdn_rejection(message: Message, prose: str) -> str | None:
    """The recipient whose mail system refused the message in a disposition notification:
    Dovecot's LDA and LMTP, and Sieve's ``reject`` (Dovecot, Cyrus), answer a message they
    refuse after accepting it (over quota, a user's rule) with an MDN whose disposition is
    ``deleted`` and whose Subject, Auto-Submitted or text says "rejected".  A read receipt,
    and a message a person deleted unread, say nothing of a rejection: None."""
    for part in message.walk():
        if part.get_content_type() != "message/disposition-notification":
            continue
        payload = part.get_payload()
        fields = payload[0] if isinstance(payload, list) and payload else None
        if not isinstance(fields, Message) or not _MDN_DISPOSITION.search(
                str(fields.get("Disposition") or "")):
            return None
        said = " ".join((header_text(str(message.get("Subject") or "")),
                         str(message.get("Auto-Submitted") or ""), prose[:2_000]))
        recipient = _MDN_RECIPIENT.search(str(fields.get("Final-Recipient") or ""))
        return recipient.group(1) if recipient and _REJECTED.search(said) else None
    return None


# How a mail system's prose says that a delivery failed or is delayed.
_FAILED_DELIVERY = re.compile(
    r"could not be delivered|(?:was|were|has not been|have not been) (?:not )?(?:yet )?"
    r"delivered to|undeliverable|delivery (?:has )?failed|delivery to the following|"
    r"permanent (?:error|fatal errors?|failure)|returned to (?:the )?sender|"
    r"delivery attempts will continue|failed to deliver|unable to deliver|not be delivered",
    re.I)


# A virus scanner's note appended to a message ("Este mensaje ha sido analizado con NOD32
# antivirus", "Checked by AVG", "scanned … and is believed to be clean"): it names no failure.
_SCAN_NOTE = re.compile(
    r"^[^\n]*(?:(?:scanned|checked|analy[sz]ed|analizado|analisado|verificado|gepr[üu]ft|"
    r"analysiert|analys[ée]|escaneado)\b[^\n]{0,80}?(?:anti-?virus|virus|malware|AVG|NOD32|"
    r"ClamAV|McAfee|Symantec|Sophos|Kaspersky|MailScanner)|no virus(?:es)? (?:was |were )?found|"
    r"believed to be clean|virus database|Informaci[óo]n de NOD32)[^\n]*$", re.I | re.M)
# A word every note above holds, found before the notes are looked for line by line.
_SCANNER_WORD = re.compile(r"virus|malware|AVG|NOD32|ClamAV|McAfee|Symantec|Sophos|Kaspersky|"
                           r"MailScanner|clean", re.I)


def without_scan_notes(text: str) -> str:
    """``text`` without the lines a virus scanner appended to it, which would read as a virus
    found: a scanner that found one says so in words of its own ("infected", "virus found")."""
    return _SCAN_NOTE.sub("", text) if _SCANNER_WORD.search(text) else text


def opening(prose: str) -> str:
    """A Microsoft 365 report's opening paragraph ("Your message to … couldn't be delivered.
    … wasn't found at …"), the only words it has for a code given alone further down, under
    "Status code:"; link-only lines dropped."""
    kept: list[str] = []
    for line in prose.strip().splitlines():
        line = line.strip()
        if not line:
            if kept:
                break
            continue
        if not re.fullmatch(r"\[?https?://\S*\]?", line):
            kept.append(line)
    return " ".join(kept)[:1_000]


def forwarded_bounce(message: Message) -> Message | None:
    """The bounce a person forwarded as an attachment (``_attached``), where ``message`` is
    not one itself;
    None otherwise (a bounce's own attached ``message/rfc822`` is the returned original).  An
    attachment counts as a bounce by its report or its mail system's From; by its Subject only
    when the message says it forwards ("Fwd: …"): a bounce from a mail system this does not
    know by name may return an original whose Subject talks of failed deliveries."""
    if _is_bounce(message, subject=False):
        return None
    forwards = bool(_FORWARDED.match(str(message.get("Subject") or "")))
    for part in message.walk():
        attached = _attached(part)
        if attached is not None and _is_bounce(attached, subject=forwards):
            return attached
    return None


_EML_KINDS = ("application/octet-stream", "application/eml", "application/x-eml")
# A message's first line as the email package reads one: a header (a space after the colon or
# none) or an mbox "From " line (a message saved from a mailbox).
_HEADER_LINE = re.compile(rb"From |[!-9;-~]+:")


def _attached(part: Message) -> Message | None:
    """The message a part carries: a ``message/rfc822`` part's own, its body decoded first
    where it was sent base64 (the email package parses the encoded text as the message), or a
    saved message attached as a file (``application/octet-stream`` "….eml", as mail clients
    forward one)."""
    kind = part.get_content_type()
    encoding = str(part.get("Content-Transfer-Encoding") or "").strip().lower()
    if kind == "message/rfc822":
        inner = part.get_payload()
        attached = inner[0] if isinstance(inner, list) and inner else None
        if not isinstance(attached, Message) or encoding not in ("base64", "quoted-printable"):
            return attached if isinstance(attached, Message) else None
        data = decode_body(message_bytes(attached).strip(), encoding)
    elif part.is_multipart() or not (kind in _EML_KINDS or str(
            part.get_filename() or "").lower().endswith(".eml")):
        return None
    else:
        data = body_bytes(part)
    data = data.replace(b"\r\n", b"\n").lstrip()  # a blank line first would end its headers
    return parsed_message(data) if _HEADER_LINE.match(data) else None
