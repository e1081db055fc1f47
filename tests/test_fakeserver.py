"""The fake SMTP server against real clients on loopback: smtplib and a raw socket.

The scenario list, the healthy sessions (clear, STARTTLS, implicit TLS, AUTH redacted) and the
pure helpers.  TLS is checked with real verification against the trustme CA, so each bad
certificate kind must fail the way it fails in the field.  All servers bind 127.0.0.1 on a free
port.  The refusing scenarios and ``serve_forever``: ``test_fakeserver_*.py`` beside it.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smtpdiag.fakeserver import DEMO_PASSWORD, DEMO_USER, SCENARIOS, Certs, FakeServer, Recorded
from smtpdiag.fakeserver.enhanced import with_enhanced_code
from smtpdiag.fakeserver.recorded import redact_command

from .fakeserverkit import BODY, RCPT, SENDER, connected, send_body, verifying, wire

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
