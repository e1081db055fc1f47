"""The fake server's refusing scenarios against real clients on loopback: each one driven to
the step it changes, its reply checked word for word and, where it hangs up or holds the
session, what the client sees next.  All servers bind 127.0.0.1 on a free port."""

from __future__ import annotations

import smtplib
import time

import pytest

from smtpdiag.fakeserver import DEMO_PASSWORD, DEMO_USER, FakeServer

from .fakeserverkit import BODY, RCPT, SENDER, connected, send_body, verifying, wire

# -- one refusal per scenario -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "code", "text"),
    [
        (
            "greylist",
            450,
            f"4.2.0 <{RCPT}>: Recipient address rejected: Greylisted, please try again later",
        ),
        ("relay-denied", 554, f"5.7.1 <{RCPT}>: Relay access denied"),
        (
            "unknown-user",
            550,
            f"5.1.1 <{RCPT}>: Recipient address rejected: User unknown in local recipient table",
        ),
    ],
)
def test_rcpt_refusals(scenario: str, code: int, text: str) -> None:
    with FakeServer(scenario, tls="none") as server, connected(server) as smtp:
        smtp.ehlo()
        assert smtp.mail(SENDER)[0] == 250
        assert smtp.rcpt(RCPT) == (code, text.encode())
        assert smtp.docmd("DATA") == (503, b"5.5.1 Error: need RCPT command")


@pytest.mark.parametrize(
    ("scenario", "code", "text"),
    [
        ("mail-refused", 553, "5.7.1 Sender address rejected: not owned by user"),
        ("tempfail", 451, "4.3.0 Temporary local problem - please try later"),
    ],
)
def test_mail_refusals(scenario: str, code: int, text: str) -> None:
    with FakeServer(scenario, tls="none") as server, connected(server) as smtp:
        smtp.ehlo()
        assert smtp.mail(SENDER) == (code, text.encode())
        assert smtp.rcpt(RCPT) == (503, b"5.5.1 Error: need MAIL command")


@pytest.mark.parametrize(
    ("scenario", "code", "text"),
    [
        ("data-refused", 554, b"5.7.1 Message rejected as spam"),
        (
            "gmail-dmarc",
            550,
            b"5.7.26 This mail has been blocked because the sender is "
            b"unauthenticated.\n5.7.26 Gmail requires all senders to "
            b"authenticate with either SPF or DKIM.\n"
            b"5.7.26  Learn more. x1-20020a17.123 - gsmtp",
        ),
    ],
)
def test_end_of_data_refusals(scenario: str, code: int, text: bytes) -> None:
    with FakeServer(scenario, tls="none") as server, connected(server) as smtp:
        smtp.ehlo()
        smtp.mail(SENDER)
        assert smtp.rcpt(RCPT)[0] == 250
        assert send_body(smtp) == (code, text)
    assert server.recorded.messages == [BODY]  # received, then refused


def test_gmail_dmarc_reply_is_multi_line_on_the_wire() -> None:
    with FakeServer("gmail-dmarc", tls="none") as server, wire(server) as client:
        client.reply()
        client.command("EHLO client.test")
        client.command(f"MAIL FROM:<{SENDER}>")
        client.command(f"RCPT TO:<{RCPT}>")
        assert client.command("DATA")[0].startswith("354 ")
        assert client.command("Subject: x\r\n\r\nhi\r\n.") == [
            "550-5.7.26 This mail has been blocked because the sender is unauthenticated.",
            "550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM.",
            "550 5.7.26  Learn more. x1-20020a17.123 - gsmtp",
        ]


def test_greeting_421_closes_the_connection() -> None:
    with FakeServer("greeting-421", tls="none") as server:
        with wire(server) as client:
            assert client.reply() == [
                "421 4.3.2 fake.smtpdiag.test Service not available, closing transmission channel"
            ]
            assert client.at_eof()
        with pytest.raises(smtplib.SMTPConnectError) as caught:
            smtplib.SMTP(server.host, server.port, timeout=5)
        assert caught.value.smtp_code == 421
    assert server.recorded.commands == []


def test_greeting_554_answers_503_until_quit() -> None:
    with FakeServer("greeting-554", tls="none") as server, wire(server) as client:
        assert client.reply() == [
            "554 5.7.1 fake.smtpdiag.test: Client host rejected: Access denied"
        ]
        assert client.command("EHLO client.test") == ["503 5.5.1 Error: bad sequence of commands"]
        assert client.command(f"MAIL FROM:<{SENDER}>") == [
            "503 5.5.1 Error: bad sequence of commands"
        ]
        assert client.command("QUIT") == ["221 2.0.0 Bye"]
        assert client.at_eof()
    assert server.recorded.commands == ["EHLO client.test", f"MAIL FROM:<{SENDER}>", "QUIT"]


def test_tls_required_refuses_mail_until_starttls() -> None:
    with FakeServer("tls-required") as server, connected(server) as smtp:
        smtp.ehlo()
        assert smtp.mail(SENDER) == (530, b"5.7.0 Must issue a STARTTLS command first")
        smtp.starttls(context=verifying(server.certs))
        smtp.ehlo()
        assert smtp.mail(SENDER) == (250, b"2.1.0 Ok")


def test_auth_required_refuses_mail_until_auth() -> None:
    with FakeServer("auth-required", tls="none") as server, connected(server) as smtp:
        smtp.ehlo()
        assert smtp.mail(SENDER) == (530, b"5.7.0 Authentication required")
        smtp.login(DEMO_USER, DEMO_PASSWORD)
        assert smtp.mail(SENDER) == (250, b"2.1.0 Ok")


def test_ehlo_refused_but_helo_works() -> None:
    with FakeServer("ehlo-refused", tls="none") as server, connected(server) as smtp:
        assert smtp.ehlo() == (502, b"5.5.1 Error: command not recognized")
        assert smtp.helo() == (250, b"fake.smtpdiag.test")
        assert smtp.mail(SENDER) == (250, b"2.1.0 Ok")


def test_size_limit_advertised_and_enforced() -> None:
    with FakeServer("size-limit", tls="none") as server, connected(server) as smtp:
        smtp.ehlo()
        assert smtp.esmtp_features["size"] == "1000"
        assert smtp.mail(SENDER, ["SIZE=2000"]) == (552, b"5.3.4 Message size exceeds fixed limit")
        assert smtp.mail(SENDER, ["SIZE=500"]) == (250, b"2.1.0 Ok")
        smtp.rcpt(RCPT)
        too_big = (b"x" * 70 + b"\r\n") * 20
        assert send_body(smtp, too_big) == (552, b"5.3.4 Error: message file too big")


def test_slow_greeting_arrives_after_a_delay() -> None:
    with FakeServer("slow-greeting", tls="none") as server:
        started = time.monotonic()
        with connected(server) as smtp:
            assert time.monotonic() - started >= 1.4
            assert smtp.ehlo()[0] == 250


def test_no_starttls_never_offers_it() -> None:
    with FakeServer("no-starttls") as server, connected(server) as smtp:
        smtp.ehlo()
        assert "starttls" not in smtp.esmtp_features
        assert "auth" in smtp.esmtp_features  # offered in the clear, as such servers do
        assert smtp.docmd("STARTTLS") == (454, b"4.7.0 TLS not available")


def test_mid_421_answers_data_and_hangs_up() -> None:
    with FakeServer("mid-421", tls="none") as server, wire(server) as client:
        client.reply()
        client.command("EHLO client.test")
        client.command(f"MAIL FROM:<{SENDER}>")
        assert client.command(f"RCPT TO:<{RCPT}>") == ["250 2.1.5 Ok"]
        assert client.command("DATA") == ["421 4.4.2 fake.smtpdiag.test Error: timeout exceeded"]
        assert client.at_eof()
    assert server.recorded.commands[-1] == "DATA"
    assert server.recorded.messages == []
