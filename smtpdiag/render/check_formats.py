"""The output formats of ``smtpdiag check``: one small interface over one immutable ``CheckRun``.

Every format is a function ``CheckRun -> str | Doc`` in ``RENDERERS`` (a ``Doc`` is written
styled on a terminal, plain otherwise); a format that can also stream, one result at a time as
the results arrive, has a function ``CheckResult -> str`` in ``STREAMERS``.  The JSON forms are
described by ``schema/check.schema.json``; each target embeds its full probe report exactly as
``probe --json`` prints it (``schema/report.schema.json``).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import IO, TYPE_CHECKING, Any

from .doc import Doc, json_text, write_doc
from .json_report import report_json

if TYPE_CHECKING:
    from ..core.health import CheckResult, CheckRun


def exit_code(state: str) -> int:
    """The monitoring exit code of a state (health.py is loaded only when a check runs)."""
    from ..core.health import exit_code as code_of

    return code_of(state)

__all__ = [
    "CHECK_SCHEMA",
    "CHECK_TARGET_SCHEMA",
    "RENDERERS",
    "STREAMERS",
    "CheckFormat",
    "render",
    "report_json",
    "run_json",
    "run_summary",
    "target_json",
    "write_rendered",
]

CHECK_SCHEMA = "smtpdiag.check/1"
CHECK_TARGET_SCHEMA = "smtpdiag.check-target/1"


class CheckFormat(StrEnum):
    text = "text"
    json = "json"
    jsonl = "jsonl"
    junit = "junit"
    nagios = "nagios"


def target_json(result: CheckResult) -> dict[str, Any]:
    """One target: its state, the reasons, the numbers, and the full probe report."""
    m = result.metrics
    return {
        "index": result.index,
        "target": result.target,
        "state": result.state,
        "exit_code": exit_code(result.state),
        "summary": result.summary,
        "reasons": [{"state": r.state, "message": r.message, "step": r.step}
                    for r in result.reasons],
        "metrics": {
            "total_s": m.total,
            "steps": dict(m.steps),
            "tls_handshake_s": m.tls_handshake,
            "cert_days": m.cert_days,
        },
        "report": report_json(result.report),
    }


def run_summary(run: CheckRun) -> str:
    if len(run.results) == 1:
        result = run.results[0]
        return f"{result.target}: {result.summary}"
    counts = run.counts()
    parts = [f"{counts[s]} {s}" for s in ("CRITICAL", "WARNING", "UNKNOWN", "OK") if counts[s]]
    extra = "; the overall deadline was reached" if run.deadline_reached else ""
    return f"{len(run.results)} targets: {', '.join(parts)}{extra}"


def run_json(run: CheckRun) -> dict[str, Any]:
    return {
        "schema": CHECK_SCHEMA,
        "version": 1,
        "state": run.state,
        "exit_code": exit_code(run.state),
        "summary": run_summary(run),
        "counts": run.counts(),
        "started_at": run.started_at,
        "elapsed_ms": run.elapsed_ms,
        "deadline_reached": run.deadline_reached,
        "dry_run": run.dry_run,
        "thresholds": run.thresholds.to_dict(),
        "targets": [target_json(r) for r in run.results],
    }


def _json(run: CheckRun) -> str:
    return json_text(run_json(run)) + "\n"


def jsonl_line(result: CheckResult) -> str:
    """One target as one line of JSON (``smtpdiag.check-target/1``), for streaming."""
    return json_text({"schema": CHECK_TARGET_SCHEMA, **target_json(result)}, indent=None) + "\n"


def _jsonl(run: CheckRun) -> str:
    return "".join(jsonl_line(r) for r in run.results)


def _text(run: CheckRun, width: int | None = None) -> Doc:
    from .check_text import check_doc

    return check_doc(run, width)


def _junit(run: CheckRun) -> str:
    from .check_junit import junit_xml

    return junit_xml(run)


def _nagios(run: CheckRun) -> str:
    from .check_nagios import nagios_output

    return nagios_output(run)


RENDERERS: dict[CheckFormat, Callable[[CheckRun], str | Doc]] = {
    CheckFormat.text: _text,
    CheckFormat.json: _json,
    CheckFormat.jsonl: _jsonl,
    CheckFormat.junit: _junit,
    CheckFormat.nagios: _nagios,
}
STREAMERS: dict[CheckFormat, Callable[[CheckResult], str]] = {
    CheckFormat.jsonl: jsonl_line,
}


def render(run: CheckRun, fmt: CheckFormat, width: int | None = None) -> str | Doc:
    """``run`` in ``fmt``; the text table is fitted to ``width`` columns when one is given."""
    return _text(run, width) if fmt is CheckFormat.text else RENDERERS[fmt](run)


def write_rendered(rendered: str | Doc, stream: IO[str], *, color: bool,
                   width: int | None = None) -> None:
    if isinstance(rendered, Doc):
        write_doc(rendered, stream, color=color, width=width)
    else:
        stream.write(rendered)
