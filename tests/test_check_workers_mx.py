"""``check --workers N`` judges a domain target with several MX hosts as one process does, with
and without ``--all-mx``: every result is judged in the worker that probed it, and the one
result the parent makes (a worker that died) has no attempts to judge.  Real DNS and SMTP on
loopback."""

from __future__ import annotations

import json

import pytest

from smtpdiag.fakeserver import FakeServer
from tests.conftest import assert_no_traceback, run_cli
from tests.dnsserver import DnsServer

ZONE = {("first-down.test", "MX"): ["10 mx1.first-down.test.", "20 mx2.first-down.test."],
        ("mx1.first-down.test", "A"): ["127.0.0.2"],  # nothing listens there
        ("mx2.first-down.test", "A"): ["127.0.0.1"],
        ("backup-down.test", "MX"): ["10 mx1.backup-down.test.", "20 mx2.backup-down.test."],
        ("mx1.backup-down.test", "A"): ["127.0.0.1"],
        ("mx2.backup-down.test", "A"): ["127.0.0.3"]}  # nothing listens there


@pytest.fixture(scope="module")
def servers():
    with FakeServer("healthy", tls="none") as smtp, DnsServer(ZONE) as dns:
        yield smtp, dns


def _judged(servers, *extra: str) -> list[tuple[str, str, list[str]]]:
    smtp, dns = servers
    result = run_cli("check", "first-down.test", "backup-down.test", "--format", "json",
                     "--port", str(smtp.port), "--nameserver", f"127.0.0.1:{dns.port}",
                     "--timeout", "3", "--helo", "client.test", *extra)
    assert_no_traceback(result)
    return [(t["target"], t["state"], [r["message"] for r in t["reasons"]])
            for t in json.loads(result.stdout)["targets"]]


@pytest.mark.parametrize("all_mx", [(), ("--all-mx",)])
def test_workers_judge_several_mx_hosts_as_one_process_does(servers, all_mx):
    one = _judged(servers, "--workers", "1", *all_mx)
    two = _judged(servers, "--workers", "2", *all_mx)
    assert one == two
    if all_mx:  # every host judged, each named: the one that refused is CRITICAL
        assert [state for _, state, _ in one] == ["CRITICAL", "CRITICAL"], one
        assert all(any(m.startswith("mx") for m in reasons) for _, _, reasons in one), one
    else:  # the host that took the mail decides; a failed first host is a warning
        assert [state for _, state, _ in one] == ["WARNING", "OK"], one
