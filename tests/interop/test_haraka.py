"""smtpdiag against a real Haraka (npm) on loopback.

Haraka runs its stock configuration with STARTTLS, ``interop.test`` as its one local domain
(``rcpt_to.in_host_list``) and the tier's plugin (``node/haraka_slow_dot.js``), whose
``data_post`` hook answers ``hang@`` never (Haraka's own plugin timeout then replies
``450 plugin timeout``, as the issue saw after 30 s; here after ``HARAKA_PLUGIN_TIMEOUT``) and
``slow@`` late.  The step timeout is kept far below both: the reply to the final dot has its own
wait (``--data-timeout``), and a reply that comes after the step timeout is still shown.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from smtpdiag.model import Report, Step
from smtpdiag.net.probe import ProbeOptions, probe
from tests.interop.node_servers import (
    HARAKA_PLUGIN_TIMEOUT,
    HARAKA_PORT,
    ORG_USER,
    PASSWORD,
    SLOW_MS,
    USER,
    NodeServer,
    running,
    start_haraka,
)

FQDN = "client.interop.test"
TARGET = f"127.0.0.1:{HARAKA_PORT}"


@pytest.fixture(scope="module")
def haraka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeServer]:
    yield from running(start_haraka, str(tmp_path_factory.mktemp("haraka-certs")))


def run(server: NodeServer, **options: object) -> Report:
    options.setdefault("helo", FQDN)
    options.setdefault("timeout", 10.0)
    options.setdefault("mail_from", f"sender@{FQDN}")
    options.setdefault("rcpt_to", ("alice@interop.test",))
    options.setdefault("ca_file", server.ca_file)
    return asyncio.run(probe(TARGET, ProbeOptions(**options)))  # type: ignore[arg-type]


def step(report: Report, name: str) -> Step:
    return next(s for s in report.attempts[-1].steps if s.name == name)


def test_haraka_greets_offers_starttls_and_queues_the_message(haraka: NodeServer) -> None:
    report = run(haraka)
    attempt = report.attempts[-1]
    greeting = step(report, "greeting").reply
    assert greeting is not None and greeting.code == 220
    assert greeting.text.startswith("mx.haraka.interop.test ESMTP Haraka"), greeting.text
    before = attempt.capabilities_before_tls
    assert before is not None and before.starttls and before.pipelining and before.smtputf8
    assert before.size == 26214400  # Haraka's default connection.ini max.bytes
    assert attempt.tls is not None and attempt.tls.verified
    message = step(report, "message").reply
    assert message is not None and message.code == 250 and "Message Queued" in message.text
    assert report.verdict == "accepted", report.summary


def test_the_450_plugin_timeout_after_the_step_timeout_is_still_shown(
        haraka: NodeServer) -> None:
    # Point 1: the step timeout (1 s) is shorter than Haraka's plugin timeout.  Before, the walk
    # gave up after the step timeout and the real reply was never shown.
    report = run(haraka, rcpt_to=("hang@interop.test",), timeout=1.0, tls="none")
    message = step(report, "message")
    assert message.error is None
    assert message.reply is not None and message.reply.code == 450
    assert message.reply.text == "plugin timeout"
    assert message.elapsed_ms >= HARAKA_PLUGIN_TIMEOUT * 1000 - 100
    assert report.verdict == "deferred", report.summary
    annotation = message.annotation
    assert annotation is not None and annotation.provider is not None
    assert annotation.provider.id == "haraka-plugin-timeout"
    assert annotation.reason is not None and annotation.reason.name == "system-error"


def test_a_late_250_after_the_step_timeout_is_accepted(haraka: NodeServer) -> None:
    report = run(haraka, rcpt_to=("slow@interop.test",), timeout=1.0, tls="none")
    message = step(report, "message")
    assert message.reply is not None and message.reply.code == 250
    assert message.elapsed_ms >= SLOW_MS - 100
    assert report.verdict == "accepted", report.summary


def test_a_data_timeout_shorter_than_the_reply_says_it_may_still_be_delivered(
        haraka: NodeServer) -> None:
    report = run(haraka, rcpt_to=("hang@interop.test",), timeout=1.0, data_timeout=1.0,
                 tls="none")
    message = step(report, "message")
    assert message.reply is None and message.error is not None
    assert message.error.kind == "timeout"
    assert "may still be delivered" in message.error.message
    assert report.verdict == "failed"


def test_the_cli_shows_the_late_450_and_exits_deferred(haraka: NodeServer) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "smtpdiag", "probe", TARGET, "--tls", "none", "--timeout", "1",
         "--helo", FQDN, "--from", f"sender@{FQDN}", "--to", "hang@interop.test"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "NO_COLOR": "1"},
        check=False)
    assert result.returncode == 4, result.stdout + result.stderr
    assert "450 plugin timeout" in result.stdout
    assert "within 1 s" not in result.stdout


def test_a_foreign_domain_is_haraka_relay_denial_not_an_unknown_user(haraka: NodeServer) -> None:
    report = run(haraka, rcpt_to=("bob@elsewhere.example",), dry_run=True)
    assert report.attempts[-1].capabilities.auth  # type: ignore[union-attr]  # offered, unused
    rcpt = step(report, "rcpt")
    assert rcpt.reply is not None and rcpt.reply.code == 550
    assert rcpt.reply.text == "I cannot deliver mail for <bob@elsewhere.example>"
    annotation = rcpt.annotation
    assert annotation is not None and annotation.reason is not None
    assert annotation.reason.name == "relay-denied"
    assert annotation.provider is not None and "--auth-user" in annotation.provider.fix
    assert report.verdict == "refused"


def test_a_login_may_relay_to_a_foreign_domain(haraka: NodeServer) -> None:
    report = run(haraka, auth_user=USER, auth_password=PASSWORD, mail_from=USER,
                 rcpt_to=("bob@elsewhere.example",), dry_run=True)  # dry: nothing relayed
    assert step(report, "auth").reply.code == 235  # type: ignore[union-attr]
    assert step(report, "rcpt").reply.code == 250  # type: ignore[union-attr]
    assert report.verdict == "accepted", report.summary


def test_a_sender_outside_the_login_domain_is_refused_at_mail(haraka: NodeServer) -> None:
    # auth/flat_file's constrain_sender (on by default): MAIL FROM's domain must be the login's.
    report = run(haraka, auth_user=ORG_USER, auth_password=PASSWORD,
                 mail_from="carol@example.net", dry_run=True)
    mail = step(report, "mail")
    assert mail.reply is not None and mail.reply.code == 550
    assert mail.reply.text == ("Envelope domain 'example.net' doesn't match AUTH "
                               "domain 'example.org'")
    assert mail.annotation is not None and mail.annotation.provider is not None
    assert mail.annotation.provider.id == "haraka-auth-domain-mismatch"
    assert mail.annotation.reason is not None
    assert mail.annotation.reason.name == "sender-rejected"
    assert report.verdict == "refused"


def test_a_local_and_a_foreign_recipient_are_partial(haraka: NodeServer) -> None:
    report = run(haraka, rcpt_to=("bob@elsewhere.example", "alice@interop.test"), tls="none")
    codes = [s.reply.code for s in report.attempts[-1].steps if s.name == "rcpt" and s.reply]
    assert codes == [550, 250]
    assert report.verdict == "partial", report.summary
