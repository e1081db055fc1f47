"""``core/health.py``'s ``judge`` over many MX hosts (which attempt is judged, what an earlier
host adds), the order and summary of reasons, and the metrics taken from the judged attempt."""

from __future__ import annotations

import pytest

from smtpdiag.core.health import Metrics, Reason, judge, metrics, primary_attempt
from smtpdiag.core.thresholds import Thresholds, build_thresholds
from smtpdiag.model import ErrorInfo, TlsInfo

from .judgekit import PLAIN, attempt, reasons, report, step

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
