"""What ``check`` says of a domain whose MX set is broken while its best host still answers:
an MX target that is an alias or an IP address, a host listed twice, an address family that
failed, an address no sender can reach.  Each is a WARNING whose reason is the finding, the
same in every format (jsonl, nagios, junit) and in the exporter's state; a clean domain stays
OK.  Real loopback DNS server and a real fake SMTP server: nothing is mocked.
"""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from smtpdiag.core.health import judge
from smtpdiag.core.thresholds import Thresholds
from smtpdiag.fakeserver import FakeServer
from smtpdiag.net.probe import ProbeOptions, probe
from tests.conftest import run_cli
from tests.dnsserver import DnsServer, servfail_why

LAB = "smtpdiag-lab.net"  # a name that could be on the Internet: its loopback MX is a finding
ZONE = {
    ("clean.test", "MX"): ["10 mx.clean.test."],
    ("mx.clean.test", "A"): ["127.0.0.1"],
    ("alias.test", "MX"): ["10 mail.alias.test."],
    ("mail.alias.test", "CNAME"): ["mx.clean.test."],
    ("literal.test", "MX"): ["10 192.0.2.1.", "20 mx.clean.test."],
    ("twice.test", "MX"): ["10 mx.clean.test.", "20 mx.clean.test."],
    ("family.test", "MX"): ["10 mx.family.test."],
    ("mx.family.test", "A"): ["127.0.0.1"],
    ("implicit.test", "A"): ["127.0.0.1"],  # no MX: the domain is its own mail host
    (LAB, "MX"): [f"10 mx.{LAB}."],
    (f"mx.{LAB}", "A"): ["127.0.0.1"],
}
EXPECTED = {
    "clean.test": [],
    "alias.test": ["dns: the MX host mail.alias.test is an alias (CNAME) of mx.clean.test: an "
                   "MX must name a host, not an alias (RFC 2181 §10.3, RFC 5321 §5.1); some "
                   "senders refuse or mishandle it"],
    "literal.test": ["dns: the MX target 192.0.2.1 is an IP address, not a host name: an MX "
                     "must name a host (RFC 5321 §5.1), so senders look it up as a name and "
                     "most find nothing",
                     "192.0.2.1 was not tried (192.0.2.1 does not exist (NXDOMAIN)); a later "
                     "host was tried"],
    "twice.test": ["dns: the MX host mx.clean.test is listed 2 times (preferences 10, 20): "
                   "only its best preference counts; remove the other records"],
    "family.test": ["dns: the MX host mx.family.test: the nameserver {ns} failed (SERVFAIL) "
                    "answering AAAA mx.family.test: {why AAAA mx.family.test}; "
                    "only its A addresses are known, and a sender that waits for the AAAA "
                    "answer is delayed, or defers the mail"],
    "implicit.test": ["dns: the MX host implicit.test: the nameserver {ns} failed (SERVFAIL) "
                      "answering AAAA implicit.test: {why AAAA implicit.test}; "
                      "only its A addresses are known, and a sender that waits for the AAAA "
                      "answer is delayed, or defers the mail"],
    LAB: [f"dns: the MX host mx.{LAB} resolves to 127.0.0.1, a loopback address: a sender "
          "connects to itself"],
}


@pytest.fixture(scope="module")
def world():
    with FakeServer("healthy", tls="none") as smtp, \
            DnsServer(ZONE, servfail={("mx.family.test", "AAAA"),
                                      ("implicit.test", "AAAA")}) as dns:
        yield smtp, dns


def args(world) -> list[str]:
    smtp, dns = world
    return ["--port", str(smtp.port), "--nameserver", f"127.0.0.1:{dns.port}",
            "--helo", "check.smtpdiag.test", "--timeout", "3", "--no-progress"]


def expected(world, target: str) -> list[str]:
    port = world[1].port
    return [re.sub("{why (.*?)}", lambda m: servfail_why(port, m[1]),
                   r.replace("{ns}", f"127.0.0.1:{port}")) for r in EXPECTED[target]]


def test_each_broken_mx_set_is_a_warning_naming_its_finding_in_jsonl(world, tmp_path):
    out = tmp_path / "out.jsonl"
    result = run_cli("check", *EXPECTED, *args(world), "--format", "jsonl",
                     "--output", str(out))
    assert result.returncode == 2, result.stderr
    lines = {d["target"]: d for d in map(json.loads, out.read_text().splitlines())}
    for target in EXPECTED:
        reasons = [r["message"] for r in lines[target]["reasons"]]
        # a public domain whose MX is this machine: no sender delivers there (CRITICAL)
        state = "CRITICAL" if target == LAB else "WARNING" if EXPECTED[target] else "OK"
        assert (lines[target]["state"], reasons) == (state, expected(world, target)), target
        if reasons:
            assert lines[target]["summary"].startswith(reasons[0])


def test_nagios_and_junit_say_the_same(world):
    nagios = run_cli("check", "alias.test", *args(world), "--format", "nagios")
    assert nagios.returncode == 1, nagios.stderr
    assert nagios.stdout.startswith(
        "SMTPDIAG WARNING - alias.test: dns: the MX host mail.alias.test is an alias (CNAME) "
        "of mx.clean.test"), nagios.stdout
    junit = run_cli("check", "family.test", *args(world), "--format", "junit")
    assert junit.returncode == 1, junit.stderr
    assert "failed (SERVFAIL) answering AAAA mx.family.test" in junit.stdout


def test_the_exporter_state_is_judged_the_same(world):
    smtp, dns = world
    opts = ProbeOptions(port=smtp.port, nameserver=(dns.host, dns.port), timeout=3,
                        helo="check.smtpdiag.test", dry_run=True, explain=False)
    result = judge(asyncio.run(probe("alias.test", opts)), Thresholds())
    assert (result.state, [r.step for r in result.reasons]) == ("WARNING", ["dns"])
