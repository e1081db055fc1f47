"""``smtpdiag exporter`` as a process on loopback, probing real fake servers over real sockets."""

from __future__ import annotations

import base64
import datetime
import threading

import pytest

import smtpdiag
from smtpdiag.fakeserver import DEMO_PASSWORD, DEMO_USER, FakeServer
from tests.conftest import assert_no_traceback, run_cli
from tests.exporterproc import ExporterProcess, samples
from tests.hostile import GREETING, Conn, HostileServer, hang

CONFIG = """
[exporter]
allow = ["127.0.0.0/8"]
concurrency = 4

[modules.plain]
tls = "none"
helo = "monitor.smtpdiag.test"
from = "monitor@smtpdiag.test"
to = "postmaster@smtpdiag.test"
timeout = 5

[modules.strict]
tls = "none"
helo = "monitor.smtpdiag.test"
fail_on_warning = true
expect = { greeting = "220" }

[modules.tls]
tls = "starttls"
helo = "monitor.smtpdiag.test"
ca_file = "{ca_file}"
"""


@pytest.fixture(scope="module")
def servers():
    with FakeServer("healthy", tls="starttls") as healthy, \
            FakeServer("relay-denied", tls="none") as refusing, \
            FakeServer("greylist", tls="none") as greylist, \
            HostileServer([hang()]) as silent:
        yield {"healthy": healthy, "refusing": refusing, "greylist": greylist, "silent": silent}


@pytest.fixture(scope="module")
def exporter(servers, tmp_path_factory):
    config = CONFIG.replace("{ca_file}", servers["healthy"].certs.ca_file)
    with ExporterProcess(tmp_path_factory.mktemp("exporter"), config) as running:
        yield running
    assert running.returncode == 0
    assert_no_traceback_in(running.log)


def assert_no_traceback_in(text: str) -> None:
    assert "Traceback" not in text and "internal error" not in text, text


def probe(exporter, server, module="plain", headers=None):
    status, head, body = exporter.get(f"/probe?target=127.0.0.1:{server.port}&module={module}",
                                      headers)
    assert status == 200, body
    assert head["Content-Type"].startswith("text/plain")
    return samples(body), body


def verdict_of(server, **options) -> str:
    """The verdict the probe report gives this server (the metric follows its vocabulary)."""
    return smtpdiag.probe_sync(f"127.0.0.1:{server.port}", dry_run=True, timeout=5,
                               helo="monitor.smtpdiag.test", **options).verdict


def test_a_healthy_server_is_success_with_every_step(exporter, servers):
    found, _ = probe(exporter, servers["healthy"])
    assert found["smtpdiag_probe_success"] == 1
    assert found['smtpdiag_probe_state{state="OK"}'] == 1
    assert found['smtpdiag_probe_state{state="CRITICAL"}'] == 0
    verdict = verdict_of(servers["healthy"], tls="none")
    assert found[f'smtpdiag_probe_verdict_info{{verdict="{verdict}"}}'] == 1
    assert sum(k.startswith("smtpdiag_probe_verdict_info") for k in found) == 1
    assert found['smtpdiag_step_reply_code{step="greeting"}'] == 220
    assert found['smtpdiag_step_reply_code{step="rcpt"}'] == 250
    assert 'smtpdiag_step_reply_code{step="data"}' not in found  # a dry run sends no DATA
    assert {'smtpdiag_step_duration_seconds{step="connect"}',
            'smtpdiag_step_duration_seconds{step="rcpt"}'} <= set(found)
    assert 0 < found["smtpdiag_probe_duration_seconds"] < 5
    assert found['smtpdiag_findings{severity="critical"}'] == 0
    assert not any(key.startswith("smtpdiag_probe_error_info") for key in found)


def test_starttls_gives_tls_facts_and_the_certificate_expiry(exporter, servers):
    found, _ = probe(exporter, servers["healthy"], "tls")
    assert found["smtpdiag_probe_success"] == 1
    info = [k for k in found if k.startswith("smtpdiag_tls_info{")]
    assert len(info) == 1 and 'version="TLSv1.3"' in info[0] and "cipher=" in info[0]
    assert found["smtpdiag_certificate_verified"] == 1
    expiry = datetime.datetime.fromtimestamp(
        found["smtpdiag_certificate_expiry_timestamp_seconds"], datetime.UTC)
    assert datetime.datetime.now(datetime.UTC) < expiry  # trustme: valid for years
    assert found["smtpdiag_tls_handshake_duration_seconds"] > 0


def test_a_refusing_server_is_failure_with_the_refused_step_as_labels(exporter, servers):
    found, _ = probe(exporter, servers["refusing"])
    assert found["smtpdiag_probe_success"] == 0
    assert found['smtpdiag_probe_state{state="CRITICAL"}'] == 1
    verdict = verdict_of(servers["refusing"], tls="none")
    assert found[f'smtpdiag_probe_verdict_info{{verdict="{verdict}"}}'] == 1
    assert found['smtpdiag_step_reply_code{step="rcpt"}'] == 554
    refused = [k for k in found if k.startswith("smtpdiag_step_refused_info{")]
    assert len(refused) == 1
    assert 'step="rcpt"' in refused[0] and 'code="554"' in refused[0]
    assert 'enhanced="5.7.1"' in refused[0]
    reason = smtpdiag.explain("554 5.7.1 Relay access denied")["items"][0]["reason"]["name"]
    assert f'reason="{reason}"' in refused[0]
    assert "Relay access" not in refused[0]  # server text never becomes a label


def test_greylisting_is_a_warning_which_fail_on_warning_makes_a_failure(exporter, servers):
    found, _ = probe(exporter, servers["greylist"])
    assert found["smtpdiag_probe_success"] == 1
    assert found['smtpdiag_probe_state{state="WARNING"}'] == 1
    strict, _ = probe(exporter, servers["greylist"], "strict")
    assert strict["smtpdiag_probe_success"] == 0


def test_a_silent_server_fails_within_the_scrape_timeout(exporter, servers):
    found, _ = probe(exporter, servers["silent"], headers={
        "X-Prometheus-Scrape-Timeout-Seconds": "1.5"})
    assert found["smtpdiag_probe_success"] == 0
    errors = [k for k in found if k.startswith("smtpdiag_probe_error_info{")]
    assert errors and 'kind="timeout"' in errors[0]
    # 1.5 s less the 0.5 s offset: the probe itself was cut at 1 s, not at the module's 5 s
    assert found["smtpdiag_probe_duration_seconds"] < 1.5


@pytest.mark.parametrize(("query", "headers", "status", "message"), [
    ("/probe?module=plain", {}, 400, "target parameter is missing"),
    ("/probe?target=127.0.0.1:25&module=nope", {}, 400, "unknown module 'nope'; known: plain"),
    ("/probe?target=bad%20target:1&module=plain", {}, 400,
     "target 'bad target:1' is empty or contains spaces"),
    ("/probe?target=127.0.0.1:25&module=plain", {"X-Prometheus-Scrape-Timeout-Seconds": "soon"},
     400, "is not a positive number"),
    ("/probe?target=mx.example.com:25&module=plain", {}, 403, "not on the allow-list"),
    ("/probe?target=192.0.2.1:25&module=plain", {}, 403, "not on the allow-list"),
])
def test_bad_requests_are_refused_with_one_line(exporter, query, headers, status, message):
    got, _, body = exporter.get(query, headers)
    assert got == status
    assert message in body and body.count("\n") == 1
    assert body.count("target '") <= 1  # the target is named once, not once per layer


def test_a_malformed_http_request_is_one_log_line_not_a_traceback(tmp_path):
    """A request line beyond aiohttp's limit (a 10,000-character target) or a header with an ESC
    in it is refused by aiohttp itself with 400; its log said so with a traceback.  Now one
    line, escaped, and the exporter goes on serving."""
    with ExporterProcess(tmp_path, None, "--allow", "127.0.0.1") as exporter:
        status, _, _ = exporter.get("/probe?module=default&target=" + "a" * 10000)
        assert status == 400
        assert exporter.get("/")[0] == 200
    lines = [line for line in exporter.log.splitlines() if "malformed HTTP request" in line]
    assert len(lines) == 1 and "127.0.0.1" in lines[0] and len(lines[0]) < 400, exporter.log
    assert_no_traceback_in(exporter.log)


def test_own_metrics_count_probes_and_refusals_and_speak_openmetrics(exporter, servers):
    probe(exporter, servers["refusing"])
    exporter.get("/probe?target=mx.example.com:25&module=plain")
    status, head, body = exporter.get("/metrics")
    found = samples(body)
    assert status == 200
    assert found['smtpdiag_exporter_probes_total{module="plain",result="failure"}'] >= 1
    assert found['smtpdiag_exporter_requests_refused_total{reason="not-allowed"}'] >= 1
    assert found["smtpdiag_exporter_probes_in_flight"] == 0
    assert "process_resident_memory_bytes" in found
    assert not any("_created" in key for key in found)
    _, head, body = exporter.get("/metrics", {"Accept": "application/openmetrics-text"})
    assert head["Content-Type"].startswith("application/openmetrics-text")
    assert body.endswith("# EOF\n")


def test_the_index_page_names_the_modules(exporter):
    status, head, body = exporter.get("/")
    assert status == 200 and head["Content-Type"].startswith("text/html")
    assert all(f"<code>{name}</code>" in body for name in ("plain", "strict", "tls"))
    assert "127.0.0.0/8" in body


def test_without_an_allow_list_every_probe_is_refused(tmp_path):
    with FakeServer("healthy", tls="none") as server, \
            ExporterProcess(tmp_path, None) as exporter:
        status, _, body = exporter.get(f"/probe?target=127.0.0.1:{server.port}")
        assert status == 403 and "--allow" in body
        assert server.recorded.commands == []
    assert "no target is allowed" in exporter.log


def test_concurrency_is_bounded_and_a_request_without_a_slot_gets_503(tmp_path):
    config = '[exporter]\nallow = ["127.0.0.1"]\nconcurrency = 1\n[modules.default]\ntls = "none"'
    with FakeServer("slow-greeting", tls="none") as slow, \
            ExporterProcess(tmp_path, config) as exporter:
        results: list[int] = []
        header = {"X-Prometheus-Scrape-Timeout-Seconds": "3"}

        def one() -> None:
            results.append(exporter.get(f"/probe?target=127.0.0.1:{slow.port}", header)[0])

        threads = [threading.Thread(target=one) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        found = samples(exporter.get("/metrics")[2])
    # one slot, 1.5 s per probe, 2.5 s to use: the first probes, the third cannot get a slot
    assert sorted(results)[0] == 200 and 503 in results
    assert found['smtpdiag_exporter_requests_refused_total{reason="busy"}'] >= 1


async def echo_auth(conn: Conn) -> None:
    """A server that answers AUTH by echoing the client's line back: a leak waiting to happen."""
    await conn.send(GREETING)
    while line := await conn.line():
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            await conn.send(b"250-hostile.test\r\n250 AUTH PLAIN LOGIN\r\n")
        elif verb == b"AUTH":  # as sent, upper-cased, and the password it decoded in hex
            sent = line.strip()[:300]
            password = base64.b64decode(sent.split()[-1]).split(b"\0")[-1]
            await conn.send(b"535-5.7.8 rejected " + sent + b"\r\n535-5.7.8 " + sent.upper()
                            + b"\r\n535 5.7.8 " + password.hex().encode() + b"\r\n")
        elif verb == b"QUIT":
            await conn.send(b"221 bye\r\n")
            return
        else:
            await conn.send(b"250 ok\r\n")


def test_the_auth_password_never_appears_anywhere(tmp_path):
    (tmp_path / "pass").write_text(DEMO_PASSWORD + "\n", encoding="utf-8")
    config = f"""
[exporter]
allow = ["127.0.0.1"]
[modules.auth]
auth_user = "{DEMO_USER}"
password_file = "pass"
tls = "starttls"
ca_file = "{{ca}}"
[modules.leaky]
auth_user = "{DEMO_USER}"
password_env = "MONITOR_PASSWORD"
tls = "none"
"""
    forms = [DEMO_PASSWORD, base64.b64encode(DEMO_PASSWORD.encode()).decode(),
             base64.b64encode(f"\0{DEMO_USER}\0{DEMO_PASSWORD}".encode()).decode()]
    with FakeServer("healthy", tls="starttls") as good, HostileServer(echo_auth) as echo:
        config = config.replace("{ca}", good.certs.ca_file)
        with ExporterProcess(tmp_path, config,
                             env={"MONITOR_PASSWORD": DEMO_PASSWORD}) as exporter:
            found, ok_body = probe(exporter, good, "auth")
            assert found['smtpdiag_step_reply_code{step="auth"}'] == 235  # it did log in
            _, leak_body = probe(exporter, echo, "leaky")
            assert any(b"AUTH PLAIN" in line for line in echo.received)  # it was sent there
            bodies = [ok_body, leak_body, *(exporter.get(path)[2] for path in (
                "/", "/metrics", "/probe?target=mx.example.com&module=auth",
                "/probe?target=127.0.0.1:1&module=nope", "/probe?module=auth"))]
    everything = "\n".join([*bodies, exporter.log]).lower()
    for form in [*forms, DEMO_PASSWORD.encode().hex()]:
        assert form.lower() not in everything
    assert "module=leaky" in exporter.log  # the log was written, and scrubbed


@pytest.mark.parametrize(("config", "message"), [
    ("[modules.a]\nport = 'twenty-five'", "module 'a': port must be int"),
    ("[modules.a]\ncolour = 1", "unknown key(s) colour"),
    ("[modules.a]\nauth_user = 'me'", "needs password_file or password_env"),
    ("[modules.a]\nauth_user = 'me'\npassword_env = 'NOT_SET_ANYWHERE_1'", "NOT_SET_ANYWHERE_1"),
    ("[modules.a]\nexpect = { data = '250' }", "--send"),
    ("[modules.'a b']\n", "a module name is"),
    ("[exporter]\nallow = ['not a pattern!']", "allow pattern"),
    ("[exporter]\nlisten = 'nowhere'", "[exporter] listen 'nowhere'"),
    ("[modules.a\n", "not valid TOML"),
])
def test_a_bad_configuration_stops_the_start_with_one_line(tmp_path, config, message):
    path = tmp_path / "bad.toml"
    path.write_text(config, encoding="utf-8")
    result = run_cli("exporter", "--config", str(path))
    assert result.returncode == 2
    assert message in result.stderr and str(path) in result.stderr
    assert result.stderr.count("\n") == 1
    assert_no_traceback(result)


def test_an_address_in_use_is_a_clear_error(exporter):
    result = run_cli("exporter", "--listen", f"127.0.0.1:{exporter.port}")
    assert result.returncode == 2
    assert "cannot listen on 127.0.0.1:" in result.stderr
    assert_no_traceback(result)
