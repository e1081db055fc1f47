"""An mbox file's messages, whatever its line endings.  Pure: bytes in, bytes out."""

from __future__ import annotations

import re

__all__ = ["split_mbox"]

# An mbox separator: "From " at the start of a line, a sender and a ctime date (the weekday).
_SEPARATOR = re.compile(rb"^From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ", re.M)


def split_mbox(data: bytes) -> list[bytes]:
    """The messages of mbox-formatted bytes, each without its separator line; other data is
    one message.  Any line ending: a file saved by an old Mac mailer ends its lines with a
    bare CR, which line-based mbox readers (``mailbox.mbox``) see as one line, so one message
    with the next ones hidden inside it."""
    if not data.startswith(b"From "):
        return [data]
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    starts = [found.start() for found in _SEPARATOR.finditer(data)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    messages = []
    for start, end in zip(starts, [*starts[1:], len(data)], strict=True):
        newline = data.find(b"\n", start, end)
        messages.append(data[newline + 1:end] if newline >= 0 else b"")
    return messages
