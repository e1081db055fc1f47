"""What a real OpenSMTPD 6.8.0p2 (Debian 12's opensmtpd, run from a private configuration on
loopback) answered, replayed byte for byte by scripted servers.

Each case misled before its fix: a message refused at the final dot for its size read as spam
or a failed DMARC check; "451 4.5.3 Too many recipients" read as greylisting; "Invalid
recipient", which OpenSMTPD also says to a domain it will not relay for, read only as a missing
mailbox; "524 5.2.4 Mailing list expansion problem" (no entry in a virtual table) read as a
fault of the connection; and Debian's OpenSMTPD, whose TLS fails against OpenSSL 3 with an
internal_error alert, gave a bare alert name.
"""

from __future__ import annotations

import asyncio

from smtpdiag.model import Report, Step
from smtpdiag.net.probe import ProbeOptions, probe
from tests.hostile import Action, Conn, HostileServer, answering, expect, send

BANNER = b"220 mx.smtpd.test ESMTP OpenSMTPD\r\n"
EHLO = (b"250-mx.smtpd.test Hello client.smtpd.test [127.0.0.1], pleased to meet you\r\n"
        b"250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-SIZE 300\r\n250-DSN\r\n"
        b"250-STARTTLS\r\n250 HELP\r\n")
RCPT_OK = b"250 2.1.5 Destination address valid: Recipient ok\r\n"
UNKNOWN = b"500 5.5.1 Invalid command: Command unrecognized\r\n"
OK = {b"MAIL": b"250 2.0.0 Ok\r\n", b"RCPT": RCPT_OK, b"RSET": b"250 2.0.0 Reset state\r\n",
      b"EHLO": EHLO, b"HELO": EHLO}


def opensmtpd(replies: dict[bytes, list[bytes]],
              dot: bytes = b"250 2.0.0 b92ae977 Message accepted for delivery\r\n") -> Action:
    """OpenSMTPD's side: the scripted replies for some verbs, in order; its words otherwise."""
    return answering(replies, dot=dot, ehlo=EHLO, words=OK, other=UNKNOWN)


def run(script: object, **options: object) -> Report:
    options = {"helo": "client.smtpd.test", "mail_from": "sender@client.smtpd.test",
               "tls": "none", "rcpt_to": ("alice@smtpd.test",), "timeout": 5.0, **options}
    with HostileServer(script) as server:  # type: ignore[arg-type]
        return asyncio.run(probe(server.target, ProbeOptions(**options)))  # type: ignore[arg-type]


def step(report: Report, name: str, code: int | None = None) -> Step:
    return next(s for s in report.attempts[-1].steps if s.name == name
                and (code is None or (s.reply is not None and s.reply.code == code)))


def test_a_message_over_the_advertised_size_refused_at_the_dot_is_about_its_size() -> None:
    # OpenSMTPD advertises SIZE 300, takes MAIL FROM ... SIZE=447, and refuses at the dot
    dot = b"554 5.3.4 Message too big for system: Transaction failed, message too big\r\n"
    report = run([send(BANNER), opensmtpd({}, dot=dot)])
    message = step(report, "message")
    note = message.annotation
    assert note is not None and note.reason is not None
    assert report.verdict == "refused" and note.reason.name == "message-too-big"
    assert "over the 300 bytes this server advertised" in note.description, note.description
    assert "spam" not in note.description and "DMARC" not in " ".join(note.advice)
    assert note.advice[0].startswith("Send at most 300 bytes")


def test_a_size_refusal_at_the_dot_in_an_admins_own_words_is_about_its_size() -> None:
    # an Exim DATA ACL: no SIZE was declared over the limit, the text says size
    ehlo = b"250-mx.exim.test Hello client [127.0.0.1]\r\n250 HELP\r\n"
    report = run([send(BANNER), opensmtpd({b"EHLO": [ehlo]},
                                          dot=b"550 Message too big: 428 bytes, limit 200\r\n")])
    note = step(report, "message").annotation
    assert note is not None and note.reason is not None
    assert note.reason.name == "message-too-big"
    assert note.description.startswith("The message was refused for its size")
    assert "content filtering" not in " ".join(note.advice)


def test_too_many_recipients_is_not_greylisting() -> None:
    report = run([send(BANNER), opensmtpd({b"RCPT": [
        RCPT_OK, b"451 4.5.3 Too many recipients: Too many recipients\r\n"]})],
        rcpt_to=("alice@smtpd.test", "bob@smtpd.test"))
    rcpt = step(report, "rcpt", 451)
    note = rcpt.annotation
    assert note is not None and note.reason is not None
    assert note.reason.name == "too-many-recipients"
    assert "greylist" not in (note.description + " ".join(note.advice)).lower()
    assert "another transaction" in note.advice[0]
    assert report.verdict == "partial"


def test_invalid_recipient_says_it_may_be_a_relay_refusal() -> None:
    report = run([send(BANNER), opensmtpd({b"RCPT": [
        b"550 Invalid recipient: <someone@elsewhere.test>\r\n"]})],
        rcpt_to=("someone@elsewhere.test",), dry_run=True)
    note = step(report, "rcpt").annotation
    assert note is not None and note.provider is not None
    assert note.provider.id == "opensmtpd-invalid-recipient"
    assert "relay" in note.provider.description and "no such user" in note.provider.description
    assert report.verdict == "refused"


def test_a_tls_internal_error_alert_is_a_fault_on_the_servers_side() -> None:
    async def start_tls_failing(conn: Conn) -> None:
        """What Debian's OpenSMTPD does: take the ClientHello, answer a fatal internal_error
        alert (a TLS record: alert, TLS 1.2, 2 bytes: fatal, 80), hang up."""
        await conn.send(b"220 2.0.0 Ready to start TLS\r\n")
        await conn.reader.read(1)  # the ClientHello has begun
        await conn.send(b"\x15\x03\x03\x00\x02\x02\x50")

    report = run([send(BANNER), expect(b"EHLO"), send(EHLO), expect(b"STARTTLS"),
                  start_tls_failing], tls="starttls", dry_run=True)
    error = report.attempts[-1].error
    assert error is not None and error.step == "tls"
    assert error.message.endswith(
        "failed: TLSV1_ALERT_INTERNAL_ERROR; the server ended the handshake with an "
        "internal_error alert: a fault on its side (a certificate or key its TLS library "
        "cannot use), not something this client can change")
    assert report.verdict == "failed"


def test_must_issue_an_auth_command_first_in_plaintext_is_a_login_not_tls_alone() -> None:
    # a listener with "auth": AUTH is offered only after STARTTLS
    report = run([send(BANNER), opensmtpd({b"MAIL": [
        b"530 5.5.1 Invalid command: Must issue an AUTH command first\r\n"]})], dry_run=True)
    note = step(report, "mail").annotation
    assert note is not None and note.reason is not None
    assert (note.reason.name, note.reason.rule) == ("auth-required", "auth-after-starttls")
    assert "offers AUTH only over TLS (OpenSMTPD: a listener with auth" in note.description
    assert note.advice[0].startswith("Probe with STARTTLS and a login: --tls starttls")
    assert report.verdict == "refused"


def test_must_issue_a_starttls_command_first_stays_a_tls_requirement() -> None:
    report = run([send(BANNER), opensmtpd({b"MAIL": [
        b"530 5.5.1 Invalid command: Must issue a STARTTLS command first\r\n"]})], dry_run=True)
    note = step(report, "mail").annotation
    assert note is not None and note.reason is not None
    assert note.reason.name == "tls-required"


def test_mailing_list_expansion_problem_is_a_missing_virtual_user_not_the_connection() -> None:
    # "action ... virtual <table>" and no entry for the address: lka_session.c says 524 5.2.4
    # (424 4.2.4 when the table's backend fails); 5x2x otherwise reads as "the connection"
    rcpt = b"524 5.2.4 Mailing list expansion problem: <bob@smtpd.test>\r\n"
    report = run([send(BANNER), opensmtpd({b"RCPT": [rcpt, RCPT_OK]})],
                 rcpt_to=("bob@smtpd.test", "alice@smtpd.test"), dry_run=True)
    note = step(report, "rcpt", 524).annotation
    assert note is not None and note.reason is not None and note.provider is not None
    assert (note.reason.name, note.reason.permanent) == ("user-unknown", True), note.reason
    assert note.provider.id == "opensmtpd-virtual-no-entry"
    assert "It is about the connection" not in note.description, note.description
    assert note.description.startswith("The recipient is refused") and "virtual" in note.description
    assert report.verdict == "partial"
    failing = b"424 4.2.4 Mailing list expansion problem: <bob@smtpd.test>\r\n"
    report = run([send(BANNER), opensmtpd({b"RCPT": [failing]})], rcpt_to=("bob@smtpd.test",),
                 dry_run=True)
    note = step(report, "rcpt", 424).annotation
    assert note is not None and note.reason is not None and note.provider is not None
    assert (note.reason.name, note.reason.who) == ("system-error", "recipient-admin")
    assert note.description.startswith("The recipient is deferred"), note.description
    assert report.verdict == "deferred"
