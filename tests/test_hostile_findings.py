"""What a misbehaving server did wrong is said, as a failure or as a finding, never silence.

Round two of the hostile servers: a server that talks before its greeting, or greets with
something else than 220/421/554; replies nobody asked for; control bytes inside EHLO keywords;
malformed enhanced status codes; QUIT left unanswered; an AUTH line longer than smtpdiag keeps.
Each runs through the real CLI against a scripted server on loopback.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from .conftest import assert_no_traceback, assert_valid, run_cli
from .hostile import EHLO_OK, GREETING, HostileServer, Script, expect, hang, send, sleep, smtp

AT_MAIL = [send(GREETING), expect(b"EHLO"), send(EHLO_OK), expect(b"MAIL")]


def _probe(script: Script, *args: str, timeout: str = "1") -> tuple[
        subprocess.CompletedProcess[str], dict[str, Any]]:
    with HostileServer(script) as server:
        result = run_cli("probe", server.target, "--timeout", timeout, "--dry-run", "--json",
                         *args)
    assert_no_traceback(result)
    assert "internal error" not in result.stderr
    report = json.loads(result.stdout)
    assert_valid(report, "report")
    return result, report


def _warnings(report: dict[str, Any]) -> list[str]:
    return [f["message"] for a in report["attempts"] for f in a["findings"]
            if f["severity"] == "warning"]


@pytest.mark.parametrize("early", [
    [send(b"250 early bird\r\n" + GREETING)],  # glued in one write
    [send(b"250 early bird\r\n"), sleep(0.1), send(GREETING)],  # or a moment before
])
def test_a_reply_before_the_greeting_is_named_talks_before_greeting(early: list[Any]) -> None:
    result, report = _probe([*early, smtp()])
    assert result.returncode == 3, result.stdout
    error = report["attempts"][0]["error"]
    assert error["kind"] == "protocol" and error["step"] == "greeting"
    assert "talks before its greeting" in error["message"]
    assert "'250 early bird'" in error["message"]
    assert "refused" not in report["summary"]


@pytest.mark.parametrize(("greeting", "verdict", "code"), [
    (b"450 later\r\n", "deferred", 4), (b"500 what\r\n", "refused", 1)])
def test_a_greeting_refusing_in_a_wrong_code_is_read_as_a_refusal_with_a_warning(
        greeting: bytes, verdict: str, code: int) -> None:
    result, report = _probe([send(greeting), smtp()])
    assert (result.returncode, report["verdict"]) == (code, verdict), result.stdout
    assert report["attempts"][0]["error"] is None
    assert any(f["severity"] == "warning" and f"refused with {greeting[:3].decode()}" in
               f["message"] for f in report["attempts"][0]["findings"])


@pytest.mark.parametrize("greeting", [b"250 I am ready\r\n", b"354 go on\r\n"])
def test_a_greeting_that_is_not_220_421_554_is_a_protocol_violation(greeting: bytes) -> None:
    result, report = _probe([send(greeting), smtp()])
    assert result.returncode == 3, result.stdout
    error = report["attempts"][0]["error"]
    assert error["kind"] == "protocol" and error["step"] == "greeting"
    assert f"{greeting[:3].decode()}" in error["message"]
    assert "must open with 220" in error["message"]


def test_a_554_greeting_is_still_a_refusal() -> None:
    result, report = _probe([send(b"554 5.7.1 no\r\n"), smtp()])
    assert result.returncode == 1
    assert report["verdict"] == "refused"


@pytest.mark.parametrize(("script", "after"), [
    ([send(GREETING + b"250 glued extra\r\n"), smtp()], "greeting"),
    ([send(GREETING), expect(b"EHLO"), send(EHLO_OK + b"250 glued extra\r\n"), smtp()], "ehlo"),
    ([*AT_MAIL, send(b"250 2.1.0 ok\r\n250 glued extra\r\n"), smtp()], "mail"),
])
def test_a_reply_nobody_asked_for_is_a_warning(script: list[Any], after: str) -> None:
    result, report = _probe(script)
    assert result.returncode == 0, result.stdout
    (warning,) = [w for w in _warnings(report) if "unasked" in w]
    assert f"after its {after} reply" in warning
    assert "'250 glued extra'" in warning
    step = next(s for s in report["attempts"][0]["steps"] if s["name"] == after)
    assert step["unasked"] == "250 glued extra"


def test_control_bytes_in_an_ehlo_keyword_are_a_warning_and_not_trusted() -> None:
    ehlo = b"250-hostile.test\r\n250-STARTTLS\x01\r\n250-AU\x1bTH PLAIN\r\n250 8BITMIME\r\n"
    result, report = _probe([send(GREETING), expect(b"EHLO"), send(ehlo), smtp(ehlo)])
    assert result.returncode == 0, result.stdout
    caps = report["attempts"][0]["capabilities"]
    assert caps["starttls"] is False and caps["auth"] == []
    warnings = [w for w in _warnings(report) if "control character" in w]
    assert len(warnings) == 1
    # a sentence: as shown (the reply's lines keep the exact text)
    assert "'STARTTLS\\x01'" in warnings[0] and "'AU\\x1bTH PLAIN'" in warnings[0]


@pytest.mark.parametrize("reply", [b"250 2.0.99999 ok\r\n", b"250 9.9.9 ok\r\n",
                                   b"250 5.1.0 ok\r\n", b"250 2.0 ok\r\n"])
def test_a_malformed_enhanced_code_is_a_warning(reply: bytes) -> None:
    script = [send(GREETING), expect(b"EHLO"),
              send(b"250-hostile.test\r\n250 ENHANCEDSTATUSCODES\r\n"), expect(b"MAIL"),
              send(reply), smtp()]
    result, report = _probe(script)
    assert result.returncode == 0, result.stdout
    shown = reply[4:].split()[0].decode()
    (warning,) = [w for w in _warnings(report) if "enhanced status code" in w]
    assert f"'{shown}'" in warning and "mail" in warning


def test_an_unanswered_quit_is_a_warning() -> None:
    script = [*AT_MAIL, send(b"250 ok\r\n"), expect(b"RCPT"), send(b"250 ok\r\n"),
              expect(b"RSET"), send(b"250 ok\r\n"), expect(b"QUIT"), hang()]
    result, report = _probe(script, timeout="0.5")
    assert result.returncode == 0, result.stdout
    assert any("QUIT" in w and "no answer" in w for w in _warnings(report))


def test_a_quit_answered_with_a_wrong_code_is_a_warning() -> None:
    script = [*AT_MAIL, send(b"250 ok\r\n"), expect(b"RCPT"), send(b"250 ok\r\n"),
              expect(b"RSET"), send(b"250 ok\r\n"), expect(b"QUIT"), send(b"250 whatever\r\n")]
    _, report = _probe(script)
    assert any("QUIT" in w and "250" in w for w in _warnings(report))


def test_a_well_behaved_server_has_none_of_these_warnings() -> None:
    result, report = _probe([send(GREETING), smtp()], "--tls", "none")
    assert result.returncode == 0
    assert _warnings(report) == []


@pytest.mark.parametrize("mechanisms", [
    b"X" * 3000 + b" PLAIN",  # one huge fragment, then PLAIN past the cut
    b" ".join(b"M%d" % i for i in range(700)) + b" PLAIN",  # many short words, PLAIN at the end
])
def test_a_long_auth_line_is_parsed_whole_and_the_cut_is_said(mechanisms: bytes) -> None:
    ehlo = b"250-hostile.test\r\n250-AUTH " + mechanisms + b"\r\n250 8BITMIME\r\n"
    result, report = _probe([send(GREETING), expect(b"EHLO"), send(ehlo), smtp(ehlo)])
    assert result.returncode == 0, result.stdout
    auth = report["attempts"][0]["capabilities"]["auth"]
    assert "PLAIN" in auth
    assert all(len(m) <= 20 for m in auth)  # SASL names are 1-20 characters (RFC 4422)
    findings = [f["message"] for f in report["attempts"][0]["findings"]]
    assert any("ehlo" in f and "512" in f and "cut" in f for f in findings), findings


def test_all_mx_summary_names_the_worst_host_with_its_reason_and_counts_the_rest() -> None:
    """29 MX hosts refuse at RCPT, one accepts: the summary is about a refusal, not about
    whichever host happened to be walked last."""
    from .dnsserver import DnsServer

    served = [0]

    async def script(conn: Any) -> None:
        served[0] += 1
        good = served[0] == 1  # connections come in any order: one host of the 30 is good
        for action in [send(GREETING), expect(b"EHLO"), send(EHLO_OK), expect(b"MAIL"),
                       send(b"250 2.1.0 ok\r\n")]:
            await action(conn)
        if not good:
            await expect(b"RCPT")(conn)
            await send(b"550 5.1.1 no such user here\r\n")(conn)
        await smtp()(conn)

    records: dict[tuple[str, str], list[str]] = {
        ("many.test", "MX"): [f"10 mx{i:02d}.many.test." for i in range(30)]}
    records.update({(f"mx{i:02d}.many.test", "A"): ["127.0.0.1"] for i in range(30)})
    with DnsServer(records) as dns, HostileServer(script) as server:
        result = run_cli("probe", "many.test", "--all-mx", "--port", str(server.port),
                         "--nameserver", f"127.0.0.1:{dns.port}", "--timeout", "5",
                         "--dry-run", "--json", "--tls", "none")
    assert_no_traceback(result)
    report = json.loads(result.stdout)
    assert_valid(report, "report")
    assert report["verdict"] == "refused", report["summary"]
    summary = report["summary"]
    assert "refused at rcpt: 550 5.1.1 no such user here" in summary
    assert summary.endswith("[30 addresses walked: 29 refused, 1 accepted]")
    named = summary.split(" ", 1)[0]
    (attempt,) = [a for a in report["attempts"] if a["host"] == named]
    assert attempt["outcome"] == "refused"


# --- TLS: a server that offers only old versions or weak ciphers


def _old_tls_context(certs: Any, version: str, ciphers: str) -> Any:
    """A server context limited to ``version``; OpenSSL needs security level 0 for TLS < 1.2."""
    import ssl
    import warnings

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs.cert_file, certs.key_file)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = context.maximum_version = getattr(ssl.TLSVersion, version)
    context.set_ciphers(ciphers)
    return context


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from smtpdiag.fakeserver import Certs

    return Certs.create(str(tmp_path_factory.mktemp("tls")))


@pytest.mark.parametrize(("version", "name", "implicit"), [
    ("TLSv1", "TLS 1.0", False), ("TLSv1_1", "TLS 1.1", True)])
def test_a_server_offering_only_old_tls_is_named_with_its_version(
        certs: Any, version: str, name: str, implicit: bool) -> None:
    from .hostile import start_tls

    context = _old_tls_context(certs, version, "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0")
    starttls = [send(GREETING), expect(b"EHLO"), send(b"250-hostile.test\r\n250 STARTTLS\r\n"),
                expect(b"STARTTLS"), send(b"220 2.0.0 go ahead\r\n"), start_tls(context), smtp()]
    with HostileServer([send(GREETING), smtp()] if implicit else starttls,
                       ssl_context=context if implicit else None) as server:
        # where TLS is required: on port 25's STARTTLS-when-offered the walk goes on in
        # plaintext after the failed handshake (tests/test_tls_fallback.py)
        args = ["--tls", "implicit"] if implicit else ["--tls", "starttls"]
        result = run_cli("probe", server.target, "--timeout", "2", "--dry-run", "--json",
                         "--ca-file", certs.ca_file, *args)
        connections = server.connections
    assert_no_traceback(result)
    assert result.returncode == 3, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert_valid(report, "report")
    attempt = report["attempts"][0]
    assert attempt["error"]["step"] == "tls" and attempt["error"]["kind"] == "tls"
    assert f"the server offers only {name} with ECDHE-ECDSA-AES128-SHA" in attempt["error"][
        "message"]
    assert "diagnostic-only connection" in attempt["error"]["message"]
    # The walk, and the one labelled diagnostic handshake (an implicit-TLS server counts only
    # the connections whose handshake completed: the diagnostic one).
    assert connections == (1 if implicit else 2)
    assert attempt["tls"]["version"] == version.replace("_", ".")
    warnings = _warnings(report)
    assert any(w.startswith(f"outdated TLS version {version.replace('_', '.')}")
               for w in warnings), warnings
    assert any(w.startswith("weak cipher ECDHE-ECDSA-AES128-SHA: CBC mode") for w in warnings)


def test_a_cbc_cipher_on_tls_1_2_is_a_warning(certs: Any) -> None:
    context = _old_tls_context(certs, "TLSv1_2", "ECDHE-ECDSA-AES128-SHA256")
    with HostileServer([send(GREETING), smtp()], ssl_context=context) as server:
        result, report = _probe_args(server, "--tls", "implicit", "--ca-file", certs.ca_file)
    assert result.returncode == 0, result.stdout + result.stderr
    assert report["attempts"][0]["tls"]["cipher"] == "ECDHE-ECDSA-AES128-SHA256"
    (weak,) = [w for w in _warnings(report) if w.startswith("weak cipher")]
    assert "CBC mode" in weak and "forward secrecy" not in weak


def _probe_args(server: HostileServer, *args: str) -> tuple[
        subprocess.CompletedProcess[str], dict[str, Any]]:
    result = run_cli("probe", server.target, "--timeout", "2", "--dry-run", "--json", *args)
    assert_no_traceback(result)
    report = json.loads(result.stdout)
    assert_valid(report, "report")
    return result, report


def test_a_protocol_version_alert_leads_to_the_same_diagnosis(certs: Any) -> None:
    """A server that answers our ClientHello with a protocol_version alert (as OpenSSL-based
    MTAs do; asyncio servers just hang up): the raw alert is kept on the failed step, the
    attempt says what the server offers."""
    import socket
    import ssl
    import threading

    context = _old_tls_context(certs, "TLSv1", "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0")
    listener = socket.create_server(("127.0.0.1", 0))
    handshakes: list[str] = []

    def serve() -> None:
        for _ in range(2):
            conn, _ = listener.accept()
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    handshakes.append(str(tls.version()))
                    tls.sendall(GREETING)
                    tls.recv(100)  # until the client goes
            except (ssl.SSLError, OSError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        port = listener.getsockname()[1]
        result = run_cli("probe", f"127.0.0.1:{port}", "--timeout", "2", "--tls", "implicit",
                         "--ca-file", certs.ca_file, "--json")
        thread.join(5)
    finally:
        listener.close()
    assert_no_traceback(result)
    assert result.returncode == 3, result.stdout + result.stderr
    report = json.loads(result.stdout)
    attempt = report["attempts"][0]
    assert "the server offers only TLS 1.0" in attempt["error"]["message"]
    (step,) = [s for s in attempt["steps"] if s["name"] == "tls"]
    assert "TLSV1_ALERT_PROTOCOL_VERSION" in step["error"]["message"]
    assert handshakes == ["TLSv1"]  # the diagnostic one; ours was refused with the alert
    assert [s["name"] for s in attempt["steps"]] == ["connect", "tls"]


# --- the MX set: aliases and equal preferences, from a real DNS server on loopback


def test_an_mx_that_is_a_cname_is_a_warning_and_equal_preferences_are_shown() -> None:
    from .dnsserver import DnsServer

    records = {
        ("alias.test", "MX"): ["10 mx1.alias.test.", "10 mx2.alias.test.", "20 mx3.alias.test."],
        ("mx1.alias.test", "CNAME"): ["real.alias.test."],
        ("real.alias.test", "A"): ["127.0.0.1"],
        ("mx2.alias.test", "A"): ["127.0.0.1"],
        ("mx3.alias.test", "A"): ["127.0.0.1"],
    }
    with DnsServer(records) as dns, HostileServer([send(GREETING), smtp()]) as server:
        args = ["probe", "alias.test", "--port", str(server.port), "--nameserver",
                f"127.0.0.1:{dns.port}", "--timeout", "2", "--quit-after", "greeting"]
        shown = run_cli(*args)
        result = run_cli(*args, "--json")
    assert_no_traceback(result)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert_valid(report, "report")
    resolution = report["resolution"]
    assert [(m["host"], m["cname"]) for m in resolution["mx"]] == [
        ("mx1.alias.test", "real.alias.test"), ("mx2.alias.test", None),
        ("mx3.alias.test", None)]
    findings = {f["severity"]: f["message"] for f in resolution["findings"]}
    assert set(findings) == {"warning", "info"}
    assert "mx1.alias.test is an alias (CNAME) of real.alias.test" in findings["warning"]
    assert "RFC 2181 §10.3" in findings["warning"]
    assert "mx1.alias.test, mx2.alias.test share preference 10" in findings["info"]
    assert ("MX: 10 mx1.alias.test (alias of real.alias.test) and mx2.alias.test (equal "
            "preference), 20 mx3.alias.test") in shown.stdout
    assert "is an alias (CNAME)" in shown.stdout


def test_a_plain_mx_set_has_no_mx_findings() -> None:
    from .dnsserver import DnsServer

    records = {("plain.test", "MX"): ["10 mx1.plain.test.", "20 mx2.plain.test."],
               ("mx1.plain.test", "A"): ["127.0.0.1"], ("mx2.plain.test", "A"): ["127.0.0.1"]}
    with DnsServer(records) as dns, HostileServer([send(GREETING), smtp()]) as server:
        result = run_cli("probe", "plain.test", "--port", str(server.port), "--nameserver",
                         f"127.0.0.1:{dns.port}", "--timeout", "2", "--quit-after", "greeting",
                         "--json")
    report = json.loads(result.stdout)
    assert report["resolution"]["findings"] == []
    assert [m["cname"] for m in report["resolution"]["mx"]] == [None, None]


@pytest.mark.parametrize("limit", [b"-5", b"1e99", b"9" * 30])
def test_a_size_limit_that_is_no_number_is_shown_as_said_not_as_no_limit(limit: bytes) -> None:
    ehlo = b"250-hostile.test\r\n250-SIZE " + limit + b"\r\n250 8BITMIME\r\n"
    with HostileServer([send(GREETING), expect(b"EHLO"), send(ehlo), smtp(ehlo)]) as server:
        result = run_cli("probe", server.target, "--timeout", "2", "--dry-run", "--tls", "none")
    assert_no_traceback(result)
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(line for line in result.stdout.splitlines() if "capabilities:" in line)
    assert line.endswith("capabilities: 8BITMIME · SIZE " + limit.decode()), line
