"""Judge a probe ``Report`` as a monitoring check: a state and the reasons for it.  Pure.

States follow the monitoring-plugins convention (exit code = index in ``STATES``): OK 0,
WARNING 1, CRITICAL 2, UNKNOWN 3.  Over many results the worst wins, in the order of
monitoring-plugins' ``max_state_alt``: CRITICAL > WARNING > UNKNOWN > OK.

The rules, for the attempt that answered (or every attempt with ``all_hosts``):
- every reply is judged: 5xx is CRITICAL, 4xx is WARNING, unless an expectation for that step
  lists the code (or its class), which makes it OK; a reply an expectation does not list is
  CRITICAL, or WARNING when it is a 4xx (transient, likely to pass next time);
- a probe that could not complete (DNS, connect, TLS, timeout, protocol) is CRITICAL; one that
  could not run for a reason of ours (bad input, a bug) is UNKNOWN;
- a STARTTLS handshake that failed on port 25, after which the walk went on in plaintext as
  sending servers do, is a WARNING (mail flows, unencrypted);
- a certificate that did not verify is CRITICAL; its days left are held against
  ``cert_crit_days`` / ``cert_warn_days`` (alert when fewer days are left);
- times above ``warn`` / ``crit`` (whole session) or ``step_warn`` / ``step_crit`` (per step);
- ``require_tls``: a session that got past EHLO without TLS is CRITICAL;
- an earlier MX host that failed before a later one answered is a WARNING;
- what the probe found wrong with the MX set (an alias or an IP address as a target, a host
  listed twice, an address family that failed, an address no sender can reach) is a WARNING
  (a critical finding CRITICAL): the walk answered, but not every sender's would.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import field

from ..model import Attempt, Reply, Report, Step
from ..record import record
from .conduct import injected_after_starttls, speaks_lmtp
from .opportunistic import failed_handshake, opportunistic_walk
from .text import shorten
from .thresholds import STEP_PARTS, TIME_STEPS, Thresholds

__all__ = [
    "STATES",
    "CheckResult",
    "CheckRun",
    "Metrics",
    "Reason",
    "exit_code",
    "judge",
    "logical_step",
    "metrics",
    "primary_attempt",
    "worst",
]

STATES = ("OK", "WARNING", "CRITICAL", "UNKNOWN")
_SEVERITY = {"OK": 0, "UNKNOWN": 1, "WARNING": 2, "CRITICAL": 3}  # max_state_alt

_LOGICAL = {part: user for user, parts in STEP_PARTS.items() for part in parts}
_OURS = ("usage", "target", "error")  # error kinds that mean "could not run", not "server bad"
_SERVER_TEXT_KEPT = 160
_FINDING_STATES = {"warning": "WARNING", "critical": "CRITICAL"}  # a note changes nothing


def worst(states: Iterable[str]) -> str:
    """The worst state (CRITICAL > WARNING > UNKNOWN > OK); OK for none."""
    return max(states, key=_SEVERITY.__getitem__, default="OK")


def exit_code(state: str) -> int:
    return STATES.index(state)


@record
class Reason:
    """One thing that made a result worse than OK: its state is WARNING, CRITICAL or UNKNOWN,
    never OK (an OK result has no reasons, only its summary)."""

    state: str
    message: str
    step: str | None = None

    @property
    def shown(self) -> str:
        """``message`` as every output shows it (server text escaped); ``message`` is exact."""
        from .text import clean

        return clean(self.message)


@record
class Metrics:
    """The numbers a monitor graphs: seconds per user-named step, handshake, certificate."""

    total: float
    steps: tuple[tuple[str, float], ...] = ()
    tls_handshake: float | None = None
    cert_days: int | None = None


@record
class CheckResult:
    """One target judged: its full report, its state and why."""

    index: int
    report: Report
    state: str
    reasons: tuple[Reason, ...]
    summary: str
    known_metrics: Metrics | None = field(default=None, repr=False, compare=False)

    @property
    def shown(self) -> str:
        """``summary`` as every output shows it (server text escaped); ``summary`` is exact."""
        from .text import clean

        return clean(self.summary)

    @property
    def metrics(self) -> Metrics:
        """The report's numbers (``metrics``): as given, else worked out when first asked for
        and kept.  Most outputs never ask (a jsonl line takes the steps' times as they are),
        and a fleet of probes need not pay for them."""
        found = self.known_metrics
        if found is None:
            found = metrics(self.report)
            object.__setattr__(self, "known_metrics", found)
        return found

    @property
    def target(self) -> str:
        return self.report.target


@record
class CheckRun:
    """A whole ``smtpdiag check`` run: every result in input order, and the worst state."""

    results: tuple[CheckResult, ...]
    thresholds: Thresholds
    started_at: str = ""
    elapsed_ms: float = 0.0
    deadline_reached: bool = False
    dry_run: bool = True
    state: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", worst(r.state for r in self.results))

    def counts(self) -> dict[str, int]:
        return {s: sum(r.state == s for r in self.results) for s in STATES}


# -- judging -----------------------------------------------------------------------------------


def logical_step(step_name: str) -> str | None:
    """The user-named step (``TIME_STEPS``) a report step belongs to: ehlo-tls -> ehlo."""
    return _LOGICAL.get(step_name)


def _server_text(text: str) -> str:
    return shorten(text, _SERVER_TEXT_KEPT)


def _shown(reply: Reply) -> str:
    """The reply as a reason quotes it (built only for a reason: most replies need none)."""
    return f"{reply.code} {_server_text(reply.text)}".rstrip()


def _judge_reply(step: Step, thresholds: Thresholds, after_ehlo_refused: bool) -> Reason | None:
    reply = step.reply
    if reply is None or step.name in ("quit", "lhlo"):  # LHLO: smtpdiag's own question
        return None
    if not thresholds.expect and 200 <= reply.code < 400:  # positive, and nothing expected
        return None
    user = logical_step(step.name)
    expectation = thresholds.expectation(user) if user and thresholds.expect else None
    if expectation is not None and step.name != "helo" and not (
            user == "data" and step.name == "data" and reply.code == 354):
        if expectation.accepts(reply.code):
            return None
        state = "WARNING" if reply.klass == 4 else "CRITICAL"
        return Reason(state, f"{step.name}: expected {expectation.text}, got {_shown(reply)}",
                      step.name)
    if reply.positive:
        return None
    shown = _shown(reply)
    if step.name == "ehlo" and after_ehlo_refused:
        return Reason("WARNING", f"EHLO refused ({shown}); HELO worked, so the server offers "
                      "no ESMTP extensions (no STARTTLS, AUTH or SIZE)", "ehlo")
    kind = "temporarily refused" if reply.klass == 4 else "refused"
    return Reason("WARNING" if reply.klass == 4 else "CRITICAL",
                  f"{step.name} {kind}: {shown}", step.name)


def _missing_expectations(attempt: Attempt, thresholds: Thresholds) -> list[Reason]:
    """Expected steps that never happened in a walk that otherwise went as planned."""
    if attempt.outcome != "accepted" or not thresholds.expect:
        return []
    reasons = []
    names = {s.name for s in attempt.steps}
    for expectation in thresholds.expect:
        parts = set(STEP_PARTS[expectation.step]) - {"tls"}
        if expectation.step == "tls" and "tls" in names and attempt.tls_mode == "implicit":
            if not expectation.accepts(220):
                reasons.append(Reason("CRITICAL", f"tls: expected {expectation.text}, but "
                                      "implicit TLS has no STARTTLS reply (counts as 220)", "tls"))
        elif not parts & names:
            reasons.append(Reason("CRITICAL", f"{expectation.step}: expected "
                                  f"{expectation.text}, but the server never got that far "
                                  "(not offered?)", expectation.step))
    return reasons


def _step_seconds(attempt: Attempt) -> dict[str, float]:
    times: dict[str, float] = {}
    user_step = _LOGICAL.get
    for step in attempt.steps:
        user = user_step(step.name)
        if user is not None:
            times[user] = times.get(user, 0.0) + step.elapsed_ms / 1000
    return times


def _over(what: str, seconds: float, warn: float | None, crit: float | None,
          step: str | None) -> Reason | None:
    if crit is not None and seconds > crit:
        return Reason("CRITICAL", f"{what} took {seconds:.3f} s (critical above {crit:g} s)", step)
    if warn is not None and seconds > warn:
        return Reason("WARNING", f"{what} took {seconds:.3f} s (warning above {warn:g} s)", step)
    return None


def _judge_attempt(attempt: Attempt, thresholds: Thresholds) -> list[Reason]:
    reasons: list[Reason | None] = []
    if attempt.error is not None:
        state = "UNKNOWN" if attempt.error.kind in _OURS else "CRITICAL"
        where = attempt.error.step or "probe"
        reasons.append(Reason(state, f"{where}: {attempt.error.message}", attempt.error.step))
    # Only the replies that may say something are judged: with nothing expected, a positive
    # one never does (nor QUIT's), which in a healthy walk is every one.
    expect = thresholds.expect
    said = [step for step in attempt.steps if step.reply is not None and step.name != "quit"
            and (expect or not 200 <= step.reply.code < 400)]
    if said and speaks_lmtp(attempt):  # its HELO refusal is LMTP's: the error says it once
        said = [step for step in said if step.name != "helo"]
    if said:
        helo_ok = any(s.name == "helo" and s.reply and s.reply.code == 250
                      for s in attempt.steps)
        reasons += [_judge_reply(step, thresholds, helo_ok) for step in said]
    if expect:
        reasons += _missing_expectations(attempt, thresholds)
    if thresholds.step_warn or thresholds.step_crit:  # most checks set no per-step limit
        for step, seconds in _step_seconds(attempt).items():
            reasons.append(_over(step, seconds, *thresholds.step_limits(step), step))
    for walked in attempt.steps:  # plaintext after the 220 to STARTTLS: injected, discarded
        if walked.name == "tls" and walked.error is not None and \
                walked is failed_handshake(attempt):
            reasons.append(Reason("WARNING", f"tls: STARTTLS handshake failed, mail goes in "
                                  f"plaintext: {walked.error.message} (senders using TLS when "
                                  "offered fall back to plaintext; those enforcing MTA-STS or "
                                  "DANE do not deliver)", "tls"))
        if walked.unasked is not None and walked.name == "starttls":
            injected = injected_after_starttls(walked)
            if injected is not None:
                reasons.append(Reason("WARNING", f"starttls: {injected}", "starttls"))
    tls = attempt.tls
    if tls is not None:
        tls_failed = attempt.error is not None and attempt.error.kind == "tls"
        if tls.verify_error and opportunistic_walk(attempt):  # mail still flows
            reasons.append(Reason("WARNING", f"tls: certificate not trusted: {tls.verify_error}"
                                  " (senders using TLS when offered deliver anyway; those "
                                  "enforcing MTA-STS or DANE do not)", "tls"))
        elif tls.verify_error and not tls_failed:
            reasons.append(Reason("CRITICAL", f"tls: certificate not trusted: {tls.verify_error}"
                                  " (--insecure carried on)", "tls"))
        if tls.days_left is not None:
            days = tls.days_left
            text = (f"the certificate expired {-days} days ago" if days < 0 else
                    f"the certificate expires in {days} days")
            if days < thresholds.cert_crit_days:
                reasons.append(Reason("CRITICAL", f"tls: {text} (critical below "
                                      f"{thresholds.cert_crit_days})", "tls"))
            elif days < thresholds.cert_warn_days:
                reasons.append(Reason("WARNING", f"tls: {text} (warning below "
                                      f"{thresholds.cert_warn_days})", "tls"))
    elif thresholds.require_tls and attempt.error is None and any(
            s.name in ("ehlo", "helo") and s.reply and s.reply.positive for s in attempt.steps):
        reasons.append(Reason("CRITICAL", "no TLS: the session went on in the clear "
                              "(--require-tls)", "tls"))
    return [r for r in reasons if r is not None]


def _where(attempt: Attempt) -> str:
    address = attempt.address or "no address"
    address = f"[{address}]" if ":" in address else address
    host = "" if attempt.host == attempt.address else f"{attempt.host} "
    return f"{host}{address}:{attempt.port}"


def primary_attempt(report: Report) -> Attempt | None:
    """The attempt whose walk counts: the last host tried (the one that answered, if any)."""
    attempts = report.attempts
    if len(attempts) == 1:  # nearly every report: one host, one address
        return attempts[0]
    walked = [a for a in report.attempts if a.address is not None] or list(report.attempts)
    return walked[-1] if walked else None


def metrics(report: Report) -> Metrics:
    return _metrics(report, primary_attempt(report))


def _metrics(report: Report, attempt: Attempt | None) -> Metrics:
    if attempt is None:
        return Metrics(report.elapsed_ms / 1000)
    times = _step_seconds(attempt)
    tls = attempt.tls
    return Metrics(
        total=report.elapsed_ms / 1000,
        steps=tuple((s, times[s]) for s in TIME_STEPS if s in times),
        tls_handshake=tls.handshake_ms / 1000 if tls is not None and tls.version else None,
        cert_days=tls.days_left if tls is not None else None,
    )


def judge(report: Report, thresholds: Thresholds, *, index: int = 0,
          all_hosts: bool = False) -> CheckResult:
    """The state of one report under ``thresholds``, with every reason, worst first."""
    reasons: list[Reason] = []
    primary = primary_attempt(report)
    if report.verdict == "no-mail":
        reasons.append(Reason("CRITICAL", report.summary))
    elif report.error is not None:
        state = "UNKNOWN" if report.error.kind in _OURS else "CRITICAL"
        where = report.error.step or "probe"
        reasons.append(Reason(state, f"{where}: {report.error.message}", report.error.step))
    elif primary is None:
        reasons.append(Reason("UNKNOWN", "nothing was probed"))
    resolution = report.resolution
    if resolution is not None and resolution.findings:  # the MX set's own faults
        reasons += [Reason(_FINDING_STATES[f.severity], f"dns: {f.message}", "dns")
                    for f in resolution.findings if f.severity in _FINDING_STATES]
    later = False  # past the primary: a backup host looked up but not needed (net/hostwalk)
    for attempt in report.attempts:
        if all_hosts or attempt is primary:
            later = True
            found = _judge_attempt(attempt, thresholds)
            prefix = f"{_where(attempt)}: " if all_hosts and len(report.attempts) > 1 else ""
            reasons += [Reason(r.state, prefix + r.message, r.step) for r in found]
        elif attempt.outcome != "accepted" or _judge_attempt(attempt, Thresholds()):
            why = attempt.error.message if attempt.error else f"outcome {attempt.outcome}"
            if attempt.address is None and later:
                text = f"the backup MX host {attempt.host} has no address ({why})"
            elif attempt.address is None:  # never connected: its name, not a server, failed
                text = f"{attempt.host} was not tried ({why}); a later host was tried"
            else:
                text = f"{_where(attempt)} did not answer properly ({why}); a later host was tried"
            reasons.append(Reason("WARNING", text, None))
    if thresholds.warn is not None or thresholds.crit is not None:
        slow = _over("the session", report.elapsed_ms / 1000, thresholds.warn,
                     thresholds.crit, None)
        if slow is not None:
            reasons.append(slow)
    if not reasons:  # a healthy target, as most of a fleet is
        return CheckResult(index, report, "OK", (), _ALL_WELL_DRY if report.dry_run else _ALL_WELL)
    unique = list(dict.fromkeys(reasons))  # no reason is ever OK: none is built with it
    if len(unique) > 1:
        unique.sort(key=lambda r: -_SEVERITY[r.state])
    state = worst(r.state for r in unique)
    summary = unique[0].message + (f" (+{len(unique) - 1} more)" if len(unique) > 1 else "")
    return CheckResult(index, report, state, tuple(unique), summary)


_ALL_WELL = "every step answered as expected"
_ALL_WELL_DRY = f"{_ALL_WELL} (dry run)"
