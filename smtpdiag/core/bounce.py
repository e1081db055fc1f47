"""Find the SMTP reply inside the text admins paste: bounce prose, DSN fields, MTA log lines.

Pure and bounded, like ``replies``: a string goes in, a ``Diagnostic`` comes out.  Real MTAs
wrap the remote server's reply in their own words; each form below is tried in order, and the
first that finds a reply code (or an enhanced status code) wins:

- ``Diagnostic-Code: smtp; 550 …`` (RFC 3464; ``X-Postfix;``, ``X-Unix;``…, folded over lines)
- Postfix ``host mx.example[192.0.2.1] said: 550 … (in reply to RCPT TO command)``
- Exim ``SMTP error from remote mail server after RCPT TO:<…>: host … [IP]: 550 …``
- qmail ``Remote host said: 550 …`` and ``(#5.1.1)``
- Exchange / Microsoft 365 ``#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##`` and
  ``Remote Server returned '550 …'``
- Sendmail transcripts (``>>> RCPT To:<…>`` then ``<<< 550 …``), Gmail, Amazon SES and any
  other text where a reply code stands after a colon, a quote or at a line start
- an enhanced code alone (``5.2.2 <x>... Mailbox Full``), and finally text with no code at all,
  which the catalogue's text patterns read by its words.

The command the reply answered, where the text names it, is kept as ``command`` (``RCPT``,
``MAIL``, ``DATA``, ``DATA-END``, ``CONNECT``, ``EHLO``…), so its meaning can come first.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, replace
from functools import lru_cache

__all__ = ["MAX_TEXT", "Diagnostic", "find_command", "read_diagnostic", "unfold"]

MAX_TEXT = 20_000  # a diagnostic longer than this is cut: no reply is that long

_FOLD = re.compile(r"\r?\n[ \t]+")
_SPACES = re.compile(r"[ \t]+")
_CODE = r"[2-5][0-5][0-9]"
_ENH = r"[245]\.[0-9]{1,3}\.[0-9]{1,3}"  # ASCII: \d also takes "٧"
# A reply: a code, a separator, optionally an enhanced code.  Not part of a longer number, an
# IP address, a date or a size; the characters that may stand before it are those real MTAs put.
_REPLY = re.compile(
    rf"(?:(?<=^)|(?<=[\s:;'\"(\[#<=>]))(?P<code>{_CODE})(?P<sep>[ -]|$)"
    rf"(?:(?P<enh>{_ENH})(?![0-9.]*[0-9]))?", re.MULTILINE)
_ENHANCED_ONLY = re.compile(rf"(?<![\w.\-/])\(?#?(?P<enh>{_ENH})(?![\w]|\.[0-9])")
_ANCHORS = (
    ("dsn", re.compile(r"^Diagnostic-Code:[ \t]*[A-Za-z0-9-]*[ \t]*;?[ \t]*", re.I | re.M)),
    ("postfix", re.compile(r"\bsaid:\s*", re.I)),
    ("exim", re.compile(r"\bSMTP error from remote mail server after [^:\n]*(?::<[^>\n]*>)?:"
                        r"(?:\s*host\s+\S+\s*(?:\[[^\]\n]*\])?\s*:)?\s*", re.I)),
    ("exchange", re.compile(r"Remote Server returned '", re.I)),
    ("exchange", re.compile(r"#(?=[0-9]{3} [0-9]\.[0-9])")),
    ("sendmail", re.compile(r"^<<<\s*", re.M)),
)
_COMMANDS = (
    (re.compile(r"in reply to (?:the )?(RCPT TO|MAIL FROM|end of DATA|DATA|HELO|EHLO|AUTH|"
                r"STARTTLS|QUIT|RSET|BDAT|LHLO)\b", re.I), 1),
    (re.compile(r"\bafter (RCPT TO|MAIL FROM|end of data|DATA|initial connection|HELO|EHLO|"
                r"AUTH|STARTTLS|pipelined RCPT TO|pipelined MAIL FROM)\b", re.I), 1),
    (re.compile(r"^>>>\s*(RCPT TO|MAIL FROM|DATA|EHLO|HELO|STARTTLS|AUTH|\.)", re.I | re.M), 1),
    (re.compile(r"\b(?:error|failed|rejected|failure) (?:at|in|during) (RCPT TO|MAIL FROM|DATA|"
                r"EHLO|HELO|end of data|connect)\b", re.I), 1),
    (re.compile(r"^Remote-MTA-Command:\s*(\S+)", re.I | re.M), 1),
)
_COMMAND_HINTS = (("in reply to",), ("after ",), (">>>",), (" at ", " in ", " during "),
                  ("remote-mta-command",))
_COMMAND_NAMES = {
    "rcpt to": "RCPT", "pipelined rcpt to": "RCPT", "mail from": "MAIL",
    "pipelined mail from": "MAIL", "data": "DATA", "end of data": "DATA-END", ".": "DATA-END",
    "initial connection": "CONNECT", "connect": "CONNECT", "helo": "HELO", "ehlo": "EHLO",
    "lhlo": "EHLO", "auth": "AUTH", "starttls": "STARTTLS", "quit": "QUIT", "rset": "RSET",
    "bdat": "DATA-END", "rcpt": "RCPT", "mail": "MAIL", "conn": "CONNECT",
}
# Where a reply's text ends inside prose: a blank line, the MTA's own words after it (qmail's
# "Giving up on 192.0.2.1."), or the next header of a DSN.
_LOCAL = re.compile(r"Diagnostic-Code:[ \t]*X-Unix\b", re.I)
_TRANSCRIPT = re.compile(r"^<<<\s*")
_END = re.compile(r"\n\s*\n|\(in reply to |\n(?=[A-Z][\w-]*: )|'\s*$|##|\n(?=>>> )|"
                  r"\n(?=Giving up on )", re.M)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """The reply found in a text: its code, enhanced code and text, and where it came from.

    ``lines`` are the reply's own lines as they read, continuation marks included (``550-…``),
    for showing; ``message`` is the text after the codes on one line, for matching patterns.
    """

    code: int | None
    enhanced: str | None
    message: str
    lines: tuple[str, ...]
    command: str | None
    form: str  # reply | dsn | postfix | exim | exchange | sendmail | text | enhanced | words
    local: bool = False  # a DSN's "Diagnostic-Code: X-Unix; …": a local delivery program failed


def unfold(text: str) -> str:
    """Header folding and wrapped prose undone: a line break before indentation is a space.

    Japanese MTAs (Lotus Domino, mobile carriers) write ISO-2022-JP straight into headers and
    plain text parts; its escape sequences are decoded here, so the words can be read."""
    if "\x1b$" in text:
        with contextlib.suppress(UnicodeError, LookupError):  # not ISO-2022-JP after all
            text = text.encode("latin-1").decode("iso-2022-jp")
    text = text.replace("\r\n", "\n")
    return _FOLD.sub(" ", text) if "\n" in text else text


def find_command(text: str) -> str | None:
    """The SMTP command the text says the reply answered, in ``annotate.STEP_VERBS`` terms."""
    lowered = text.lower()
    for (pattern, group), hints in zip(_COMMANDS, _COMMAND_HINTS, strict=True):
        if not any(hint in lowered for hint in hints):
            continue  # a cheap test first: each pattern needs one of these words
        match = pattern.search(text)
        if match:
            word = _SPACES.sub(" ", match.group(group).strip().lower())
            name = _COMMAND_NAMES.get(word) or _COMMAND_NAMES.get(word.split(" ")[0])
            if name:
                return name
    return None


def _reply_at(text: str, start: int) -> re.Match[str] | None:
    """A reply code standing at ``start`` (after spaces or a quote)."""
    skipped = len(text) - len(text[start:].lstrip(" \t'\"\n"))
    return _REPLY.match(text, skipped)


def _extent(text: str, start: int) -> str:
    end = _END.search(text, start)
    return text[start:end.start() if end else len(text)][:2_000]


def _message(body: str, code: str | None, enhanced: str | None) -> tuple[str, tuple[str, ...]]:
    """The reply's lines (marks kept) and its text without codes or continuation marks."""
    lines = tuple(_TRANSCRIPT.sub("", line) if line.startswith("<<<") else line
                  for line in (raw.strip() for raw in body.splitlines()) if line)
    prefix, inner = _prefixes(code, enhanced)
    parts = [prefix.sub("", line, count=1) for line in lines] if prefix else lines
    message = " ".join(part for part in parts if part)
    if "  " in message or "\t" in message:
        message = _SPACES.sub(" ", message)
    message = message.strip()
    if inner is not None and (f"{code}-" in message or f" {code} " in message):
        # a multi-line reply folded into one DSN field: "…multiple 550 5.7.1 addresses…"
        message = inner.sub("", message)
    return message, lines


@lru_cache(maxsize=512)
def _prefixes(code: str | None, enhanced: str | None
              ) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """The codes at the start of each line of a reply, and its continuation codes inside
    one line; compiled once per pair of codes."""
    head = (rf"(?:{code}[ -])?\s*" if code else "") + (
        rf"(?:\(?#?{re.escape(enhanced)}\)?\s*)?" if enhanced else "")
    if not code:
        return (re.compile("^" + head) if head else None), None
    inner = rf"(?<=\s){code}-\s*" + (rf"(?:{re.escape(enhanced)}\s+)?" if enhanced else "")
    if enhanced:
        inner += rf"|(?<=\s){code} {re.escape(enhanced)}\s+"
    return re.compile("^" + head), re.compile(inner)


def _from_match(text: str, match: re.Match[str], form: str) -> Diagnostic:
    body = _extent(text, match.start())
    if form == "sendmail":  # the server's lines ("<<< …"), not what Sendmail wrote after them
        kept = body.split("\n")
        end = next((n for n, line in enumerate(kept[1:], 1) if not line.startswith("<<<")),
                   len(kept))
        body = "\n".join(kept[:end])
    code, enhanced = match.group("code"), match.group("enh")
    if enhanced is None:  # "550 Mailbox full (#5.2.2)": an enhanced code later in the reply
        found = _ENHANCED_ONLY.search(body, match.end() - match.start())
        if found and found.group("enh")[0] == code[0]:
            enhanced = found.group("enh")
    message, lines = _message(body, code, enhanced)
    return Diagnostic(int(code), enhanced, message, lines, find_command(text), form)


def read_diagnostic(text: str) -> Diagnostic:
    """The reply inside ``text``, or the text itself (``form="words"``) when it holds none."""
    text = unfold(text[:MAX_TEXT]).strip()
    first = _reply_at(text, 0)
    if first:  # a reply as pasted; what it quotes inside is part of its text
        return _from_match(text, first, "reply")
    for form, anchor in _ANCHORS:
        for found in anchor.finditer(text):
            match = _reply_at(text, found.end())
            local = form == "dsn" and bool(_LOCAL.match(text, found.start()))
            if match:
                result = _from_match(text, match, form)
                return replace(result, local=True) if local else result
            if form == "dsn":  # "Diagnostic-Code: X-Postfix; host not found": words only
                body = _extent(text, found.end())
                enhanced = _ENHANCED_ONLY.search(body)
                enh = enhanced.group("enh") if enhanced else None
                message, lines = _message(body, None, None)
                return Diagnostic(None, enh, message, lines, find_command(text), "dsn", local)
    match = next((m for m in _REPLY.finditer(text) if m.group("code")[0] in "45"), None)
    if match:
        return _from_match(text, match, "reply" if match.start() == 0 else "text")
    enhanced = _ENHANCED_ONLY.search(text)
    if enhanced:
        message, lines = _message(_extent(text, enhanced.start()), None, None)
        message = message.replace(enhanced.group(0).lstrip("(#"), "", 1).strip(" ()#")
        return Diagnostic(None, enhanced.group("enh"), message or text, lines,
                          find_command(text), "enhanced")
    message, lines = _message(text[:2_000], None, None)
    return Diagnostic(None, None, message, lines, find_command(text), "words")
