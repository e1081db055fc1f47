"""A certificate whose names are hostile: controls, markup, commas, a backslash, many SANs.

The subject and issuer are server text like any reply: every output shows them escaped once,
as the names say them (``O=Evil, Inc.``, not RFC 4514's ``O=Evil\\, Inc.`` whose backslash
would then show doubled), and a certificate listing thousands of names is shown in a line.
"""

from __future__ import annotations

import datetime
import json
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .conftest import assert_no_traceback, run_cli
from .hostile import GREETING, HostileServer, expect, send, smtp, start_tls

ORG = "Evil, Inc. \x1b]0;TITLE\x07 [bold]x[/bold]"
COMMON = "a\\b \u202eevil"
SANS = ["localhost", "[red]marked[/red].test", *(f"n{i}.test" for i in range(3000))]


def _context(tmp_path: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORG),
                      x509.NameAttribute(NameOID.COMMON_NAME, COMMON)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in SANS]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context


def test_hostile_certificate_names_are_shown_escaped_once(tmp_path: Path) -> None:
    script = [send(GREETING), expect(b"EHLO"), send(b"250-hostile.test\r\n250 STARTTLS\r\n"),
              expect(b"STARTTLS"), send(b"220 2.0.0 go ahead\r\n"),
              start_tls(_context(tmp_path)), smtp()]
    with HostileServer(script) as server:
        plain = run_cli("probe", server.target, "--timeout", "10", "--dry-run")
        as_json = run_cli("probe", server.target, "--timeout", "10", "--dry-run", "--json")
        nagios = run_cli("check", server.target, "--timeout", "10", "--format", "nagios")
    for result in (plain, as_json, nagios):
        assert_no_traceback(result)
        assert "\x1b" not in result.stdout + result.stderr
    assert plain.returncode == 0, plain.stdout + plain.stderr  # port 25's STARTTLS: a warning
    shown = "CN=a\\\\b \\u202eevil,O=Evil, Inc. \\x1b]0;TITLE\\x07 [bold]x[/bold]"
    assert f"subject {shown} · issuer {shown}" in plain.stdout
    names = next(line for line in plain.stdout.splitlines() if "names DNS:" in line)
    assert names.strip() == "names " + ", ".join(f"DNS:{n}" for n in SANS[:8]) + " …"
    tls = json.loads(as_json.stdout)["attempts"][0]["tls"]
    assert tls["subject"] == f"CN={COMMON},O={ORG}"  # the exact names
    assert len(tls["sans"]) == len(SANS)


def test_a_server_that_wants_a_client_certificate_is_said_to(tmp_path: Path) -> None:
    """TLS 1.3: the handshake ends on the client's side before the server has read the client's
    (empty) certificate, so its refusal (an alert, then a close) arrives at the EHLO that
    follows.  "closed the connection" alone sent a person looking at the network."""
    context = _context(tmp_path)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(tmp_path / "cert.pem")
    script = [send(GREETING), expect(b"EHLO"), send(b"250-hostile.test\r\n250 STARTTLS\r\n"),
              expect(b"STARTTLS"), send(b"220 2.0.0 go ahead\r\n"), start_tls(context), smtp()]
    with HostileServer(script) as server:
        result = run_cli("probe", server.target, "--timeout", "10", "--dry-run", "--json")
    assert_no_traceback(result)
    assert result.returncode == 3, result.stdout + result.stderr
    error = json.loads(result.stdout)["attempts"][0]["error"]
    assert error["step"] == "ehlo-tls"
    assert "client certificate" in error["message"], error["message"]
