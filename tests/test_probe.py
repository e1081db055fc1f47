"""The probe walk against real aiosmtpd servers on loopback, with real TLS from trustme."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import select
import subprocess
import sys

import pytest

from smtpdiag.fakeserver import DEMO_PASSWORD, DEMO_USER, Certs, FakeServer
from smtpdiag.model import Report
from smtpdiag.net.probe import ProbeOptions, probe
from smtpdiag.render.json_report import report_json
from tests.conftest import (
    assert_no_traceback,
    assert_valid,
    closed_port_held,
    ipv6_loopback_problem,
    run_cli,
)


def run(target: str, **options: object) -> Report:
    options.setdefault("helo", "client.smtpdiag.test")
    options.setdefault("timeout", 5.0)
    return asyncio.run(probe(target, ProbeOptions(**options)))  # type: ignore[arg-type]


def names(report: Report) -> list[str]:
    return [step.name for step in report.attempts[-1].steps]


def step(report: Report, name: str):
    return next(s for s in report.attempts[-1].steps if s.name == name)


@pytest.fixture
def plain():
    with FakeServer("healthy", tls="none") as server:
        yield server


@pytest.fixture
def starttls():
    with FakeServer("healthy", tls="starttls") as server:
        yield server


def test_plain_session_walks_every_step_and_delivers(plain):
    report = run(f"127.0.0.1:{plain.port}", mail_from="a@client.test", rcpt_to=("b@x.test",))
    assert report.verdict == "accepted"
    assert names(report) == ["connect", "greeting", "ehlo", "mail", "rcpt", "data", "message",
                             "quit"]
    assert step(report, "greeting").reply.code == 220
    assert step(report, "message").reply.code == 250
    assert len(plain.recorded.messages) == 1
    message = plain.recorded.messages[0]
    for header in (b"Date:", b"Message-ID:", b"Subject: smtpdiag test message"):
        assert header in message


def test_dry_run_provably_sends_no_data(plain):
    report = run(f"127.0.0.1:{plain.port}", dry_run=True)
    assert report.verdict == "accepted"
    assert "DATA" not in plain.recorded.commands
    assert plain.recorded.messages == []
    assert plain.recorded.commands[-2:] == ["RSET", "QUIT"]


@pytest.mark.parametrize("point, last_command", [
    ("greeting", None), ("ehlo", "EHLO"), ("mail", "MAIL"), ("rcpt", "RCPT"),
])
def test_quit_after_stops_at_that_point(plain, point, last_command):
    report = run(f"127.0.0.1:{plain.port}", quit_after=point)
    assert report.verdict == "accepted"
    commands = plain.recorded.commands
    assert commands[-1] == "QUIT"
    if last_command is None:
        assert commands == ["QUIT"]
    else:
        assert commands[-2].startswith(last_command)
    assert "DATA" not in commands


def test_quit_after_connect_reads_nothing(plain):
    report = run(f"127.0.0.1:{plain.port}", quit_after="connect")
    assert names(report) == ["connect"]
    assert report.verdict == "accepted"


def test_capabilities_are_parsed(plain):
    report = run(f"127.0.0.1:{plain.port}", quit_after="ehlo")
    caps = report.attempts[0].capabilities
    assert caps is not None
    assert caps.size == 10485760 and caps.pipelining and caps.eightbitmime and caps.smtputf8
    assert caps.enhancedstatuscodes


def test_starttls_verified_with_ca_file(starttls):
    report = run(f"127.0.0.1:{starttls.port}", ca_file=starttls.certs.ca_file, dry_run=True)
    assert report.verdict == "accepted", report.summary
    assert names(report)[:6] == ["connect", "greeting", "ehlo", "starttls", "tls", "ehlo-tls"]
    tls = report.attempts[0].tls
    assert tls.verified and tls.verify_error is None and tls.hostname_matched
    assert tls.version in ("TLSv1.2", "TLSv1.3") and tls.cipher
    assert tls.days_left is not None and tls.days_left > 0
    assert "IP:127.0.0.1" in tls.sans
    assert starttls.recorded.tls_sessions == 1


def test_starttls_untrusted_is_a_tls_failure_with_certificate_facts(starttls):
    report = run(f"127.0.0.1:{starttls.port}", tls="starttls", dry_run=True)  # TLS required
    assert report.verdict == "failed"
    attempt = report.attempts[0]
    assert attempt.error.kind == "tls" and attempt.error.step == "tls"
    assert "certificate verification failed" in attempt.error.message
    assert attempt.tls is not None and attempt.tls.subject  # facts fetched without trust
    assert attempt.tls.verified is False


def test_opportunistic_starttls_goes_on_past_an_untrusted_certificate_as_senders_do(starttls):
    """Port 25's STARTTLS-when-offered: a sending MTA delivers over a certificate it cannot
    verify, so the walk goes on to RCPT, and the certificate is a warning, not the verdict."""
    report = run(f"127.0.0.1:{starttls.port}", dry_run=True)
    attempt = report.attempts[0]
    assert report.verdict == "accepted", report.summary
    assert names(report)[:7] == ["connect", "greeting", "ehlo", "starttls", "tls", "ehlo-tls",
                                 "mail"]
    assert attempt.error is None and attempt.tls.verified is False
    assert [f.message for f in attempt.findings if f.step == "tls"] == [
        "certificate not trusted: unable to get local issuer certificate; senders using TLS "
        "when offered (most MTAs) deliver anyway, senders enforcing MTA-STS or DANE refuse "
        "this host"]
    assert [f.severity for f in attempt.findings if f.step == "tls"] == ["warning"]


def test_opportunistic_starttls_sends_no_password_over_an_untrusted_certificate(starttls):
    report = run(f"127.0.0.1:{starttls.port}", dry_run=True, auth_user=DEMO_USER,
                 auth_password=DEMO_PASSWORD)
    assert report.verdict == "failed"
    assert report.attempts[0].error.step == "tls"
    assert "auth" not in names(report)


def test_insecure_carries_on_but_still_reports(starttls):
    report = run(f"127.0.0.1:{starttls.port}", tls="starttls", dry_run=True, insecure=True)
    assert report.verdict == "accepted"
    attempt = report.attempts[0]
    assert attempt.tls.verified is False and attempt.tls.verify_error
    assert any(f.severity == "critical" and "not trusted" in f.message for f in attempt.findings)
    assert "RCPT TO:<postmaster>" in starttls.recorded.commands


def test_implicit_tls(tmp_path):
    with FakeServer("healthy", tls="implicit") as server:
        report = run(f"127.0.0.1:{server.port}", tls="implicit", ca_file=server.certs.ca_file,
                     dry_run=True)
    assert report.verdict == "accepted", report.summary
    assert names(report)[:3] == ["connect", "tls", "greeting"]
    assert report.attempts[0].tls.verified


@pytest.mark.parametrize("kind, words", [
    ("expired", "expired"), ("self-signed", "self"), ("wrong-host", "mismatch"),
])
def test_bad_certificates_are_named(tmp_path, kind, words):
    certs = Certs.create(str(tmp_path), kind=kind)
    with FakeServer("healthy", tls="implicit", certs=certs) as server:
        report = run(f"127.0.0.1:{server.port}", tls="implicit", ca_file=certs.ca_file)
    assert report.verdict == "failed"
    assert words in report.attempts[0].error.message.lower()


def test_auth_success_and_password_never_shown(starttls):
    report = run(f"127.0.0.1:{starttls.port}", ca_file=starttls.certs.ca_file,
                 auth_user=DEMO_USER, auth_password=DEMO_PASSWORD, dry_run=True)
    assert report.verdict == "accepted"
    assert step(report, "auth").reply.code == 235
    assert DEMO_PASSWORD not in json.dumps(report.to_dict())


def test_auth_failure_is_a_refusal(starttls):
    report = run(f"127.0.0.1:{starttls.port}", ca_file=starttls.certs.ca_file,
                 auth_user=DEMO_USER, auth_password="wrong", dry_run=True)
    assert report.verdict == "refused"
    auth = step(report, "auth")
    assert auth.reply.code == 535
    assert auth.annotation.advice and "password" in auth.annotation.advice[0]
    assert "MAIL" not in " ".join(starttls.recorded.commands)


@pytest.mark.parametrize("scenario, step_name, code, advice_word, cause", [
    ("greeting-421", "greeting", 421, "not taking connections", "system-error"),
    ("greeting-554", "greeting", 554, "block", "blocked"),
    ("mail-refused", "mail", 553, "sender", "sender-rejected"),
    ("relay-denied", "rcpt", 554, "relay", "relay-denied"),
    ("unknown-user", "rcpt", 550, "does not exist", "user-unknown"),
    ("greylist", "rcpt", 450, "greylisting", "greylisted"),
    ("data-refused", "message", 554, "refused", "spam"),
    ("tempfail", "mail", 451, "temporary", "system-error"),
])
def test_refusal_at_each_step_is_annotated(scenario, step_name, code, advice_word, cause):
    with FakeServer(scenario, tls="none") as server:
        report = run(f"127.0.0.1:{server.port}", mail_from="a@client.test",
                     rcpt_to=("b@example.test",))
    assert report.verdict == ("deferred" if code < 500 else "refused"), report.summary
    refused = step(report, step_name)
    assert refused.reply.code == code
    annotation = refused.annotation
    assert annotation is not None and annotation.description and annotation.fix
    assert advice_word in " ".join(annotation.advice).lower(), annotation.advice
    assert step_name in report.summary
    # every refused step carries its cause; a yes carries none
    assert annotation.reason is not None and annotation.reason.name == cause
    assert annotation.reason.permanent is (code >= 500)
    assert all(s.annotation.reason is None for s in report.attempts[0].steps
               if s.annotation and s.reply and s.reply.positive)
    assert_valid(report_json(report), "report")


def test_tls_required_530_at_mail_says_starttls_or_auth():
    with FakeServer("tls-required", tls="starttls") as server:
        report = run(f"127.0.0.1:{server.port}", tls="none")
    mail = step(report, "mail")
    assert mail.reply.code == 530
    assert "STARTTLS" in " ".join(mail.annotation.advice)


def test_ehlo_refused_falls_back_to_helo():
    with FakeServer("ehlo-refused", tls="none") as server:
        report = run(f"127.0.0.1:{server.port}", dry_run=True)
    assert names(report)[:4] == ["connect", "greeting", "ehlo", "helo"]
    assert step(report, "helo").reply.code == 250
    assert report.verdict == "accepted"
    assert any("EHLO was refused" in f.message for f in report.attempts[0].findings)


def test_slow_greeting_is_slow_not_broken():
    with FakeServer("slow-greeting", tls="none") as server:
        report = run(f"127.0.0.1:{server.port}", dry_run=True)
    assert report.verdict == "accepted"
    assert any(f.severity == "warning" and "slow" in f.message
               for f in report.attempts[0].findings)


def test_port_587_requires_starttls():
    with FakeServer("no-starttls", tls="starttls") as server:
        report = run(f"127.0.0.1:{server.port}", tls="starttls")
    assert report.verdict == "failed"
    assert "STARTTLS" in report.attempts[0].error.message


def test_ipv6_literal_with_port():
    problem = ipv6_loopback_problem()
    if problem:  # only when ::1 truly cannot carry a connection (bind, listen, connect, a byte)
        pytest.skip(problem)
    with FakeServer("healthy", host="::1", tls="starttls") as server:
        report = run(f"[::1]:{server.port}", ca_file=server.certs.ca_file, dry_run=True)
    assert report.verdict == "accepted", report.summary
    assert report.attempts[0].address == "::1"
    assert report.attempts[0].tls.hostname_matched  # the certificate names IP ::1
    assert report.summary.startswith(f"[::1]:{server.port}")


def test_refused_connection_is_a_connect_failure(closed_port):
    report = run(f"127.0.0.1:{closed_port}")
    assert report.verdict == "failed"
    assert report.attempts[0].error.kind == "connect"
    assert "refused" in report.attempts[0].error.message


# --- the CLI: exit codes, JSON, transcript -------------------------------------------------


def test_cli_exit_codes_and_json_schema(plain, tmp_path):
    ok = run_cli("probe", f"127.0.0.1:{plain.port}", "--dry-run", "--json", "--helo", "c.test")
    assert ok.returncode == 0, ok.stderr
    document = json.loads(ok.stdout)
    assert_valid(document, "report")
    assert document["verdict"] == "accepted"
    with closed_port_held() as closed:
        failed = run_cli("probe", f"127.0.0.1:{closed}", "--json", "--timeout", "2")
    assert failed.returncode == 3
    assert_valid(json.loads(failed.stdout), "report")
    usage = run_cli("probe", "bad host name")
    assert usage.returncode == 2 and "target" in usage.stderr
    assert_no_traceback(usage)


def test_cli_refusal_exit_code_and_plain_output():
    with FakeServer("relay-denied", tls="none") as server:
        result = run_cli("probe", f"127.0.0.1:{server.port}", "--to", "x@elsewhere.test")
    assert result.returncode == 1
    assert "\x1b" not in result.stdout
    assert "Relay" in result.stdout and "Verdict: REFUSED" in result.stdout



def test_cli_shows_the_step_under_way_on_a_terminal_only():
    """stderr on a real pseudo-terminal names the step being waited for (a 1.5 s greeting here,
    many times the status line's refresh); piped stdout stays plain, piped stderr silent."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    with FakeServer("slow-greeting", tls="none") as server:
        target = f"127.0.0.1:{server.port}"
        primary, secondary = pty.openpty()
        try:
            result = subprocess.run(
                [sys.executable, "-m", "smtpdiag", "probe", target, "--dry-run", "--tls", "none"],
                stdout=subprocess.PIPE, stderr=secondary, text=True, timeout=60, check=False,
                env={**env, "TERM": "xterm", "LANG": "C.UTF-8"})
            os.close(secondary)
            seen = b""
            while select.select([primary], [], [], 0.5)[0]:
                try:
                    chunk = os.read(primary, 65536)
                except OSError:  # Linux reports the closed far end as EIO
                    break
                if not chunk:
                    break
                seen += chunk
        finally:
            os.close(primary)
        piped = run_cli("probe", target, "--dry-run", "--tls", "none")
    assert result.returncode == 0 and piped.returncode == 0
    assert f"{target}: greeting".encode() in seen
    assert "\x1b" not in result.stdout and "Verdict: ACCEPTED" in result.stdout
    assert ": greeting" not in piped.stderr


def test_cli_transcript_file_is_redacted(starttls, tmp_path):
    path = tmp_path / "wire.txt"
    result = run_cli("probe", f"127.0.0.1:{starttls.port}", "--ca-file", starttls.certs.ca_file,
                     "--auth-user", DEMO_USER, "--dry-run", "--transcript", str(path),
                     env={"SMTPDIAG_PASSWORD": DEMO_PASSWORD})
    assert result.returncode == 0, result.stderr
    wire = path.read_text()
    assert "C: AUTH PLAIN <redacted>" in wire and "S: 235" in wire
    assert DEMO_PASSWORD not in wire + result.stdout + result.stderr


def test_cli_auth_without_password_source_is_a_usage_error(plain):
    result = run_cli("probe", f"127.0.0.1:{plain.port}", "--auth-user", "demo")
    assert result.returncode == 2
    assert "SMTPDIAG_PASSWORD" in result.stderr
    assert plain.recorded.commands == []


def test_demo_runs_a_full_annotated_session():
    result = run_cli("demo")
    assert result.returncode == 0, result.stdout + result.stderr
    for expected in ("greeting", "starttls", "auth", "message", "Verdict: ACCEPTED"):
        assert expected in result.stdout
    # every reply is annotated, positive ones in one line
    assert "220 Service Ready · Positive Completion" in result.stdout
    assert "354 " in result.stdout and "Positive Intermediate" in result.stdout
