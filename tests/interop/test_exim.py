"""smtpdiag against a real Exim (Debian's exim4-daemon-light) on loopback, one listener per
behaviour (``exim.EXIM_LISTENERS``).  What is asserted is what an admin acts on: the verdict,
the step and code, and the cause each refusal is read as.  ``tests/test_exim_replies.py``
replays the same replies from scripted servers, where Exim cannot run.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

from smtpdiag.model import Report, Step
from smtpdiag.net.probe import ProbeOptions, probe
from tests.interop.exim import (
    EXIM_LOGIN,
    EXIM_PASSWORD,
    SIZE_LIMIT,
    Exim,
    start_exim,
)
from tests.interop.node_servers import unavailable
from tests.interop.servers import Unavailable

FQDN = "client.exim.test"


@pytest.fixture(scope="module")
def exim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exim]:
    from smtpdiag.fakeserver import Certs

    certs = Certs.create(str(tmp_path_factory.mktemp("exim-certs")), kind="good")
    try:
        instance = start_exim(certs.cert_file, certs.key_file, certs.ca_file)
    except Unavailable as exc:
        unavailable(str(exc))
    try:
        yield instance
    finally:
        instance.stop()


def run(exim: Exim, listener: str, **options: object) -> Report:
    options = {"helo": FQDN, "timeout": 15.0, "mail_from": f"sender@{FQDN}",
               "rcpt_to": ("alice@exim.test",), "ca_file": exim.ca_file, "dry_run": True,
               **options}
    target = f"127.0.0.1:{exim.port(listener)}"
    return asyncio.run(probe(target, ProbeOptions(**options)))  # type: ignore[arg-type]


def step(report: Report, name: str, code: int | None = None) -> Step:
    return next(s for s in report.attempts[-1].steps if s.name == name
                and (code is None or (s.reply is not None and s.reply.code == code)))


def reason(found: Step) -> str:
    assert found.annotation is not None and found.annotation.reason is not None
    return found.annotation.reason.name


def test_an_exim_mx_over_starttls_takes_a_message_with_its_extensions(exim: Exim) -> None:
    report = run(exim, "mx", dry_run=False)
    assert report.verdict == "accepted", report.summary
    attempt = report.attempts[-1]
    assert attempt.tls is not None and attempt.tls.verified
    caps = attempt.capabilities
    assert caps is not None and caps.pipelining and caps.chunking and caps.eightbitmime
    assert caps.auth == ("PLAIN", "LOGIN")  # offered after STARTTLS only
    before = attempt.capabilities_before_tls
    assert before is not None and before.starttls and not before.auth
    assert step(report, "message").reply.code == 250  # type: ignore[union-attr]


def test_an_unknown_local_user_and_a_foreign_domain_are_told_apart(exim: Exim) -> None:
    report = run(exim, "mx", tls="none", rcpt_to=(
        "alice@exim.test", "nobody@exim.test", "someone@elsewhere.test"))
    assert report.verdict == "partial", report.summary
    unknown, relay = step(report, "rcpt", 550), [
        s for s in report.attempts[-1].steps if s.name == "rcpt"][-1]
    assert unknown.reply is not None and unknown.reply.text == "Unrouteable address"
    assert reason(unknown) == "user-unknown"
    assert relay.reply is not None and relay.reply.text == "relay not permitted"
    assert reason(relay) == "relay-denied"


def test_a_greylisting_defer_is_deferred(exim: Exim) -> None:
    report = run(exim, "greylist", tls="none")
    rcpt = step(report, "rcpt")
    assert rcpt.reply is not None and rcpt.reply.code == 451
    assert report.verdict == "deferred" and reason(rcpt) == "greylisted"


def test_a_ratelimit_defer_is_a_rate_limit(exim: Exim) -> None:
    report = run(exim, "ratelimit", tls="none")
    rcpt = step(report, "rcpt")
    assert rcpt.reply is not None and rcpt.reply.text.startswith("Sending rate overlimit")
    assert report.verdict == "deferred" and reason(rcpt) == "rate-limited"


def test_a_failed_sender_callout_is_about_the_sender(exim: Exim) -> None:
    report = run(exim, "callout", tls="none", mail_from="ghost@callout.test")
    rcpt = step(report, "rcpt")
    assert rcpt.reply is not None and rcpt.reply.code == 550
    assert "Response: 550 relay not permitted" in rcpt.reply.text  # the called server's words
    assert rcpt.reply.text.endswith("Sender verify failed")
    assert report.verdict == "refused" and reason(rcpt) == "sender-rejected"
    assert rcpt.annotation is not None and rcpt.annotation.provider is not None
    assert rcpt.annotation.provider.id == "exim-sender-verify-failed"
    assert rcpt.annotation.description.startswith("Not about the recipient")


def test_a_slow_banner_is_waited_for_and_called_slow(exim: Exim) -> None:
    report = run(exim, "slow", tls="none")
    assert report.verdict == "accepted", report.summary
    said = [f.message for f in report.attempts[-1].findings if f.step == "greeting"]
    assert len(said) == 1 and said[0].startswith("slow: the greeting step took")


def test_the_per_host_connection_limit_is_a_deferral_at_the_greeting(exim: Exim) -> None:
    with socket.create_connection(("127.0.0.1", exim.port("per-host")), timeout=10) as held:
        assert held.recv(200).startswith(b"220 ")  # the one connection this address may have
        report = run(exim, "per-host", tls="none")
    greeting = step(report, "greeting")
    assert greeting.reply is not None and greeting.reply.code == 421
    assert report.verdict == "deferred"
    assert greeting.annotation is not None and greeting.annotation.provider is not None
    assert greeting.annotation.provider.id == "exim-too-many-connections-from-ip"


def test_exims_helo_verification_is_a_refusal_of_the_name(exim: Exim) -> None:
    report = run(exim, "helo-verify", tls="none")
    assert report.verdict == "refused"
    assert "refused at helo: 550 HELO argument does not match calling host" in report.summary
    assert [f.message for f in report.attempts[-1].findings] == [
        "helo refused: 550 HELO argument does not match calling host"]
    assert reason(step(report, "ehlo")) == reason(step(report, "helo")) == "requires-ptr"


def test_an_invalid_ehlo_argument_is_named_in_the_verdict(exim: Exim) -> None:
    report = run(exim, "mx", tls="none", helo="bad_name.example")
    assert report.verdict == "refused"
    assert report.summary.endswith("refused at ehlo: 501 Syntactically invalid EHLO "
                                   "argument(s)"), report.summary


def test_the_size_limit_refuses_the_declared_size_at_mail(exim: Exim) -> None:
    report = run(exim, "size", tls="none")
    attempt = report.attempts[-1]
    assert attempt.capabilities is not None and attempt.capabilities.size == SIZE_LIMIT
    mail = step(report, "mail")
    assert mail.reply is not None and mail.reply.code == 552 and report.verdict == "refused"
    assert reason(mail) == "message-too-big"


def test_a_data_acl_refusing_the_message_for_its_size(exim: Exim) -> None:
    report = run(exim, "data-acl", tls="none", dry_run=False)
    message = step(report, "message")
    assert message.reply is not None and message.reply.code == 550
    assert report.verdict == "refused" and reason(message) == "message-too-big"


def test_submission_without_a_login_is_told_to_log_in(exim: Exim) -> None:
    report = run(exim, "submission", tls="starttls")
    rcpt = step(report, "rcpt")
    assert rcpt.reply is not None and rcpt.reply.text == "Authentication required"
    assert report.verdict == "refused" and reason(rcpt) == "auth-required"


def test_submission_with_a_login_over_starttls_is_accepted(exim: Exim) -> None:
    report = run(exim, "submission", tls="starttls", auth_user=EXIM_LOGIN,
                 auth_password=EXIM_PASSWORD, mail_from=EXIM_LOGIN,
                 rcpt_to=("someone@elsewhere.test",))
    assert step(report, "auth").reply.code == 235  # type: ignore[union-attr]
    assert report.verdict == "accepted", report.summary


def test_a_login_in_plaintext_where_auth_needs_tls_says_so(exim: Exim) -> None:
    report = run(exim, "submission", tls="none", auth_user=EXIM_LOGIN,
                 auth_password=EXIM_PASSWORD, mail_from=EXIM_LOGIN)
    error = report.attempts[-1].error
    assert error is not None and error.step == "auth"
    assert "offers no AUTH before TLS, and it offers STARTTLS" in error.message
    assert report.verdict == "failed"


def test_a_wrong_password_is_refused_at_auth(exim: Exim) -> None:
    report = run(exim, "submission", tls="starttls", auth_user=EXIM_LOGIN,
                 auth_password="wrong", mail_from=EXIM_LOGIN)
    auth = step(report, "auth")
    assert auth.reply is not None and auth.reply.code == 535
    assert report.verdict == "refused" and reason(auth) == "auth-required"


def test_a_drop_acl_is_a_refusal_at_its_step(exim: Exim) -> None:
    report = run(exim, "drop", tls="none")  # 550 Administrative prohibition, then hangs up
    rcpt = step(report, "rcpt")
    assert rcpt.reply is not None and rcpt.reply.code == 550
    assert report.verdict == "refused" and reason(rcpt) == "policy"
    # the hang-up is Exim ending a session it refuses: no warning that QUIT went unanswered
    assert not any(f.severity == "warning" and f.step == "quit"
                   for f in report.attempts[-1].findings), report.attempts[-1].findings
    two = run(exim, "drop", tls="none", rcpt_to=("alice@exim.test", "bob@exim.test"))
    assert two.verdict == "refused" and two.attempts[-1].error is None, two.summary


def test_a_client_refused_in_the_admins_words_is_not_a_sender_refusal(exim: Exim) -> None:
    report = run(exim, "deny-message", tls="none")
    rcpt = step(report, "rcpt")
    assert rcpt.reply is not None
    assert rcpt.reply.text == "5.7.1 Mail from 127.0.0.1 refused by local policy"
    assert report.verdict == "refused" and reason(rcpt) == "blocked"


def test_no_starttls_offered_is_said_and_the_walk_goes_on(exim: Exim) -> None:
    report = run(exim, "no-tls", tls="auto")
    assert report.verdict == "accepted", report.summary
    caps = report.attempts[-1].capabilities
    assert caps is not None and not caps.starttls
    said = [f.message for f in report.attempts[-1].findings]
    assert any("does not offer STARTTLS" in message for message in said), said


def test_a_mail_acl_wanting_tls_is_advice_about_tls_not_the_sender(exim: Exim) -> None:
    assert run(exim, "tls-acl", tls="starttls").verdict == "accepted"
    report = run(exim, "tls-acl", tls="none")
    mail = step(report, "mail")
    assert mail.reply is not None and mail.reply.text == "STARTTLS required before MAIL"
    assert report.verdict == "refused" and reason(mail) == "tls-required"
    assert mail.annotation is not None and "STARTTLS" in mail.annotation.advice[0]
