"""``smtpdiag check`` for people: a summary table, then what the table could not show.

Built as ``Doc``s (so server text is escaped on the way in), styled on a terminal and plain
when piped.  Given a width (the terminal's, or ``COLUMNS``), the table is never wider: the
least needed columns go first (CERT, TLS, TIME), then the target and summary are cut at a word
with ``…``.  Below the table come only the reasons a row did not show in full (a cut summary,
or more than one reason), so nothing is said twice and nothing is lost.

The heading needs the run's counts and the columns their widest cell, so nothing is written
before the last target is judged.  Each result is reduced as it arrives to a ``TextRow`` (its
cells and reasons, already text), which ``check`` keeps on disk (``cli.check_spool``) while a
``TextWidths`` keeps the columns' widths; ``text_docs`` then writes the table a piece at a
time from the rows in input order, twice over them: the table, then the reasons.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from ..core.health import CheckResult, CheckRun, primary_attempt
from ..core.text import duration, shorten
from ..core.thresholds import Thresholds
from .check_totals import RunTotals, totals_summary
from .doc import Doc, Segment, clean

__all__ = ["STATE_STYLE", "TextRow", "TextWidths", "check_doc", "fit_columns", "text_docs",
           "text_row"]

STATE_STYLE = {"OK": "bold green", "WARNING": "bold yellow", "CRITICAL": "bold red",
               "UNKNOWN": "bold magenta"}
PLAIN_STYLE = {"OK": "green", "WARNING": "yellow", "CRITICAL": "red", "UNKNOWN": "magenta"}
MARK = {"WARNING": "!", "CRITICAL": "✗", "UNKNOWN": "?"}
TARGET_WIDTH = 40  # longest target shown in full
HEADINGS = ("STATE", "TARGET", "TIME", "TLS", "CERT", "SUMMARY")
DROP_ORDER = (4, 3, 2)  # CERT, then TLS, then TIME leave first when the table does not fit
MIN_SUMMARY = 30
MIN_TARGET = 12
GAP = "  "
CHUNK = 500  # rows per Doc written: the table never has to be whole in memory


class TextRow(NamedTuple):
    """One target as the table shows it: six cells, then the reasons and steps below it."""

    cells: tuple[Segment, ...]  # STATE, TARGET, TIME, TLS, CERT, SUMMARY
    target: str
    reasons: tuple[tuple[str, str], ...]  # (state, message)
    steps: tuple[tuple[str, float], ...]
    summary: str = ""  # as judged, not yet escaped (the SUMMARY cell is): the heading's text


def _tls_cells(result: CheckResult, thresholds: Thresholds) -> tuple[Segment, Segment]:
    """The TLS and CERT cells, red or yellow when a reason about TLS made them so."""
    attempt = primary_attempt(result.report)
    tls = attempt.tls if attempt is not None else None
    version = (tls.version or "failed") if tls is not None else "none"
    tls_states = {r.state for r in result.reasons if r.step == "tls"}
    tls_style = ("red" if "CRITICAL" in tls_states or version == "failed" else
                 "yellow" if "WARNING" in tls_states else "")
    days = result.metrics.cert_days
    cert_style = ("" if days is None else "red" if days < thresholds.cert_crit_days else
                  "yellow" if days < thresholds.cert_warn_days else "")
    return (version, tls_style), (f"{days}d" if days is not None else "-", cert_style)


def text_row(result: CheckResult, thresholds: Thresholds) -> TextRow:
    tls, cert = _tls_cells(result, thresholds)
    cells = ((result.state, STATE_STYLE[result.state]), (clean(result.target), "bold"),
             (duration(result.metrics.total), ""), tls, cert, (clean(result.summary), ""))
    return TextRow(cells, result.target, tuple((r.state, r.message) for r in result.reasons),
                   result.metrics.steps, result.summary)


class TextWidths:
    """The natural width of each column before SUMMARY, widened as rows arrive."""

    def __init__(self) -> None:
        self.widths = [len(heading) for heading in HEADINGS[:5]]

    def add(self, row: TextRow) -> None:
        widths = self.widths
        for i in range(5):
            size = len(row.cells[i][0])
            if size > widths[i]:
                widths[i] = size

    def natural(self) -> list[int]:
        widths = list(self.widths)
        widths[1] = min(widths[1], TARGET_WIDTH)
        return widths


def fit_columns(widths: list[int], width: int | None) -> tuple[list[int], int | None]:
    """Which of the fixed columns stay, and how wide TARGET and SUMMARY may be.

    ``widths`` are the natural widths of the columns before SUMMARY; returns the indexes kept
    (in order), with TARGET's width (index 1) possibly reduced, and the room left for SUMMARY
    (None: no limit).
    """
    kept = list(range(len(widths)))
    if width is None:
        return kept, None
    sizes = list(widths)

    def used() -> int:
        return sum(sizes[i] for i in kept) + len(GAP) * len(kept)

    for index in DROP_ORDER:
        if width - used() >= MIN_SUMMARY:
            break
        kept.remove(index)
    if width - used() < MIN_SUMMARY:
        sizes[1] = max(MIN_TARGET, sizes[1] - (MIN_SUMMARY - (width - used())))
    widths[:] = sizes
    return kept, max(1, width - used())


def _pad(segment: Segment, size: int, right: bool = False) -> Segment:
    text = shorten(segment[0], size)
    return (text.rjust(size) if right else text.ljust(size)), segment[1]


def text_docs(totals: RunTotals, rows: Iterable[TextRow], widths: list[int],
              width: int | None = None) -> Iterator[Doc]:
    """The heading, the table (fitted to ``width`` columns when given), the steps of a single
    target, and the reasons the rows could not show, a few hundred lines per ``Doc``;
    ``rows`` in input order, read twice; ``widths`` their natural widths (``TextWidths``)."""
    mode = "dry run" if totals.dry_run else "mail sent"
    doc = Doc().add(("smtpdiag check: ", "bold"), (totals.state, STATE_STYLE[totals.state]),
                    f" — {totals_summary(totals)}",
                    (f"  ({duration(totals.elapsed_ms / 1000)}, {mode})", "dim"))
    widths = list(widths)
    kept, room = fit_columns(widths, width)
    heading = [(_pad((HEADINGS[i], "bold"), widths[i])[0] + GAP, "bold") for i in kept]
    doc.blank().add(*heading, ("SUMMARY", "bold"))

    def cut(row: TextRow) -> bool:
        summary = row.cells[5][0]
        return (room is not None and shorten(summary, room) != summary) or (
            1 in kept and len(row.cells[1][0]) > widths[1])

    only: TextRow | None = None
    for number, row in enumerate(rows):
        line = [(_pad(row.cells[i], widths[i], right=i == 2)[0], row.cells[i][1]) for i in kept]
        summary = row.cells[5][0] if room is None else shorten(row.cells[5][0], room)
        doc.add_shown(*(part for cell in line for part in (cell, GAP)), summary)
        only = row if number == 0 else None
        if len(doc.lines) >= CHUNK:
            yield doc
            doc = Doc()
    if only is not None and only.steps:
        doc.blank().add(("steps: ", "bold"), " · ".join(
            f"{name} {duration(s)}" for name, s in only.steps))
    # One target: the heading line already says its summary in full, so a cut row needs
    # nothing below it; the reasons follow only when there are several.
    alone = only is not None
    for row in rows:
        if not row.reasons or ((alone or not cut(row)) and len(row.reasons) == 1):
            continue
        state = row.cells[0][0]
        doc.blank().add((state, STATE_STYLE[state]), " ", (row.target, "bold"))
        for reason_state, message in row.reasons:
            style = PLAIN_STYLE[reason_state]
            doc.add("  ", (f"{MARK.get(reason_state, '·')} ", style), message)
        if len(doc.lines) >= CHUNK:
            yield doc
            doc = Doc()
    yield doc


def check_doc(run: CheckRun, width: int | None = None) -> Doc:
    """The whole run as one ``Doc`` (see ``text_docs``)."""
    rows = [text_row(result, run.thresholds) for result in run.results]
    sizes = TextWidths()
    for row in rows:
        sizes.add(row)
    doc = Doc()
    for part in text_docs(RunTotals.of(run), rows, sizes.natural(), width):
        doc.extend(part)
    return doc
