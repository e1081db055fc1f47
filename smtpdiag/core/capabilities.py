"""Read the EHLO reply into ``Capabilities``: pure, tolerant of odd case and spacing."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..model import Capabilities, Reply

__all__ = ["parse_capabilities"]

_NUMBER = re.compile(r"[0-9]{1,20}")
_NOT_KEPT = re.compile(r"\[smtpdiag: ([0-9]+) further lines not kept\]")  # ReplyReader's note
_OTHER_KEPT = 50  # unknown extensions kept; the rest are counted (``other_more``)
_SASL_NAME = re.compile(r"[A-Z0-9_-]{1,20}")  # RFC 4422 §3.1
_OTHER_SHOWN = 200  # characters of an unknown extension line kept
_FLAGS = {
    "PIPELINING": "pipelining", "8BITMIME": "eightbitmime", "SMTPUTF8": "smtputf8",
    "CHUNKING": "chunking", "DSN": "dsn", "ENHANCEDSTATUSCODES": "enhancedstatuscodes",
    "STARTTLS": "starttls",
}


def parse_capabilities(reply: Reply, lines: Sequence[str] | None = None) -> Capabilities:
    """The first line is the server's name; each further line is one extension.

    ``lines`` are the reply's lines uncut (``ReplyReader.full_lines``) when the reader had to
    cut a long one: keywords are read from the whole line, never from a fragment at the cut.
    A keyword with a control character in it is no keyword (it lands in ``other``), and only
    valid SASL names count as AUTH mechanisms.  Lines past those the reader keeps are counted
    from its note, less the ones it still read for a keyword: they are ``other_more``, with
    the unknown extensions past the first 50.
    """
    flags: dict[str, bool] = {}
    size: int | None = None
    auth: list[str] = []
    other: list[str] = []
    said = reply.lines
    cut = _NOT_KEPT.fullmatch(said[-1]) if len(said) > 1 else None
    if cut is not None:
        said = said[:-1]
    read = lines if lines is not None else said
    # the lines past the kept ones that were read all the same (for a keyword) are in ``lines``
    unread = int(cut.group(1)) - max(0, len(read) - len(said)) if cut else 0
    for line in read[1:]:
        words = line.split()
        if not words:
            continue
        keyword = words[0].upper()
        if keyword in _FLAGS:
            flags[_FLAGS[keyword]] = True
        elif keyword == "SIZE":
            # ASCII digits only: isdigit() is true of "²", which int() refuses (a crash).
            if len(words) > 1 and _NUMBER.fullmatch(words[1]):
                size = int(words[1])
            else:  # no limit stated; one that is no number ("SIZE -5") is kept as said
                size = 0
                if len(words) > 1:
                    other.append(line.strip()[:_OTHER_SHOWN])
        elif keyword.startswith("AUTH"):  # AUTH, and the old AUTH=LOGIN form
            named = [keyword[5:]] if keyword.startswith("AUTH=") else []
            if keyword in ("AUTH", "AUTH=") or named:
                for mechanism in (word.upper() for word in [*named, *words[1:]]):
                    if _SASL_NAME.fullmatch(mechanism) and mechanism not in auth:
                        auth.append(mechanism)  # once, also when a line repeats it
            else:
                other.append(line.strip()[:_OTHER_SHOWN])
        else:
            other.append(line.strip()[:_OTHER_SHOWN])
    return Capabilities(size=size, auth=tuple(auth), other=tuple(other[:_OTHER_KEPT]),
                        other_more=max(0, len(other) - _OTHER_KEPT) + max(0, unread), **flags)
