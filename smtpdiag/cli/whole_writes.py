"""Standard output that never drops part of a write, also under ``python -u``/``PYTHONUNBUFFERED``.

Unbuffered, Python's ``sys.stdout`` is a text layer straight over the raw file: each write is
one ``write(2)``, and when the system takes only part of it the rest is silently dropped
(CPython issues #85393 and #86210, open).  A write to a pipe can be short: when a signal or
the cgroup freezer interrupts it (a blocking pipe), or when the pipe is full and someone made
it non-blocking (the file description is shared with every process that holds it).
``check --format json`` lost the tail of a 13 KB target item this way, a few times in a
hundred runs on a loaded machine whose environment sets ``PYTHONUNBUFFERED=1``: the document
no longer parsed.  Buffered streams (the default) retry short writes themselves and are left
as they are.
"""

from __future__ import annotations

import io
import sys
from typing import Any

__all__ = ["WholeWrites", "whole_std_streams", "whole_writes"]

_REPLACED: list[Any] = []  # streams replaced, kept open: collected, each would close its file


class WholeWrites(io.RawIOBase):
    """A raw file whose ``write`` writes all it is given: short writes are carried on, and a
    non-blocking file that is full is waited for until it takes more."""

    def __init__(self, raw: Any) -> None:
        super().__init__()
        self.raw = raw

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        done = 0
        while done < len(view):
            written = self.raw.write(view[done:])
            if written is None:  # non-blocking and full: wait until it can take more
                import select

                select.select([], [self.raw], [])
                continue
            done += written
        return done

    def fileno(self) -> int:
        return int(self.raw.fileno())

    def isatty(self) -> bool:
        return bool(self.raw.isatty())

    def close(self) -> None:
        """Closes this layer only: the file stays the original stream's."""
        super().close()


def whole_writes(stream: Any) -> Any:
    """``stream``, or when it is a text layer straight over a raw file (unbuffered), a text
    layer like it whose writes are never cut short; the original is flushed first."""
    buffer = getattr(stream, "buffer", None)
    if not isinstance(stream, io.TextIOWrapper) or not isinstance(buffer, io.RawIOBase) \
            or isinstance(buffer, WholeWrites):
        return stream
    stream.flush()
    _REPLACED.append(stream)
    return io.TextIOWrapper(WholeWrites(buffer), encoding=stream.encoding,
                            errors=stream.errors, newline=None if sys.platform == "win32"
                            else "\n", line_buffering=stream.line_buffering,
                            write_through=True)


def whole_std_streams() -> None:
    """``sys.stdout`` and ``sys.stderr`` through ``whole_writes``: the command line's start."""
    sys.stdout = whole_writes(sys.stdout)
    sys.stderr = whole_writes(sys.stderr)
