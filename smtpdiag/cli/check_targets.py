"""``check``'s targets: every one validated before anything is sent, none of them kept.

A run of 100,000 targets must not hold 100,000 parsed targets (nor the file's text, nor a list
of its lines) while it probes, or its memory grows with the file.  So the file is read twice:
once, as it is opened, to parse every line (a bad one is a usage error, exit 3, before any
connection) and count them; then again as the probes take the targets, one at a time, parsed
anew (a few microseconds each, next to a probe's milliseconds).  The file stays open between
the two readings, so an editor that replaces it meanwhile changes nothing; standard input is
copied to an unnamed temporary file first, for the same reason.  A line that no longer parses
in the second reading (the same file rewritten in place) is handed on as text: the probe
reports it as that target's error, not as a crash.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import IO, Any

from ..core.targets import Target, parse_target
from ..errors import UsageError

__all__ = ["MAX_TARGETS_FILE", "Targets", "picked", "read_targets"]

MAX_TARGETS_FILE = 100_000_000  # characters: a million targets and their comments
_CHUNK = 1 << 16


class _Positional(io.RawIOBase):
    """Reads a file descriptor from its own position (``pread``): every reading of the targets,
    in this process or a forked worker, runs independently of the others on one open file."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd, self.position = fd, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = os.pread(self.fd, len(buffer), self.position)
        buffer[:len(data)] = data
        self.position += len(data)
        return len(data)


def _lines(handle: IO[str]) -> Iterator[tuple[int, str]]:
    """``(line number, target text)`` for every line that names a target.

    Lines end at LF (CR is stripped with the other whitespace), as an editor numbers them;
    splitlines() would also break at \\x1c, \\x85 or U+2028 and shift every number after.  At
    most ``MAX_TARGETS_FILE`` characters are read, in both readings alike.
    """
    left, tail, number, first = MAX_TARGETS_FILE, "", 0, True
    while left > 0:
        chunk = handle.read(min(_CHUNK, left))
        if not chunk:
            break
        left -= len(chunk)
        if first:  # utf-8-sig drops a byte-order mark; a second one (or stdin's) goes here
            chunk, first = chunk.removeprefix("\ufeff"), False
        lines = (tail + chunk).split("\n")
        tail = lines.pop()
        for line in lines:
            number += 1
            target = line.split("#", 1)[0].strip() if "#" in line else line.strip()
            if target:
                yield number, target
    number += 1
    target = tail.split("#", 1)[0].strip() if "#" in tail else tail.strip()
    if target:
        yield number, target


class _Source:
    """An open file of targets (or standard input, spooled), read afresh by each reading."""

    def __init__(self, file: IO[Any], encoding: str, newline: str | None) -> None:
        self.file, self.encoding, self.newline = file, encoding, newline

    def lines(self) -> Iterator[tuple[int, str]]:
        raw = io.BufferedReader(_Positional(self.file.fileno()), _CHUNK)
        with io.TextIOWrapper(raw, encoding=self.encoding, newline=self.newline) as text:
            yield from _lines(text)


def picked(items: Iterator[tuple[int, Any]], wanted: Iterator[int]) -> Iterator[tuple[int, Any]]:
    """The ``(index, item)`` pairs whose index is ``wanted`` (both in increasing order), each
    drawn only when the one before it has been taken."""
    for want in wanted:
        for index, item in items:
            if index == want:
                yield index, item
                break
        else:
            return


class Targets:
    """The run's targets in input order: ``len()``, and iterated (again) as often as needed.

    The command line's targets are kept (there are few); the file's are read again from its
    open handle each time, and parsed as they are taken.
    """

    def __init__(self, arguments: list[Target], source: _Source | None, in_file: int, *,
                 port: int | None, no_mx: bool) -> None:
        self.arguments = arguments
        self.source = source
        self.in_file = in_file
        self.port, self.no_mx = port, no_mx

    def __len__(self) -> int:
        return len(self.arguments) + self.in_file

    def __iter__(self) -> Iterator[Target | str]:
        yield from self.arguments
        if self.source is not None:
            for _, text in islice(self.source.lines(), self.in_file):
                yield self._parsed(text)

    def __contains__(self, item: object) -> bool:  # a Collection; not used on a hot path
        return any(target == item for target in self)

    def pick(self, wanted: Iterator[int]) -> Iterator[tuple[int, Target | str]]:
        """``(index, target)`` for each index ``wanted`` (in increasing order, drawn as they
        are needed): one worker's share, parsing only its own lines."""
        for index, target in picked(enumerate(self._texts()), wanted):
            yield index, target if isinstance(target, Target) else self._parsed(target)

    def _texts(self) -> Iterator[Target | str]:
        yield from self.arguments
        if self.source is not None:
            yield from (text for _, text in islice(self.source.lines(), self.in_file))

    def _parsed(self, text: str) -> Target | str:
        try:
            return parse_target(text, port=self.port, no_mx=self.no_mx)
        except UsageError:  # the file changed under us: the probe reports it as this target's
            return text

    def first(self) -> Target:
        return self.arguments[0] if self.arguments else next(
            t for t in self if isinstance(t, Target))

    def close(self) -> None:
        if self.source is not None:
            self.source.file.close()


def _open(targets_file: Path) -> _Source:
    try:
        if str(targets_file) == "-":
            spool = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115
            spool.write(sys.stdin.read(MAX_TARGETS_FILE))
            spool.flush()
            return _Source(spool, "utf-8", "")
        # utf-8-sig: a byte-order mark (as some editors write) is not part of line 1.
        return _Source(open(targets_file, "rb"), "utf-8-sig", None)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise UsageError(f"cannot read --targets-file {targets_file}: {reason}") from None


def read_targets(arguments: list[str], targets_file: Path | None, *, port: int | None,
                 no_mx: bool) -> Targets:
    """Targets from the command line, then the file (one a line, ``#`` comments), all parsed
    (and so checked) before anything is sent; the file's are parsed again as they are probed."""

    def parsed(target: str, line: int | None = None) -> Target:
        try:
            return parse_target(target, port=port, no_mx=no_mx)
        except UsageError as exc:  # its message names the target; a file line adds where
            if line is None:
                raise
            raise UsageError(f"{targets_file}:{line}: {exc}") from None

    found = [parsed(t) for t in arguments]
    source, count = None, 0
    if targets_file is not None:
        source = _open(targets_file)
        try:
            for number, target in source.lines():
                parsed(target, number)
                count += 1
        except (OSError, UnicodeDecodeError) as exc:
            source.file.close()
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise UsageError(f"cannot read --targets-file {targets_file}: {reason}") from None
        except BaseException:
            source.file.close()
            raise
    if not found and not count:
        if source is not None:
            source.file.close()
        raise UsageError("no targets: name them as arguments or give --targets-file")
    return Targets(found, source, count, port=port, no_mx=no_mx)

