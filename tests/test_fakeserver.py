"""The fake SMTP server against real clients on loopback: smtplib and a raw socket.

Every scenario is driven to the one step it changes and its reply checked word for word; TLS is
checked with real verification against the trustme CA, so each bad certificate kind must fail
the way it fails in the field.  All servers bind 127.0.0.1 on a free port.
"""

from __future__ import annotations

import os
import re
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from smtpdiag.fakeserver import (
    DEMO_PASSWORD,
    DEMO_USER,
    SCENARIOS,
    Certs,
    FakeServer,
    Recorded,
    serve_forever,
)
from smtpdiag.fakeserver.enhanced import with_enhanced_code
from smtpdiag.fakeserver.recorded import redact_command

SENDER = "sender@example.test"
RCPT = "postmaster@example.test"
BODY = b"Subject: test\r\n\r\nHello.\r\n"


@contextmanager
def connected(server: FakeServer) -> Iterator[smtplib.SMTP]:
    smtp = smtplib.SMTP(server.host, server.port, local_hostname="client.test", timeout=5)
    try:
        yield smtp
    finally:
        smtp.close()


def verifying(certs: Certs | None) -> ssl.SSLContext:
    assert certs is not None
    return ssl.create_default_context(cafile=certs.ca_file)


def send_body(smtp: smtplib.SMTP, body: bytes = BODY) -> tuple[int, bytes]:
    try:
        return smtp.data(body)
    except smtplib.SMTPDataError as error:
        assert isinstance(error.smtp_error, bytes)
        return error.smtp_code, error.smtp_error


class Wire:
    """A raw line client, for checking exact reply lines and when the server hangs up."""

    def __init__(self, server: FakeServer) -> None:
        self.sock = socket.create_connection((server.host, server.port), timeout=5)
        self.file = self.sock.makefile("rb")

    def reply(self) -> list[str]:
        lines: list[str] = []
        while True:
            line = self.file.readline()
            if not line:
                raise EOFError(f"connection closed after {lines!r}")
            lines.append(line.decode().rstrip("\r\n"))
            if line[3:4] != b"-":
                return lines

    def command(self, line: str) -> list[str]:
        self.sock.sendall(line.encode() + b"\r\n")
        return self.reply()

    def at_eof(self) -> bool:
        return self.file.read() == b""

    def close(self) -> None:
        self.file.close()
        self.sock.close()


@contextmanager
def wire(server: FakeServer) -> Iterator[Wire]:
    client = Wire(server)
    try:
        yield client
    finally:
        client.close()


# -- the scenario list --------------------------------------------------------------------------


def test_scenarios_are_all_listed_with_one_line_descriptions() -> None:
    assert set(SCENARIOS) == {
        "healthy",
        "greylist",
        "relay-denied",
        "unknown-user",
        "mailbox-full",
        "greeting-421",
        "greeting-554",
        "tls-required",
        "auth-required",
        "ehlo-refused",
        "mail-refused",
        "data-refused",
        "gmail-dmarc",
        "size-limit",
        "tempfail",
        "slow-greeting",
        "no-starttls",
        "mid-421",
    }
    for description in SCENARIOS.values():
        assert description and "\n" not in description and len(description) < 100


def test_unknown_scenario_tls_mode_and_non_loopback_hosts_are_refused() -> None:
    with pytest.raises(ValueError, match="greylist"):
        FakeServer("no-such-scenario")
    with pytest.raises(ValueError, match="TLS mode"):
        FakeServer(tls="sometimes")  # type: ignore[arg-type]
    for host in ("0.0.0.0", "192.0.2.1", "mail.example.test"):
        with pytest.raises(ValueError, match="loopback"):
            FakeServer(host=host, tls="none")
    assert FakeServer(host="localhost").host == "127.0.0.1"  # never looked up


def test_importing_the_package_leaves_aiosmtpd_and_trustme_unloaded() -> None:
    code = (
        "import sys, smtpdiag.fakeserver as f; assert f.SCENARIOS; "
        "print(sorted(m for m in ('aiosmtpd', 'trustme', 'cryptography') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert out.stdout.strip() == "[]"


# -- healthy ------------------------------------------------------------------------------------


def test_healthy_session_in_the_clear_and_what_is_recorded() -> None:
    with FakeServer(tls="none") as server, connected(server) as smtp:
        code, _ = smtp.ehlo()
        assert code == 250
        assert smtp.esmtp_features["size"] == "10485760"
        for keyword in ("8bitmime", "smtputf8", "pipelining", "enhancedstatuscodes"):
            assert keyword in smtp.esmtp_features
        assert "starttls" not in smtp.esmtp_features
        assert smtp.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"]
        assert smtp.mail("") == (250, b"2.1.0 Ok")
        assert smtp.rcpt(RCPT) == (250, b"2.1.5 Ok")
        code, text = send_body(smtp)
        assert code == 250 and re.fullmatch(rb"2\.0\.0 queued as [0-9A-F]{10}", text)
        assert smtp.quit() == (221, b"2.0.0 Bye")
    assert server.recorded.commands == [
        "EHLO client.test",
        "MAIL FROM:<>",
        f"RCPT TO:<{RCPT}>",
        "DATA",
        "QUIT",
    ]
    assert server.recorded.messages == [BODY]
    assert server.recorded.tls_sessions == 0


def test_a_dry_run_sends_no_data_and_stock_replies_carry_enhanced_codes() -> None:
    with FakeServer(tls="none") as server, wire(server) as client:
        assert client.reply() == ["220 fake.smtpdiag.test ESMTP smtpdiag fake server"]
        assert client.command("EHLO client.test")[-1] == "250 ENHANCEDSTATUSCODES"
        assert client.command(f"RCPT TO:<{RCPT}>") == ["503 5.5.1 Error: need MAIL command"]
        assert client.command(f"MAIL FROM:<{SENDER}>") == ["250 2.1.0 Ok"]
        assert client.command(f"RCPT TO:<{RCPT}>") == ["250 2.1.5 Ok"]
        assert client.command("XYZZY") == ['500 5.5.2 Error: command "XYZZY" not recognized']
        assert client.command("NOOP") == ["250 2.0.0 OK"]
        assert client.command("RSET") == ["250 2.0.0 OK"]
        assert client.command("QUIT") == ["221 2.0.0 Bye"]
        assert client.at_eof()
    assert "DATA" not in server.recorded.commands
    assert server.recorded.commands[-3:] == ["NOOP", "RSET", "QUIT"]
    assert "XYZZY" in server.recorded.commands
    assert server.recorded.messages == []


def test_starttls_with_the_trustme_ca_then_auth_plain_redacted() -> None:
    with FakeServer() as server, connected(server) as smtp:
        smtp.ehlo()
        assert "starttls" in smtp.esmtp_features
        assert "auth" not in smtp.esmtp_features  # no AUTH offered in the clear
        assert smtp.docmd("AUTH", "PLAIN AGRlbW8AZGVtby1wYXNzd29yZA==")[0] == 538
        assert smtp.starttls(context=verifying(server.certs))[0] == 220
        smtp.ehlo()
        assert "starttls" not in smtp.esmtp_features
        assert smtp.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"]
        assert smtp.login(DEMO_USER, DEMO_PASSWORD) == (235, b"2.7.0 Authentication successful")
        smtp.sendmail(SENDER, [RCPT], BODY)
    commands = server.recorded.commands
    assert commands[:5] == [
        "EHLO client.test",
        "AUTH PLAIN <redacted>",
        "STARTTLS",
        "EHLO client.test",
        "AUTH PLAIN <redacted>",
    ]
    assert not any("AGRlbW8" in line or DEMO_PASSWORD in line for line in commands)
    assert server.recorded.tls_sessions == 1
    assert server.recorded.messages == [BODY]


def test_auth_login_lines_are_redacted_and_a_wrong_password_gets_535() -> None:
    with FakeServer(tls="none") as server:
        with connected(server) as smtp:
            smtp.ehlo()
            smtp.user, smtp.password = DEMO_USER, DEMO_PASSWORD
            code, _ = smtp.auth("LOGIN", smtp.auth_login, initial_response_ok=False)
            assert code == 235
        with connected(server) as smtp:
            with pytest.raises(smtplib.SMTPAuthenticationError) as caught:
                smtp.login(DEMO_USER, "not-the-password")
            assert caught.value.smtp_code == 535
            assert caught.value.smtp_error == b"5.7.8 Authentication credentials invalid"
    assert server.recorded.commands == [
        "EHLO client.test",
        "AUTH LOGIN",
        "<redacted>",
        "<redacted>",
        "EHLO client.test",
        "AUTH PLAIN <redacted>",  # smtplib then tries LOGIN as well
        "AUTH LOGIN <redacted>",
        "<redacted>",
    ]


def test_implicit_tls_from_the_first_byte() -> None:
    with FakeServer(tls="implicit") as server:
        smtp = smtplib.SMTP_SSL(
            server.host,
            server.port,
            local_hostname="client.test",
            timeout=5,
            context=verifying(server.certs),
        )
        try:
            smtp.ehlo()
            assert "starttls" not in smtp.esmtp_features
            assert smtp.login(DEMO_USER, DEMO_PASSWORD)[0] == 235
            smtp.sendmail(SENDER, [RCPT], BODY)
            smtp.quit()
        finally:
            smtp.close()
    assert server.recorded.tls_sessions == 1
    assert server.recorded.messages == [BODY]


def test_the_good_certificate_is_valid_for_localhost_by_name() -> None:
    with FakeServer(tls="implicit") as server:
        raw = socket.create_connection((server.host, server.port), timeout=5)
        with verifying(server.certs).wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.recv(1024).startswith(b"220 fake.smtpdiag.test ")


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("expired", r"certificate has expired"),
        ("self-signed", r"self[- ]signed certificate"),
        ("wrong-host", r"mismatch, certificate is not valid for '127\.0\.0\.1'"),
    ],
)
def test_bad_certificates_fail_verification_for_their_reason(
    tmp_path: Path, tls: str, kind: str, reason: str
) -> None:
    certs = Certs.create(str(tmp_path), kind=kind)  # type: ignore[arg-type]
    with FakeServer(tls=tls, certs=certs) as server:  # type: ignore[arg-type]
        with pytest.raises(ssl.SSLCertVerificationError) as caught:
            if tls == "implicit":
                smtplib.SMTP_SSL(server.host, server.port, timeout=5, context=verifying(certs))
            else:
                with connected(server) as smtp:
                    smtp.ehlo()
                    smtp.starttls(context=verifying(certs))
        assert re.search(reason, caught.value.verify_message)
        # The server shrugs off the failed handshake and serves the next client.
        unverified = ssl.create_default_context()
        unverified.check_hostname, unverified.verify_mode = False, ssl.CERT_NONE
        follow_up = (
            smtplib.SMTP_SSL(server.host, server.port, timeout=5, context=unverified)
            if tls == "implicit"
            else smtplib.SMTP(server.host, server.port, timeout=5)
        )
        with follow_up:
            assert follow_up.noop()[0] == 250
        assert server.recorded.tls_sessions == (1 if tls == "implicit" else 0)


def test_two_servers_run_at_once_on_their_own_ports() -> None:
    with FakeServer("greylist", tls="none") as first, FakeServer(tls="none") as second:
        assert first.port != second.port
        with connected(first) as a, connected(second) as b:
            a.ehlo("first.test")
            b.ehlo("second.test")
            a.mail(SENDER)
            b.mail(SENDER)
            assert a.rcpt(RCPT)[0] == 450
            assert b.rcpt(RCPT)[0] == 250
    assert first.recorded.commands[0] == "EHLO first.test"
    assert second.recorded.commands[0] == "EHLO second.test"


def test_stop_does_not_wait_for_a_client_left_connected() -> None:
    server = FakeServer().start()
    with connected(server) as smtp:
        smtp.ehlo()
        smtp.starttls(context=verifying(server.certs))
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 1
        with pytest.raises(smtplib.SMTPServerDisconnected,
                           match=r"Server not connected|Connection unexpectedly closed"):
            smtp.noop()
    server.stop()  # a second stop is harmless


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


# -- serve_forever ------------------------------------------------------------------------------


def _port_from(lines: list[str]) -> int:
    match = re.fullmatch(
        r"listening on 127\.0\.0\.1:(\d+) \(scenario healthy, STARTTLS offered\)", lines[0]
    )
    assert match, lines
    return int(match.group(1))


def _wait_for(lines: list[str], count: int) -> None:
    deadline = time.monotonic() + 5
    while len(lines) < count:
        assert time.monotonic() < deadline, lines
        time.sleep(0.01)


def test_serve_forever_announces_and_stops_when_told() -> None:
    lines: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=serve_forever,
        args=("healthy",),
        kwargs={"port": 0, "announce": lines.append, "stop": stop},
    )
    thread.start()
    try:
        _wait_for(lines, 3)
        port = _port_from(lines)
        assert re.fullmatch(r"CA file \(pass as --ca-file\): .+ca\.pem", lines[1])
        assert lines[2] == "AUTH test credentials: user demo, password demo-password"
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
            assert smtp.noop()[0] == 250
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_serve_forever_stops_cleanly_on_keyboard_interrupt() -> None:
    lines: list[str] = []

    def interrupt_once_listening() -> None:
        _wait_for(lines, 3)
        os.kill(os.getpid(), signal.SIGINT)  # a real SIGINT, as Ctrl-C sends (it also wakes
        # the event loop's select, which _thread.interrupt_main's flag alone may not)

    # Ctrl-C as a process sees it by default, whatever handler an earlier test left behind
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    helper = threading.Thread(target=interrupt_once_listening)
    helper.start()
    try:
        serve_forever("healthy", port=0, announce=lines.append)  # returns instead of raising
    finally:
        signal.signal(signal.SIGINT, previous)
    helper.join(5)
    port = _port_from(lines)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


# -- pure helpers -------------------------------------------------------------------------------


def test_enhanced_codes_are_added_only_where_missing() -> None:
    assert with_enhanced_code("250 OK", "MAIL") == "250 2.1.0 OK"
    assert with_enhanced_code("250 OK", "RCPT") == "250 2.1.5 OK"
    assert with_enhanced_code("250 OK", "RSET") == "250 2.0.0 OK"
    assert with_enhanced_code("503 Error: send HELO first", "MAIL") == (
        "503 5.5.1 Error: send HELO first"
    )
    refusal = "450 4.2.0 <a@b>: Greylisted"
    assert with_enhanced_code(refusal, "RCPT") == refusal
    assert with_enhanced_code("354 End data with <CR><LF>.<CR><LF>", "DATA").startswith("354 End")
    assert with_enhanced_code("334 VXNlcm5hbWU6", "AUTH") == "334 VXNlcm5hbWU6"
    assert with_enhanced_code("599 Odd", None) == "599 5.0.0 Odd"
    assert with_enhanced_code("550-first\r\n550 last", "DATA") == (
        "550-5.0.0 first\r\n550 5.0.0 last"
    )


def test_redaction_keeps_the_mechanism_and_hides_the_rest() -> None:
    assert redact_command("AUTH", "PLAIN AGRlbW8AZGVtbw==") == "AUTH PLAIN <redacted>"
    assert redact_command("AUTH", "LOGIN") == "AUTH LOGIN"
    assert redact_command("MAIL", "FROM:<>") == "MAIL FROM:<>"
    assert redact_command("DATA", None) == "DATA"
    recorded = Recorded()
    recorded.add_command("NOOP")
    recorded.add_tls_session()
    assert (recorded.commands, recorded.tls_sessions) == (["NOOP"], 1)
