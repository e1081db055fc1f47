"""Plaintext after the 220 to STARTTLS: discarded, never read as a reply, and reported.

RFC 3207 §4.2: a client must discard what it read before the TLS handshake.  A server that
sends replies right behind its 220 (a bad buffer, or a man in the middle inserting them) gets
them read as answers inside TLS by a client that keeps them: the response-injection class of
CVE-2011-0411.  smtpdiag drops them, walks on over TLS with the server's real replies, and says
what it dropped: a warning in ``probe``, a WARNING in ``check``.
"""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from smtpdiag.fakeserver import Certs

from .conftest import assert_no_traceback, run_cli
from .hostile import GREETING, Conn, HostileServer, Script, expect, hang, send, smtp, start_tls

STARTTLS_EHLO = b"250-hostile.test\r\n250 STARTTLS\r\n"
INJECTED = b"250-INJECTED\r\n250 AUTH PLAIN\r\n"
SHOWN = "'250-INJECTED\\x0d\\x0a250 AUTH PLAIN'"
MESSAGE = (f"STARTTLS response injection: after its 220 to STARTTLS the server sent {SHOWN} "
           "in plaintext, before the TLS handshake; smtpdiag discarded it, as RFC 3207 §4.2 "
           "requires (a client that kept it would read it as replies inside TLS: the class of "
           "CVE-2011-0411), whether the server buffers badly or something on the path inserted "
           "it")


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return Certs.create(str(tmp_path_factory.mktemp("inject")))


def _injecting(certs: Certs) -> Script:
    """The 220 and the injected reply in one write, as a buffering server sends them."""
    return [send(GREETING), expect(b"EHLO"), send(STARTTLS_EHLO), expect(b"STARTTLS"),
            send(b"220 2.0.0 go ahead\r\n" + INJECTED), start_tls(certs.server_context()),
            smtp()]


def test_probe_discards_the_injected_reply_and_warns(certs: Certs) -> None:
    with HostileServer(_injecting(certs)) as server:
        shown = run_cli("probe", server.target, "--timeout", "10", "--dry-run",
                        "--ca-file", certs.ca_file)
        as_json = run_cli("probe", server.target, "--timeout", "10", "--dry-run", "--json",
                          "--ca-file", certs.ca_file)
    assert_no_traceback(shown)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert f"  ! warning: {MESSAGE}" in shown.stdout.splitlines()
    attempt = json.loads(as_json.stdout)["attempts"][0]
    # a JSON sentence quotes the server as shown; ``unasked`` (below) keeps the exact text
    assert {"severity": "warning", "message": MESSAGE, "step": "starttls"} in attempt["findings"]
    steps = {step["name"]: step for step in attempt["steps"]}
    # the EHLO inside TLS got the server's real answer, not the injected one
    assert steps["ehlo-tls"]["reply"]["lines"] == ["hostile.test greets you", "SIZE 10240000",
                                                   "8BITMIME"]
    assert attempt["capabilities"]["auth"] == []
    assert steps["starttls"]["unasked"] == "250-INJECTED\r\n250 AUTH PLAIN"


@pytest.mark.parametrize("form", ["jsonl", "nagios"])
def test_check_calls_an_injection_a_warning(certs: Certs, form: str) -> None:
    with HostileServer(_injecting(certs)) as server:
        result = run_cli("check", server.target, "--timeout", "10", "--ca-file", certs.ca_file,
                         "--format", form)
    assert_no_traceback(result)
    assert result.returncode == 1, result.stdout + result.stderr
    if form == "jsonl":
        line = json.loads(result.stdout)
        assert line["reasons"] == [{"state": "WARNING", "message": f"starttls: {MESSAGE}",
                                    "step": "starttls"}]
    else:
        assert result.stdout.startswith(f"SMTPDIAG WARNING - {server.target}: starttls: "
                                        "STARTTLS response injection: ")


def test_a_220_then_plaintext_instead_of_a_handshake_fails_at_tls(certs: Certs) -> None:
    script = [send(GREETING), expect(b"EHLO"), send(STARTTLS_EHLO), expect(b"STARTTLS"),
              send(b"220 2.0.0 go ahead\r\n250 2.0.0 still plaintext\r\n"), hang()]
    with HostileServer(script) as server:
        result = run_cli("probe", server.target, "--timeout", "1", "--dry-run",
                         "--ca-file", certs.ca_file)
    assert result.returncode == 3, result.stdout + result.stderr
    verdict = next(line for line in result.stdout.splitlines() if line.startswith("Verdict:"))
    assert re.fullmatch(r"Verdict: FAILED — 127\.0\.0\.1:\d+: tls failed: the TLS handshake "
                        r"with 127\.0\.0\.1:\d+ did not finish within 1 s  \(\d+ ms\)", verdict)
    assert ("  ! warning: STARTTLS response injection: after its 220 to STARTTLS the server "
            "sent '250 2.0.0 still plaintext' in plaintext") in result.stdout
    assert not any(line.startswith(b"MAIL") for line in server.received)


def test_bytes_that_are_not_tls_inside_the_session_are_named_not_a_hang_up(certs: Certs) -> None:
    async def garbage(conn: Conn) -> None:
        await conn.line()  # the EHLO inside TLS: answered with plaintext bytes under the TLS
        raw = conn.writer.transport._ssl_protocol._transport  # type: ignore[attr-defined]
        raw.write(b"\x16\x03\x01 250 not a TLS record\r\n")
        await asyncio.sleep(3)

    script = [send(GREETING), expect(b"EHLO"), send(STARTTLS_EHLO), expect(b"STARTTLS"),
              send(b"220 2.0.0 go ahead\r\n"), start_tls(certs.server_context()), garbage]
    with HostileServer(script) as server:
        result = run_cli("probe", server.target, "--timeout", "2", "--dry-run",
                         "--ca-file", certs.ca_file)
    assert_no_traceback(result)
    assert result.returncode == 3, result.stdout + result.stderr
    assert re.search(r"✗ the TLS session with \S+ broke: [A-Z_]+; the server sent something "
                     r"that is not a valid TLS record inside the encrypted session", result.stdout)
    assert "closed the connection" not in result.stdout
