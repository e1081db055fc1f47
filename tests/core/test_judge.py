"""``core/health.py``: states and exit codes, and every reason from a reply, an expectation or an
error, with its state, exact text and step.  TLS and times, many hosts, order and metrics:
``test_judge_*.py`` beside it.

Complements ``tests/test_health.py`` (the rules as a user meets them) with the exact wording
and the edges a mutant would move: equal to a threshold, zero, empty, out-of-order input.
"""

from __future__ import annotations

import pytest

from smtpdiag.core.health import (
    STATES,
    CheckResult,
    CheckRun,
    Metrics,
    Reason,
    exit_code,
    judge,
    logical_step,
    worst,
)
from smtpdiag.core.thresholds import Thresholds, build_thresholds
from smtpdiag.model import ErrorInfo, Step, TlsInfo

from .judgekit import PLAIN, attempt, reasons, report, step

# ------------------------------------------------------------------ states

def test_states_and_exit_codes() -> None:
    assert STATES == ("OK", "WARNING", "CRITICAL", "UNKNOWN")
    assert [exit_code(s) for s in STATES] == [0, 1, 2, 3]


@pytest.mark.parametrize(("states", "state"), [
    ([], "OK"),
    (["OK"], "OK"),
    (["OK", "UNKNOWN"], "UNKNOWN"),
    (["UNKNOWN", "WARNING"], "WARNING"),
    (["WARNING", "UNKNOWN", "OK"], "WARNING"),
    (["CRITICAL", "WARNING"], "CRITICAL"),
    (["UNKNOWN", "CRITICAL", "OK"], "CRITICAL"),
])
def test_worst(states: list[str], state: str) -> None:
    assert worst(states) == state


def _result(state: str, index: int = 0) -> CheckResult:
    return CheckResult(index, report(), state, (), "", Metrics(0.0))


def test_check_run_state_and_counts() -> None:
    run = CheckRun((_result("OK"), _result("WARNING", 1), _result("WARNING", 2),
                    _result("UNKNOWN", 3)), Thresholds())
    assert run.state == "WARNING"
    assert run.counts() == {"OK": 1, "WARNING": 2, "CRITICAL": 0, "UNKNOWN": 1}
    empty = CheckRun((), Thresholds())
    assert empty.state == "OK"
    assert (empty.started_at, empty.elapsed_ms, empty.deadline_reached, empty.dry_run) == (
        "", 0.0, False, True)
    assert _result("OK").target == "t.test"


@pytest.mark.parametrize(("name", "user"), [
    ("connect", "connect"), ("greeting", "greeting"), ("ehlo", "ehlo"), ("helo", "ehlo"),
    ("ehlo-tls", "ehlo"), ("starttls", "tls"), ("tls", "tls"), ("auth", "auth"),
    ("mail", "mail"), ("rcpt", "rcpt"), ("data", "data"), ("message", "data"), ("rset", None),
    ("quit", None), ("nope", None),
])
def test_logical_step(name: str, user: str | None) -> None:
    assert logical_step(name) == user


# ------------------------------------------------------------------ replies

@pytest.mark.parametrize(("bad", "expected"), [
    (step("greeting", 554, text="go away"), Reason("CRITICAL", "greeting refused: 554 go away",
                                                   "greeting")),
    (step("mail", 451, text="later"), Reason("WARNING", "mail temporarily refused: 451 later",
                                             "mail")),
    (step("rcpt", 550, text=""), Reason("CRITICAL", "rcpt refused: 550", "rcpt")),
    (step("rset", 421, text="bye"), Reason("WARNING", "rset temporarily refused: 421 bye",
                                           "rset")),
    (step("rcpt", 550, text="x" * 200),
     Reason("CRITICAL", "rcpt refused: 550 " + "x" * 159 + "…", "rcpt")),
    (step("rcpt", 550, text="y" * 160), Reason("CRITICAL", "rcpt refused: 550 " + "y" * 160,
                                               "rcpt")),
])
def test_a_refused_reply_is_a_reason(bad: Step, expected: Reason) -> None:
    assert reasons(report(attempt(step("greeting"), bad))) == (expected,) or \
        reasons(report(attempt(bad))) == (expected,)


def test_quit_and_positive_replies_are_not_judged() -> None:
    assert reasons(report(attempt(*PLAIN[:-1], step("quit", 500)))) == ()
    assert reasons(report(attempt(step("data", 354), step("auth", 334)))) == ()


def test_ehlo_refused_with_helo_working() -> None:
    steps = (step("greeting"), step("ehlo", 502, text="no"), step("helo"), step("mail"))
    assert reasons(report(attempt(*steps))) == (Reason(
        "WARNING", "EHLO refused (502 no); HELO worked, so the server offers no ESMTP "
        "extensions (no STARTTLS, AUTH or SIZE)", "ehlo"),)
    failed_helo = (step("greeting"), step("ehlo", 502, text="no"), step("helo", 550, text="x"))
    assert reasons(report(attempt(*failed_helo))) == (
        Reason("CRITICAL", "ehlo refused: 502 no", "ehlo"),
        Reason("CRITICAL", "helo refused: 550 x", "helo"))
    odd_helo = (step("greeting"), step("ehlo", 502, text="no"), step("helo", 251))
    assert reasons(report(attempt(*odd_helo)))[0].message == "ehlo refused: 502 no"


@pytest.mark.parametrize(("expect", "bad", "expected"), [
    (["mail=250"], step("mail", 250), None),
    (["mail=2xx"], step("mail", 251), None),
    (["rcpt=450"], step("rcpt", 450), None),
    (["rcpt=4xx"], step("rcpt", 451), None),
    (["rcpt=250"], step("rcpt", 251, text="fwd"),
     Reason("CRITICAL", "rcpt: expected 250, got 251 fwd", "rcpt")),
    (["rcpt=250,251"], step("rcpt", 450, text="later"),
     Reason("WARNING", "rcpt: expected 250,251, got 450 later", "rcpt")),
    (["rcpt=5xx"], step("rcpt", 250, text="ok"),
     Reason("CRITICAL", "rcpt: expected 5xx, got 250 ok", "rcpt")),
    (["ehlo=250"], step("ehlo-tls", 554, text="no"),
     Reason("CRITICAL", "ehlo-tls: expected 250, got 554 no", "ehlo-tls")),
    (["tls=220"], step("starttls", 454, text="later"),
     Reason("WARNING", "starttls: expected 220, got 454 later", "starttls")),
    (["data=250"], step("message", 554, text="spam"),
     Reason("CRITICAL", "message: expected 250, got 554 spam", "message")),
    (["data=250"], step("data", 354), None),  # the 354 go-ahead is not what data= judges
    (["data=250"], step("data", 554, text="no"),
     Reason("CRITICAL", "data: expected 250, got 554 no", "data")),
    (["data=354"], step("data", 354), Reason("CRITICAL", "message: expected 354, got 250 ok",
                                             "message")),
])
def test_expectations(expect: list[str], bad: Step, expected: Reason | None) -> None:
    thresholds = build_thresholds(expect=expect)
    # the walk goes far enough for every expectation here: greeting … message
    steps = (step("greeting"), step("ehlo"), step("starttls"), step("tls"), step("ehlo-tls"),
             step("auth"), step("mail"), step("rcpt"), step("data"), step("message"))
    walked = tuple(bad if s.name == bad.name else s for s in steps)
    found = reasons(report(attempt(*walked, tls=TlsInfo("starttls", "TLSv1.3", days_left=90))),
                    thresholds)
    assert found == (() if expected is None else (expected,))


def test_helo_is_not_judged_against_an_ehlo_expectation() -> None:
    steps = (step("greeting"), step("ehlo", 502, text="no"), step("helo", 250), step("mail"))
    found = reasons(report(attempt(*steps)), build_thresholds(expect=["ehlo=5xx"]))
    assert found == ()
    found = reasons(report(attempt(step("greeting"), step("ehlo", 250), step("mail"))),
                    build_thresholds(expect=["ehlo=5xx"]))
    assert found == (Reason("CRITICAL", "ehlo: expected 5xx, got 250 ok", "ehlo"),)


# ------------------------------------------------------------------ missing expectations

@pytest.mark.parametrize(("expect", "steps", "mode", "outcome", "expected"), [
    (["auth=235"], PLAIN, "starttls", "accepted", (Reason(
        "CRITICAL", "auth: expected 235, but the server never got that far (not offered?)",
        "auth"),)),
    (["tls=220"], PLAIN, "starttls", "accepted", (Reason(
        "CRITICAL", "tls: expected 220, but the server never got that far (not offered?)",
        "tls"),)),
    (["tls=220"], (step("tls"), *PLAIN[1:]), "starttls", "accepted", (Reason(
        "CRITICAL", "tls: expected 220, but the server never got that far (not offered?)",
        "tls"),)),  # a tls step alone is not STARTTLS: it did not answer 220
    (["tls=220"], (step("tls"), *PLAIN[1:]), "implicit", "accepted", ()),
    (["tls=2xx"], (step("tls"), *PLAIN[1:]), "implicit", "accepted", ()),
    (["tls=454"], (step("tls"), *PLAIN[1:]), "implicit", "accepted", (Reason(
        "CRITICAL", "tls: expected 454, but implicit TLS has no STARTTLS reply (counts as 220)",
        "tls"),)),
    (["tls=454"], PLAIN, "implicit", "accepted", (Reason(
        "CRITICAL", "tls: expected 454, but the server never got that far (not offered?)",
        "tls"),)),
    (["auth=235"], PLAIN, "starttls", "refused", ()),
    (["auth=235"], PLAIN, "starttls", "failed", ()),
    (["ehlo=250"], (step("greeting"), step("helo")), "starttls", "accepted", ()),
    (["data=250"], (*PLAIN[:5], step("data", 354)), "starttls", "accepted", ()),
    (["data=250"], PLAIN, "starttls", "accepted", (Reason(
        "CRITICAL", "data: expected 250, but the server never got that far (not offered?)",
        "data"),)),
])
def test_missing_expectations(expect: list[str], steps: tuple[Step, ...], mode: str,
                              outcome: str, expected: tuple[Reason, ...]) -> None:
    found = reasons(report(attempt(*steps, tls_mode=mode, outcome=outcome)),
                    build_thresholds(expect=expect))
    assert found == expected


# ------------------------------------------------------------------ errors

@pytest.mark.parametrize(("error", "expected"), [
    (ErrorInfo("connect", "refused", "connect"), Reason("CRITICAL", "connect: refused",
                                                        "connect")),
    (ErrorInfo("timeout", "slow", None), Reason("CRITICAL", "probe: slow", None)),
    (ErrorInfo("usage", "bad option", None), Reason("UNKNOWN", "probe: bad option", None)),
    (ErrorInfo("target", "bad target", "dns"), Reason("UNKNOWN", "dns: bad target", "dns")),
    (ErrorInfo("error", "a bug", None), Reason("UNKNOWN", "probe: a bug", None)),
    (ErrorInfo("protocol", "junk", "ehlo"), Reason("CRITICAL", "ehlo: junk", "ehlo")),
])
def test_attempt_errors(error: ErrorInfo, expected: Reason) -> None:
    found = reasons(report(attempt(step("greeting"), error=error, outcome="failed")))
    assert found == (expected,)


@pytest.mark.parametrize(("error", "state", "message"), [
    (ErrorInfo("dns", "NXDOMAIN", "dns"), "CRITICAL", "dns: NXDOMAIN"),
    (ErrorInfo("dns", "no answer"), "CRITICAL", "probe: no answer"),
    (ErrorInfo("usage", "bad"), "UNKNOWN", "probe: bad"),
    (ErrorInfo("target", "bad", "parse"), "UNKNOWN", "parse: bad"),
    (ErrorInfo("error", "bug"), "UNKNOWN", "probe: bug"),
])
def test_report_errors(error: ErrorInfo, state: str, message: str) -> None:
    result = judge(report(verdict="failed", error=error), Thresholds())
    assert result.reasons == (Reason(state, message, error.step),)
    assert (result.state, result.summary) == (state, message)


def test_no_mail_domain_is_critical_with_the_report_summary() -> None:
    result = judge(report(verdict="no-mail", summary="t.test accepts no mail (null MX)",
                          error=ErrorInfo("dns", "x")), Thresholds())
    assert result.reasons == (Reason("CRITICAL", "t.test accepts no mail (null MX)"),)


def test_an_empty_report_is_unknown() -> None:
    result = judge(report(), Thresholds())
    assert result.reasons == (Reason("UNKNOWN", "nothing was probed"),)
    assert (result.state, result.summary) == ("UNKNOWN", "nothing was probed")
    assert result.metrics == Metrics(0.05)
