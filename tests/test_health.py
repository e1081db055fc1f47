"""The health rules, pure: hand-built reports judged under every threshold and expectation."""

from __future__ import annotations

from dataclasses import replace

import pytest

from smtpdiag.core.health import CheckRun, exit_code, judge, metrics, worst
from smtpdiag.core.thresholds import (
    Thresholds,
    build_thresholds,
    check_reachable,
    parse_expect,
    parse_step_seconds,
)
from smtpdiag.errors import UsageError
from smtpdiag.model import Attempt, ErrorInfo, Reply, Report, Step, TlsInfo

CODES = {"greeting": 220, "ehlo": 250, "starttls": 220, "ehlo-tls": 250, "helo": 250,
         "auth": 235, "mail": 250, "rcpt": 250, "rset": 250, "data": 354, "message": 250,
         "quit": 221}
GOOD_TLS = TlsInfo(mode="starttls", version="TLSv1.3", cipher="TLS_AES_256_GCM_SHA384",
                   days_left=300, verified=True, hostname_matched=True, handshake_ms=5.0)


def step(name: str, code: int | None = None, ms: float = 1.0, text: str = "ok") -> Step:
    if name in ("connect", "tls"):
        return Step(name, elapsed_ms=ms)
    code = code if code is not None else CODES[name]
    return Step(name, name.upper(), Reply(code, (text,)), elapsed_ms=ms)


def walk(*overrides: Step, tls: bool = True, send: bool = False) -> list[Step]:
    """A healthy walk, with the named steps replaced (or added, for ones it lacks)."""
    names = ["connect", "greeting", "ehlo"]
    names += ["starttls", "tls", "ehlo-tls"] if tls else []
    names += ["mail", "rcpt"] + (["data", "message"] if send else ["rset"]) + ["quit"]
    steps = {n: step(n) for n in names}
    for override in overrides:
        steps[override.name] = override
    return list(steps.values())


def attempt(steps: list[Step], *, tls: TlsInfo | None = GOOD_TLS, error: ErrorInfo | None = None,
            outcome: str = "accepted", host: str = "mx.example.test",
            address: str | None = "192.0.2.1",
            tls_mode: str = "starttls") -> Attempt:
    return Attempt(host, address, 25, tls_mode, tuple(steps), tls=tls, error=error,
                   outcome=outcome, elapsed_ms=sum(s.elapsed_ms for s in steps))


def report(*attempts: Attempt, verdict: str = "accepted", error: ErrorInfo | None = None,
           elapsed_ms: float = 50.0) -> Report:
    return Report("mx.example.test", verdict, "summary", attempts=attempts, error=error,
                  dry_run=True, elapsed_ms=elapsed_ms)


def state_of(rep: Report, **thresholds: object) -> str:
    return judge(rep, build_thresholds(**thresholds)).state  # type: ignore[arg-type]


HEALTHY = report(attempt(walk()))


# -- replies -------------------------------------------------------------------------------


def test_a_healthy_walk_is_ok_with_no_reasons():
    result = judge(HEALTHY, Thresholds())
    assert (result.state, result.reasons) == ("OK", ())
    assert result.summary.startswith("every step answered as expected (dry run)")


@pytest.mark.parametrize("name", ["greeting", "ehlo-tls", "starttls", "mail", "rcpt", "rset"])
@pytest.mark.parametrize(("code", "state"), [(550, "CRITICAL"), (554, "CRITICAL"),
                                             (450, "WARNING"), (421, "WARNING")])
def test_every_step_reply_is_judged_5xx_critical_4xx_warning(name, code, state):
    result = judge(report(attempt(walk(step(name, code)), outcome="refused")), Thresholds())
    assert result.state == state
    assert result.reasons[0].step == name
    assert str(code) in result.reasons[0].message


@pytest.mark.parametrize(("name", "code", "state"), [
    ("data", 554, "CRITICAL"), ("message", 550, "CRITICAL"), ("message", 451, "WARNING"),
    ("auth", 535, "CRITICAL"), ("auth", 454, "WARNING")])
def test_data_and_auth_replies_are_judged_too(name, code, state):
    steps = walk(step(name, code), send=True)
    if name == "auth":
        steps.insert(6, step("auth", code))
    assert judge(report(attempt(steps)), Thresholds()).state == state


def test_a_refused_mail_from_is_never_ok():
    result = judge(report(attempt(walk(step("mail", 553, text="5.7.1 not owned")),
                                  outcome="refused")), Thresholds())
    assert result.state == "CRITICAL"
    assert result.reasons[0].message == "mail refused: 553 5.7.1 not owned"


def test_a_refused_quit_is_ignored():
    assert judge(report(attempt(walk(step("quit", 500)))), Thresholds()).state == "OK"


def test_one_refused_recipient_among_several_counts():
    steps = walk()
    steps.insert(8, step("rcpt", 550, text="no such user"))
    assert judge(report(attempt(steps)), Thresholds()).state == "CRITICAL"


def test_ehlo_refused_but_helo_working_is_a_warning():
    steps = [step("connect"), step("greeting"), step("ehlo", 502), step("helo"),
             step("mail"), step("rcpt"), step("rset"), step("quit")]
    result = judge(report(attempt(steps, tls=None)), Thresholds())
    assert result.state == "WARNING"
    assert "HELO worked" in result.reasons[0].message


# -- expectations --------------------------------------------------------------------------


@pytest.mark.parametrize(("expect", "name", "code", "state"), [
    ("rcpt=4xx", "rcpt", 450, "OK"),
    ("rcpt=550", "rcpt", 550, "OK"),
    ("rcpt=250,550", "rcpt", 550, "OK"),
    ("rcpt=2xx", "rcpt", 550, "CRITICAL"),
    ("rcpt=250", "rcpt", 450, "WARNING"),
    ("mail=250", "mail", 251, "CRITICAL"),
    ("greeting=220", "greeting", 220, "OK"),
    ("greeting=220", "greeting", 554, "CRITICAL"),
    ("ehlo=250", "ehlo-tls", 550, "CRITICAL"),
    ("tls=220", "starttls", 220, "OK"),
    ("tls=220", "starttls", 454, "WARNING"),
    ("mail=5xx", "mail", 553, "OK"),
])
def test_expectations_decide_what_is_ok(expect, name, code, state):
    rep = report(attempt(walk(step(name, code))))
    result = judge(rep, build_thresholds(expect=[expect]))
    assert result.state == state, result.reasons
    if state != "OK":
        assert "expected" in result.reasons[0].message


def test_data_expectation_judges_the_end_of_data_reply_not_the_354():
    assert state_of(report(attempt(walk(send=True))), expect=["data=250"]) == "OK"
    bad = report(attempt(walk(step("message", 554), send=True)))
    assert state_of(bad, expect=["data=250"]) == "CRITICAL"


def test_an_expected_step_that_never_happened_is_critical():
    no_tls = report(attempt(walk(tls=False), tls=None))
    result = judge(no_tls, build_thresholds(expect=["tls=220"]))
    assert result.state == "CRITICAL"
    assert "never got that far" in result.reasons[0].message


def test_implicit_tls_counts_as_220_for_a_tls_expectation():
    steps = [s for s in walk() if s.name not in ("starttls", "ehlo-tls")]
    rep = report(attempt(steps, tls_mode="implicit"))
    assert state_of(rep, expect=["tls=220"]) == "OK"
    assert state_of(rep, expect=["tls=5xx"]) == "CRITICAL"


# -- failures ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["dns", "connect", "tls", "timeout", "protocol"])
def test_a_probe_that_could_not_complete_is_critical(kind):
    error = ErrorInfo(kind, "it went wrong", "connect")
    failed = report(attempt([Step("connect", error=error)], tls=None, error=error,
                            outcome="failed"), verdict="failed")
    assert judge(failed, Thresholds()).state == "CRITICAL"
    no_attempt = report(verdict="failed", error=error)
    assert judge(no_attempt, Thresholds()).state == "CRITICAL"


@pytest.mark.parametrize("kind", ["usage", "target", "error"])
def test_a_check_that_could_not_run_is_unknown(kind):
    assert judge(report(verdict="failed", error=ErrorInfo(kind, "ours", None)),
                 Thresholds()).state == "UNKNOWN"


def test_a_null_mx_domain_is_critical():
    assert judge(report(verdict="no-mail"), Thresholds()).state == "CRITICAL"


def test_tls_verification_failures_are_critical_where_tls_is_required():
    bad = replace(GOOD_TLS, verified=False, verify_error="self-signed certificate")
    error = ErrorInfo("tls", "certificate verification failed: self-signed", "tls")
    stopped = report(attempt([*walk()[:4], Step("tls", error=error)], tls=bad, error=error,
                             outcome="failed"), verdict="failed")
    result = judge(stopped, Thresholds())
    assert result.state == "CRITICAL"
    assert len(result.reasons) == 1  # the verify error is not repeated
    carried_on = report(attempt(walk(), tls=bad, tls_mode="starttls-required"))  # --insecure
    result = judge(carried_on, Thresholds())
    assert result.state == "CRITICAL"
    assert "not trusted" in result.reasons[0].message
    opportunistic = report(attempt(walk(), tls=bad))  # port 25: as senders do, it went on
    assert judge(opportunistic, Thresholds()).state == "WARNING"


@pytest.mark.parametrize(("days", "warn", "crit", "state"), [
    (300, 14, 7, "OK"), (14, 14, 7, "OK"), (13, 14, 7, "WARNING"), (7, 14, 7, "WARNING"),
    (6, 14, 7, "CRITICAL"), (0, 14, 7, "CRITICAL"), (-3, 14, 7, "CRITICAL"),
    (10, 5, 3, "OK"), (10, 30, 11, "CRITICAL"), (0, 0, 0, "OK"),
])
def test_certificate_days_against_the_thresholds(days, warn, crit, state):
    rep = report(attempt(walk(), tls=replace(GOOD_TLS, days_left=days)))
    assert state_of(rep, cert_warn_days=warn, cert_crit_days=crit) == state


def test_require_tls():
    clear = report(attempt(walk(tls=False), tls=None))
    assert state_of(clear) == "OK"
    result = judge(clear, build_thresholds(require_tls=True))
    assert result.state == "CRITICAL"
    assert "--require-tls" in result.reasons[0].message
    assert state_of(HEALTHY, require_tls=True) == "OK"
    error = ErrorInfo("connect", "connection refused", "connect")
    refused = report(attempt([Step("connect", error=error)], tls=None, error=error,
                             outcome="failed"), verdict="failed")
    assert [r.step for r in judge(refused, build_thresholds(require_tls=True)).reasons] == [
        "connect"]


# -- times ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("elapsed", "warn", "crit", "state"), [
    (900, 1.0, 2.0, "OK"), (1000, 1.0, 2.0, "OK"), (1001, 1.0, 2.0, "WARNING"),
    (2500, 1.0, 2.0, "CRITICAL"), (2500, None, 2.0, "CRITICAL"), (2500, 1.0, None, "WARNING"),
])
def test_whole_session_time(elapsed, warn, crit, state):
    rep = replace(HEALTHY, elapsed_ms=elapsed)
    assert state_of(rep, warn=warn, crit=crit) == state


@pytest.mark.parametrize(("user_step", "report_step"), [
    ("connect", "connect"), ("greeting", "greeting"), ("ehlo", "ehlo-tls"), ("tls", "tls"),
    ("mail", "mail"), ("rcpt", "rcpt"), ("data", "message")])
def test_per_step_time(user_step, report_step):
    rep = report(attempt(walk(step(report_step, ms=600.0), send=True)))
    assert state_of(rep, warn_step=[f"{user_step}=0.5"]) == "WARNING"
    assert state_of(rep, crit_step=[f"{user_step}=0.5"]) == "CRITICAL"
    assert state_of(rep, warn_step=[f"{user_step}=0.7"], crit_step=[f"{user_step}=1"]) == "OK"
    other = next(s for s in ("greeting", "mail") if s != user_step)
    assert state_of(rep, crit_step=[f"{other}=0.5"]) == "OK"


def test_a_steps_time_adds_up_its_exchanges():
    rep = report(attempt(walk(step("ehlo", ms=300.0), step("ehlo-tls", ms=300.0))))
    assert dict(metrics(rep).steps)["ehlo"] == pytest.approx(0.6)
    assert state_of(rep, warn_step=["ehlo=0.5"]) == "WARNING"


def test_metrics():
    m = metrics(HEALTHY)
    assert m.total == pytest.approx(0.05)
    assert [name for name, _ in m.steps] == ["connect", "greeting", "ehlo", "tls", "mail",
                                             "rcpt"]
    assert (m.tls_handshake, m.cert_days) == (0.005, 300)
    assert metrics(report(verdict="failed")).steps == ()


# -- several hosts, several reasons, several targets ----------------------------------------


def test_a_failed_primary_mx_with_a_working_backup_is_a_warning():
    error = ErrorInfo("connect", "connection refused", "connect")
    first = attempt([Step("connect", error=error)], tls=None, error=error, outcome="failed",
                    host="mx1.example.test", address="192.0.2.1")
    second = attempt(walk(), host="mx2.example.test", address="192.0.2.2")
    result = judge(report(first, second), Thresholds())
    assert result.state == "WARNING"
    assert "mx1.example.test 192.0.2.1:25" in result.reasons[0].message


def test_all_hosts_judges_every_attempt_with_its_name():
    first = attempt(walk(step("rcpt", 550)), host="mx1.example.test", address="192.0.2.1")
    second = attempt(walk(), host="mx2.example.test", address="192.0.2.2")
    rep = report(first, second)
    result = judge(rep, Thresholds(), all_hosts=True)
    assert result.state == "CRITICAL"
    assert result.reasons[0].message.startswith("mx1.example.test 192.0.2.1:25: rcpt refused")


def test_reasons_are_worst_first_and_unique():
    steps = walk(step("mail", 451), step("rcpt", 550))
    steps.insert(8, step("rcpt", 550))
    result = judge(report(attempt(steps)), Thresholds())
    assert [r.state for r in result.reasons] == ["CRITICAL", "WARNING"]
    assert result.summary.endswith("(+1 more)")


@pytest.mark.parametrize(("states", "expected"), [
    ([], "OK"), (["OK", "OK"], "OK"), (["OK", "UNKNOWN"], "UNKNOWN"),
    (["UNKNOWN", "WARNING", "OK"], "WARNING"), (["WARNING", "CRITICAL", "UNKNOWN"], "CRITICAL"),
    (["CRITICAL", "OK"], "CRITICAL")])
def test_the_worst_state_wins(states, expected):
    assert worst(states) == expected
    results = tuple(replace(judge(HEALTHY, Thresholds(), index=i), state=s)
                    for i, s in enumerate(states))
    run = CheckRun(results, Thresholds())
    assert run.state == expected
    assert sum(run.counts().values()) == len(states)


def test_exit_codes_follow_monitoring_plugins():
    assert [exit_code(s) for s in ("OK", "WARNING", "CRITICAL", "UNKNOWN")] == [0, 1, 2, 3]


# -- parsing the options --------------------------------------------------------------------


def test_parse_expect():
    found = parse_expect(["rcpt=250", "MAIL = 2xx", "rcpt=4XX,551", "greeting=220"])
    assert [(e.step, e.codes, e.classes) for e in found] == [
        ("greeting", (220,), ()), ("mail", (), (2,)), ("rcpt", (250, 551), (4,))]
    assert found[2].text == "250,551,4xx"


@pytest.mark.parametrize("text", ["rcpt", "rcpt=", "=250", "quit=221", "rcpt=25", "rcpt=2500",
                                  "rcpt=650", "rcpt=199", "rcpt=2x", "rcpt=250;251", "rcpt=xx",
                                  "rcpt=250,", "rcpt=2\n50", "connect=220", "rcpt=570"])
def test_parse_expect_refuses_bad_input(text):
    with pytest.raises(UsageError, match="--expect"):
        parse_expect([text])


def test_parse_step_seconds():
    assert parse_step_seconds(["ehlo=0.5", "connect=2"], "--warn-step") == (
        ("connect", 2.0), ("ehlo", 0.5))


@pytest.mark.parametrize("text", ["ehlo", "ehlo=", "ehlo=abc", "ehlo=0", "ehlo=-1", "ehlo=nan",
                                  "ehlo=inf", "quit=1", "ehlo=1s"])
def test_parse_step_seconds_refuses_bad_input(text):
    with pytest.raises(UsageError, match="--crit-step"):
        parse_step_seconds([text], "--crit-step")


def test_a_step_given_twice_is_refused():
    with pytest.raises(UsageError, match="twice"):
        parse_step_seconds(["ehlo=1", "ehlo=2"], "--warn-step")


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"warn": 3.0, "crit": 2.0}, "--warn 3 is above --crit 2"),
    ({"warn": 0.0}, "--warn"), ({"crit": -1.0}, "--crit"),
    ({"warn_step": ["ehlo=2"], "crit_step": ["ehlo=1"]}, "--warn-step ehlo=2"),
    ({"cert_warn_days": 5, "cert_crit_days": 7}, "warning must come first"),
    ({"cert_warn_days": -1, "cert_crit_days": -2}, "0 or more"),
])
def test_build_thresholds_refuses_contradictions(kwargs, match):
    with pytest.raises(UsageError, match=match):
        build_thresholds(**kwargs)


@pytest.mark.parametrize(("thresholds", "options", "match"), [
    ({"expect": ["data=250"]}, {}, "--send"),
    ({"expect": ["auth=235"]}, {}, "--auth-user"),
    ({"expect": ["tls=220"]}, {"tls": "none"}, "never starts TLS"),
    ({"expect": ["rcpt=250"]}, {"quit_after": "mail"}, "stops after mail"),
    ({"require_tls": True}, {"tls": "none"}, "contradicts"),
    ({"require_tls": True}, {"quit_after": "ehlo"}, "before TLS"),
])
def test_check_reachable_refuses_what_the_walk_cannot_reach(thresholds, options, match):
    settings = {"dry_run": True, "quit_after": None, "auth": False, "tls": "auto", **options}
    with pytest.raises(UsageError, match=match):
        check_reachable(build_thresholds(**thresholds), **settings)


def test_check_reachable_accepts_what_the_walk_reaches():
    thresholds = build_thresholds(expect=["data=250", "auth=235", "tls=220", "rcpt=250"],
                                  require_tls=True)
    check_reachable(thresholds, dry_run=False, quit_after=None, auth=True, tls="starttls")
    check_reachable(build_thresholds(expect=["mail=250"]), dry_run=True, quit_after="mail",
                    auth=False, tls="none")
