"""smtpdiag against a real OpenSMTPD (Debian 12's 6.8.0p2, plain text: see
``tests/interop/opensmtpd.py``): the verdicts and readings that its replays
(``tests/test_opensmtpd_replies.py``) were made from, from the server itself."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from smtpdiag.model import Report, Step
from smtpdiag.net.probe import ProbeOptions, probe
from tests.interop.node_servers import unavailable
from tests.interop.opensmtpd import OPENSMTPD_PORT, OpenSMTPD, start_opensmtpd
from tests.interop.servers import Unavailable

FQDN = "client.interop.test"


@pytest.fixture(scope="module")
def opensmtpd() -> Iterator[OpenSMTPD]:
    try:
        instance = start_opensmtpd()
    except Unavailable as exc:
        unavailable(str(exc))
    try:
        yield instance
    finally:
        instance.stop()


def run(*recipients: str) -> Report:
    options = ProbeOptions(helo=FQDN, timeout=15.0, mail_from=f"sender@{FQDN}", tls="none",
                           rcpt_to=recipients, dry_run=True)  # never DATA: nothing delivered
    return asyncio.run(probe(f"127.0.0.1:{OPENSMTPD_PORT}", options))


def rcpt(report: Report, code: int) -> Step:
    return next(s for s in report.attempts[-1].steps
                if s.name == "rcpt" and s.reply is not None and s.reply.code == code)


def test_a_known_virtual_user_is_accepted(opensmtpd: OpenSMTPD) -> None:
    report = run("alice@interop.test")
    assert report.verdict == "accepted", report.summary
    greeting = next(s for s in report.attempts[-1].steps if s.name == "greeting")
    assert greeting.reply is not None and "OpenSMTPD" in greeting.reply.text, greeting.reply


def test_an_address_missing_from_the_virtual_table_is_an_unknown_user(
        opensmtpd: OpenSMTPD) -> None:
    report = run("bob@interop.test", "alice@interop.test")
    refused = rcpt(report, 524)
    assert refused.reply is not None and "Mailing list expansion problem" in refused.reply.text
    note = refused.annotation
    assert note is not None and note.reason is not None and note.provider is not None
    assert (note.reason.name, note.provider.id) == ("user-unknown", "opensmtpd-virtual-no-entry")
    assert report.verdict == "partial", report.summary


def test_a_domain_it_does_not_serve_is_invalid_recipient_said_to_maybe_be_relaying(
        opensmtpd: OpenSMTPD) -> None:
    report = run("someone@elsewhere.example")
    note = rcpt(report, 550).annotation
    assert note is not None and note.provider is not None
    assert note.provider.id == "opensmtpd-invalid-recipient" and "relay" in note.provider.fix
    assert report.verdict == "refused"


def test_one_recipient_over_max_rcpt_is_not_greylisting(opensmtpd: OpenSMTPD) -> None:
    report = run("alice@interop.test", "postmaster@interop.test", "alice@interop.test")
    over = rcpt(report, 451)
    assert over.reply is not None and over.reply.enhanced == "4.5.3", over.reply
    note = over.annotation
    assert note is not None and note.reason is not None
    assert note.reason.name == "too-many-recipients", note.reason
    assert "greylist" not in (note.description + " ".join(note.advice)).lower()
    assert report.verdict == "partial", report.summary
