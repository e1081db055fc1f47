"""The exporter's pure parts without sockets: allow-list, configuration, metrics from a report."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from smtpdiag.core.health import judge
from smtpdiag.core.thresholds import Thresholds, build_thresholds
from smtpdiag.errors import UsageError
from smtpdiag.exporter.allow import AllowList
from smtpdiag.exporter.config import load_config, parse_listen
from smtpdiag.exporter.metrics import ProbeCollector, success
from smtpdiag.exporter.server import redactor
from smtpdiag.model import Annotation, Attempt, ErrorInfo, Finding, Reply, Report, Step, TlsInfo
from tests.exporterproc import samples

# -- allow-list ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("patterns", "host", "allowed"), [
    (["mx.example.com"], "mx.example.com", True),
    (["mx.example.com"], "MX.Example.COM.", True),
    (["mx.example.com"], "mx2.example.com", False),
    (["*.example.com"], "mx.example.com", True),
    (["*.example.com"], "a.b.example.com", True),
    (["*.example.com"], "example.com", False),
    (["*.example.com"], "evilexample.com", False),
    (["*.example.com"], "example.com.evil.test", False),
    (["192.0.2.0/24"], "192.0.2.77", True),
    (["192.0.2.0/24"], "192.0.3.1", False),
    (["192.0.2.0/24"], "mx.example.com", False),  # names are never resolved for a CIDR
    (["192.0.2.9"], "192.0.2.9", True),
    (["192.0.2.9"], "192.0.2.10", False),
    (["2001:db8::/32"], "2001:db8::25", True),
    (["[2001:db8::1]"], "[2001:db8::1]", True),
    (["2001:db8::/32"], "2001:db9::1", False),
    (["*"], "anything.example", True),
    ([], "mx.example.com", False),
    ([], "127.0.0.1", False),
])
def test_allow_list(patterns, host, allowed):
    assert AllowList.parse(patterns).allows(host) is allowed


@pytest.mark.parametrize("pattern", ["", "mx example.com", "*example.com", "a.*.com",
                                     "http://mx.example.com", "192.0.2.0/33", "mx.example.com:25"])
def test_a_bad_allow_pattern_is_a_usage_error(pattern):
    with pytest.raises(UsageError, match="allow pattern"):
        AllowList.parse([pattern])


def test_allow_list_emptiness_and_description():
    assert AllowList.parse([]).empty and AllowList.parse([]).describe() == "nothing"
    assert not AllowList.parse(["*"]).empty
    assert AllowList.parse(["*"]).describe() == "every target (*)"
    assert AllowList.parse(["b.test", "*.a.test", "10.0.0.0/8"]).describe() == (
        "b.test, *.a.test, 10.0.0.0/8")


# -- configuration -------------------------------------------------------------------------------


def write(tmp_path, text):
    path = tmp_path / "exporter.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_gives_one_default_module_and_nothing_allowed():
    config = load_config(None)
    assert list(config.modules) == ["default"]
    module = config.modules["default"]
    assert module.options.dry_run and module.options.port is None and module.timeout == 10
    assert config.allow.empty and config.concurrency == 10 and config.timeout_offset == 0.5


def test_command_line_values_join_or_win_over_the_file(tmp_path):
    path = write(tmp_path, '[exporter]\nallow = ["a.test"]\nconcurrency = 3\n')
    config = load_config(path, allow=["b.test"], concurrency=7)
    assert config.allow.allows("a.test") and config.allow.allows("b.test")
    assert config.concurrency == 7
    assert load_config(path).concurrency == 3


def test_password_file_is_relative_to_the_config_and_never_in_a_repr(tmp_path):
    (tmp_path / "pw").write_text("s3cret-value\n", encoding="utf-8")
    path = write(tmp_path, '[modules.m]\nauth_user = "u"\npassword_file = "pw"\n')
    config = load_config(path)
    module = config.modules["m"]
    assert module.options.auth_password == "s3cret-value"
    assert config.secrets == ("s3cret-value",)
    assert "s3cret" not in repr(module) and "s3cret" not in repr(config)


def test_password_env(tmp_path, monkeypatch):
    monkeypatch.setenv("SMTPDIAG_TEST_PW", "from-env-1")
    path = write(tmp_path, '[modules.m]\nauth_user = "u"\npassword_env = "SMTPDIAG_TEST_PW"\n')
    assert load_config(path).modules["m"].options.auth_password == "from-env-1"


@pytest.mark.parametrize(("text", "message"), [
    ('[modules.m]\nauth_user = "u"\npassword_file = "pw"\npassword_env = "X"', "not both"),
    ('[modules.m]\npassword_env = "X"', "a password needs auth_user"),
    ('[modules.m]\nauth_user = "u"\npassword_file = "missing"', "password_file"),
    ('[modules.m]\nto = [1, 2]', "to must be an address"),
    ('[modules.m]\ntimeout = 0', "timeout must be above 0"),
    ('[modules.m]\ntimeout = 301', "at most 300"),
    ('[modules.m]\ninsecure = "yes"', "insecure must be bool"),
    ('[modules.m]\nport = true', "port must be int, not a boolean"),
    ('[modules.m]\nport = 70000', "port must be 1-65535"),
    ('[modules.m]\nexpect = "rcpt=250"', "expect must be a table"),
    ('[modules.m]\nexpect = { rcpt = "299" }', "not a reply code"),
    ('[modules.m]\nto = "a@b.test\\r\\nRSET"', "rcpt_to"),
    ('[modules]\nm = 1', "must be dict"),
    ('[exporter]\nconcurrency = 0', "concurrency must be 1-1000"),
    ('[exporter]\ntimeout_offset = -1', "timeout_offset"),
    ('[exporter]\nport = 1', "unknown key(s) port"),
    ('[other]\n', "unknown table(s) other"),
])
def test_configuration_errors_name_the_place(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(UsageError) as error:
        load_config(path)
    assert message in str(error.value) and str(path) in str(error.value)


def test_expectations_as_a_table_or_a_list_are_the_same(tmp_path):
    table = load_config(write(tmp_path, '[modules.m]\nexpect = { rcpt = "250,4xx" }\n'))
    listed = load_config(write(tmp_path, '[modules.m]\nexpect = ["rcpt=250,4xx"]\n'))
    assert table.modules["m"].thresholds == listed.modules["m"].thresholds
    assert table.modules["m"].thresholds.expectation("rcpt").accepts(451)


@pytest.mark.parametrize(("text", "expected"), [
    ("127.0.0.1:9125", ("127.0.0.1", 9125)), ("localhost:0", ("127.0.0.1", 0)),
    ("[::1]:9125", ("::1", 9125)), ("0.0.0.0:80", ("0.0.0.0", 80)),
])
def test_parse_listen(text, expected):
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["9125", "mx.example.com:9125", "127.0.0.1:", "127.0.0.1:x",
                                  "127.0.0.1:65536", "[::1]"])
def test_parse_listen_refuses(text):
    with pytest.raises(UsageError, match="--listen"):
        parse_listen(text)


# -- redaction -----------------------------------------------------------------------------------


def test_redactor_hides_the_secret_and_its_auth_encodings():
    redact = redactor(("hunter22",), ("me",))
    assert redact("pw hunter22 end") == "pw <redacted> end"
    assert redact("AUTH PLAIN AG1lAGh1bnRlcjIy") == "AUTH PLAIN <redacted>"  # \0me\0hunter22
    assert redact("334 aHVudGVyMjI=") == "334 <redacted>"  # LOGIN: base64 of the password
    assert redact("AUTH PLAIN AABodW50ZXIyMg") == "AUTH PLAIN <redacted>"  # no user, unpadded
    assert redact("334 aHVudGVyMjI") == "334 <redacted>"  # an echo that dropped the padding
    assert redactor(())("unchanged") == "unchanged"
    assert redactor(("ab",))("cab 0 ab") == "cab 0 ab"  # too short to hide without harm


# -- metrics -------------------------------------------------------------------------------------


def reply(code: int, enhanced: str | None = None) -> Reply:
    return Reply(code, (f"{code} text",), enhanced)


def report(steps, *, verdict="refused", tls=None, error=None, findings=()) -> Report:
    attempt = Attempt("mx.test", "192.0.2.1", 25, "starttls", steps=tuple(steps), tls=tls,
                      error=error, outcome="accepted" if error is None else "failed",
                      findings=tuple(findings))
    return Report("mx.test:25", verdict, "summary", attempts=(attempt,), elapsed_ms=1234.0)


def exposition(rep: Report, thresholds: Thresholds | None = None, **kw) -> dict[str, float]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ProbeCollector(judge(rep, thresholds or Thresholds()), **kw))
    return samples(generate_latest(registry).decode())


def test_the_worst_reply_of_a_repeated_step_counts_and_refusals_carry_labels():
    note = Annotation(550, "Mailbox unavailable", "Permanent Negative Completion", "d", "f")
    steps = [Step("greeting", reply=reply(220)), Step("rcpt", reply=reply(250)),
             Step("rcpt", reply=reply(550, "5.1.1"), annotation=note),
             Step("rcpt", reply=reply(250)), Step("quit", reply=reply(221))]
    found = exposition(report(steps))
    assert found['smtpdiag_step_reply_code{step="rcpt"}'] == 550
    assert found['smtpdiag_step_reply_code{step="greeting"}'] == 220
    assert found['smtpdiag_step_refused_info{code="550",enhanced="5.1.1",provider="",'
                 'reason="user-unknown",step="rcpt"}'] == 1
    assert found["smtpdiag_probe_success"] == 0
    assert found["smtpdiag_probe_duration_seconds"] == 1.234


def test_the_reason_follows_explain_and_names_the_provider_pattern():
    gmail = Reply(550, ("5.7.26 This mail has been blocked because the sender is "
                        "unauthenticated.", "5.7.26 Gmail requires all senders to authenticate "
                        "with either SPF or DKIM."), "5.7.26")
    steps = [Step("greeting", reply=reply(220)), Step("data", reply=reply(354)),
             Step("message", reply=gmail)]
    refused = [k for k in exposition(report(steps)) if k.startswith("smtpdiag_step_refused")]
    explained = __import__("smtpdiag").explain(
        "550-5.7.26 This mail has been blocked because the sender is unauthenticated.\n"
        "550 5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM.")
    item = explained["items"][0]
    assert item["provider"] is not None
    assert refused == [f'smtpdiag_step_refused_info{{code="550",enhanced="5.7.26",'
                       f'provider="{item["provider"]["id"]}",reason="{item["reason"]["name"]}",'
                       'step="message"}']
    greylisted = [Step("rcpt", reply=Reply(450, ("4.2.0 Greylisted, try later",), "4.2.0"))]
    assert 'reason="greylisted"' in next(k for k in exposition(report(greylisted))
                                         if k.startswith("smtpdiag_step_refused"))


def test_a_later_worse_reply_wins_over_an_earlier_transient_one():
    steps = [Step("rcpt", reply=reply(451)), Step("rcpt", reply=reply(250)),
             Step("rcpt", reply=reply(554))]
    assert exposition(report(steps))['smtpdiag_step_reply_code{step="rcpt"}'] == 554
    steps = [Step("rcpt", reply=reply(554)), Step("rcpt", reply=reply(451))]
    assert exposition(report(steps))['smtpdiag_step_reply_code{step="rcpt"}'] == 554
    steps = [Step("rcpt", reply=reply(550)), Step("rcpt", reply=reply(554))]  # equal: the last
    assert exposition(report(steps))['smtpdiag_step_reply_code{step="rcpt"}'] == 554


def test_series_that_alerting_rules_rely_on_are_always_present():
    found = exposition(report([], verdict="failed", error=ErrorInfo("connect", "refused",
                                                                      "connect")))
    for state in ("OK", "WARNING", "CRITICAL", "UNKNOWN"):
        assert f'smtpdiag_probe_state{{state="{state}"}}' in found
    for severity in ("info", "warning", "critical"):
        assert f'smtpdiag_findings{{severity="{severity}"}}' in found
    assert found['smtpdiag_probe_error_info{kind="connect",step="connect"}'] == 1
    assert found['smtpdiag_probe_verdict_info{verdict="failed"}'] == 1
    assert found["smtpdiag_probe_success"] == 0
    assert not any(k.startswith("smtpdiag_tls_info") for k in found)


def test_tls_facts_and_findings():
    tls = TlsInfo("starttls", version="TLSv1.2", cipher="ECDHE-RSA-AES128-GCM-SHA256",
                  not_after="2030-01-02T03:04:05+00:00", verified=False, handshake_ms=12.5)
    findings = [Finding("warning", "w"), Finding("warning", "w2"), Finding("info", "i")]
    found = exposition(report([Step("greeting", reply=reply(220))], verdict="accepted", tls=tls,
                              findings=findings))
    assert found['smtpdiag_tls_info{cipher="ECDHE-RSA-AES128-GCM-SHA256",version="TLSv1.2"}'] == 1
    assert found["smtpdiag_certificate_expiry_timestamp_seconds"] == 1893553445.0
    assert found["smtpdiag_certificate_verified"] == 0
    assert found["smtpdiag_tls_handshake_duration_seconds"] == 0.0125
    assert found['smtpdiag_findings{severity="warning"}'] == 2
    assert found['smtpdiag_findings{severity="info"}'] == 1


def test_success_follows_the_state_and_fail_on_warning():
    greylisted = report([Step("greeting", reply=reply(220)), Step("rcpt", reply=reply(450))])
    result = judge(greylisted, Thresholds())
    assert result.state == "WARNING"
    assert success(result) and not success(result, fail_on_warning=True)
    expected = judge(greylisted, build_thresholds(expect=["rcpt=4xx"]))
    assert expected.state == "OK" and success(expected, fail_on_warning=True)
    assert exposition(greylisted, fail_on_warning=True)["smtpdiag_probe_success"] == 0
