"""``core/findings.py``: the TLS findings (a refused STARTTLS, none offered, the certificate,
the version, implicit TLS found on a silent port), their severity, exact text and step."""

from __future__ import annotations

import pytest

from smtpdiag.core.findings import attempt_findings
from smtpdiag.model import Capabilities, ErrorInfo, Finding, Reply, Step, TlsInfo

from .findingkit import _attempt, _step, _tls

PLAINTEXT = ("; the session carried on without encryption, as a sending server does: mail to "
             "this server travels in plaintext. Check its TLS certificate and key configuration")


def test_a_refused_starttls_the_session_went_on_after_is_critical() -> None:
    steps = (_step("starttls", 454, "TLS not available"), _step("mail", 250), _step("quit", 221))
    assert attempt_findings(_attempt(*steps)) == (Finding(
        "critical", "STARTTLS was refused (454 TLS not available)" + PLAINTEXT, "starttls"),)


def test_a_refused_starttls_whose_words_name_another_cause_says_that_cause() -> None:
    # Postfix answers STARTTLS so when a milter deferred the session: not its certificate
    reply = Reply(454, ("4.3.0 Try again later",), "4.3.0", (), False)
    steps = (Step("starttls", None, reply, elapsed_ms=1.0), _step("mail", 451), _step("quit", 221))
    (found, _) = attempt_findings(_attempt(*steps))
    assert found.severity == "critical" and found.step == "starttls"
    assert found.message.startswith("STARTTLS was refused (454 4.3.0 Try again later); the ")
    assert found.message.endswith("travels in plaintext. Postfix: STARTTLS Deferred by a Milter. "
                                  "The receiving admin looks for 'milter' warnings in the mail "
                                  "log and brings the filter in smtpd_milters back (or sets "
                                  "milter_default_action = accept while it is down). Senders "
                                  "retry, or deliver in plaintext meanwhile."), found.message
    assert "certificate" not in found.message


def test_a_refused_starttls_with_only_generic_words_blames_the_certificate() -> None:
    # "try again later" alone names no cause: the certificate and key are the usual one
    steps = (_step("starttls", 454, "please try again later"), _step("quit", 221))
    (found,) = attempt_findings(_attempt(*steps))
    assert found.message.endswith(PLAINTEXT)


def test_the_refused_starttls_reply_is_cut_at_200_characters() -> None:
    steps = (_step("starttls", 554, "z" * 300), _step("quit", 221))
    (found,) = attempt_findings(_attempt(*steps))
    assert found == Finding("critical", ("STARTTLS was refused (554 " + "z" * 300)[:200]
                            + PLAINTEXT, "starttls")


@pytest.mark.parametrize(("steps", "options"), [
    ((_step("starttls", 454, "no"),), {}),                       # the walk ended there
    ((_step("starttls", 454, "no"), _step("quit", 221)), {"tls_mode": "starttls-required"}),
    ((_step("starttls", 454, "no"), _step("quit", 221)), {"tls": TlsInfo("starttls", "TLSv1.3")}),
])
def test_a_refused_starttls_is_an_ordinary_refusal_when_nothing_went_on_in_plaintext(
        steps: tuple[Step, ...], options: dict[str, object]) -> None:
    assert attempt_findings(_attempt(*steps, **options)) == (
        Finding("warning", "starttls temporarily refused: 454 no", "starttls"),)


def test_another_refusal_the_session_went_on_after_is_not_about_starttls() -> None:
    steps = (_step("rcpt", 550, "no"), _step("rcpt", 250), _step("quit", 221))
    assert attempt_findings(_attempt(*steps)) == (
        Finding("critical", "rcpt refused: 550 no", "rcpt"),)


NO_TLS = Finding("warning", "the server does not offer STARTTLS: mail to it travels unencrypted",
                 "ehlo")


@pytest.mark.parametrize(("mode", "tls", "caps", "expected"), [
    ("starttls", None, Capabilities(starttls=False), (NO_TLS,)),
    ("starttls", None, Capabilities(starttls=True), ()),
    ("starttls", None, None, ()),
    ("starttls", TlsInfo("starttls", "TLSv1.3"), Capabilities(starttls=False), ()),
    ("none", None, Capabilities(starttls=False), ()),
    ("starttls-required", None, Capabilities(starttls=False), ()),
])
def test_no_starttls(mode: str, tls: TlsInfo | None, caps: Capabilities | None,
                     expected: tuple[Finding, ...]) -> None:
    assert attempt_findings(_attempt(tls_mode=mode, tls=tls, capabilities=caps)) == expected



@pytest.mark.parametrize(("tls", "insecure", "expected"), [
    (_tls(), False, ()),
    (_tls(days_left=None), False, ()),
    (_tls(hostname_matched=None), False, ()),
    (_tls(verify_error="self-signed"), False, ()),
    (_tls(verify_error="self-signed"), True, (
        Finding("critical", "certificate not trusted: self-signed (--insecure carried on "
                "without verification)", "tls"),)),
    (_tls(verify_error=""), True, ()),
    (_tls(days_left=-1), False, (Finding("critical", "the certificate expired 1 days ago",
                                         "tls"),)),
    (_tls(days_left=-30), False, (Finding("critical", "the certificate expired 30 days ago",
                                          "tls"),)),
    (_tls(days_left=0), False, (Finding("warning", "the certificate expires in 0 days",
                                        "tls"),)),
    (_tls(days_left=13), False, (Finding("warning", "the certificate expires in 13 days",
                                         "tls"),)),
    (_tls(days_left=14), False, ()),
    (_tls(hostname_matched=False), False, (Finding("warning", "the certificate does not name "
                                                   "mx.test", "tls"),)),
    (_tls(version="TLSv1"), False, (Finding(
        "warning", "outdated TLS version TLSv1 (TLS 1.0, deprecated by RFC 8996)", "tls"),)),
    (_tls(version="TLSv1.1"), False, (Finding(
        "warning", "outdated TLS version TLSv1.1 (TLS 1.1, deprecated by RFC 8996)", "tls"),)),
    (_tls(version="SSLv3"), False, (Finding(
        "warning", "outdated TLS version SSLv3 (SSL 3.0, deprecated by RFC 8996)", "tls"),)),
    (_tls(version="TLSv1.2"), False, ()),
    (_tls(version=None), False, ()),
    (_tls(verify_error="expired", days_left=-2, hostname_matched=False, version="TLSv1"), True, (
        Finding("critical", "certificate not trusted: expired (--insecure carried on without "
                "verification)", "tls"),
        Finding("critical", "the certificate expired 2 days ago", "tls"),
        Finding("warning", "the certificate does not name mx.test", "tls"),
        Finding("warning", "outdated TLS version TLSv1 (TLS 1.0, deprecated by RFC 8996)", "tls"))),
])
def test_tls_findings(tls: TlsInfo, insecure: bool, expected: tuple[Finding, ...]) -> None:
    """Where TLS is required (587, --tls starttls): an untrusted certificate stops the walk
    unless --insecure carried on."""
    attempt = _attempt(tls=tls, tls_mode="starttls-required")
    assert attempt_findings(attempt, insecure=insecure) == expected


def test_insecure_defaults_to_false() -> None:
    attempt = _attempt(tls=_tls(verify_error="self-signed"), tls_mode="implicit")
    assert attempt_findings(attempt) == ()


OPPORTUNISTIC = Finding("warning", "certificate not trusted: self-signed; senders using TLS when "
                        "offered (most MTAs) deliver anyway, senders enforcing MTA-STS or DANE "
                        "refuse this host", "tls")
INSECURE = Finding("critical", "certificate not trusted: self-signed (--insecure carried on "
                   "without verification)", "tls")


@pytest.mark.parametrize(("steps", "error", "insecure", "expected"), [
    ((), None, False, (OPPORTUNISTIC,)),
    ((), None, True, (OPPORTUNISTIC,)),  # --insecure changed nothing: the walk went on anyway
    ((_step("rcpt", 250),), ErrorInfo("timeout", "x", "rcpt"), False, (OPPORTUNISTIC,)),
    ((), ErrorInfo("tls", "certificate verification failed: self-signed", "tls"), False, ()),
    ((_step("auth", 235),), None, True, (INSECURE,)),  # a password went over it
])
def test_an_untrusted_certificate_on_opportunistic_starttls(
        steps: tuple[Step, ...], error: ErrorInfo | None, insecure: bool,
        expected: tuple[Finding, ...]) -> None:
    """Port 25: senders deliver over a certificate they cannot verify, so the walk goes on
    and the certificate is a warning, unless a password was sent over it."""
    attempt = _attempt(*steps, tls=_tls(verify_error="self-signed"), error=error)
    found = attempt_findings(attempt, insecure=insecure)
    assert tuple(f for f in found if f.message.startswith("certificate not")) == expected



IMPLICIT_FOUND = Finding(
    "info", "this port sent no plaintext greeting, but a TLS handshake on a second connection "
    "completed: it speaks implicit TLS (RFC 8314), as port 465 does, and smtpdiag walked it "
    "that way. Next time say --tls implicit", "greeting")
SILENT = Step("greeting", None, None, elapsed_ms=10.0,
              error=ErrorInfo("timeout", "no greeting", "greeting"))
TLS = Step("tls", None, None, elapsed_ms=10.0)
GREETED = Step("greeting", None, Reply(220, ("ready",), None, ()), elapsed_ms=10.0)


@pytest.mark.parametrize(("steps", "mode", "found"), [
    # the plaintext greeting never came, then a TLS walk on a second connection
    ((SILENT, TLS, GREETED), "implicit", True),
    ((_step("connect", None), SILENT, _step("connect", None), TLS, GREETED), "implicit", True),
    ((SILENT, _step("connect", None), TLS), "implicit", True),
    # not so: another mode, no silent greeting, or no TLS after it
    ((SILENT, TLS, GREETED), "starttls", False),
    ((SILENT, TLS, GREETED), "none", False),
    ((TLS, GREETED), "implicit", False),  # an ordinary implicit-TLS walk
    ((TLS, SILENT), "implicit", False),  # the handshake came before the silence
    ((SILENT,), "implicit", False),
    ((SILENT, TLS), "implicit", True),
    ((SILENT, GREETED, _step("ehlo", 250)), "implicit", False),  # other steps, but no TLS
    ((GREETED, TLS), "implicit", False),  # a greeting without an error is no silent port
    ((Step("ehlo", None, None, error=ErrorInfo("timeout", "x", "ehlo")), TLS), "implicit",
     False),
])
def test_implicit_tls_found_on_a_silent_port(steps: tuple[Step, ...], mode: str,
                                             found: bool) -> None:
    findings = attempt_findings(_attempt(*steps, tls_mode=mode))
    assert (IMPLICIT_FOUND in findings) is found
    assert findings.count(IMPLICIT_FOUND) == int(found)


def test_a_clean_walk_found_so_has_that_finding_alone() -> None:
    attempt = _attempt(SILENT, TLS, GREETED, _step("ehlo", 250), tls_mode="implicit",
                       error=None)
    assert attempt_findings(attempt) == (IMPLICIT_FOUND,)
