"""Where ``check``'s results go, one writer per format, each holding as little as it can.

A writer turns each result into its format's ``piece`` where it was judged (in a ``--workers``
process, only the piece crosses to the parent), takes the pieces as they arrive, and writes the
end of the output when the run ends, or what a stopped run has when a signal stops it:

- ``jsonl``: each line as it arrives (``Lines``: whole lines, in batches); keeps nothing.
- ``junit``: each target's ``<testsuite>`` as it arrives, in input order (``InOrder``: a
  suite that finished before an earlier target waits, in memory up to ``WAITING_CHARS`` then
  on disk); keeps the test counts; a stopped run still gets the end tag, so the file parses.
- ``nagios`` and ``text``: their first line needs every result, so each result's compact
  record goes to a ``Spool`` on disk, and the output is written from it at the end (or at a
  stop, for the targets finished); memory keeps 8 bytes a target, the counts, the columns'
  widths and the five targets nagios names.
- ``json``: its head needs the whole run too, so each target's item of the document (its full
  report, already JSON text) goes to a ``Spool``, like nagios and text.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from functools import partial
from typing import IO, TYPE_CHECKING, Any

from .check_output import Lines

if TYPE_CHECKING:
    from ..core.health import CheckResult
    from ..core.thresholds import Thresholds
    from ..render.check_formats import CheckFormat
    from ..render.check_totals import RunTotals
    from .check_spool import Spool

__all__ = ["WAITING_CHARS", "InOrder", "Writer", "writer_for"]

WAITING_CHARS = 4 * 1024 * 1024  # what waits for an earlier target in memory, then on disk


class InOrder:
    """Texts handed on by index, 0, 1, 2…, whatever order they arrive in."""

    def __init__(self, size: int, emit: Callable[[str], None]) -> None:
        self.size, self.emit = size, emit
        self.next = 0
        self.waiting: dict[int, str] = {}
        self.held = 0  # characters waiting in memory
        self.spool: Spool | None = None  # and the rest, on disk

    def add(self, index: int, text: str) -> None:
        if index != self.next:
            if self.held < WAITING_CHARS:
                self.waiting[index] = text
                self.held += len(text)
            else:
                if self.spool is None:
                    from .check_spool import Spool  # pickle and tempfile: only when needed

                    self.spool = Spool(self.size)
                self.spool.add(index, text)
            return
        self.emit(text)
        self.next += 1
        while True:  # what waited for this one
            waiting = self.waiting.pop(self.next, None)
            if waiting is not None:
                self.held -= len(waiting)
            elif self.spool is not None and self.spool.has(self.next):
                waiting = self.spool.pop(self.next)
            else:
                return
            self.emit(waiting)
            self.next += 1

    def rest(self) -> Iterator[str]:
        """What still waits (for a target that never came: a stopped run), in index order."""
        for index in range(self.next, self.size):
            waiting = self.waiting.pop(index, None)
            if waiting is None and self.spool is not None and self.spool.has(index):
                waiting = self.spool.pop(index)
            if waiting is not None:
                yield waiting
        self.waiting, self.held, self.next = {}, 0, self.size

    def close(self) -> None:
        if self.spool is not None:
            self.spool.close()


class Writer:
    """The jsonl writer, and the interface of every other: ``piece``, ``add``, ``tick``,
    ``finish``, ``stop``, ``close``."""

    streams = True  # written as results arrive (so they are the progress on a terminal)
    only_joins = True  # pieces are whole lines, written as they come: ``add_lines`` takes many

    def __init__(self, stream: IO[str], piece: Callable[[CheckResult], Any], *,
                 eager: bool = False) -> None:
        self.stream = stream
        self.piece = piece
        self.lines = Lines(stream, eager=eager)
        self.first: tuple[str, str, float] | None = None

    def add(self, index: int, state: str, piece: Any) -> None:
        self.lines.add(piece)

    def add_lines(self, text: str, count: int) -> None:
        """``count`` pieces joined (``only_joins`` writers)."""
        self.lines.add(text, count)

    def tick(self) -> None:
        self.lines.tick()

    def finish(self, totals: RunTotals) -> None:
        self.lines.flush()

    def stop(self, totals: RunTotals) -> str:
        """Write what a run stopped by a signal keeps; say it (for standard error)."""
        self.lines.flush()
        return f"the {self.lines.written} lines written are complete"

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.lines.flush()


class JunitWriter(Writer):
    only_joins = False  # in input order

    def __init__(self, stream: IO[str], size: int, *, eager: bool) -> None:
        from ..render.check_junit import JUNIT_HEAD, junit_suite

        super().__init__(stream, junit_suite, eager=eager)
        self.order = InOrder(size, self._emit)
        self.tests = self.failures = self.errors = self.suites = 0
        self.lines.add(JUNIT_HEAD)

    def _emit(self, text: str) -> None:
        self.lines.add(text)
        self.suites += 1

    def add(self, index: int, state: str, piece: Any) -> None:
        text, tests, failures, errors = piece
        self.tests, self.failures = self.tests + tests, self.failures + failures
        self.errors += errors
        self.order.add(index, text)

    def finish(self, totals: RunTotals) -> None:
        from ..render.check_junit import junit_tail

        for text in self.order.rest():
            self._emit(text)
        self.lines.add(junit_tail(totals, self.tests, self.failures, self.errors))
        self.lines.flush()

    def stop(self, totals: RunTotals) -> str:
        self.finish(totals)
        return f"the {self.suites} targets finished are written, and the document is closed"

    def close(self) -> None:
        super().close()
        self.order.close()


class SpoolWriter(Writer, ABC):
    """nagios and text: records on disk until the end."""

    streams = False
    only_joins = False

    def __init__(self, stream: IO[str], piece: Callable[[CheckResult], Any], size: int) -> None:
        super().__init__(stream, piece)
        from .check_spool import Spool  # pickle and tempfile: not for jsonl

        self.spool = Spool(size)

    def add(self, index: int, state: str, piece: Any) -> None:
        if self.first is None:
            self.first = self.summary_of(piece)
        self.spool.add(index, piece)

    @abstractmethod
    def summary_of(self, piece: Any) -> tuple[str, str, float]:
        """The first line's (state, target, seconds) from a record, for a stopped run."""

    @abstractmethod
    def write(self, totals: RunTotals) -> None:
        """The whole output, from the records on disk, at the end."""

    def finish(self, totals: RunTotals) -> None:
        totals.first = self.first
        self.write(totals)
        self.stream.flush()

    def stop(self, totals: RunTotals) -> str:
        self.finish(totals)
        return f"the {len(self.spool)} targets finished are written"

    def close(self) -> None:
        self.spool.close()


class NagiosWriter(SpoolWriter):
    def __init__(self, stream: IO[str], size: int, thresholds: Thresholds) -> None:
        from ..render.check_nagios import NagiosHead, nagios_record

        super().__init__(stream, partial(nagios_record, thresholds=thresholds, many=size > 1),
                         size)
        self.head = NagiosHead()

    def add(self, index: int, state: str, piece: Any) -> None:
        super().add(index, state, piece)
        self.head.add(piece)

    def summary_of(self, piece: Any) -> tuple[str, str, float]:
        return piece.target, piece.summary, piece.total

    def write(self, totals: RunTotals) -> None:
        from ..render.check_nagios import write_nagios

        write_nagios(totals, self.head, self.spool, self.stream)


class TextWriter(SpoolWriter):
    def __init__(self, stream: IO[str], size: int, thresholds: Thresholds, *, color: bool,
                 fit: int | None, wrap: int | None) -> None:
        from ..render.check_text import TextWidths, text_row

        super().__init__(stream, partial(text_row, thresholds=thresholds), size)
        self.widths = TextWidths()
        self.color, self.fit, self.wrap = color, fit, wrap

    def add(self, index: int, state: str, piece: Any) -> None:
        super().add(index, state, piece)
        self.widths.add(piece)

    def summary_of(self, piece: Any) -> tuple[str, str, float]:
        return piece.target, piece.summary, 0.0  # escaped once, with the heading

    def write(self, totals: RunTotals) -> None:
        from ..render.check_text import text_docs
        from ..render.doc import write_doc

        for doc in text_docs(totals, self.spool, self.widths.natural(), self.fit):
            write_doc(doc, self.stream, color=self.color, width=self.wrap)


class JsonWriter(SpoolWriter):
    """One document whose head needs the whole run: each target's item, already text, on
    disk until the end (full reports: several KiB a target, on disk, not in memory)."""

    def __init__(self, stream: IO[str], size: int, thresholds: Thresholds) -> None:
        from ..render.check_formats import json_piece

        super().__init__(stream, json_piece, size)
        self.thresholds = thresholds

    def summary_of(self, piece: Any) -> tuple[str, str, float]:
        return piece[0], piece[1], piece[2]

    def write(self, totals: RunTotals) -> None:
        from ..render.check_formats import write_json

        write_json(totals, self.thresholds, (piece[3] for piece in self.spool), self.stream)


def writer_for(fmt: CheckFormat, stream: IO[str], *, size: int, thresholds: Thresholds,
               full: bool, watched: bool, color: bool = False, fit: int | None = None,
               wrap: int | None = None) -> Writer:
    """The writer of ``fmt``; ``watched``: a person watches ``stream`` (write each piece at
    once); ``color``, ``fit`` and ``wrap`` are the text table's styling and widths."""
    from ..render.check_formats import CheckFormat, jsonl_full_line, jsonl_line

    if fmt is CheckFormat.jsonl:
        return Writer(stream, jsonl_full_line if full else jsonl_line, eager=watched)
    if fmt is CheckFormat.junit:
        return JunitWriter(stream, size, eager=watched)
    if fmt is CheckFormat.nagios:
        return NagiosWriter(stream, size, thresholds)
    if fmt is CheckFormat.text:
        return TextWriter(stream, size, thresholds, color=color, fit=fit, wrap=wrap)
    return JsonWriter(stream, size, thresholds)
