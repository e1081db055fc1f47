"""``check --audit`` as monitoring needs it: bound by ``--deadline`` like the probes (an audit
still unfinished then is CRITICAL, saying so), the same results with ``--workers`` as in one
process, and a domain named twice audited once.  Real DNS, SMTP and a silent DNS name on
loopback (tests/auditkit.py)."""

from __future__ import annotations

import json

import pytest

from tests.auditkit import World
from tests.conftest import assert_no_traceback, assert_valid, run_cli


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(str(tmp_path_factory.mktemp("check-audit")))
    try:
        w.smtp("127.0.0.2", "mx.good.test")
        w.smtp("127.0.0.3", "mx.plain.test", tls="none")
        w.smtp("127.0.0.4", "mx.slow.test")
        for domain, address in (("good.test", "127.0.0.2"), ("plain.test", "127.0.0.3"),
                                ("slow.test", "127.0.0.4")):
            w.mx(domain, (10, f"mx.{domain}", address))
            w.sender_policies(domain)
        # slow.test's DMARC question is never answered: its audit waits for the DNS timeout
        w.start_dns().silent.add("_dmarc.slow.test")
        yield w
    finally:
        w.close()


def _args(world: World, *extra: str) -> list[str]:
    return [*world.cli_args(), "--format", "json", *extra]


def _targets(result) -> list[dict]:
    assert_no_traceback(result)
    report = json.loads(result.stdout)
    assert_valid(report, "check")
    return report["targets"]


def test_the_deadline_bounds_the_audits_too(world):
    args = _args(world)
    args[args.index("--timeout") + 1] = "8"  # DNS questions wait up to 8 s
    result = run_cli("check", "good.test", "slow.test", "--audit", "--deadline", "2", *args)
    assert result.returncode == 2, result.stdout + result.stderr
    good, slow = _targets(result)
    assert good["state"] == "OK"
    assert slow["state"] == "CRITICAL"
    assert {"state": "CRITICAL", "step": None,
            "message": "audit: not finished within the overall deadline of 2 s"} in slow[
        "reasons"]
    # the run ended at its deadline, not when the silent DNS question timed out (8 s)
    assert json.loads(result.stdout)["elapsed_ms"] < 8000


def test_workers_give_the_same_results_as_one_process(world):
    names = ["good.test", "plain.test", "good.test", "plain.test"]
    one = _targets(run_cli("check", *names, "--audit", *_args(world), "--workers", "1"))
    two = _targets(run_cli("check", *names, "--audit", *_args(world), "--workers", "2"))
    assert [(t["state"], t["reasons"]) for t in one] == [(t["state"], t["reasons"])
                                                         for t in two]
    assert [t["state"] for t in two] == ["OK", "WARNING"] * 2
    assert any("audit smtp: STARTTLS is not offered" in r["message"]
               for r in two[1]["reasons"])


def test_a_domain_named_twice_is_audited_once(world):
    dns = world.start_dns()
    before = dns.queries.count(("_dmarc.good.test", "TXT"))
    result = run_cli("check", "good.test", "good.test", "--audit", *_args(world))
    assert [t["state"] for t in _targets(result)] == ["OK", "OK"]
    assert dns.queries.count(("_dmarc.good.test", "TXT")) - before == 1
