"""``core/health.py``'s ``judge`` on TLS (its grade, certificate days, --require-tls) and on
times (the session's and each step's against warning and critical thresholds): exact texts
and the edges, a value equal to its threshold."""

from __future__ import annotations

import pytest

from smtpdiag.core.health import Reason
from smtpdiag.core.thresholds import Thresholds, build_thresholds
from smtpdiag.model import ErrorInfo, Step, TlsInfo

from .judgekit import PLAIN, attempt, reasons, report, step

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
