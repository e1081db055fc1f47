"""``smtpdiag check --format nagios``: the monitoring-plugins output.

First line ``SMTPDIAG STATE - text | perfdata``, then one long-output line per reason.
Performance data follows the plugin guidelines, ``'label'=value[uom];warn;crit;min;max``: each
step's time in seconds, the whole session's, the TLS handshake's, and the certificate's days
left (``d``, as Icinga 2 reads it).  Time thresholds are plain upper bounds (``;1;2``: alert
above); certificate thresholds are ranges ``14:`` (alert below 14), as the guidelines' range
syntax says.  With several targets every label is prefixed with ``target/``.  Server text is
made safe (``clean``) and a ``|`` in it, which would start the performance data, becomes ``¦``.

The first line needs the whole run (its state, its counts, every target's performance data),
so nothing can be written before the last target is judged.  Each result is therefore reduced
as it arrives to a ``NagiosRecord`` (its performance data and long-output lines, already
text), which ``check`` keeps on disk (``cli.check_spool``); ``NagiosHead`` keeps, in memory,
only the counts and the few targets the first line names.  ``write_nagios`` writes the output
from the records in input order, twice over them: the performance data, then the long output.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import IO, NamedTuple

from ..core.health import CheckResult, CheckRun
from ..core.thresholds import Thresholds
from .check_totals import RunTotals, totals_summary
from .doc import clean

__all__ = ["NagiosHead", "NagiosRecord", "nagios_output", "nagios_record", "perfdata",
           "unknown_line", "write_nagios"]

MAX_NAMED = 5
_BAD = ("CRITICAL", "WARNING", "UNKNOWN")  # the order the first line names them in


def _safe(text: str) -> str:
    return clean(text).replace("|", "¦")


def unknown_line(message: str) -> str:
    """The status line of a check that could not run (a usage error, an unreadable file): a
    monitoring system shows a plugin's first line of standard output, not its errors."""
    return f"SMTPDIAG UNKNOWN - {_safe(message)}\n"


def _label(prefix: str, name: str) -> str:
    text = _safe(f"{prefix}{name}").replace("'", "").replace("=", "_")
    return f"'{text}'"


def _number(value: float | None) -> str:
    if value is None:
        return ""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def perfdata(result: CheckResult, thresholds: Thresholds, prefix: str = "") -> list[str]:
    m = result.metrics
    items = [f"{_label(prefix, 'time')}={_number(m.total)}s;{_number(thresholds.warn)};"
             f"{_number(thresholds.crit)};0"]
    for step, seconds in m.steps:
        warn, crit = thresholds.step_limits(step)
        items.append(f"{_label(prefix, step)}={_number(seconds)}s;{_number(warn)};"
                     f"{_number(crit)};0")
    if m.tls_handshake is not None:
        items.append(f"{_label(prefix, 'tls_handshake')}={_number(m.tls_handshake)}s;;;0")
    if m.cert_days is not None:
        # Days have no unit of measure in the plugin guidelines (s, %, B, c only): a bare number.
        items.append(f"{_label(prefix, 'cert_days')}={m.cert_days};"
                     f"{thresholds.cert_warn_days}:;{thresholds.cert_crit_days}:")
    return items


class NagiosRecord(NamedTuple):
    """One target as the nagios output prints it: what the first line may name, then its
    performance data and long-output lines, ready to write."""

    position: int  # the target's index in the run
    state: str
    target: str
    summary: str
    total: float  # seconds
    perf: str
    long: str  # its long-output lines, joined by newlines ("" for none)


def nagios_record(result: CheckResult, thresholds: Thresholds, many: bool) -> NagiosRecord:
    """``result`` reduced to its part of the output; ``many``: the run has several targets."""
    where = f"{result.target}: " if many else ""
    lines = [_safe(f"{reason.state} {where}{reason.message}") for reason in result.reasons]
    if not result.reasons and many:
        lines.append(_safe(f"OK {where}{result.summary}"))
    perf = perfdata(result, thresholds, f"{result.target}/" if many else "")
    return NagiosRecord(result.index, result.state, result.target, result.summary,
                        result.metrics.total, " ".join(perf), "\n".join(lines))


class NagiosHead:
    """The few targets the first line names: the first ``MAX_NAMED`` in input order of each
    state worse than OK (records may arrive in any order)."""

    def __init__(self) -> None:
        self.named: dict[str, list[tuple[int, str, str]]] = {state: [] for state in _BAD}

    def add(self, record: NagiosRecord) -> None:
        named = self.named.get(record.state)
        if named is None:
            return
        if len(named) < MAX_NAMED or record.position < named[-1][0]:
            bisect.insort(named, (record.position, record.target, record.summary))
            del named[MAX_NAMED:]

    def headline(self, totals: RunTotals) -> str:
        if totals.done == 1 and totals.first is not None:
            return f"{totals_summary(totals)} ({totals.first[2]:.3f} s)"
        bad = sum(totals.counts[state] for state in _BAD)
        first = [(state, target, summary) for state in _BAD
                 for _, target, summary in self.named[state]][:MAX_NAMED]
        named = "; ".join(f"{state} {target}: {summary}" for state, target, summary in first)
        more = f"; and {bad - MAX_NAMED} more" if bad > MAX_NAMED else ""
        return totals_summary(totals) + (f" — {named}{more}" if named else "")


def write_nagios(totals: RunTotals, head: NagiosHead, records: Iterable[NagiosRecord],
                 stream: IO[str]) -> None:
    """The whole output; ``records`` in input order, read twice.  A run stopped early is
    UNKNOWN on its first line (the monitor sees the signal's exit code, 130 or 143)."""
    state = "UNKNOWN" if totals.stopped else totals.state
    first = f"SMTPDIAG {state} - {_safe(head.headline(totals))} | "
    separator = ""
    for record in records:
        if not separator:
            stream.write(first)
        stream.write(separator + record.perf)
        separator = " "
    if not separator:  # no target at all: no performance data
        stream.write(first.rstrip(" |"))
    for record in records:
        if record.long:
            stream.write("\n" + record.long)
    stream.write("\n")


def nagios_output(run: CheckRun) -> str:
    import io

    many = len(run.results) > 1
    records = [nagios_record(result, run.thresholds, many) for result in run.results]
    head = NagiosHead()
    for record in records:
        head.add(record)
    out = io.StringIO()
    write_nagios(RunTotals.of(run), head, records, out)
    return out.getvalue()
