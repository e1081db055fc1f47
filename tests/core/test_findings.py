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
    Attempt,
    Capabilities,
    ErrorInfo,
    Finding,
    MxHost,
    Reply,
    Resolution,
    Step,
    TlsInfo,
)


def _attempt(*steps: Step, **kwargs: object) -> Attempt:
    options: dict[str, object] = {"host": "mx.test", "address": "192.0.2.1", "port": 25,
                                  "tls_mode": "starttls"}
    options.update(kwargs)
    return Attempt(steps=steps, **options)  # type: ignore[arg-type]


def _step(name: str, code: int | None, text: str = "x", ms: float = 1.0,
          truncated: bool = False, error: ErrorInfo | None = None) -> Step:
    reply = None if code is None else Reply(code, (text,), None, (), truncated)
    return Step(name, None, reply, elapsed_ms=ms, error=error)


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


def _tls(**kwargs: object) -> TlsInfo:
    options: dict[str, object] = {"mode": "starttls", "version": "TLSv1.3",
                                  "hostname_matched": True, "days_left": 90}
    options.update(kwargs)
    return TlsInfo(**options)  # type: ignore[arg-type]


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
