"""What a real Sendmail 8.17 (Debian's sendmail-bin, run from an m4-made sendmail.cf on
loopback) answered, replayed byte for byte by scripted servers: the verdict, the step and the
cause an admin reads for each.  ``tests/interop/test_sendmail.py`` runs the same cases against
the real server where it can be started.

Each case misled before its fix: Sendmail offers AUTH on an MX (SASL is compiled in), so its
access database's "Access denied" read as a submission port wanting a login; a client on a
block list, told at MAIL or RCPT, was advised about its address; "bogus HELO name used" read
as the receiving admin's local policy.
"""

from __future__ import annotations

import asyncio

import pytest

from smtpdiag.model import Report, Step
from smtpdiag.net.probe import ProbeOptions, probe
from tests.hostile import HostileServer, answering, send

BANNER = (b"220 mx.sendmail.test ESMTP Sendmail 8.17.1.9/8.17.1.9; "
          b"Thu, 3 Dec 2026 02:24:31 GMT\r\n")
EHLO = (b"250-mx.sendmail.test Hello [127.0.0.1], pleased to meet you\r\n"
        b"250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250-EXPN\r\n250-VERB\r\n250-8BITMIME\r\n"
        b"250-SIZE\r\n250-DSN\r\n250-ETRN\r\n250-AUTH DIGEST-MD5 CRAM-MD5\r\n250-STARTTLS\r\n"
        b"250-DELIVERBY\r\n250 HELP\r\n")
SENDER_OK = b"250 2.1.0 <sender@client.sendmail.test>... Sender ok\r\n"


def run(replies: dict[bytes, list[bytes]], **options: object) -> Report:
    options = {"helo": "client.sendmail.test", "mail_from": "sender@client.sendmail.test",
               "tls": "none", "rcpt_to": ("alice@sendmail.test",), "dry_run": True,
               "timeout": 5.0, **options}
    with HostileServer([send(BANNER), answering({b"MAIL": [SENDER_OK], **replies},
                                                ehlo=EHLO)]) as server:
        return asyncio.run(probe(server.target, ProbeOptions(**options)))  # type: ignore[arg-type]


def step(report: Report, name: str) -> Step:
    return next(s for s in report.attempts[-1].steps if s.name == name)


# -- the access database's REJECT, with AUTH offered as Sendmail does on every MX ---------------


def test_an_access_database_refusal_is_not_a_missing_login() -> None:
    # a From: or Connect: REJECT entry, told at RCPT under delay_checks
    report = run({b"RCPT": [b"550 5.7.1 <alice@sendmail.test>... Access denied\r\n"]})
    note = step(report, "rcpt").annotation
    assert note is not None and note.reason is not None and note.provider is not None
    assert note.reason.name != "auth-required"
    assert note.provider.id == "sendmail-access-denied"
    assert not any("--auth-user" in said for said in note.advice)
    assert report.verdict == "refused"


# -- words that name the cause outrank a step's advice written for the code alone ---------------


def test_a_block_list_refusal_at_rcpt_is_not_advice_about_the_address() -> None:
    report = run({b"RCPT": [b"550 5.7.1 <alice@sendmail.test>... Rejected: 127.0.0.1 listed at "
                            b"rbl.sendmail.test\r\n"]})  # FEATURE(dnsbl) with delay_checks
    note = step(report, "rcpt").annotation
    assert note is not None and note.reason is not None and note.reason.name == "blocked"
    assert note.advice[0].startswith("Look the IP up on the named list")


def test_a_block_list_refusal_at_mail_is_not_advice_about_the_sender() -> None:
    # FEATURE(dnsbl) without delay_checks: the greeting is 220 and MAIL is refused; Sendmail's
    # EHLO to a client it refuses lists ENHANCEDSTATUSCODES only
    refused = b"550 5.7.1 Rejected: 127.0.0.1 listed at rbl.sendmail.test\r\n"
    with HostileServer([send(BANNER), answering(
            {b"MAIL": [refused], b"RCPT": [refused]},
            ehlo=b"250-mx.sendmail.test Hello [127.0.0.1], pleased to meet you\r\n"
                 b"250 ENHANCEDSTATUSCODES\r\n")]) as server:
        report = asyncio.run(probe(server.target, ProbeOptions(
            helo="client.sendmail.test", mail_from="sender@client.sendmail.test", tls="none",
            rcpt_to=("alice@sendmail.test",), dry_run=True, timeout=5.0)))
    note = step(report, "mail").annotation
    assert note is not None and note.reason is not None and note.reason.name == "blocked"
    assert note.advice[0].startswith("Look the IP up on the named list")
    assert report.verdict == "refused"


def test_a_bogus_helo_name_told_at_rcpt_is_about_the_name() -> None:
    # FEATURE(block_bad_helo) under delay_checks: the refused HELO name comes after the address
    report = run({b"RCPT": [b"550 5.7.1 <alice@sendmail.test>... bogus HELO name used: "
                            b"mx.sendmail.test\r\n"]}, helo="mx.sendmail.test")
    note = step(report, "rcpt").annotation
    assert note is not None and note.provider is not None and note.reason is not None
    assert note.provider.id == "sendmail-bogus-helo"
    assert note.provider.fix.startswith("Announce the sending host's own fully qualified name")
    assert note.reason.who == "sender-admin"  # not the receiving admin's local policy


def test_advice_follows_the_cause_decided_not_a_wording_it_overruled() -> None:
    # Connect:127.0.0.1 REJECT without delay_checks: 220, a bare EHLO, then MAIL is refused.
    # The step decides the cause (at MAIL, "Access denied" is read as about the sender), so
    # the advice may not be the block-list advice of the wording it overruled.
    with HostileServer([send(BANNER), answering(
            {b"MAIL": [b"550 5.7.1 Access denied\r\n"]},
            ehlo=b"250-mx.sendmail.test Hello localhost [127.0.0.1], pleased to meet you\r\n"
                 b"250 ENHANCEDSTATUSCODES\r\n")]) as server:
        report = asyncio.run(probe(server.target, ProbeOptions(
            helo="client.sendmail.test", mail_from="sender@client.sendmail.test", tls="none",
            rcpt_to=("alice@sendmail.test",), dry_run=True, timeout=5.0)))
    note = step(report, "mail").annotation
    assert note is not None and note.reason is not None
    assert note.reason.name == "sender-rejected"
    assert "block list" not in note.advice[0]


# -- "try again later": greylisting only where a greylisting milter says so ---------------------

# (step, Sendmail's reply, the cause): srvrsmtp.c's own deferrals name no greylisting; a milter
# answering TEMPFAIL without words of its own gets MSG_TEMPFAIL; milter-greylist says it greylists
TRY_AGAIN = [
    ("mail", b"450 4.3.0 Please try again later.\r\n", "system-error"),  # srv_features tempfail
    ("mail", b"451 4.3.2 Please try again later\r\n", "system-error"),  # a milter's TEMPFAIL
    ("mail", b"452 4.4.5 Insufficient disk space; try again later\r\n", "system-full"),
    ("mail", b"452 4.3.2 Connection rate limit exceeded.\r\n", "rate-limited"),  # ratecontrol
    ("mail", b"421 4.3.2 Too many open connections.\r\n", "rate-limited"),  # conncontrol
    ("rcpt", b"451 4.7.1 Greylisting in action, please come back in 00:04:59\r\n", "greylisted"),
    ("rcpt", b"451 4.7.1 Greylisting in action, please come back later\r\n", "greylisted"),
]


@pytest.mark.parametrize(("at", "reply", "cause"), TRY_AGAIN)
def test_sendmails_try_again_later_is_greylisting_only_when_it_says_so(
        at: str, reply: bytes, cause: str) -> None:
    report = run({at.upper().encode(): [reply]})
    note = step(report, at).annotation
    assert note is not None and note.reason is not None
    assert note.reason.name == cause, (reply, note.reason)
    assert report.verdict == "deferred"
    if cause != "greylisted":
        assert "greylist" not in " ".join(note.advice).lower(), note.advice
