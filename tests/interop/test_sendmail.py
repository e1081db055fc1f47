"""smtpdiag against a real Sendmail 8.17 (Debian's sendmail-bin) on loopback, one daemon per
behaviour (``sendmail.SENDMAIL_LISTENERS``), with the tests' DNS server answering its look-ups
of senders' domains and of its block list.  What is asserted is what an admin acts on: the
verdict, the step and code, and the cause each refusal is read as.
``tests/test_sendmail_replies.py`` replays the same replies from scripted servers.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Iterator

import pytest

from smtpdiag.fakeserver import Certs
from smtpdiag.model import Report, Step
from smtpdiag.net.probe import ProbeOptions, probe
from tests.dnsserver import DnsServer
from tests.interop.node_servers import unavailable
from tests.interop.sendmail import DNS_ADDRESS, RECORDS, SERVFAIL, Sendmail, start_sendmail
from tests.interop.servers import Unavailable

FQDN = "client.sendmail.test"


@pytest.fixture(scope="module")
def sendmail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sendmail]:
    if os.geteuid() != 0:
        unavailable("needs root to start Sendmail and a DNS server on port 53")
    certs = Certs.create(str(tmp_path_factory.mktemp("sendmail-certs")), kind="good")
    try:
        dns = DnsServer(RECORDS, servfail=SERVFAIL, host=DNS_ADDRESS, port=53).start()
    except (OSError, RuntimeError) as exc:
        unavailable(f"cannot start the DNS server on {DNS_ADDRESS}:53: {exc}")
    try:
        instance = start_sendmail(certs.cert_file, certs.key_file, certs.ca_file)
    except Unavailable as exc:
        dns.stop()
        unavailable(str(exc))
    try:
        yield instance
    finally:
        instance.stop()
        dns.stop()


def run(sendmail: Sendmail, listener: str, **options: object) -> Report:
    options = {"helo": FQDN, "timeout": 15.0, "mail_from": f"sender@{FQDN}", "tls": "none",
               "rcpt_to": ("alice@sendmail.test",), "ca_file": sendmail.ca_file,
               "dry_run": True, **options}
    target = f"127.0.0.1:{sendmail.port(listener)}"
    return asyncio.run(probe(target, ProbeOptions(**options)))  # type: ignore[arg-type]


def steps(report: Report, name: str) -> list[Step]:
    return [s for s in report.attempts[-1].steps if s.name == name]


def reason(found: Step) -> str:
    assert found.annotation is not None and found.annotation.reason is not None
    return found.annotation.reason.name


def provider(found: Step) -> str | None:
    assert found.annotation is not None
    return found.annotation.provider.id if found.annotation.provider else None


def text(found: Step) -> str:
    assert found.reply is not None
    return f"{found.reply.code} {found.reply.text}"


def test_a_sendmail_mx_over_starttls_takes_a_message(sendmail: Sendmail) -> None:
    report = run(sendmail, "mx", tls="starttls", dry_run=False)
    assert report.verdict == "accepted", report.summary
    attempt = report.attempts[-1]
    assert attempt.tls is not None and attempt.tls.verified
    assert attempt.capabilities is not None and attempt.capabilities.pipelining
    message = steps(report, "message")[0]
    assert text(message).endswith("Message accepted for delivery")


def test_an_unknown_user_and_a_relay_refusal_are_told_apart(sendmail: Sendmail) -> None:
    report = run(sendmail, "mx", rcpt_to=("alice@sendmail.test", "ghost@sendmail.test",
                                          "someone@elsewhere.test"))
    assert report.verdict == "partial", report.summary
    _, unknown, relay = steps(report, "rcpt")
    assert text(unknown) == "550 5.1.1 <ghost@sendmail.test>... User unknown"
    assert (reason(unknown), provider(unknown)) == ("user-unknown", "sendmail-user-unknown")
    assert text(relay).startswith("550 5.7.1 <someone@elsewhere.test>... Relaying denied")
    assert reason(relay) == "relay-denied"  # AUTH was offered: read with the session (644ab66)


def test_a_discarding_access_entry_looks_accepted(sendmail: Sendmail) -> None:
    # DISCARD takes the message and drops it: nothing in the dialogue can tell
    report = run(sendmail, "mx", mail_from="someone@discard.test", dry_run=False)
    assert report.verdict == "accepted", report.summary


def test_a_temporary_access_entry_is_a_deferral(sendmail: Sendmail) -> None:
    report = run(sendmail, "mx", mail_from="someone@tempfail.test")
    rcpt = steps(report, "rcpt")[0]
    assert rcpt.reply is not None and rcpt.reply.code == 451 and rcpt.reply.enhanced == "4.3.0"
    assert report.verdict == "deferred"


def test_a_sender_domain_that_does_not_exist_is_refused_for_the_sender(
        sendmail: Sendmail) -> None:
    report = run(sendmail, "mx", mail_from="someone@gone.test")
    rcpt = steps(report, "rcpt")[0]  # delay_checks: the sender is judged at RCPT
    assert text(rcpt) == ("553 5.1.8 <alice@sendmail.test>... Domain of sender address "
                          "someone@gone.test does not exist")
    assert report.verdict == "refused" and reason(rcpt) == "sender-rejected"
    assert provider(rcpt) == "sendmail-sender-domain-unresolvable"


def test_a_sender_domain_whose_servers_fail_is_a_deferral_for_the_sender(
        sendmail: Sendmail) -> None:
    report = run(sendmail, "mx", mail_from="someone@broken.test")
    rcpt = steps(report, "rcpt")[0]
    assert text(rcpt) == "451 4.1.8 Domain of sender address someone@broken.test does not resolve"
    assert report.verdict == "deferred" and reason(rcpt) == "sender-rejected"


def test_a_full_mailbox_in_the_access_database_is_a_deferral(sendmail: Sendmail) -> None:
    report = run(sendmail, "mx", rcpt_to=("full@sendmail.test",))
    rcpt = steps(report, "rcpt")[0]
    assert text(rcpt) == "452 4.2.2 Mailbox full"
    assert report.verdict == "deferred" and reason(rcpt) == "mailbox-full"


def test_greet_pause_is_waited_out_and_called_slow(sendmail: Sendmail) -> None:
    report = run(sendmail, "greet-pause")
    assert report.verdict == "accepted", report.summary
    said = [f.message for f in report.attempts[-1].findings if f.step == "greeting"]
    assert len(said) == 1 and said[0].startswith("slow: the greeting step took")


def test_ratecontrol_defers_at_the_greeting(sendmail: Sendmail) -> None:
    with socket.create_connection(("127.0.0.1", sendmail.port("ratecontrol")), timeout=10) as a:
        assert a.recv(200).startswith(b"220 ")  # the one connection a minute this address has
    report = run(sendmail, "ratecontrol")
    greeting = steps(report, "greeting")[0]
    assert text(greeting) == "421 4.3.2 Connection rate limit exceeded."
    assert report.verdict == "deferred" and reason(greeting) == "rate-limited"
    assert provider(greeting) == "sendmail-connection-rate"


def test_conncontrol_defers_at_the_greeting(sendmail: Sendmail) -> None:
    with socket.create_connection(("127.0.0.1", sendmail.port("conncontrol")), timeout=10) as a:
        assert a.recv(200).startswith(b"220 ")  # the one connection this address may hold
        report = run(sendmail, "conncontrol")
    greeting = steps(report, "greeting")[0]
    assert text(greeting) == "421 4.3.2 Too many open connections."
    assert report.verdict == "deferred" and reason(greeting) == "rate-limited"
    assert provider(greeting) == "sendmail-connection-rate"



def test_an_access_database_refusal_is_not_a_missing_login(sendmail: Sendmail) -> None:
    # Sendmail offers AUTH on an MX too: a REJECT entry is no submission port wanting a login
    report = run(sendmail, "mx", mail_from="someone@reject.test")
    rcpt = steps(report, "rcpt")[0]  # From: REJECT, told at RCPT (delay_checks)
    assert text(rcpt) == "550 5.7.1 <alice@sendmail.test>... Access denied"
    assert report.verdict == "refused" and reason(rcpt) != "auth-required"
    assert provider(rcpt) == "sendmail-access-denied"


def test_a_recipient_refused_by_the_access_database_is_disabled(sendmail: Sendmail) -> None:
    report = run(sendmail, "mx", rcpt_to=("blocked@sendmail.test",))
    rcpt = steps(report, "rcpt")[0]  # To: REJECT (blocklist_recipients)
    assert text(rcpt) == "550 5.2.1 <blocked@sendmail.test>... Mailbox disabled for this recipient"
    assert report.verdict == "refused" and reason(rcpt) == "mailbox-disabled"


def test_a_block_list_refusal_at_rcpt_is_advice_about_the_list(sendmail: Sendmail) -> None:
    report = run(sendmail, "dnsbl")
    rcpt = steps(report, "rcpt")[0]  # delay_checks: the client's refusal comes at RCPT
    assert text(rcpt) == ("550 5.7.1 <alice@sendmail.test>... Rejected: 127.0.0.1 listed at "
                          "rbl.sendmail.test")
    assert report.verdict == "refused" and reason(rcpt) == "blocked"
    assert rcpt.annotation is not None
    assert rcpt.annotation.advice[0].startswith("Look the IP up on the named list")


def test_a_block_list_refusal_at_mail_is_advice_about_the_list(sendmail: Sendmail) -> None:
    report = run(sendmail, "dnsbl-connect")
    mail = steps(report, "mail")[0]
    assert text(mail) == "550 5.7.1 Rejected: 127.0.0.1 listed at rbl.sendmail.test"
    assert report.verdict == "refused" and reason(mail) == "blocked"
    assert mail.annotation is not None
    assert mail.annotation.advice[0].startswith("Look the IP up on the named list")


def test_a_bogus_helo_name_is_about_the_name_not_the_address(sendmail: Sendmail) -> None:
    report = run(sendmail, "bad-helo", helo="mx.sendmail.test")  # the server's own name
    rcpt = steps(report, "rcpt")[0]
    assert text(rcpt) == ("550 5.7.1 <alice@sendmail.test>... bogus HELO name used: "
                          "mx.sendmail.test")
    assert report.verdict == "refused" and provider(rcpt) == "sendmail-bogus-helo"
    assert rcpt.annotation is not None and rcpt.annotation.reason is not None
    assert rcpt.annotation.reason.who == "sender-admin"
