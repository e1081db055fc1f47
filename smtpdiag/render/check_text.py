"""``smtpdiag check`` for people: a summary table, then what the table could not show.

Built as a ``Doc`` (so server text is escaped on the way in), styled on a terminal and plain
when piped.  Given a width (the terminal's, or ``COLUMNS``), the table is never wider: the
least needed columns go first (CERT, TLS, TIME), then the target and summary are cut at a word
with ``…``.  Below the table come only the reasons a row did not show in full (a cut summary,
or more than one reason), so nothing is said twice and nothing is lost.
"""

from __future__ import annotations

from ..core.health import CheckResult, CheckRun, primary_attempt
from ..core.text import duration, shorten
from .check_formats import run_summary
from .doc import Doc, Segment, clean

__all__ = ["STATE_STYLE", "check_doc", "fit_columns"]

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


def _tls_cells(result: CheckResult, run: CheckRun) -> tuple[Segment, Segment]:
    """The TLS and CERT cells, red or yellow when a reason about TLS made them so."""
    attempt = primary_attempt(result.report)
    tls = attempt.tls if attempt is not None else None
    version = (tls.version or "failed") if tls is not None else "none"
    tls_states = {r.state for r in result.reasons if r.step == "tls"}
    tls_style = ("red" if "CRITICAL" in tls_states or version == "failed" else
                 "yellow" if "WARNING" in tls_states else "")
    days = result.metrics.cert_days
    cert_style = ("" if days is None else "red" if days < run.thresholds.cert_crit_days else
                  "yellow" if days < run.thresholds.cert_warn_days else "")
    return (version, tls_style), (f"{days}d" if days is not None else "-", cert_style)


def _cells(result: CheckResult, run: CheckRun) -> list[Segment]:
    tls, cert = _tls_cells(result, run)
    return [(result.state, STATE_STYLE[result.state]), (clean(result.target), "bold"),
            (duration(result.metrics.total), ""), tls, cert, (clean(result.summary), "")]


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


def check_doc(run: CheckRun, width: int | None = None) -> Doc:
    """The table (fitted to ``width`` columns when given), the steps of a single target, and
    the reasons the rows could not show."""
    mode = "dry run" if run.dry_run else "mail sent"
    doc = Doc().add(("smtpdiag check: ", "bold"), (run.state, STATE_STYLE[run.state]),
                    f" — {run_summary(run)}",
                    (f"  ({duration(run.elapsed_ms / 1000)}, {mode})", "dim"))
    rows = [_cells(r, run) for r in run.results]
    widths = [max(len(HEADINGS[i]), *(len(row[i][0]) for row in rows)) for i in range(5)]
    widths[1] = min(widths[1], TARGET_WIDTH)
    kept, room = fit_columns(widths, width)
    heading = [(_pad((HEADINGS[i], "bold"), widths[i])[0] + GAP, "bold") for i in kept]
    doc.blank().add(*heading, ("SUMMARY", "bold"))
    cut: set[int] = set()
    for number, row in enumerate(rows):
        line = [(_pad(row[i], widths[i], right=i == 2)[0], row[i][1]) for i in kept]
        summary = row[5][0] if room is None else shorten(row[5][0], room)
        if summary != row[5][0] or (1 in kept and len(row[1][0]) > widths[1]):
            cut.add(number)
        doc.add(*(part for cell in line for part in (cell, GAP)), summary)
    if len(run.results) == 1 and run.results[0].metrics.steps:
        doc.blank().add(("steps: ", "bold"), " · ".join(
            f"{name} {duration(s)}" for name, s in run.results[0].metrics.steps))
    # One target: the heading line already says its summary in full, so a cut row needs
    # nothing below it; the reasons follow only when there are several.
    alone = len(run.results) == 1
    for number, result in enumerate(run.results):
        if not result.reasons or ((alone or number not in cut) and len(result.reasons) == 1):
            continue
        doc.blank().add((result.state, STATE_STYLE[result.state]), " ", (result.target, "bold"))
        for reason in result.reasons:
            style = PLAIN_STYLE[reason.state]
            doc.add("  ", (f"{MARK.get(reason.state, '·')} ", style), reason.message)
    return doc
