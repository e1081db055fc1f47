"""Turn the bytes a server sends into ``Reply`` records: pure, bounded, never trusting the peer.

Like h11, this knows nothing about sockets: bytes go in (split anywhere), complete replies come
out, and anything that is not a valid SMTP reply raises ``ProtocolError`` with an excerpt of what
was seen.  Memory stays bounded whatever the peer does: a line is kept up to ``MAX_LINE_KEPT``
bytes, a reply keeps at most ``MAX_LINES_KEPT`` lines (the rest are counted, not stored), and a
line that grows past ``MAX_LINE_BYTES`` without a line end is refused.  A ``Redactor`` given by
the session hides secrets the peer echoes back, before anything is kept or excerpted.
"""

from __future__ import annotations

import re

from ..errors import ProtocolError
from ..reply import Reply
from .secrets import NO_SECRETS, REDACTED, Redactor, secret_forms

__all__ = [
    "MAX_LINES_KEPT",
    "MAX_LINE_BYTES",
    "MAX_LINE_KEPT",
    "NO_SECRETS",
    "REDACTED",
    "Redactor",
    "ReplyReader",
    "excerpt",
    "parse_enhanced",
    "parse_reply",
    "parse_reply_text",
    "secret_forms",
]

MAX_LINE_BYTES = 65_536  # RFC 5321 allows 512; anything past this is not a mail server
MAX_LINE_KEPT = 2_048
MAX_LINES_KEPT = 200
MAX_KEYWORD_LINES_BEYOND = 20  # lines past MAX_LINES_KEPT still read for their keyword
MAX_FULL_KEPT = 262_144  # characters of cut lines a reply keeps whole, to read their keywords

# Every reply code smtpdiag reads (2xx to 5xx, second digit 0 to 5), as its three bytes, and
# its number: one look-up where a pattern match and an int() of the bytes cost ~2k
# instructions a reply, on every reply of every walk.
_CODES = {f"{first}{second}{third}".encode(): first * 100 + second * 10 + third
          for first in range(2, 6) for second in range(6) for third in range(10)}
_DIGITS = re.compile(rb"[0-9]+(?=[ -]|$)")
_ENHANCED = re.compile(r"([245])\.([0-9]{1,3})\.([0-9]{1,3})(?=\s|$)")
# An EHLO line that names an extension smtpdiag acts on or reports: past MAX_LINES_KEPT lines
# it is still left in ``full_lines`` (never shown), so that STARTTLS or SIZE listed after a
# thousand junk lines is not taken for missing (a wrong "no STARTTLS" finding, no SIZE).
_KEYWORD_LINE = re.compile(rb"(?i)(?:STARTTLS|SIZE|AUTH|PIPELINING|8BITMIME|SMTPUTF8|CHUNKING|"
                           rb"DSN|ENHANCEDSTATUSCODES)(?:[ =]|\r?$)")
_PASTED_LINE = re.compile(r"([2-5][0-5][0-9])(?:([ -])(.*))?$")
def excerpt(data: bytes | str, limit: int = 80) -> str:
    """A short, quoted piece of peer data for a message: its first ``limit`` characters, as
    the server sent them (a byte that is not UTF-8 kept as the byte), ``…`` where cut.

    Not escaped here: a message is escaped where it is shown, once, like every other server
    text (``render.doc.clean``; JSON escapes its own).  Escaped twice, a backslash would
    double and an escape the server spelt would look like one that was made.
    """
    text = data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else data
    return "'" + text[:limit] + ("…" if len(text) > limit else "") + "'"


# The code ``parse_enhanced`` found at the start of a reply text (None: none there), kept for the
# few texts a fleet meets on every walk ("2.1.0 Ok", "2.0.0 Bye"): one look-up instead of a
# pattern match (~1.5k instructions), on most replies of every walk.  Bounded: texts that vary
# are read anew.
_ENHANCED_SEEN: dict[str, str | None] = {}
_ENHANCED_KEPT = 256


def parse_enhanced(text: str, code: int | None = None) -> str | None:
    """The enhanced status code (RFC 3463) at the start of reply text, if its class fits.

    A text whose second character is not the code's first dot, and that does not start with
    white space, has none: no pattern is run for it (a greeting, an EHLO line)."""
    if (len(text) < 2 or text[1] != ".") and not (text and text[0].isspace()):
        return None
    found = _ENHANCED_SEEN.get(text, "")
    if found == "":  # "" is no code: the text was not read yet
        match = _ENHANCED.match(text.lstrip())
        found = match.group(0) if match else None
        if len(_ENHANCED_SEEN) < _ENHANCED_KEPT:
            _ENHANCED_SEEN[text] = found
    if found is None or code is None or ord(found[0]) - 48 == code // 100:  # its class
        return found
    return None


def _decode(line: bytes) -> str:
    return line.decode("utf-8", "surrogateescape")


class ReplyReader:
    """Incremental reply parser: ``feed`` bytes, get a ``Reply`` once one is complete.

    Accepts CRLF and bare LF line ends (bare LF is common in broken servers and harmless to
    read).  A line longer than ``MAX_LINE_KEPT`` is cut in the ``Reply``, but its whole text
    (up to ``MAX_LINE_BYTES``) is left in ``full_lines``, so that a caller reading keywords
    (EHLO's AUTH line) reads them all, not a fragment at the cut.  Bytes that follow a
    complete reply are never parsed, as no command of ours is pipelined: they can only be
    unsolicited (or injected) data.  The first of them are left in ``trailing``, so that a
    later error can quote them.
    """

    def __init__(self, redact: Redactor | None = None) -> None:
        self.redact = redact or NO_SECRETS
        self.trailing = b""
        self.sent = b""  # the command line last sent, so that an echo of it is called one
        self.full_lines: tuple[str, ...] = ()  # the last reply's lines, long ones uncut
        self.clear()

    def clear(self) -> None:
        """Forget everything buffered: called before each command and after STARTTLS."""
        self._partial = bytearray()
        self._partial_len = 0
        self._code: int | None = None
        self._lines: list[str] = []
        self._full: list[str] = []
        self._full_size = 0
        self._raw: list[str] = []
        self._plain: list[tuple[str, bool]] = []  # with secrets: each text unredacted, and cut
        self._cut_lines = 0
        self._beyond: list[str] = []  # lines past MAX_LINES_KEPT that name an EHLO keyword
        self._cut_bytes = False

    @property
    def pending_lines(self) -> tuple[str, ...]:
        """The lines of a reply still unfinished (``220-`` lines with no last one yet), as
        kept: a timeout inside a multi-line reply shows what did arrive."""
        if self.redact.secrets and len(self._raw) > 1:
            return tuple(raw[:4] + text for raw, text in zip(self._raw, self._read_whole(),
                                                              strict=True))
        return tuple(self._raw)

    @property
    def pending_count(self) -> int:
        """How many lines of the unfinished reply arrived: those kept and those past
        MAX_LINES_KEPT, so that a reply that never ends is not said to be 200 lines long."""
        return len(self._raw) + self._cut_lines

    @property
    def pending_text(self) -> str:
        """The start of a line still unfinished (no line end yet), as kept, secrets hidden: a
        timeout shows what did arrive of it."""
        return self.redact(_decode(bytes(self._partial)), cut=True) if self._partial else ""

    def _read_whole(self) -> list[str]:
        """The texts kept so far redacted as one: a secret wrapped over lines is hidden in
        each, and taken whole before any shorter form of it inside."""
        return self.redact.lines([text for text, _ in self._plain],
                                 [cut for _, cut in self._plain])

    def feed(self, data: bytes) -> Reply | None:
        # Bytes read by index, not with endswith or find: those take their arguments as a
        # tuple, parsed on every call, some 600 instructions each on every reply.
        if self._code is None and not self._partial_len and data and data[-1] == 10:
            reply = self._one_line(data) if len(data) <= MAX_LINE_KEPT and data.count(
                10) == 1 else self._whole(data)
            if reply is not None:
                return reply
        start = 0
        while True:
            end = data.find(b"\n", start)
            if end == -1:
                self._append(data[start:])
                return None
            self._append(data[start:end])
            line, cut = bytes(self._partial), self._partial_len > len(self._partial)
            if line.endswith(b"\r") and not cut:  # the CR of CRLF is not part of the text
                line = line[:-1]
            truncated = cut or len(line) > MAX_LINE_KEPT
            self._partial = bytearray()
            self._partial_len = 0
            # The whole line (at most MAX_LINE_BYTES): _take_line keeps MAX_LINE_KEPT of it and
            # leaves the rest in full_lines, for keywords.
            reply = self._take_line(line, truncated)
            start = end + 1
            if reply is not None:
                self.clear()
                self.trailing = data[start:start + MAX_LINE_KEPT]
                return reply

    def _whole(self, data: bytes) -> Reply | None:
        """The fast path: ``data`` is exactly one whole reply of short, well-formed lines (as a
        server nearly always sends it, in one read).  The ``Reply`` is what the line-by-line
        path makes of the same bytes; None for anything else (a partial, a long line, a bad
        code, bytes after the reply), which the line-by-line path then reads and names."""
        if not data or data[-1] != 10:
            return None
        if len(data) <= MAX_LINE_KEPT and data.count(10) == 1:
            return self._one_line(data)
        lines = data.split(b"\n")
        lines.pop()  # the empty tail after the last line end
        if len(lines) > MAX_LINES_KEPT:
            return None
        code = data[:3]
        last = len(lines) - 1
        texts, raw = [], []
        for number, line in enumerate(lines):
            if line and line[-1] == 13:
                line = line[:-1]
            if (len(line) > MAX_LINE_KEPT or line[:3] != code
                    or (line[3:4] != (b"-" if number < last else b" ") and (
                        number < last or len(line) != 3))):
                return None
            # Its first four bytes are the code and an ASCII separator (or it is the code
            # alone; a code that is not ASCII digits is refused below): one decode serves both.
            whole = line.decode("utf-8", "surrogateescape")
            texts.append(whole[4:])
            raw.append(whole)
        code_number = _CODES.get(code)
        if code_number is None:
            return None
        if self.redact.secrets:  # read as a whole: a secret the server wrapped over lines
            texts = self.redact.lines(texts)
            raw = [line[:4] + text for line, text in zip(raw, texts, strict=True)]
        kept = tuple(texts)
        self.full_lines = kept
        self.trailing = b""
        return Reply(code=code_number, lines=kept, enhanced=parse_enhanced(kept[0], code_number),
                     raw=tuple(raw), truncated=False)

    def _one_line(self, data: bytes) -> Reply | None:
        """``_whole`` for one short line (five replies of six in a session): the same checks
        and the same ``Reply``, without the loop; the redactor only when there are secrets."""
        line = data[:-2] if len(data) > 1 and data[-2] == 13 else data[:-1]
        code = line[:3]
        number = _CODES.get(code)
        if number is None or (line[3:4] != b" " and len(line) != 3):
            return None
        # The first four bytes are ASCII (checked above), so the line decodes as its two parts.
        raw = line.decode("utf-8", "surrogateescape")
        text = raw[4:]
        if self.redact.secrets:
            text = self.redact(text)
            raw = raw[:4] + text
        kept = (text,)
        self.full_lines = kept
        self.trailing = b""
        return Reply(number, kept, parse_enhanced(text, number), (raw,), False)

    def _append(self, chunk: bytes) -> None:
        room = MAX_LINE_BYTES - len(self._partial)
        if room > 0:
            self._partial.extend(chunk[:room])
        self._partial_len += len(chunk)
        if self._partial_len > MAX_LINE_BYTES:
            seen = self.redact(_decode(bytes(self._partial)), cut=True)
            self.clear()
            raise ProtocolError(
                f"reply line with no line end in its first {MAX_LINE_BYTES} bytes (RFC 5321 "
                f"allows 512 in all); it began {excerpt(seen, 40)}"
            )

    def _take_line(self, line: bytes, truncated: bool) -> Reply | None:
        code = _CODES.get(line[:3])
        if code is None or line[3:4] not in (b"", b" ", b"-"):
            self.clear()
            digits = _DIGITS.match(line)
            if digits and len(digits.group()) == 3:
                raise ProtocolError(f"reply code {digits.group().decode()} is not an SMTP "
                                    "code (2xx to 5xx, second digit 0 to 5)")
            if digits and len(digits.group()) > 3:
                shown = excerpt(self.redact(_decode(digits.group())), 12)
                raise ProtocolError(f"reply code {shown} is not three digits long")
            shown = excerpt(self.redact(_decode(line), cut=truncated))
            if self.sent and line.rstrip().lower() == self.sent.lower():
                raise ProtocolError(f"the server sent our own command back ({shown}) instead "
                                    "of a reply: an echo, not an SMTP server")
            raise ProtocolError(f"not an SMTP reply line: {shown}")
        if self._code is not None and code != self._code:
            first, kept = self._code, self.pending_lines
            before = f"{excerpt(kept[-1], 60)} then " if kept else ""
            seen = excerpt(self.redact(_decode(line), cut=truncated), 60)
            self.clear()
            raise ProtocolError(f"multi-line reply mixes codes {first} and {code} "
                                f"({before}{seen})")
        self._code = code
        self._cut_bytes = self._cut_bytes or truncated
        if len(self._lines) < MAX_LINES_KEPT:
            plain = _decode(line[4:MAX_LINE_KEPT])
            text = self.redact(plain, cut=truncated)
            if self.redact.secrets:
                self._plain.append((plain, truncated))
            self._raw.append(_decode(line[:4]) + text)
            self._lines.append(text)
            if truncated and self._full_size < MAX_FULL_KEPT:
                whole = self.redact(_decode(line[4:]))[:MAX_FULL_KEPT - self._full_size]
                self._full_size += len(whole)
                self._full.append(whole)
            else:
                self._full.append(text)
        else:
            self._cut_lines += 1
            if len(self._beyond) < MAX_KEYWORD_LINES_BEYOND and _KEYWORD_LINE.match(line, 4):
                self._beyond.append(self.redact(_decode(line[4:MAX_LINE_KEPT])))
        if line[3:4] == b"-":
            return None
        if self.redact.secrets and len(self._lines) > 1:  # a secret wrapped over lines
            self._lines = self._read_whole()
            self._raw = [raw[:4] + text for raw, text in zip(self._raw, self._lines, strict=True)]
            self._full = [full if cut else text for full, text, (_, cut)
                          in zip(self._full, self._lines, self._plain, strict=True)]
        self.full_lines = tuple(self._full) + tuple(self._beyond)
        lines = tuple(self._lines)
        if self._cut_lines:
            lines += (f"[smtpdiag: {self._cut_lines} further lines not kept]",)
        return Reply(
            code=code,
            lines=lines,
            enhanced=parse_enhanced(lines[0], code) if lines else None,
            raw=tuple(self._raw),
            truncated=bool(self._cut_lines) or self._cut_bytes,
        )


def parse_reply(data: bytes) -> Reply:
    """Parse exactly one complete reply from ``data``; incomplete input is a ``ProtocolError``."""
    reader = ReplyReader()
    reply = reader.feed(data)
    if reply is None:
        raise ProtocolError(f"incomplete reply: {excerpt(data)}")
    return reply


def parse_reply_text(text: str) -> list[Reply]:
    """Replies pasted by a user (say, from a bounce): one or more, line ends optional.

    A coded line after a final line (``250 x``) starts a new reply; a line without a code
    continues the reply before it, as bounce messages wrap long lines.  Raises
    ``ProtocolError`` when the text holds no reply code at all.
    """
    replies: list[Reply] = []
    code: int | None = None
    lines: list[str] = []
    raw: list[str] = []
    final = True

    def flush() -> None:
        if code is not None:
            enhanced = parse_enhanced(lines[0], code) if lines else None
            replies.append(Reply(code, tuple(lines), enhanced, tuple(raw)))

    for line in (raw_line.strip() for raw_line in text.splitlines()):
        match = _PASTED_LINE.match(line)
        if match:
            if final:
                flush()
                code, lines, raw = int(match.group(1)), [], []
            final = match.group(2) != "-"
            lines.append(match.group(3) or "")
        elif code is not None and line:
            lines.append(line)
        elif line:
            raise ProtocolError(f"no SMTP reply code found in {excerpt(line)}")
        else:
            continue
        raw.append(line)
    flush()
    if not replies:
        raise ProtocolError("no SMTP reply code found in empty input")
    return replies
