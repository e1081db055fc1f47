"""Read the EHLO reply into ``Capabilities``: pure, tolerant of odd case and spacing."""

from __future__ import annotations

import re

from ..model import Capabilities, Reply

__all__ = ["parse_capabilities"]

_NUMBER = re.compile(r"[0-9]{1,20}")
_FLAGS = {
    "PIPELINING": "pipelining", "8BITMIME": "eightbitmime", "SMTPUTF8": "smtputf8",
    "CHUNKING": "chunking", "DSN": "dsn", "ENHANCEDSTATUSCODES": "enhancedstatuscodes",
    "STARTTLS": "starttls",
}


def parse_capabilities(reply: Reply) -> Capabilities:
    """The first line is the server's name; each further line is one extension."""
    flags: dict[str, bool] = {}
    size: int | None = None
    auth: list[str] = []
    other: list[str] = []
    for line in reply.lines[1:]:
        words = line.split()
        if not words:
            continue
        keyword = words[0].upper()
        if keyword in _FLAGS:
            flags[_FLAGS[keyword]] = True
        elif keyword == "SIZE":
            # ASCII digits only: isdigit() is true of "²", which int() refuses (a crash).
            size = int(words[1]) if len(words) > 1 and _NUMBER.fullmatch(words[1]) else 0
        elif keyword in ("AUTH", "AUTH="):
            auth += [word.upper() for word in words[1:] if word.upper() not in auth]
        elif keyword.startswith("AUTH="):
            auth += [w.upper() for w in [keyword[5:], *words[1:]] if w and w.upper() not in auth]
        else:
            other.append(line.strip())
    return Capabilities(size=size, auth=tuple(auth), other=tuple(other[:50]), **flags)
