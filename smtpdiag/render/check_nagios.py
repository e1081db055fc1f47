"""``smtpdiag check --format nagios``: the monitoring-plugins output.

First line ``SMTPDIAG STATE - text | perfdata``, then one long-output line per reason.
Performance data follows the plugin guidelines, ``'label'=value[uom];warn;crit;min;max``: each
step's time in seconds, the whole session's, the TLS handshake's, and the certificate's days
left (``d``, as Icinga 2 reads it).  Time thresholds are plain upper bounds (``;1;2``: alert
above); certificate thresholds are ranges ``14:`` (alert below 14), as the guidelines' range
syntax says.  With several targets every label is prefixed with ``target/``.  Server text is
made safe (``clean``) and a ``|`` in it, which would start the performance data, becomes ``¦``.
"""

from __future__ import annotations

from ..core.health import CheckResult, CheckRun
from ..core.thresholds import Thresholds
from .check_formats import run_summary
from .doc import clean

__all__ = ["nagios_output", "perfdata"]

MAX_NAMED = 5


def _safe(text: str) -> str:
    return clean(text).replace("|", "¦")


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


def _headline(run: CheckRun) -> str:
    if len(run.results) == 1:
        return f"{run_summary(run)} ({run.results[0].metrics.total:.3f} s)"
    bad = [r for r in run.results if r.state != "OK"]
    bad.sort(key=lambda r: ("CRITICAL", "WARNING", "UNKNOWN").index(r.state))
    named = "; ".join(f"{r.state} {r.target}: {r.summary}" for r in bad[:MAX_NAMED])
    more = f"; and {len(bad) - MAX_NAMED} more" if len(bad) > MAX_NAMED else ""
    return run_summary(run) + (f" — {named}{more}" if named else "")


def nagios_output(run: CheckRun) -> str:
    many = len(run.results) > 1
    perf: list[str] = []
    for result in run.results:
        perf += perfdata(result, run.thresholds, f"{result.target}/" if many else "")
    lines = [f"SMTPDIAG {run.state} - {_safe(_headline(run))} | {' '.join(perf)}".rstrip(" |")]
    for result in run.results:
        where = f"{result.target}: " if many else ""
        if not result.reasons and many:
            lines.append(_safe(f"OK {where}{result.summary}"))
        for reason in result.reasons:
            lines.append(_safe(f"{reason.state} {where}{reason.message}"))
    return "\n".join(lines) + "\n"
