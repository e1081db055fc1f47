"""``core/findings.py``: every finding, its severity, its exact text and its step."""

from __future__ import annotations

import pytest

from smtpdiag.core.findings import (
    CERT_WARN_DAYS,
    SLOW_STEP_MS,
    attempt_findings,
    mx_findings,
    with_findings,
)
from smtpdiag.model import (
    ErrorInfo,
    Finding,
    MxHost,
    Reply,
    Resolution,
    Step,
)

from .findingkit import _attempt, _step, _tls


def test_constants() -> None:
    assert SLOW_STEP_MS == 1000.0
    assert CERT_WARN_DAYS == 14


def test_a_clean_attempt_has_no_findings() -> None:
    assert attempt_findings(_attempt(_step("greeting", 220), _step("ehlo", 250),
                                     _step("quit", 221))) == ()


def test_an_error_is_critical_at_its_step() -> None:
    found = attempt_findings(_attempt(error=ErrorInfo("connect", "refused", "connect")))
    assert found == (Finding("critical", "refused", "connect"),)


@pytest.mark.parametrize(("step", "ms", "expected"), [
    (_step("greeting", 220, ms=999.9), None, ()),
    (_step("greeting", 220, ms=1000.0), None, (
        Finding("warning", "slow: the greeting step took 1.0 s (tarpitting or an overloaded "
                "server; the step itself succeeded)", "greeting"),)),
    (_step("rcpt", 354, ms=2449.0), None, (
        Finding("warning", "slow: the rcpt step took 2.4 s (tarpitting or an overloaded "
                "server; the step itself succeeded)", "rcpt"),)),
    (_step("mail", 250, ms=1050.0), None, (
        Finding("warning", "slow: the mail step took 1.1 s (tarpitting or an overloaded "
                "server; the step itself succeeded)", "mail"),)),
    (_step("connect", None, ms=1050.0), None, (
        Finding("warning", "slow: the connect step took 1.1 s", "connect"),)),
    (_step("connect", None, ms=1500.0), None, (
        Finding("warning", "slow: the connect step took 1.5 s", "connect"),)),
    (_step("greeting", 421, text="busy", ms=3000.0), None, (
        Finding("warning", "slow: the greeting step took 3.0 s", "greeting"),
        Finding("warning", "greeting temporarily refused: 421 busy", "greeting"))),
    (_step("message", 250, ms=60_000.0), None, ()),  # the body upload may take its time
    (_step("tls", None, ms=5000.0, error=ErrorInfo("tls", "bad")), None, ()),
    # QUIT unanswered: its time is smtpdiag's wait for a reply that never came, not a slow
    # server (conduct says "QUIT got no answer"); a slow 221 is still slow
    (_step("quit", None, ms=5000.0), None, ()),
    (_step("quit", 221, ms=2000.0), None, (
        Finding("warning", "slow: the quit step took 2.0 s (tarpitting or an overloaded "
                "server; the step itself succeeded)", "quit"),)),
])
def test_slow_steps(step: Step, ms: None, expected: tuple[Finding, ...]) -> None:
    assert attempt_findings(_attempt(step)) == expected


@pytest.mark.parametrize(("step", "expected"), [
    (_step("mail", 450, "try later"),
     Finding("warning", "mail temporarily refused: 450 try later", "mail")),
    (_step("rcpt", 550, "no such user"),
     Finding("critical", "rcpt refused: 550 no such user", "rcpt")),
    (_step("greeting", 554), Finding("critical", "greeting refused: 554 x", "greeting")),
    (_step("data", 503, "y" * 400),
     Finding("critical", ("data refused: 503 " + "y" * 400)[:299] + "…", "data")),
    # an EHLO refusal no HELO followed (501 for its argument, 421) is a refusal like others
    (_step("ehlo", 501, "Syntactically invalid EHLO argument(s)"),
     Finding("critical", "ehlo refused: 501 Syntactically invalid EHLO argument(s)", "ehlo")),
    (_step("ehlo", 421), Finding("warning", "ehlo temporarily refused: 421 x", "ehlo")),
    (_step("ehlo-tls", 554), Finding("critical", "ehlo-tls refused: 554 x", "ehlo-tls")),
])
def test_refusals(step: Step, expected: Finding) -> None:
    assert attempt_findings(_attempt(step)) == (expected,)


BASIC_SMTP = Finding("warning", "EHLO was refused: the server speaks only basic SMTP (no "
                     "STARTTLS, AUTH or SIZE)", "ehlo")


@pytest.mark.parametrize(("ehlo", "helo", "expected"), [
    (502, 250, (BASIC_SMTP,)),
    (550, 250, (BASIC_SMTP,)),
    # refused again at HELO: the HELO refusal says it, once, and EHLO is not "basic SMTP"
    (550, 550, (Finding("critical", "helo refused: 550 x", "helo"),)),
    (500, 421, (Finding("warning", "helo temporarily refused: 421 x", "helo"),)),
])
def test_a_refused_ehlo_is_basic_smtp_only_when_helo_was_taken(
        ehlo: int, helo: int, expected: tuple[Finding, ...]) -> None:
    steps = (_step("ehlo", ehlo), _step("helo", helo), _step("quit", 221))
    assert attempt_findings(_attempt(*steps)) == expected


def test_an_ehlo_refusal_followed_by_another_step_than_helo_is_a_refusal() -> None:
    steps = (_step("ehlo", 501), _step("quit", 221))
    assert attempt_findings(_attempt(*steps)) == (Finding("critical", "ehlo refused: 501 x",
                                                          "ehlo"),)


def test_steps_after_a_reply_less_step_or_quit_are_judged() -> None:
    found = attempt_findings(_attempt(_step("connect", None), _step("quit", 221),
                                      _step("greeting", 554, "no")))
    assert found == (Finding("critical", "greeting refused: 554 no", "greeting"),)


def test_a_refused_quit_is_not_a_finding() -> None:
    assert attempt_findings(_attempt(_step("quit", 500), _step("quit", 221, truncated=True))) == ()


def test_a_cut_reply_is_an_info() -> None:
    assert attempt_findings(_attempt(_step("ehlo", 250, truncated=True))) == (
        Finding("info", "the ehlo reply was longer than smtpdiag keeps; the rest was counted, "
                "not stored", "ehlo"),)


def test_positive_and_intermediate_replies_are_fine() -> None:
    assert attempt_findings(_attempt(_step("data", 354), _step("auth", 334),
                                     _step("mail", 250))) == ()



def test_findings_come_in_order_error_steps_tls() -> None:
    attempt = _attempt(_step("greeting", 220, ms=1200.0), _step("mail", 451, "later"),
                       error=ErrorInfo("timeout", "rcpt timed out", "rcpt"),
                       tls=_tls(days_left=3))
    assert attempt_findings(attempt) == (
        Finding("critical", "rcpt timed out", "rcpt"),
        Finding("warning", "slow: the greeting step took 1.2 s (tarpitting or an overloaded "
                "server; the step itself succeeded)", "greeting"),
        Finding("warning", "mail temporarily refused: 451 later", "mail"),
        Finding("warning", "the certificate expires in 3 days", "tls"),
    )


def test_with_findings_sets_them_on_the_attempt() -> None:
    attempt = _attempt(_step("rcpt", 550, "no"), tls=_tls(verify_error="bad"),
                       tls_mode="starttls-required")
    judged = with_findings(attempt, insecure=True)
    assert judged.findings == attempt_findings(attempt, insecure=True)
    assert len(judged.findings) == 2
    assert with_findings(attempt).findings == (Finding("critical", "rcpt refused: 550 no",
                                                       "rcpt"),)
    assert judged.steps == attempt.steps


def test_mx_findings_word_for_word() -> None:
    resolution = Resolution("d.test", "mx", mx=(
        MxHost(20, "b.d.test"), MxHost(10, "a.d.test", "real.d.test"), MxHost(20, "c.d.test"),
        MxHost(10, "e.d.test", "other.d.test")))
    assert mx_findings(resolution) == (
        Finding("warning", "the MX host a.d.test is an alias (CNAME) of real.d.test: an MX must "
                "name a host, not an alias (RFC 2181 §10.3, RFC 5321 §5.1); some senders refuse "
                "or mishandle it", "dns"),
        Finding("warning", "the MX host e.d.test is an alias (CNAME) of other.d.test: an MX must "
                "name a host, not an alias (RFC 2181 §10.3, RFC 5321 §5.1); some senders refuse "
                "or mishandle it", "dns"),
        Finding("info", "the MX hosts b.d.test, c.d.test share preference 20: senders pick "
                "among them at random, spreading the load (RFC 5321 §5.1)", "dns"),
        Finding("info", "the MX hosts a.d.test, e.d.test share preference 10: senders pick "
                "among them at random, spreading the load (RFC 5321 §5.1)", "dns"),
    )


def test_distinct_preferences_and_no_mx_say_nothing() -> None:
    assert mx_findings(Resolution("d.test", "mx", mx=(MxHost(10, "a.d.test"),
                                                      MxHost(20, "b.d.test")))) == ()
    assert mx_findings(Resolution("d.test", "implicit-mx")) == ()


def _greeting(elapsed: float, first_line: float | None, name: str = "greeting",
              code: int | None = 220) -> Step:
    reply = None if code is None else Reply(code, ("mx.test ESMTP", "ready"), None, ())
    return Step(name, None, reply, elapsed_ms=elapsed, first_line_ms=first_line)


def _pre_greet(seconds: str) -> Finding:
    return Finding(
        "info", f"pre-greet test: the server sent its first greeting line at once, then waited "
        f"{seconds} s before the last, as Postfix's postscreen does (postscreen_greet_wait) to "
        "catch robots that talk before the greeting ends. smtpdiag waited, as a client must: "
        "not tarpitting, nothing to fix", "greeting")


def _slow(name: str, seconds: str) -> Finding:
    return Finding("warning", f"slow: the {name} step took {seconds} s (tarpitting or an "
                   "overloaded server; the step itself succeeded)", name)


@pytest.mark.parametrize(("step", "expected"), [
    # the first line at once, the last a second or more later: postscreen's pre-greet test
    (_greeting(6050.0, 10.0), (_pre_greet("6.0"),)),
    (_greeting(1010.0, 10.0), (_pre_greet("1.0"),)),  # a pause of exactly one second
    (_greeting(1009.9, 10.0), (_slow("greeting", "1.0"),)),  # just under: slow, not pre-greet
    (_greeting(3000.0, 999.9), (_pre_greet("2.0"),)),  # the first line just in time
    (_greeting(3000.0, 1000.0), (_slow("greeting", "3.0"),)),  # the first line late: slow
    (_greeting(3000.0, None), (_slow("greeting", "3.0"),)),  # no first-line time: slow
    (_greeting(500.0, 10.0), ()),
    (_greeting(100_010.0, 10.0), (_pre_greet("100.0"),)),  # seconds are thousandths exactly
    # only the greeting is timed so; another step with a first-line time is just slow
    (_greeting(3000.0, 10.0, name="ehlo", code=250), (_slow("ehlo", "3.0"),)),
    # without a reply there is no greeting to speak of: slow, as a connect is
    (_greeting(3000.0, 10.0, code=None),
     (Finding("warning", "slow: the greeting step took 3.0 s", "greeting"),)),
])
def test_a_pre_greet_pause_is_told_apart_from_a_slow_greeting(
        step: Step, expected: tuple[Finding, ...]) -> None:
    assert attempt_findings(_attempt(step)) == expected


def test_a_pre_greet_pause_goes_with_the_greeting_s_own_findings() -> None:
    step = Step("greeting", None, Reply(421, ("busy",), None, ()), elapsed_ms=2500.0,
                first_line_ms=0.0)
    assert attempt_findings(_attempt(step)) == (
        _pre_greet("2.5"), Finding("warning", "greeting temporarily refused: 421 busy",
                                   "greeting"))
