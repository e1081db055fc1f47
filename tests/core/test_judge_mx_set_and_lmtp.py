"""``core/health.py``: what the probe found wrong with the MX set is a reason of its own, at
the finding's severity (a note changes nothing), with its exact words; a port that answered
smtpdiag's LHLO (an LMTP server) is said once, by the walk's error, not again as an SMTP
server refusing HELO, and the LHLO step itself is never judged; plaintext injected after the
220 to STARTTLS is a warning.  Pure: reports built here."""

from __future__ import annotations

import pytest

from smtpdiag.core.conduct import injected_after_starttls
from smtpdiag.core.health import Reason, judge
from smtpdiag.core.thresholds import Thresholds, build_thresholds
from smtpdiag.model import ErrorInfo, Finding, Reply, Resolution, Step

from .judgekit import PLAIN, attempt, reasons, report, step


def _with_findings(*findings: Finding, error: ErrorInfo | None = None) -> tuple[Reason, ...]:
    rep = report(attempt(*PLAIN), error=error)
    rep = rep.__class__(**{**{name: getattr(rep, name) for name in rep.__slots__},
                           "resolution": Resolution("t.test", "mx", (), findings)})
    return judge(rep, Thresholds()).reasons


@pytest.mark.parametrize(("findings", "expected"), [
    ((), ()),
    ((Finding("info", "a note"), Finding("ok", "fine")), ()),
    ((Finding("warning", "mx.t.test is an alias (CNAME)", "mx"),),
     (Reason("WARNING", "dns: mx.t.test is an alias (CNAME)", "dns"),)),
    ((Finding("critical", "no sender can reach 10.0.0.1", "mx"), Finding("info", "n"),
      Finding("warning", "listed twice")),
     (Reason("CRITICAL", "dns: no sender can reach 10.0.0.1", "dns"),
      Reason("WARNING", "dns: listed twice", "dns"))),
])
def test_the_mx_sets_findings_are_reasons_at_their_severity(
        findings: tuple[Finding, ...], expected: tuple[Reason, ...]) -> None:
    assert _with_findings(*findings) == expected


def test_the_mx_sets_findings_add_to_the_probes_error() -> None:
    error = ErrorInfo("dns", "no address for mx.t.test", "dns")
    assert _with_findings(Finding("warning", "listed twice"), error=error) == (
        Reason("CRITICAL", "dns: no address for mx.t.test", "dns"),
        Reason("WARNING", "dns: listed twice", "dns"))


LMTP_ERROR = ErrorInfo("protocol", "the port speaks LMTP, not SMTP", "helo")


def test_an_lmtp_port_is_said_once_by_its_error() -> None:
    walk = attempt(step("connect"), step("greeting"), step("ehlo", 500), step("helo", 500),
                   step("lhlo", 250), error=LMTP_ERROR, outcome="failed")
    assert reasons(report(walk, verdict="failed")) == (
        Reason("CRITICAL", "helo: the port speaks LMTP, not SMTP", "helo"),
        Reason("CRITICAL", "ehlo refused: 500 ok", "ehlo"))


def test_a_refused_lhlo_is_not_judged_and_helo_still_is() -> None:
    walk = attempt(step("connect"), step("greeting"), step("ehlo", 500), step("helo", 502),
                   step("lhlo", 500), outcome="refused")
    assert reasons(report(walk, verdict="refused")) == (
        Reason("CRITICAL", "ehlo refused: 500 ok", "ehlo"),
        Reason("CRITICAL", "helo refused: 502 ok", "helo"))
    # with an expectation, too: LHLO is smtpdiag's own question
    expect = build_thresholds(expect=["ehlo=500"])
    assert reasons(report(walk, verdict="refused"), expect) == (
        Reason("CRITICAL", "helo refused: 502 ok", "helo"),)


def test_plaintext_injected_after_starttls_is_a_warning() -> None:
    starttls = Step("starttls", "STARTTLS", Reply(220, ("go ahead",)),
                    unasked="250-injected\r\n")
    # plaintext after another step's reply is the probe's finding, not check's reason
    ehlo = Step("ehlo", "EHLO x", Reply(250, ("ok",)), unasked="250 more\r\n")
    walk = attempt(step("connect"), step("greeting"), ehlo, starttls, step("ehlo-tls"),
                   step("mail"), step("rcpt"), step("quit"))
    (reason,) = reasons(report(walk))
    assert reason == Reason("WARNING", f"starttls: {injected_after_starttls(starttls)}",
                            "starttls")
    assert reason.message.startswith("starttls: STARTTLS response injection: after its 220 to "
                                     "STARTTLS the server sent '250-injected")


def test_a_result_keeps_its_place_in_the_input() -> None:
    assert judge(report(attempt(*PLAIN)), Thresholds(), index=7).index == 7
    refused = attempt(step("connect"), step("greeting"), step("ehlo", 554), outcome="refused")
    assert judge(report(refused, verdict="refused"), Thresholds(), index=7).index == 7
