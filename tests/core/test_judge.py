"""``core/health.py``: every reason's state, exact text and step; boundaries; worst-first order.

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
    metrics,
    primary_attempt,
    worst,
)
from smtpdiag.core.thresholds import Thresholds, build_thresholds
from smtpdiag.model import Attempt, ErrorInfo, Reply, Report, Step, TlsInfo

OK_CODES = {"greeting": 220, "ehlo": 250, "helo": 250, "starttls": 220, "ehlo-tls": 250,
            "auth": 235, "mail": 250, "rcpt": 250, "rset": 250, "data": 354, "message": 250,
            "quit": 221}


def step(name: str, code: int | None = None, ms: float = 1.0, text: str = "ok") -> Step:
    if name in ("connect", "tls"):
        return Step(name, elapsed_ms=ms)
    return Step(name, name.upper(), Reply(code or OK_CODES[name], (text,)), elapsed_ms=ms)


def attempt(*steps: Step, tls: TlsInfo | None = None, error: ErrorInfo | None = None,
            outcome: str = "accepted", host: str = "mx.test", address: str | None = "192.0.2.1",
            port: int = 25, tls_mode: str = "starttls") -> Attempt:
    return Attempt(host, address, port, tls_mode, steps, tls=tls, error=error, outcome=outcome)


def report(*attempts: Attempt, verdict: str = "accepted", error: ErrorInfo | None = None,
           elapsed_ms: float = 50.0, dry_run: bool = True, summary: str = "sum") -> Report:
    return Report("t.test", verdict, summary, attempts=attempts, error=error, dry_run=dry_run,
                  elapsed_ms=elapsed_ms)


PLAIN = (step("connect"), step("greeting"), step("ehlo"), step("mail"), step("rcpt"),
         step("rset"), step("quit"))


def reasons(rep: Report, thresholds: Thresholds | None = None,
            **kwargs: bool) -> tuple[Reason, ...]:
    return judge(rep, thresholds or Thresholds(), **kwargs).reasons


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


# ------------------------------------------------------------------ TLS

GOOD = TlsInfo("starttls", "TLSv1.3", days_left=90, verified=True, handshake_ms=12.0)


@pytest.mark.parametrize(("tls", "error", "thresholds", "expected"), [
    (GOOD, None, Thresholds(), ()),
    (TlsInfo("starttls", "TLSv1.3", verify_error="self-signed"), None, Thresholds(), (Reason(
        "CRITICAL", "tls: certificate not trusted: self-signed (--insecure carried on)",
        "tls"),)),
    (TlsInfo("starttls", None, verify_error="self-signed"), ErrorInfo("tls", "bad", "tls"),
     Thresholds(), (Reason("CRITICAL", "tls: bad", "tls"),)),
    (TlsInfo("starttls", "TLSv1.3", verify_error="self-signed"),
     ErrorInfo("timeout", "slow", "rcpt"), Thresholds(), (
         Reason("CRITICAL", "rcpt: slow", "rcpt"),
         Reason("CRITICAL", "tls: certificate not trusted: self-signed (--insecure carried on)",
                "tls"))),
    (TlsInfo("starttls", days_left=14), None, Thresholds(), ()),
    (TlsInfo("starttls", days_left=13), None, Thresholds(), (Reason(
        "WARNING", "tls: the certificate expires in 13 days (warning below 14)", "tls"),)),
    (TlsInfo("starttls", days_left=7), None, Thresholds(), (Reason(
        "WARNING", "tls: the certificate expires in 7 days (warning below 14)", "tls"),)),
    (TlsInfo("starttls", days_left=6), None, Thresholds(), (Reason(
        "CRITICAL", "tls: the certificate expires in 6 days (critical below 7)", "tls"),)),
    (TlsInfo("starttls", days_left=0), None, Thresholds(), (Reason(
        "CRITICAL", "tls: the certificate expires in 0 days (critical below 7)", "tls"),)),
    (TlsInfo("starttls", days_left=-3), None, Thresholds(), (Reason(
        "CRITICAL", "tls: the certificate expired 3 days ago (critical below 7)", "tls"),)),
    (TlsInfo("starttls", days_left=0), None,
     build_thresholds(cert_warn_days=0, cert_crit_days=0), ()),
    (TlsInfo("starttls", days_left=-1), None,
     build_thresholds(cert_warn_days=0, cert_crit_days=0), (Reason(
         "CRITICAL", "tls: the certificate expired 1 days ago (critical below 0)", "tls"),)),
    (TlsInfo("starttls", days_left=29), None,
     build_thresholds(cert_warn_days=30, cert_crit_days=10), (Reason(
         "WARNING", "tls: the certificate expires in 29 days (warning below 30)", "tls"),)),
])
def test_tls(tls: TlsInfo, error: ErrorInfo | None, thresholds: Thresholds,
             expected: tuple[Reason, ...]) -> None:
    outcome = "ok" if error is None else "failed"
    found = reasons(report(attempt(step("greeting"), tls=tls, error=error, outcome=outcome)),
                    thresholds)
    assert found == expected


NO_TLS = Reason("CRITICAL", "no TLS: the session went on in the clear (--require-tls)", "tls")


@pytest.mark.parametrize(("steps", "tls", "error", "expected"), [
    ((step("greeting"), step("ehlo"), step("mail")), None, None, (NO_TLS,)),
    ((step("greeting"), step("ehlo", 502), step("helo")), None, None, (
        NO_TLS, Reason("WARNING", "EHLO refused (502 ok); HELO worked, so the server offers no "
                       "ESMTP extensions (no STARTTLS, AUTH or SIZE)", "ehlo"))),
    ((step("greeting"), step("helo")), None, None, (NO_TLS,)),  # a HELO-only session
    ((step("greeting"),), None, None, ()),
    ((step("greeting"), step("ehlo", 554, text="no")), None, None, (
        Reason("CRITICAL", "ehlo refused: 554 no", "ehlo"),)),
    ((step("greeting"), step("ehlo"), step("starttls")), GOOD, None, ()),
    ((step("greeting"), step("ehlo")), None, ErrorInfo("timeout", "slow", "starttls"), (
        Reason("CRITICAL", "starttls: slow", "starttls"),)),
])
def test_require_tls(steps: tuple[Step, ...], tls: TlsInfo | None, error: ErrorInfo | None,
                     expected: tuple[Reason, ...]) -> None:
    found = reasons(report(attempt(*steps, tls=tls, error=error)),
                    build_thresholds(require_tls=True))
    assert found == expected
    if NO_TLS in expected:  # and without --require-tls the same session is fine on that count
        assert NO_TLS not in reasons(report(attempt(*steps, tls=tls, error=error)))


# ------------------------------------------------------------------ times

@pytest.mark.parametrize(("elapsed_ms", "warn", "crit", "expected"), [
    (2000.0, 2.0, None, ()),  # strictly above: equal is fine
    (2001.0, 2.0, None, (Reason("WARNING", "the session took 2.001 s (warning above 2 s)"),)),
    (5000.0, 2.0, 5.0, (Reason("WARNING", "the session took 5.000 s (warning above 2 s)"),)),
    (5000.5, 2.0, 5.0, (Reason("CRITICAL", "the session took 5.000 s (critical above 5 s)"),)),
    (5001.0, None, 5.0, (Reason("CRITICAL", "the session took 5.001 s (critical above 5 s)"),)),
    (3000.0, 3.0, 3.0, ()),  # --warn equal to --crit
    (3001.0, 3.0, 3.0, (Reason("CRITICAL", "the session took 3.001 s (critical above 3 s)"),)),
    (1500.0, 0.25, 1.5, (Reason("WARNING", "the session took 1.500 s (warning above 0.25 s)"),)),
    (9e9, None, None, ()),
])
def test_session_time(elapsed_ms: float, warn: float | None, crit: float | None,
                      expected: tuple[Reason, ...]) -> None:
    rep = report(attempt(*PLAIN), elapsed_ms=elapsed_ms)
    assert reasons(rep, build_thresholds(warn=warn, crit=crit)) == expected


@pytest.mark.parametrize(("steps", "warn_step", "crit_step", "expected"), [
    ((step("greeting", ms=1000.0),), ["greeting=1"], [], ()),
    ((step("greeting", ms=1001.0),), ["greeting=1"], [], (
        Reason("WARNING", "greeting took 1.001 s (warning above 1 s)", "greeting"),)),
    ((step("greeting", ms=3001.0),), ["greeting=1"], ["greeting=3"], (
        Reason("CRITICAL", "greeting took 3.001 s (critical above 3 s)", "greeting"),)),
    ((step("ehlo", ms=600.0), step("ehlo-tls", ms=600.0)), ["ehlo=1"], [], (
        Reason("WARNING", "ehlo took 1.200 s (warning above 1 s)", "ehlo"),)),
    ((step("starttls", ms=300.0), step("tls", ms=800.0)), [], ["tls=1"], (
        Reason("CRITICAL", "tls took 1.100 s (critical above 1 s)", "tls"),)),
    ((step("data", ms=100.0), step("message", ms=950.0)), ["data=1"], [], (
        Reason("WARNING", "data took 1.050 s (warning above 1 s)", "data"),)),
    ((step("rset", ms=5000.0), step("quit", ms=5000.0)), ["mail=1"], ["rcpt=1"], ()),
    ((step("connect", ms=2500.0), step("mail", ms=2500.0)), ["connect=2"], ["mail=2"], (
        Reason("CRITICAL", "mail took 2.500 s (critical above 2 s)", "mail"),
        Reason("WARNING", "connect took 2.500 s (warning above 2 s)", "connect"))),
])
def test_step_time(steps: tuple[Step, ...], warn_step: list[str], crit_step: list[str],
                   expected: tuple[Reason, ...]) -> None:
    thresholds = build_thresholds(warn_step=warn_step, crit_step=crit_step)
    assert reasons(report(attempt(*steps)), thresholds) == expected


# ------------------------------------------------------------------ many MX hosts

BAD_FIRST = attempt(step("greeting", 421, text="busy"), host="mx1.test", address="192.0.2.1",
                    outcome="refused")
GOOD_LATER = attempt(*PLAIN, host="mx2.test", address="2001:db8::2")


def test_primary_attempt() -> None:
    assert primary_attempt(report()) is None
    assert primary_attempt(report(BAD_FIRST, GOOD_LATER)) is GOOD_LATER
    unresolved = attempt(host="mx3.test", address=None, outcome="failed")
    assert primary_attempt(report(BAD_FIRST, GOOD_LATER, unresolved)) is GOOD_LATER
    assert primary_attempt(report(unresolved)) is unresolved
    other = attempt(host="mx4.test", address=None, outcome="failed")
    assert primary_attempt(report(unresolved, other)) is other


def test_an_earlier_bad_host_is_a_warning() -> None:
    found = reasons(report(BAD_FIRST, GOOD_LATER))
    assert found == (Reason("WARNING", "mx1.test 192.0.2.1:25 did not answer properly "
                                       "(outcome refused); a later host was tried"),)


def test_an_earlier_host_that_failed_names_its_error() -> None:
    failed = attempt(host="mx1.test", address="192.0.2.1", outcome="failed",
                     error=ErrorInfo("connect", "connection refused", "connect"))
    assert reasons(report(failed, GOOD_LATER)) == (Reason(
        "WARNING", "mx1.test 192.0.2.1:25 did not answer properly (connection refused); a "
        "later host was tried"),)


def test_an_earlier_host_never_connected_is_said_not_tried() -> None:
    null = attempt(host=".", address=None, outcome="failed", error=ErrorInfo(
        "dns", "'.' is the null MX target (RFC 7505) but the domain has other MX records too",
        "dns"))
    assert reasons(report(null, GOOD_LATER)) == (Reason(
        "WARNING", ". was not tried ('.' is the null MX target (RFC 7505) but the domain has "
        "other MX records too); a later host was tried"),)
    unresolved = attempt(host="mx9.test", address=None, outcome="failed")
    assert reasons(report(unresolved, GOOD_LATER)) == (Reason(
        "WARNING", "mx9.test was not tried (outcome failed); a later host was tried"),)


def test_a_backup_host_after_the_one_that_answered_without_an_address_is_a_warning() -> None:
    gone = attempt(host="mx9.test", address=None, outcome="failed", error=ErrorInfo(
        "dns", "mx9.test does not exist (NXDOMAIN)", "dns"))
    assert reasons(report(GOOD_LATER, gone)) == (Reason(
        "WARNING", "the backup MX host mx9.test has no address (mx9.test does not exist "
        "(NXDOMAIN))"),)


def test_an_earlier_host_with_a_bad_reply_but_ok_outcome_is_a_warning() -> None:
    odd = attempt(step("greeting"), step("mail", 451), host="192.0.2.9", address="192.0.2.9",
                  port=2525)
    assert reasons(report(odd, GOOD_LATER)) == (Reason(
        "WARNING", "192.0.2.9:2525 did not answer properly (outcome accepted); a later host was "
        "tried"),)


def test_an_earlier_good_host_is_not_a_warning() -> None:
    assert reasons(report(attempt(*PLAIN, host="mx1.test"), GOOD_LATER)) == ()


def test_all_hosts_prefixes_each_hosts_reasons() -> None:
    found = reasons(report(BAD_FIRST, GOOD_LATER), all_hosts=True)
    assert found == (Reason("WARNING", "mx1.test 192.0.2.1:25: greeting temporarily refused: "
                                       "421 busy", "greeting"),)
    later_bad = attempt(step("greeting", 554, text="no"), host="mx2.test",
                        address="2001:db8::2", outcome="refused")
    found = reasons(report(BAD_FIRST, later_bad), all_hosts=True)
    assert found == (
        Reason("CRITICAL", "mx2.test [2001:db8::2]:25: greeting refused: 554 no", "greeting"),
        Reason("WARNING", "mx1.test 192.0.2.1:25: greeting temporarily refused: 421 busy",
               "greeting"))
    unresolved = attempt(host="mx9.test", address=None, outcome="failed",
                         error=ErrorInfo("dns", "no address", "dns"))
    found = reasons(report(unresolved, GOOD_LATER), all_hosts=True)
    assert found == (Reason("CRITICAL", "mx9.test no address:25: dns: no address", "dns"),)


def test_all_hosts_with_one_host_adds_no_prefix() -> None:
    found = reasons(report(BAD_FIRST), all_hosts=True)
    assert found == (Reason("WARNING", "greeting temporarily refused: 421 busy", "greeting"),)


# ------------------------------------------------------------------ order, summary, metrics

def test_reasons_are_unique_and_worst_first_and_the_summary_counts_the_rest() -> None:
    steps = (step("greeting"), step("mail", 451, text="later"), step("rcpt", 550, text="no"),
             step("rcpt", 550, text="no"))
    result = judge(report(attempt(*steps), elapsed_ms=3000.0), build_thresholds(warn=2))
    assert result.reasons == (
        Reason("CRITICAL", "rcpt refused: 550 no", "rcpt"),
        Reason("WARNING", "mail temporarily refused: 451 later", "mail"),
        Reason("WARNING", "the session took 3.000 s (warning above 2 s)"))
    assert result.state == "CRITICAL"
    assert result.summary == "rcpt refused: 550 no (+2 more)"


def test_one_reason_is_the_whole_summary() -> None:
    result = judge(report(attempt(step("rcpt", 550, text="no"))), Thresholds())
    assert result.summary == "rcpt refused: 550 no"


def test_two_reasons_say_one_more() -> None:
    result = judge(report(attempt(step("mail", 451, text="x"), step("rcpt", 550, text="no"))),
                   Thresholds())
    assert result.summary == "rcpt refused: 550 no (+1 more)"


def test_unknown_sorts_below_warning() -> None:
    rep = report(attempt(step("mail", 451, text="x"), error=ErrorInfo("error", "bug")))
    assert [r.state for r in reasons(rep)] == ["WARNING", "UNKNOWN"]


@pytest.mark.parametrize(("dry_run", "summary"), [
    (True, "every step answered as expected (dry run)"),
    (False, "every step answered as expected"),
])
def test_ok_summary(dry_run: bool, summary: str) -> None:
    result = judge(report(attempt(*PLAIN), dry_run=dry_run), Thresholds(), index=4)
    assert (result.state, result.summary, result.index) == ("OK", summary, 4)
    assert result.report.target == "t.test"


def test_judge_index_defaults_to_zero() -> None:
    assert judge(report(attempt(*PLAIN)), Thresholds()).index == 0


def test_metrics() -> None:
    steps = (step("connect", ms=10.0), step("greeting", ms=20.0), step("ehlo", ms=5.0),
             step("starttls", ms=1.0), step("tls", ms=30.0), step("ehlo-tls", ms=5.0),
             step("rcpt", ms=2.0), step("mail", ms=3.0), step("rset", ms=99.0))
    tls = TlsInfo("starttls", "TLSv1.3", days_left=42, handshake_ms=25.0)
    found = metrics(report(attempt(*steps, tls=tls), elapsed_ms=1234.0))
    assert found == Metrics(1.234, (("connect", 0.01), ("greeting", 0.02), ("ehlo", 0.01),
                                    ("tls", 0.031), ("mail", 0.003), ("rcpt", 0.002)),
                            0.025, 42)


def test_metrics_without_tls_or_a_handshake() -> None:
    assert metrics(report(attempt(step("greeting", ms=4.0)), elapsed_ms=8.0)) == Metrics(
        0.008, (("greeting", 0.004),), None, None)
    failed = TlsInfo("starttls", None, days_left=-2, handshake_ms=3.0)
    assert metrics(report(attempt(tls=failed), elapsed_ms=8.0)) == Metrics(0.008, (), None, -2)
    assert metrics(report(elapsed_ms=0.0)) == Metrics(0.0)


def test_metrics_come_from_the_primary_attempt() -> None:
    first = attempt(step("greeting", ms=500.0), host="mx1.test", outcome="refused")
    second = attempt(step("greeting", ms=7.0), host="mx2.test")
    assert metrics(report(first, second)).steps == (("greeting", 0.007),)


@pytest.mark.parametrize(("code", "found"), [
    (199, (Reason("CRITICAL", "mail refused: 199 ok", "mail"),)), (200, ()), (399, ()),
    (400, (Reason("WARNING", "mail temporarily refused: 400 ok", "mail"),)),
])
def test_positive_is_2xx_and_3xx_with_or_without_expectations(
        code: int, found: tuple[Reason, ...]) -> None:
    rep = report(attempt(step("connect"), step("greeting"), step("mail", code)))
    assert reasons(rep) == found
    expecting = build_thresholds(expect=["greeting=220"])  # set, but not for this step
    assert reasons(rep, expecting) == found


def test_judge_s_metrics_are_the_primary_attempt_s() -> None:
    first = attempt(step("greeting", ms=500.0), host="mx1.test", outcome="refused")
    second = attempt(step("greeting", ms=7.0), step("ehlo", ms=3.0), host="mx2.test")
    rep = report(first, second, elapsed_ms=1500.0)
    found = judge(rep, Thresholds()).metrics
    assert found == metrics(rep)
    assert found.steps == (("greeting", 0.007), ("ehlo", 0.003))
