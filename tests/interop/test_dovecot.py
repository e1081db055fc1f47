"""smtpdiag against Dovecot's own LMTP and submission services, started with the Postfix tier's
Dovecot (``servers.dovecot_services``): a real LMTP port, and a submission service that relays
through the tier's "plain" Postfix listener, which does not trust it."""

from __future__ import annotations

import asyncio

import pytest

from smtpdiag.model import Report, Step
from smtpdiag.net.probe import ProbeOptions, probe
from tests.interop.node_servers import unavailable
from tests.interop.servers import (
    DOVECOT_LMTP,
    DOVECOT_SUBMISSION,
    SASL_PASSWORD,
    SASL_USER,
    Postfix,
    dovecot_services,
)


@pytest.fixture
def dovecot(postfix: Postfix) -> Postfix:
    if not dovecot_services():
        unavailable("Dovecot's lmtp and submission are not installed (apt-get install "
                    "dovecot-lmtpd dovecot-submissiond)")
    return postfix


def run(port: int, **options: object) -> Report:
    options = {"helo": "client.interop.test", "timeout": 15.0, "tls": "none", "dry_run": True,
               "mail_from": SASL_USER, "rcpt_to": ("alice@interop.test",), **options}
    return asyncio.run(probe(f"127.0.0.1:{port}", ProbeOptions(**options)))  # type: ignore[arg-type]


def step(report: Report, name: str) -> Step:
    return next(s for s in report.attempts[-1].steps if s.name == name)


def test_dovecots_lmtp_port_is_named_lmtp(dovecot: Postfix) -> None:
    report = run(DOVECOT_LMTP)
    error = report.attempts[-1].error
    assert error is not None and error.step == "lhlo" and "speaks LMTP" in error.message
    assert report.verdict == "failed"
    ehlo = step(report, "ehlo")  # its 500 is LMTP's, not a very old SMTP server's
    assert ehlo.annotation is not None and "speaks LMTP" in ehlo.annotation.description
    assert not any("helo refused" in f.message for f in report.attempts[-1].findings)


def test_dovecot_submission_without_a_login_says_log_in(dovecot: Postfix) -> None:
    report = run(DOVECOT_SUBMISSION)
    mail = step(report, "mail")
    assert mail.reply is not None and mail.reply.code == 530, mail.reply
    note = mail.annotation
    assert note is not None and note.reason is not None
    assert note.reason.name == "auth-required" and "--auth-user" in note.advice[0]
    assert report.verdict == "refused"


def test_dovecot_submission_with_a_wrong_password_is_refused_at_auth(dovecot: Postfix) -> None:
    report = run(DOVECOT_SUBMISSION, auth_user=SASL_USER, auth_password="wrong")
    auth = step(report, "auth")
    assert auth.reply is not None and (auth.reply.code, auth.reply.enhanced) == (535, "5.7.8")
    assert report.verdict == "refused" and "refused at auth" in report.summary


def test_a_relay_refused_behind_dovecot_submission_names_its_relay_host(dovecot: Postfix) -> None:
    report = run(DOVECOT_SUBMISSION, auth_user=SASL_USER, auth_password=SASL_PASSWORD,
                 rcpt_to=("alice@interop.test", "someone@elsewhere.example"))
    assert step(report, "auth").reply.code == 235  # type: ignore[union-attr]
    refused = next(s for s in report.attempts[-1].steps if s.name == "rcpt" and s.reply
                   and not s.reply.positive)
    assert refused.reply is not None and "Relay access denied" in refused.reply.text
    note = refused.annotation
    assert note is not None and note.reason is not None
    assert note.reason.name == "relay-denied"
    assert "submission_relay_host" in note.description, note.description
    assert report.verdict == "partial", report.summary
