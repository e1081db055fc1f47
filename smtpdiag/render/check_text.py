"""``smtpdiag check`` for people: a summary table, then why each target is not OK.

Built as a ``Doc`` (so server text is escaped on the way in), styled on a terminal and plain
when piped.
"""

from __future__ import annotations

from ..core.health import CheckResult, CheckRun, primary_attempt
from .check_formats import run_summary
from .doc import Doc, clean

__all__ = ["STATE_STYLE", "check_doc"]

STATE_STYLE = {"OK": "bold green", "WARNING": "bold yellow", "CRITICAL": "bold red",
               "UNKNOWN": "bold magenta"}
MARK = {"WARNING": "!", "CRITICAL": "✗", "UNKNOWN": "?"}
TARGET_WIDTH = 40
HEADINGS = ("STATE", "TARGET", "TIME", "TLS", "CERT", "SUMMARY")


def _row(result: CheckResult) -> tuple[str, ...]:
    attempt = primary_attempt(result.report)
    tls = attempt.tls if attempt is not None else None
    version = (tls.version or "failed") if tls is not None else "none"
    days = result.metrics.cert_days
    target = clean(result.target)
    if len(target) > TARGET_WIDTH:
        target = target[: TARGET_WIDTH - 1] + "…"
    return (result.state, target, f"{result.metrics.total:.3f} s", version,
            f"{days}d" if days is not None else "-", result.summary)


def _steps(result: CheckResult) -> str:
    return " · ".join(f"{name} {seconds * 1000:.1f} ms" for name, seconds in result.metrics.steps)


def check_doc(run: CheckRun) -> Doc:
    mode = "dry run" if run.dry_run else "mail sent"
    doc = Doc().add(("smtpdiag check: ", "bold"), (run.state, STATE_STYLE[run.state]),
                    f" — {run_summary(run)}", (f"  ({run.elapsed_ms / 1000:.2f} s, {mode})",
                                               "dim"))
    rows = [_row(r) for r in run.results]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(HEADINGS[:-1])]
    doc.blank().add(("  ".join(h.ljust(w) for h, w in zip(HEADINGS, widths, strict=False))
                     + "  " + HEADINGS[-1], "bold"))
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        doc.add((cells[0], STATE_STYLE[row[0]]), "  " + "  ".join(cells[1:]) + "  ", row[-1])
    if len(run.results) == 1 and run.results[0].metrics.steps:
        doc.blank().add(("steps: ", "bold"), _steps(run.results[0]))
    for result in run.results:
        if not result.reasons:
            continue
        doc.blank().add((result.state, STATE_STYLE[result.state]), " ", (result.target, "bold"))
        for reason in result.reasons:
            style = STATE_STYLE[reason.state].removeprefix("bold ")
            doc.add("  ", (f"{MARK.get(reason.state, '·')} ", style), reason.message)
    return doc
