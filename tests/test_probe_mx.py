"""Probing a mail domain: MX order, fallback, implicit MX, null MX and DNS failures, through a
real DNS server on loopback (tests/dnsserver.py) and real fake SMTP servers."""

from __future__ import annotations

import asyncio
import json

import pytest

from smtpdiag.fakeserver import FakeServer
from smtpdiag.net.probe import ProbeOptions, probe
from tests.conftest import assert_valid, run_cli
from tests.dnsserver import DnsServer


@pytest.fixture
def smtp():
    with FakeServer("healthy", tls="none") as server:
        yield server


def options(dns: DnsServer, port: int, **extra: object) -> ProbeOptions:
    return ProbeOptions(port=port, nameserver=(dns.host, dns.port), helo="client.test",
                        timeout=3.0, dry_run=True, **extra)  # type: ignore[arg-type]


def test_mx_in_preference_order_with_fallback_to_the_next(smtp):
    records = {
        ("example.test", "MX"): ["20 mx2.example.test.", "10 mx1.example.test."],
        ("mx1.example.test", "A"): ["127.0.0.2"],  # nothing listens there on smtp.port
        ("mx2.example.test", "A"): ["127.0.0.1"],
    }
    with DnsServer(records) as dns:
        report = asyncio.run(probe("example.test", options(dns, smtp.port)))
    assert [m.host for m in report.resolution.mx] == ["mx1.example.test", "mx2.example.test"]
    assert [a.host for a in report.attempts] == ["mx1.example.test", "mx2.example.test"]
    assert report.attempts[0].outcome == "failed"
    assert report.attempts[0].error.kind == "connect"
    assert report.attempts[1].outcome == "accepted"
    assert report.verdict == "accepted"
    assert smtp.recorded.commands[-1] == "QUIT"
    assert "RCPT TO:<postmaster@example.test>" in smtp.recorded.commands



def test_progress_is_told_each_step_before_it_runs_dns_and_fallback_included(smtp):
    records = {
        ("example.test", "MX"): ["10 mx1.example.test.", "20 mx2.example.test."],
        ("mx1.example.test", "A"): ["127.0.0.2"],  # nothing listens there on smtp.port
        ("mx2.example.test", "A"): ["127.0.0.1"],
    }
    told: list[tuple[str, str]] = []
    with DnsServer(records) as dns:
        report = asyncio.run(probe("example.test", options(
            dns, smtp.port, progress=lambda step, where: told.append((step, where)))))
    walked = [(s.name, f"{a.host} ({a.address}:{a.port})") for a in report.attempts
              for s in a.steps]
    assert told[0] == ("dns", "example.test")
    assert told[1:] == walked  # every step, in order, announced where it happened
    assert told[1] == ("connect", f"mx1.example.test (127.0.0.2:{smtp.port})")
    assert walked[-1][0] == "quit"

def test_all_mx_probes_every_host(smtp):
    records = {
        ("example.test", "MX"): ["10 mx1.example.test.", "20 mx2.example.test."],
        ("mx1.example.test", "A"): ["127.0.0.1"],
        ("mx2.example.test", "A"): ["127.0.0.1"],
    }
    with DnsServer(records) as dns:
        report = asyncio.run(probe("example.test", options(dns, smtp.port, all_mx=True)))
    assert [a.outcome for a in report.attempts] == ["accepted", "accepted"]
    assert smtp.recorded.commands.count("QUIT") == 2


def test_implicit_mx_uses_the_domains_own_address(smtp):
    with DnsServer({("bare.test", "A"): ["127.0.0.1"]}) as dns:
        report = asyncio.run(probe("bare.test", options(dns, smtp.port)))
    assert report.resolution.method == "implicit-mx"
    assert report.verdict == "accepted"


def test_null_mx_accepts_no_mail_and_nothing_connects(smtp):
    with DnsServer({("nomail.test", "MX"): ["0 ."]}) as dns:
        report = asyncio.run(probe("nomail.test", options(dns, smtp.port)))
    assert report.verdict == "no-mail"
    assert "accepts no mail" in report.summary
    assert report.attempts == ()
    assert smtp.recorded.commands == []


@pytest.mark.parametrize("kwargs, words", [
    ({}, "NXDOMAIN"),
    ({"servfail": {"broken.test"}}, "SERVFAIL"),
    ({"silent": {"broken.test"}}, "no answer within"),
])
def test_dns_failures_are_clear_errors(smtp, kwargs, words):
    records = {("other.test", "A"): ["127.0.0.1"]}
    with DnsServer(records, **kwargs) as dns:
        report = asyncio.run(probe("broken.test", options(dns, smtp.port)))
    assert report.verdict == "failed"
    assert report.error.kind == "dns"
    assert words in report.error.message


def test_no_mx_connects_to_the_name_itself(smtp):
    records = {("example.test", "MX"): ["10 mx1.example.test."],
               ("example.test", "A"): ["127.0.0.1"]}
    with DnsServer(records) as dns:
        report = asyncio.run(probe("example.test", options(dns, smtp.port, no_mx=True)))
    assert report.resolution.method == "name"
    assert report.attempts[0].host == "example.test"
    assert report.verdict == "accepted"


def test_cli_dns_failure_exit_code_and_json(smtp):
    with DnsServer({}) as dns:
        result = run_cli("probe", "missing.test", "--port", str(smtp.port), "--nameserver",
                         f"{dns.host}:{dns.port}", "--json", "--timeout", "2")
    assert result.returncode == 3
    document = json.loads(result.stdout)
    assert_valid(document, "report")
    assert document["error"]["kind"] == "dns"


def test_cli_null_mx_exit_code(smtp):
    with DnsServer({("nomail.test", "MX"): ["0 ."]}) as dns:
        result = run_cli("probe", "nomail.test", "--nameserver", f"{dns.host}:{dns.port}")
    assert result.returncode == 1
    assert "accepts no mail" in result.stdout
