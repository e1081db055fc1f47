"""A server whose STARTTLS handshake fails (here: one that offers only TLS 1.0, as an old
OpenSSL build or an old ``smtpd_tls_protocols`` leaves it), probed where STARTTLS is used when
offered (port 25).  Sending servers deliver to it anyway, in plaintext (Exim at once,
tls_tempfail_tryclear; Postfix at its "may" level on a retry): so the probe walks again in
plaintext, its verdict is that walk's, and the failed handshake is a finding and a check
WARNING with its fix.  Where TLS is required (587, ``--tls starttls``) it stays a failed walk.
"""

from __future__ import annotations

import json
import ssl
import warnings
from typing import Any

import pytest

from .conftest import assert_no_traceback, assert_valid, run_cli
from .hostile import GREETING, Conn, HostileServer

EHLO = b"250-mx.old.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from smtpdiag.fakeserver import Certs

    return Certs.create(str(tmp_path_factory.mktemp("tls")))


@pytest.fixture(scope="module")
def tls10(certs: Any) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs.cert_file, certs.key_file)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers("ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0")
    except (ssl.SSLError, ValueError):
        pytest.skip("this OpenSSL cannot offer TLS 1.0")
    return context


def _server(context: ssl.SSLContext) -> HostileServer:
    """An MTA offering STARTTLS with only TLS 1.0 behind it, and taking mail in plaintext."""
    async def script(conn: Conn) -> None:
        await conn.send(GREETING)
        while line := await conn.line():
            verb = line[:4].upper()
            if verb == b"STAR":
                await conn.send(b"220 2.0.0 Ready to start TLS\r\n")
                await conn.writer.start_tls(context)
            elif verb == b"EHLO":
                await conn.send(EHLO)
            elif verb == b"QUIT":
                await conn.send(b"221 2.0.0 Bye\r\n")
                return
            else:
                await conn.send(b"250 2.0.0 Ok\r\n")
    return HostileServer(script)


def _probe(context: ssl.SSLContext, certs: Any, *args: str) -> tuple[int, dict[str, Any], list[
        bytes]]:
    with _server(context) as server:
        result = run_cli("probe", server.target, "--timeout", "3", "--dry-run", "--json",
                         "--ca-file", certs.ca_file, "--to", "alice@old.test", *args)
        received = list(server.received)
    assert_no_traceback(result)
    report = json.loads(result.stdout)
    assert_valid(report, "report")
    return result.returncode, report, received


def test_port_25_walks_again_in_plaintext_as_senders_do(tls10: ssl.SSLContext,
                                                        certs: Any) -> None:
    code, report, received = _probe(tls10, certs)
    assert report["verdict"] == "accepted" and code == 0, report["summary"]
    assert "only in plaintext: the STARTTLS handshake failed" in report["summary"]
    attempt = report["attempts"][0]
    assert attempt["error"] is None and attempt["tls"] is None
    names = [s["name"] for s in attempt["steps"]]
    assert names[:5] == ["connect", "greeting", "ehlo", "starttls", "tls"]
    assert names[5:] == ["connect", "greeting", "ehlo", "mail", "rcpt", "rset", "quit"]
    assert b"RCPT TO:<alice@old.test>\r\n" in received
    (found,) = [f for f in attempt["findings"] if f["step"] == "tls"]
    assert found["severity"] == "critical"
    assert "the server offers only TLS 1.0" in found["message"]
    assert "deliver in plaintext" in found["message"] and "MTA-STS" in found["message"]
    assert "Fix: enable TLS 1.2 and 1.3" in found["message"]


def test_check_says_warning_with_why_not_critical(tls10: ssl.SSLContext, certs: Any) -> None:
    with _server(tls10) as server:
        result = run_cli("check", server.target, "--timeout", "3", "--format", "nagios",
                         "--ca-file", certs.ca_file, "--to", "alice@old.test")
    assert_no_traceback(result)
    assert result.returncode == 1, result.stdout
    head = result.stdout.splitlines()[0]
    assert head.startswith("SMTPDIAG WARNING") and "STARTTLS handshake failed" in head
    assert "offers only TLS 1.0" in head and "mail goes in plaintext" in head


def test_required_tls_still_fails_there(tls10: ssl.SSLContext, certs: Any) -> None:
    """587 or --tls starttls: a client that must have TLS cannot use this server at all."""
    code, report, received = _probe(tls10, certs, "--tls", "starttls")
    assert report["verdict"] == "failed" and code == 3
    assert "the server offers only TLS 1.0" in report["attempts"][0]["error"]["message"]
    assert not any(line.startswith(b"MAIL") for line in received)
