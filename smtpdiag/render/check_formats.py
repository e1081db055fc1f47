"""The output formats of ``smtpdiag check``: one small interface over one immutable ``CheckRun``.

Every format is a function ``CheckRun -> str | Doc`` in ``RENDERERS`` (a ``Doc`` is written
styled on a terminal, plain otherwise); a format that can also stream, one result at a time as
the results arrive, has a function ``CheckResult -> str`` in ``STREAMERS``.  The JSON forms are
described by ``schema/check.schema.json``: in ``--format json`` (and ``jsonl --full``) each target
embeds its full probe report exactly as ``probe --json`` prints it (``schema/report.schema.json``);
a ``jsonl`` line is compact by default (``smtpdiag.check-line/1``: state, reasons, per-step code
and time, TLS facts), about a tenth of the size and cheap enough to write 100,000 of.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from enum import StrEnum
from functools import cache
from json.encoder import encode_basestring_ascii
from typing import IO, TYPE_CHECKING, Any

from ..core.health import STATES, exit_code, primary_attempt
from ..core.text import escape
from .check_totals import RunTotals, run_summary, totals_summary
from .doc import Doc, clean, json_text, write_doc
from .json_report import report_json

if TYPE_CHECKING:
    from ..core.health import CheckResult, CheckRun
    from ..core.thresholds import Thresholds


__all__ = [
    "CHECK_LINE_SCHEMA",
    "CHECK_SCHEMA",
    "CHECK_TARGET_SCHEMA",
    "RENDERERS",
    "STREAMERS",
    "CheckFormat",
    "head_json",
    "json_piece",
    "jsonl_full_line",
    "jsonl_line",
    "line_json",
    "render",
    "report_json",
    "run_json",
    "run_summary",
    "shows_annotations",
    "target_json",
    "write_json",
    "write_rendered",
]

CHECK_SCHEMA = "smtpdiag.check/1"
CHECK_TARGET_SCHEMA = "smtpdiag.check-target/1"
CHECK_LINE_SCHEMA = "smtpdiag.check-line/1"


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
        "summary": clean(result.summary),
        "reasons": [{"state": r.state, "message": clean(r.message), "step": r.step}
                    for r in result.reasons],
        "metrics": {
            "total_s": m.total,
            "steps": dict(m.steps),
            "tls_handshake_s": m.tls_handshake,
            "cert_days": m.cert_days,
        },
        "report": report_json(result.report),
    }


def head_json(totals: RunTotals, thresholds: Thresholds) -> dict[str, Any]:
    """The json document but its targets (the last key), from the run's counts alone."""
    return {
        "schema": CHECK_SCHEMA,
        "version": 1,
        "state": totals.state,
        "exit_code": exit_code(totals.state),
        "summary": clean(totals_summary(totals)),
        "counts": dict(totals.counts),
        "started_at": totals.started_at,
        "elapsed_ms": totals.elapsed_ms,
        "deadline_reached": totals.deadline_reached,
        "dry_run": totals.dry_run,
        "thresholds": thresholds.to_dict(),
    }


def run_json(run: CheckRun) -> dict[str, Any]:
    return {**head_json(RunTotals.of(run), run.thresholds),
            "targets": [target_json(r) for r in run.results]}


JsonPiece = tuple[str, str, float, str]  # target, summary, seconds, the item's text


def json_piece(result: CheckResult) -> JsonPiece:
    """One item of the document's ``targets`` as ``json_text`` writes it there (at depth 2),
    and what a run of one target says in its summary."""
    text = "    " + json_text(target_json(result)).replace("\n", "\n    ")
    return result.target, result.summary, result.metrics.total, text


def write_json(totals: RunTotals, thresholds: Thresholds, items: Iterable[str],
               stream: IO[str]) -> None:
    """The json document from its head and its items' texts (``json_piece``) in input order:
    ``json_text`` of the whole, character for character, without holding the reports."""
    head = json_text({**head_json(totals, thresholds), "targets": []})
    stream.write(head.removesuffix("[]\n}"))
    separator = "[\n"
    for item in items:
        stream.write(separator + item)
        separator = ",\n"
    stream.write("[]\n}\n" if separator == "[\n" else "\n  ]\n}\n")


def _json(run: CheckRun) -> str:
    return json_text(run_json(run)) + "\n"


def jsonl_full_line(result: CheckResult) -> str:
    """One target with its full report as one line (``smtpdiag.check-target/1``): ``--full``."""
    return json_text({"schema": CHECK_TARGET_SCHEMA, **target_json(result)}, indent=None) + "\n"


def _ms(value: float) -> float:
    return round(value, 3)


def line_json(result: CheckResult) -> dict[str, Any]:
    """One target, compact (``smtpdiag.check-line/1``): what a monitor or a fleet report needs.

    The attempt that counts (the host that answered, else the last one tried) gives the steps
    and TLS facts; earlier hosts appear in ``reasons`` when they failed.
    """
    report = result.report
    attempt = primary_attempt(report)
    steps: list[dict[str, Any]] = []
    tls = None
    if attempt is not None:
        for step in attempt.steps:
            item: dict[str, Any] = {"step": step.name,
                                    "code": step.reply.code if step.reply else None,
                                    "ms": _ms(step.elapsed_ms)}
            if step.error is not None:
                item["error"] = step.error.kind
            steps.append(item)
        if attempt.tls is not None:
            facts = attempt.tls
            tls = {"version": facts.version, "cipher": facts.cipher, "verified": facts.verified,
                   "verify_error": facts.verify_error, "hostname_matched": facts.hostname_matched,
                   "days_left": facts.days_left, "handshake_ms": _ms(facts.handshake_ms)}
    return {
        "schema": CHECK_LINE_SCHEMA,
        "index": result.index,
        "target": result.target,
        "state": result.state,
        "exit_code": STATES.index(result.state),
        "summary": clean(result.summary),
        "reasons": [{"state": r.state, "message": clean(r.message), "step": r.step}
                    for r in result.reasons],
        "verdict": report.verdict,
        "host": attempt.host if attempt else None,
        "address": attempt.address if attempt else None,
        "port": attempt.port if attempt else None,
        "started_at": report.started_at,
        "elapsed_ms": _ms(report.elapsed_ms),
        "steps": steps,
        "tls": tls,
    }


def jsonl_line(result: CheckResult) -> str:
    """One target as one compact line of JSON (``smtpdiag.check-line/1``), for streaming.

    ASCII only (``\\uXXXX`` escapes), so no server text can reach a terminal raw.  Written
    straight from the result, without building ``line_json``'s dict first: at fleet scale the
    dict and the generic encoder cost more than the probe's own bookkeeping.  The text is the
    one the encoder makes of ``line_json`` (compact separators), character for character; a
    test holds the two together.  It runs once a target, so nothing in it is built per line
    that could be once (``_EXIT_CODES``, ``_step_head``).
    """
    report = result.report
    attempt = primary_attempt(report)
    reasons = ",".join(
        f'{{"state":{_s(r.state)},"message":{_s(clean(r.message))},"step":{_v(r.step)}}}'
        for r in result.reasons) if result.reasons else ""
    tls = "null"
    if attempt is not None:
        steps = []
        for step in attempt.steps:
            reply, error = step.reply, step.error
            head = _step_head(step.name, None if reply is None else reply.code) \
                + _ms_v(step.elapsed_ms)
            steps.append(f"{head}}}" if error is None else f'{head},"error":{_s(error.kind)}}}')
        if attempt.tls is not None:
            f = attempt.tls
            tls = (f'{{"version":{_v(f.version)},"cipher":{_v(f.cipher)},"verified":'
                   f'{_v(f.verified)},"verify_error":{_v(f.verify_error)},"hostname_matched":'
                   f'{_v(f.hostname_matched)},"days_left":{_v(f.days_left)},"handshake_ms":'
                   f'{_ms_v(f.handshake_ms)}}}')
        host = _v(attempt.host)
        address = host if attempt.address == attempt.host else _v(attempt.address)
        port = _v(attempt.port)
        shown_steps = ",".join(steps)
    else:
        host = address = port = "null"
        shown_steps = ""
    # From the state to the verdict: the same text for most of a fleet (a healthy target's),
    # so kept once made while there is no reason in it.
    verdict = report.verdict
    middle = _MIDDLES.get((result.state, result.summary, verdict)) if not reasons else None
    if middle is None:
        middle = (f'"state":{_s(result.state)},"exit_code":{_EXIT_CODES[result.state]},'
                  f'"summary":{_s(clean(result.summary))},"reasons":[{reasons}],'
                  f'"verdict":{_s(verdict)}')
        if not reasons and len(_MIDDLES) < _MIDDLES_KEPT:
            _MIDDLES[result.state, result.summary, verdict] = middle
    return (
        f'{{"schema":"{CHECK_LINE_SCHEMA}","index":{_v(result.index)},"target":'
        f'{_s(result.target)},{middle},"host":{host},"address":{address},"port":{port},'
        f'"started_at":{_s(report.started_at)},"elapsed_ms":{_ms_v(report.elapsed_ms)},'
        f'"steps":[{shown_steps}],"tls":{tls}}}\n')


_MIDDLES: dict[tuple[str, str, str], str] = {}
_MIDDLES_KEPT = 64  # a summary without a reason is one of a few sentences, but bound it


_EXIT_CODES = {state: str(code) for code, state in enumerate(STATES)}


def _s(text: str) -> str:
    """A str as the encoder writes it (ensure_ascii), but a lone surrogate (a byte that was
    not UTF-8) as its escape in text, as ``json_text`` writes it: strict readers refuse
    ``\\udcff``.  The encoder's output shows whether there is one, so the common case costs
    one ``in``."""
    shown = encode_basestring_ascii(text)
    if "\\ud" not in shown or not re.search("[\ud800-\udfff]", text):
        return shown
    return encode_basestring_ascii(re.sub("[\ud800-\udfff]", lambda m: escape(m.group()),
                                          text))


# A step's text up to its time, by reply code and then step name: a few dozen pairs, met on
# every line ("ehlo" and 250, "rcpt" and 250...).  Two look-ups by code and by name, not one by
# a (name, code) pair, which was a tuple made, hashed and compared for every step of every line.
# Up to _HEADS_KEPT are kept (counted in _HEADS_COUNT); others are built.
_HEADS: dict[int | None, dict[str, str]] = {}
_HEADS_KEPT = 256
_HEADS_COUNT = [0]


def _step_head(name: str, code: int | None) -> str:
    if code is not None and type(code) is not int:  # True == 1: never share their entry
        return f'{{"step":{_s(name)},"code":{_v(code)},"ms":'
    named = _HEADS.get(code)
    head = None if named is None else named.get(name)
    if head is None:
        head = f'{{"step":{_s(name)},"code":{_v(code)},"ms":'
        if _HEADS_COUNT[0] < _HEADS_KEPT:
            _HEADS.setdefault(code, {})[name] = head
            _HEADS_COUNT[0] += 1
    return head


def _ms_v(value: float) -> str:
    """``_v(_ms(value))``, the same characters, at a fraction of the cost.

    ``round`` and then ``repr`` each convert the float to decimal; one fixed-point
    formatting does it once.  Below 1e9 (11 days in ms) a value with three decimals has at
    most 12 significant digits, so the float nearest it prints back as that same decimal:
    the formatted text with its trailing zeros dropped (one kept after the point).  A test
    holds the two together over every kind of float.
    """
    if type(value) is float and -1e9 < value < 1e9:
        text = f"{value:.3f}".rstrip("0")
        return text + "0" if text[-1] == "." else text
    return _v(_ms(value))


def _v(value: object) -> str:
    """One scalar of the line as ``json`` writes it (null, true, 1, 0.25, NaN, "text")."""
    kind = type(value)
    if value is None:
        return "null"
    if kind is str:
        return _s(value)  # type: ignore[arg-type]
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float and math.isfinite(value):  # type: ignore[arg-type]
        return float.__repr__(value)
    return _compact_encoder().encode(value)


@cache
def _compact_encoder() -> json.JSONEncoder:
    return json.JSONEncoder(separators=(",", ":"))  # one encoder, not one per line


def _jsonl(run: CheckRun) -> str:
    return "".join(jsonl_line(r) for r in run.results)


def jsonl_full(run: CheckRun) -> str:
    return "".join(jsonl_full_line(r) for r in run.results)


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


def shows_annotations(fmt: CheckFormat, full: bool = False) -> bool:
    """Whether ``fmt`` shows what only an annotated report has (each reply's meaning, the
    findings): the full reports of ``json`` and ``jsonl --full``.  Every other format is built
    from the judged states, reasons and numbers, so ``check`` skips annotating for it."""
    return fmt is CheckFormat.json or (full and fmt is CheckFormat.jsonl)


def render(run: CheckRun, fmt: CheckFormat, width: int | None = None) -> str | Doc:
    """``run`` in ``fmt``; the text table is fitted to ``width`` columns when one is given."""
    return _text(run, width) if fmt is CheckFormat.text else RENDERERS[fmt](run)


def write_rendered(rendered: str | Doc, stream: IO[str], *, color: bool,
                   width: int | None = None) -> None:
    if isinstance(rendered, Doc):
        write_doc(rendered, stream, color=color, width=width)
    else:
        stream.write(rendered)
