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
"""

from __future__ import annotations

import re

__all__ = ["raw_text", "segments"]

_ADDRESS = r"[A-Za-z0-9._%+=/'&!#$*?^`{|}~-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
# A line that starts with a recipient, as the bounce formats above write one.
_RECIPIENT_LINE = re.compile(
    rf"^[ \t]*(?:[<\"']?(?P<address>{_ADDRESS})[>\"']?"
    rf"(?=[ \t]*(?:$|:|\.\.\.|\(|\[|on |Invalid |[A-Z]))|"
    rf"[45][0-9][0-9][ -](?:[245]\.[0-9]{{1,3}}\.[0-9]{{1,3}} )?<?(?P<summary>{_ADDRESS})>?\.\.\.)",
    re.MULTILINE)
# An address that finishes a sentence ("A message sent by\n  <…>\ncould not be delivered").
_MID_SENTENCE = re.compile(r"\b(?:by|from|to|for|of)$", re.I)
_MIME_LINE = re.compile(r"^(?:[ \t]*--[^\s]+[ \t]*|Content-[A-Za-z-]+:.*|MIME-Version:.*|"
                        r"[ \t]*boundary=.*|This is a (?:multi-part|MIME-encapsulated) message.*)$",
                        re.I | re.M)
# A section head of a prose bounce ("   ----- Transcript of session follows -----").
_HEAD_LINE = re.compile(r"^[ \t]*-{3,}[^\n]*-{3,}[ \t]*$", re.M)
MAX_RECIPIENTS = 1_000


def segments(prose: str, sender: str | None = None) -> list[tuple[str, str]]:
    """``[(address, its text)]`` for every recipient the prose lists on a line of its own.

    ``sender`` (the bounce's own ``To:``, the original sender) is not a recipient, nor is an
    address that finishes a sentence (Exim: "A message sent by\n  <…>\ncould not be
    delivered").  A recipient listed twice
    (a bounce written in two languages) keeps its first text.
    """
    starts: list[tuple[int, str, bool]] = []  # where, which address, whether a recipient
    for match in _RECIPIENT_LINE.finditer(prose):
        address = match.group("address") or match.group("summary")
        before = prose[max(0, match.start() - 200):match.start()].rstrip()
        starts.append((match.start(), address, address.lower() != (sender or "").lower()
                       and not _MID_SENTENCE.search(before)))
        if len(starts) >= MAX_RECIPIENTS:
            break
    found: dict[str, tuple[str, str]] = {}
    for number, (start, address, recipient) in enumerate(starts):
        end = starts[number + 1][0] if number + 1 < len(starts) else len(prose)
        key = address.lower()
        if recipient and (key not in found or _bare(found[key][1], address)):
            found[key] = (address, prose[start:end].strip())
    return list(found.values())


def _bare(text: str, address: str) -> bool:
    """Whether a recipient's text holds nothing but its address and section heads (Sendmail
    lists the address under "The following addresses had permanent fatal errors", then
    writes why in the transcript below: "<ann@…>... Deferred: Connection refused by …")."""
    return not _HEAD_LINE.sub("", text.replace(address, "")).strip(" \t\n<>\"'")


def raw_text(data: bytes) -> str:
    """The body of a message read as text: MIME boundaries and part headers left out."""
    text = data.replace(b"\r\n", b"\n").decode("utf-8", "replace")
    head_end = text.find("\n\n")
    body = text[head_end + 2:] if head_end >= 0 else text
    return _MIME_LINE.sub("", body)
