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
- Amazon SES's older reports, its own status before the quoted reply (``5.1.0 - Unknown
  address error 550-'5.2.2 <…>... Mailbox Full'``): the quoted reply is read
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

__all__ = ["MAX_TEXT", "Diagnostic", "command_in_reply", "find_command", "read_diagnostic",
           "unfold"]

MAX_TEXT = 20_000  # a diagnostic longer than this is cut: no reply is that long

_FOLD = re.compile(r"\r?\n[ \t]+")
_SPACES = re.compile(r"[ \t]+")
_CODE = r"[2-5][0-5][0-9]"
_ENH = r"[245]\.[0-9]{1,3}\.[0-9]{1,3}"  # ASCII: \d also takes "٧"
# A reply: a code, a separator, optionally an enhanced code.  Not part of a longer number, an
# IP address, a date or a size; the characters that may stand before it are those real MTAs put.
_REPLY = re.compile(
    rf"(?:(?<=^)|(?<=[\s:;'\"(\[#<=>]))(?P<code>{_CODE})(?P<sep>[ -]|:(?= )|$)"
    rf"(?: ?(?P<enh>{_ENH})(?![0-9.]*[0-9]))?", re.MULTILINE)
_ENHANCED_ONLY = re.compile(rf"(?<![\w.\-/])\(?#?(?P<enh>{_ENH})(?![\w]|\.[0-9])")
_ANCHORS = (
    # the type ("smtp;", "X-Postfix;") begins with a letter: an untyped "550 5.7.1" keeps its code
    ("dsn", re.compile(r"^Diagnostic-Code:[ \t]*(?:[A-Za-z][A-Za-z0-9-]*)?[ \t]*;?[ \t]*",
                       re.I | re.M)),
    ("postfix", re.compile(r"\bsaid:\s*", re.I)),
    ("exim", re.compile(r"\bSMTP error from remote mail server after [^:\n]*(?::<[^>\n]*>)?:"
                        r"(?:\s*host\s+\S+\s*(?:\[[^\]\n]*\])?\s*:)?\s*", re.I)),
    ("exchange", re.compile(r"Remote Server returned '", re.I)),
    ("exchange", re.compile(r"#(?=[0-9]{3} [0-9]\.[0-9])")),
    ("sendmail", re.compile(r"^<<<\s*", re.M)),
)
_VERB = (r"RCPT\s+TO|MAIL\s+FROM|end\s+of\s+DATA|DATA|HELO|EHLO|AUTH|STARTTLS|QUIT|RSET|BDAT|"
         r"LHLO")


@dataclass(frozen=True, slots=True)
class _Says:
    """One way MTAs write which command a reply answered.  ``hints``: words the text must
    hold (a cheap test before the pattern); ``step``: the command, else the captured verb;
    ``last``: the last match counts (a transcript's last command before the refusal)."""

    hints: tuple[str, ...]
    pattern: re.Pattern[str]
    step: str | None = None
    last: bool = False


def _says(hints: tuple[str, ...], pattern: str, step: str | None = None, *, flags: int = re.I,
          last: bool = False) -> _Says:
    return _Says(hints, re.compile(pattern, flags), step, last)


# Tried in order; the first that matches names the command.
_COMMANDS = (
    # Postfix "(in reply to RCPT TO command)", folded anywhere
    _says(("reply to",), rf"in\s+reply\s+to\s+(?:the\s+)?({_VERB})\b"),
    # Exim "after RCPT TO:<…>", GMX "after RCPT command", "after end of data"
    _says(("after ",), r"\bafter\s+(RCPT(?:\s+TO)?|MAIL(?:\s+FROM)?|end\s+of\s+data|DATA|"
          r"initial\s+connection|HELO|EHLO|AUTH|STARTTLS|pipelined\s+RCPT\s+TO|"
          r"pipelined\s+MAIL\s+FROM)\b"),
    # a transcript (">>> RCPT To:<…>"; Trend Micro writes "Sent <<<", MDaemon "--> RCPT To:"):
    # the last command sent (indented lines may have been unfolded into one: ">>>" is looked
    # for after any space)
    _says((">>>", "<<<", "-->"), r"(?:^|\s)(?:>>>|Sent\s*<<<|-->)\s*(RCPT\s+TO|MAIL\s+FROM|DATA|"
          r"EHLO|HELO|STARTTLS|AUTH|\.)", flags=re.I | re.M, last=True),
    # an MTA's own log form: "SMTP:RCPT host 192.0.2.8: 553 …"
    _says(("smtp:",), r"\bSMTP:(RCPT|MAIL|DATA|EHLO|HELO)\b"),
    _says(("rcpt", "mail from", "data", "ehlo", "helo", "connect"),
          r"\b(?:(?:error|failed|rejected|failure)\s+(?:at|in|during|following)|in)\s+"
          r"(RCPT\s+TO|MAIL\s+FROM|DATA|EHLO|HELO|end\s+of\s+data|connect)\b|"
          r"\bfollowing\s+(RCPT|MAIL|DATA)\s+command"),
    _says(("remote-mta-command",), r"^Remote-MTA-Command:\s*(\S+)", flags=re.I | re.M),
    # DragonFly Mail Agent: "… did not like our RCPT TO:" / "… our final DATA:"
    _says(("did not like our",), r"did\s+not\s+like\s+our\s+(RCPT\s+TO|MAIL\s+FROM|DATA|"
          r"final\s+DATA|EHLO|HELO)"),
    # qmail-remote's own words for each step, and "most progress was RCPT TO response"
    _says(("does not like recipient",), r"does\s+not\s+like\s+recipient", "RCPT"),
    _says(("failed on data",), r"failed\s+on\s+DATA\s+command", "DATA"),
    _says(("after i sent the message",), r"failed\s+after\s+I\s+sent\s+the\s+message",
          "DATA-END"),
    _says(("but greeting failed",), r"but\s+greeting\s+failed", "CONNECT"),
    _says(("my name was rejected",), r"but\s+my\s+name\s+was\s+rejected", "HELO"),
    _says(("sender was rejected",), r"but\s+sender\s+was\s+rejected", "MAIL"),
    _says(("to response", "from response", "data response"),
          r"\b(?:was|for)\s+(RCPT\s+TO|MAIL\s+FROM|DATA)\s+response"),
    # Coremail (163.com, 126.com): "RCPT TO said 550 …"; Ipswitch IMail: "RCPT TO generated
    # following response:"
    _says((" said", "following response"),
          r"\b(RCPT\s+TO|MAIL\s+FROM|DATA)\s+(?:said\b|generated\s+(?:the\s+)?following\s+"
          r"response)"),
    # Postfix: the greeting refused, or the step a connection broke at
    _says(("refused to talk to me",), r"refused\s+to\s+talk\s+to\s+me", "CONNECT"),
    _says(("while sending", "while performing"),
          r"\bwhile\s+(?:sending|performing\s+the)\s+(RCPT\s+TO|MAIL\s+FROM|DATA|"
          r"end\s+of\s+data|message\s+body|HELO|EHLO|STARTTLS)\b"),
    _says(("initial server greeting",), r"initial\s+server\s+greeting", "CONNECT"),
    # Gmail's old reports number their own steps: "(state 14)"
    _says(("(state ",), r"\(state\s+(1[3-8])\)"),
    # Sendmail: a refusal read straight after connecting, before any ">>>" command
    _says(("while talking to",), r"while\s+talking\s+to\s+[^\n]*\n\s*<<<\s*[45]", "CONNECT"),
)
# Every hint at once: most texts hold none, and are done with one search.
_ANY_HINT = re.compile("|".join(sorted({re.escape(hint) for says in _COMMANDS
                                        for hint in says.hints}, key=len, reverse=True)))
_COMMAND_NAMES = {
    "rcpt to": "RCPT", "pipelined rcpt to": "RCPT", "mail from": "MAIL",
    "pipelined mail from": "MAIL", "data": "DATA", "end of data": "DATA-END", ".": "DATA-END",
    "initial connection": "CONNECT", "connect": "CONNECT", "helo": "HELO", "ehlo": "EHLO",
    "lhlo": "EHLO", "auth": "AUTH", "starttls": "STARTTLS", "quit": "QUIT", "rset": "RSET",
    "bdat": "DATA-END", "rcpt": "RCPT", "mail": "MAIL", "conn": "CONNECT",
    "final data": "DATA-END", "message body": "DATA-END",
    "13": "EHLO", "14": "RCPT", "15": "DATA", "16": "DATA", "17": "DATA", "18": "DATA-END",
}
# A reply that names the step itself in capitals ("User unknown [RCPT_TO]"): the last named.
_VERB_TOKEN = re.compile(r"(?<![A-Za-z])(RCPT(?:[ _]TO)?|MAIL[ _]FROM|DATA|EHLO|HELO)(?![A-Za-z])")
# Where a reply's text ends inside prose: a blank line, the MTA's own words after it (qmail's
# "Giving up on 192.0.2.1."), the next header of a DSN, a section line ("--- End
# Transcript ---"), or the next line of an arrow transcript (MDaemon's "Wed 2026-12-02
# 10:00:00: --> QUIT", its indented lines unfolded into one).
_LOCAL = re.compile(r"Diagnostic-Code:[ \t]*X-Unix\b", re.I)
_TRANSCRIPT = re.compile(r"^<<<\s*")
_COMMENT = re.compile(r"\(([^()]*)\)")
_END = re.compile(r"\n\s*\n|\(in reply to |\n(?=[A-Z][\w-]*: )|'\s*$|##|\n(?=>>> )|"
                  r"\n(?=Giving up on )|\n(?=[ \t]*-{3})|"
                  r"\s(?=(?:[A-Z][a-z]{2} )?[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}: (?:-->|<--) )|"
                  r"\s(?=(?:-->|<--) )", re.M)


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
        with contextlib.suppress(UnicodeError):  # not ISO-2022-JP after all (both codecs exist)
            text = text.encode("latin-1").decode("iso-2022-jp")
    text = text.replace("\r\n", "\n")
    return _FOLD.sub(" ", text) if "\n" in text else text


def find_command(text: str) -> str | None:
    """The SMTP command the text says the reply answered, in ``annotate.STEP_VERBS`` terms."""
    lowered = text.lower()
    if not _ANY_HINT.search(lowered):
        return None
    for says in _COMMANDS:
        if not any(hint in lowered for hint in says.hints):
            continue  # a cheap test first: each pattern needs one of these words
        match = says.pattern.search(text)
        if match and says.last:
            *_, match = says.pattern.finditer(text)
        if match:
            if says.step:
                return says.step
            # every verb a pattern captures is a key, but Remote-MTA-Command's may be anything
            word = " ".join(next(g for g in match.groups() if g).lower().split())
            name = _COMMAND_NAMES.get(word)
            if name:
                return name
    return None


def command_in_reply(message: str) -> str | None:
    """The step a reply's own text names in capitals (``… User unknown [RCPT_TO]``), the last
    one named; for reports that say nothing else about the step."""
    if not any(verb in message for verb in ("RCPT", "MAIL", "DATA", "EHLO", "HELO")):
        return None
    found = _VERB_TOKEN.findall(message)
    if not found:
        return None
    return _COMMAND_NAMES[found[-1].replace("_", " ").lower()]  # every token is a key


def _reply_at(text: str, start: int) -> re.Match[str] | None:
    """A reply code standing at ``start`` (after spaces or a quote)."""
    skipped = len(text) - len(text[start:].lstrip(" \t'\"\n"))
    return _REPLY.match(text, skipped)


def _extent(text: str, start: int) -> str:
    """The reply from ``start`` to the end of what the MTA quoted; a reply written inside
    parentheses ("(reason: 550 5.1.1 User unknown)") or angle brackets (Exchange 2003's
    "<mx.example #5.1.1 smtp;550 5.1.1 User unknown>") leaves its closing one behind."""
    end = _END.search(text, start)
    body = text[start:end.start() if end else len(text)][:2_000]
    stripped = body.rstrip()
    for opening, closing in ("()", "<>"):
        if stripped.endswith(closing) and stripped.count(closing) > stripped.count(opening):
            before = text[:start]
            if before.rfind(opening) > before.rfind(closing):
                return stripped[:-1]  # _message strips each line
    return body


def _message(body: str, code: str | None, enhanced: str | None) -> tuple[str, tuple[str, ...]]:
    """The reply's lines (marks kept) and its text without codes or continuation marks."""
    lines = tuple(_TRANSCRIPT.sub("", line) if line.startswith("<<<") else line
                  for line in (raw.strip() for raw in body.splitlines()) if line)
    prefix, inner = _prefixes(code, enhanced)
    parts = [prefix.sub("", line) for line in lines] if prefix else lines  # "^": once
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
    head = (rf"(?:{code}(?:[ -]|:(?= )))?\s*" if code else "") + (
        rf"(?:\(?#?{re.escape(enhanced)}\)?\s*)?" if enhanced else "")
    if not code:
        return (re.compile("^" + head) if head else None), None
    inner = rf"(?<=\s){code}-\s*" + (rf"(?:{re.escape(enhanced)}\s+)?" if enhanced else "")
    if enhanced:
        inner += rf"|(?<=\s){code} {re.escape(enhanced)}\s+"
    return re.compile("^" + head), re.compile(inner)


def _refusal_after(text: str, match: re.Match[str]) -> re.Match[str]:
    """A success or intermediate reply (2xx, 3xx) is never what failed: where the text quotes
    one before the refusal (a greeting's "220-laposte 421 4.2.1 Service refuse", "250 2.1.0 Ok
    550 5.1.1 User unknown"), the first 4xx or 5xx reply after it is read instead."""
    if match.group("code")[0] not in "23":
        return match
    return next((m for m in _REPLY.finditer(text, match.end()) if m.group("code")[0] in "45"),
                match)


def _from_match(text: str, match: re.Match[str], form: str) -> Diagnostic:
    match = _refusal_after(text, match)
    body = _extent(text, match.start())
    if form == "sendmail":  # the server's lines ("<<< …"), not what Sendmail wrote after them
        kept = body.split("\n")
        end = next((n for n, line in enumerate(kept[1:], 1) if not line.startswith("<<<")),
                   len(kept))
        body = "\n".join(kept[:end])
    code, enhanced = match.group("code"), match.group("enh")
    if enhanced is None:  # "550 Mailbox full (#5.2.2)": an enhanced code later in the reply
        found = _ENHANCED_ONLY.search(body)  # not in the code itself: it has no dot
        if found and found.group("enh")[0] == code[0]:
            enhanced = found.group("enh")
    message, lines = _message(body, code, enhanced)
    command = find_command(text) or command_in_reply(message)
    return Diagnostic(int(code), enhanced, message, lines, command, form)


# Amazon SES's older reports: its own status and words first, the remote reply quoted after
# them ("5.1.0 - Unknown address error 550-'5.7.1 <…>... Access denied' (delivery attempts:
# 0)"); the status is SES's guess, the quoted reply is what the server said.
_SES = re.compile(rf"(?:^|;\s*)[245]\.[0-9]{{1,3}}\.[0-9]{{1,3}} - [^'\n]{{0,80}}?"
                  rf"(?P<code>{_CODE})-'(?P<reply>[^\n]{{1,2000}}?)'(?= \(delivery attempts|\s*$)",
                  re.M)


# qmail-send's log line: what qmail-remote reported, spaces written "_" and lines ended by "/"
# ("delivery 42: failure: 192.0.2.1_does_not_like_recipient./Remote_host_said:_550_…/").
_QMAIL_LOG = re.compile(r"\bdelivery \d+: (?:failure|deferral): (?=\S*_)")
_WHITESPACE = re.compile(r"\s")


def _qmail_log(text: str) -> str:
    """A qmail-send log line with its report's spaces and lines back; other text as it is."""
    found = _QMAIL_LOG.search(text) if "delivery " in text else None
    if found is None:
        return text
    space = _WHITESPACE.search(text, found.end())
    end = space.start() if space else len(text)
    report = "\n".join(text[found.end():end].replace("_", " ").split("/"))
    return text[:found.end()] + report + text[end:]


# Words an MTA writes just before the remote server's reply it quotes ("RCPT TO said 550 …").
_QUOTES = re.compile(r"\b(?:said|replied|responded|answered|returned|response|reply)\W{0,3}$",
                     re.I)


def _quoted_reply(text: str, start: int, end: int) -> re.Match[str] | None:
    """A refusal quoted after the reporting MTA's own words in a Diagnostic-Code ("SMTP error,
    RCPT TO: Host mx(192.0.2.1) RCPT TO said 550 No such user here"): a 4xx or 5xx code that
    words such as "said" or "replied" introduce.  Other numbers in such words are not replies
    (a port, "server refused to talk to me: 421 …" whose words name the cause themselves)."""
    return next((m for m in _REPLY.finditer(text, start, end)
                 if m.group("code")[0] in "45" and m.group("sep") in (" ", "-")
                 and _QUOTES.search(text, max(start, m.start() - 40), m.start())), None)


def read_diagnostic(text: str) -> Diagnostic:
    """The reply inside ``text``, or the text itself (``form="words"``) when it holds none."""
    text = _qmail_log(unfold(text[:MAX_TEXT]).strip())
    first = _reply_at(text, 0)
    if first:  # a reply as pasted; what it quotes inside is part of its text
        return _from_match(text, first, "reply")
    ses = _SES.search(text) if "-'" in text else None
    if ses:
        quoted = f"{ses.group('code')} {ses.group('reply')}"
        return replace(read_diagnostic(quoted), form="dsn" if ses.start() else "text")
    for form, anchor in _ANCHORS:
        for found in anchor.finditer(text):
            match = _reply_at(text, found.end())
            local = form == "dsn" and bool(_LOCAL.match(text, found.start()))
            if match:
                result = _from_match(text, match, form)
                return replace(result, local=True) if local else result
            if form == "dsn":  # "Diagnostic-Code: X-Postfix; host not found": words only
                body = _extent(text, found.end())
                inner = _quoted_reply(text, found.end(), found.end() + len(body))
                if inner:  # the MTA's own words first: "SMTP error, … RCPT TO said 550 …"
                    result = _from_match(text, inner, form)
                    return replace(result, local=True) if local else result
                enhanced = _ENHANCED_ONLY.search(body)
                enh = enhanced.group("enh") if enhanced else None
                message, lines = _message(body, None, enh)
                return Diagnostic(None, enh, message, lines, find_command(text), "dsn", local)
    match = next((m for m in _REPLY.finditer(text) if m.group("code")[0] in "45"), None)
    if match:
        return _from_match(text, match, "text")  # one at the start was read above
    # a success code (2.x.x) inside prose is no failure's code: most often a version number
    # ("wxPython 2.3.0" in a returned message); pasted alone, at the start, it is one
    enhanced = next((found for found in _ENHANCED_ONLY.finditer(text)
                     if found.group("enh")[0] != "2" or not found.start()), None)
    if enhanced:
        # qmail writes the code after its words ("Unable to contact LDAP server. (#4.4.3)"):
        # the line's words before the code are part of the reply
        start = text.rfind("\n", 0, enhanced.start()) + 1
        message, lines = _message(_extent(text, start), None, None)
        token = enhanced.group(0)  # "(#4.4.3" takes its closing parenthesis with it
        if token.startswith("(") and text.startswith(")", enhanced.end()):
            token += ")"
        message = _SPACES.sub(" ", message.replace(token, "", 1)).strip()
        comment = _COMMENT.fullmatch(message)  # a Status field's "5.1.1 (bad mailbox)"
        message = comment.group(1).strip() if comment else message
        return Diagnostic(None, enhanced.group("enh"), message or text, lines,
                          find_command(text), "enhanced")
    message, lines = _message(text[:2_000], None, None)
    return Diagnostic(None, None, message, lines, find_command(text), "words")
