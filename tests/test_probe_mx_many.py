"""A domain with very many MX hosts (200 here), through the loopback DNS server: the walk
starts on the best host as soon as its address is known, not after every MX name has been
looked up, and when time runs out the report says how many hosts were never tried and why.

The hosts after the best ones are *silent* in DNS (no reply at all): looking them all up before
walking, as smtpdiag once did, spends the probe's whole time waiting on them, so the verdict was
a failure with no host tried although the best one answers at once.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from smtpdiag.fakeserver import FakeServer
from smtpdiag.net.mxqueue import LOOKAHEAD
from smtpdiag.net.probe import ProbeOptions, probe
from tests.conftest import assert_no_traceback, run_cli
from tests.dnsserver import DnsServer

HOSTS = 200


def many_mx(good: int, address: str = "127.0.0.1") -> tuple[dict[tuple[str, str], list[str]],
                                                              set[str]]:
    """``HOSTS`` MX records (``mx001`` best); the first ``good`` names resolve to ``address``
    and every other name never gets a reply."""
    records = {("big.test", "MX"): [f"{i} mx{i:03d}.big.test." for i in range(1, HOSTS + 1)]}
    silent = set()
    for i in range(1, HOSTS + 1):
        records[f"mx{i:03d}.big.test", "A"] = [address]
        if i > good:
            silent.add(f"mx{i:03d}.big.test")
    return records, silent


@pytest.fixture
def smtp():
    with FakeServer("healthy", tls="none") as server:
        yield server


def test_the_best_host_is_walked_without_waiting_for_the_others_names(smtp):
    records, silent = many_mx(good=1)
    with DnsServer(records, silent=silent) as dns:
        opts = ProbeOptions(port=smtp.port, nameserver=(dns.host, dns.port), helo="client.test",
                            timeout=3.0, deadline=3.0, dry_run=True)
        report = asyncio.run(probe("big.test", opts))
        asked = {name for name, rdtype in dns.queries if rdtype in ("A", "AAAA")}
    assert report.verdict == "accepted", report.summary
    assert report.summary == (f"mx001.big.test (127.0.0.1:{smtp.port}) answered every step "
                              "positively (dry run: no DATA sent)")
    # A few names are asked ahead of the walk, never all 200; those asked and silent are
    # reported after the walk (a backup MX that does not resolve is worth knowing).
    assert asked == {f"mx{i:03d}.big.test" for i in range(1, LOOKAHEAD + 1)}
    assert report.attempts[0].outcome == "accepted"
    assert [a.host for a in report.attempts[1:]] == [
        f"mx{i:03d}.big.test" for i in range(2, LOOKAHEAD + 1)]
    for attempt in report.attempts[1:]:  # asked at the start: about the whole 3 s
        assert re.fullmatch(rf"no answer from 127\.0\.0\.1:{dns.port} for A {attempt.host} in "
                            r"the (3|2\.\d) s left of the probe's overall time limit \(to ask "
                            rf"it again: dig @127\.0\.0\.1 -p {dns.port} \+tcp A {attempt.host}\)",
                            attempt.error.message), attempt.error.message
    assert len(report.resolution.mx) == HOSTS


def test_check_with_a_short_timeout_walks_the_best_host_and_is_ok(smtp):
    records, silent = many_mx(good=LOOKAHEAD)  # every name asked ahead of the walk answers
    with DnsServer(records, silent=silent) as dns:
        result = run_cli("check", "big.test", "--port", str(smtp.port), "--timeout", "3",
                         "--nameserver", f"127.0.0.1:{dns.port}")
    assert_no_traceback(result)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("smtpdiag check: OK"), result.stdout


def test_hosts_left_untried_when_time_runs_out_are_counted_with_the_reason(smtp):
    records, silent = many_mx(good=0)
    with DnsServer(records, silent=silent) as dns:
        opts = ProbeOptions(port=smtp.port, nameserver=(dns.host, dns.port), helo="client.test",
                            timeout=1.0, deadline=1.0, dry_run=True)
        report = asyncio.run(probe("big.test", opts))
    assert report.verdict == "failed"
    # The names asked together ran out of time together: each is shown, the rest counted.
    assert [a.host for a in report.attempts] == [
        f"mx{i:03d}.big.test" for i in range(1, LOOKAHEAD + 1)]
    assert re.fullmatch(
        rf"mx001\.big\.test: dns failed: no answer from 127\.0\.0\.1:{dns.port} for A "
        r"mx001\.big\.test in the (1|0\.\d+) s left of the probe's overall time limit "
        rf"\(to ask it again: dig @127\.0\.0\.1 -p {dns.port} \+tcp A mx001\.big\.test\); "
        rf"{HOSTS - LOOKAHEAD} more MX hosts were not tried: the probe's time limit of 1 s ran "
        "out", report.summary), report.summary
    assert smtp.recorded.commands == []
