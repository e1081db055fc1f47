"""DMARC reports sent outside the domain (RFC 7489 §7.1): a ``rua`` destination in another
organisation's domain must publish ``<domain>._report._dmarc.<destination>`` or receivers send it
nothing.  Loopback DNS for the audit; plain records for the rules."""

from __future__ import annotations

import pytest

from smtpdiag.core.policy.dmarc import authorization_name, report_destinations, report_hits
from smtpdiag.core.policy.records import Answer
from tests.auditkit import World, ids

REPORTS = "reports.vendor.test"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(str(tmp_path_factory.mktemp("dmarc-rua")))
    try:
        w.smtp("127.0.6.1", "mx.rua.test")
        for domain in ("ext.test", "extok.test", "own.test", "sub.inherit.test"):
            w.add(domain, "MX", "10 mx.rua.test.")
            w.add(domain, "TXT", '"v=spf1 mx -all"')
        w.add("mx.rua.test", "A", "127.0.6.1")
        w.add("_dmarc.ext.test", "TXT", f'"v=DMARC1; p=reject; rua=mailto:agg@{REPORTS}"')
        w.add("_dmarc.extok.test", "TXT",
              f'"v=DMARC1; p=reject; rua=mailto:d@extok.test,mailto:agg@{REPORTS}!10m"')
        w.add(f"extok.test._report._dmarc.{REPORTS}", "TXT", '"v=DMARC1"')
        w.add("_dmarc.own.test", "TXT", '"v=DMARC1; p=reject; rua=mailto:d@mail.own.test"')
        # no record of its own: the organisational domain's applies, and names the destination
        w.add("_dmarc.inherit.test", "TXT", f'"v=DMARC1; p=reject; rua=mailto:a@{REPORTS}"')
        yield w
    finally:
        w.close()


@pytest.mark.parametrize(("domain", "expected"), [
    ("ext.test", ["dmarc.rua-unauthorized"]),
    ("extok.test", []),
    ("own.test", []),
    ("sub.inherit.test", ["dmarc.inherited", "dmarc.rua-unauthorized"]),
])
def test_external_report_destinations_on_loopback(world, domain, expected):
    report = world.run(domain)
    assert ids(report, "dmarc") == expected
    for finding in (f for a in report.areas for f in a.findings
                    if f.id == "dmarc.rua-unauthorized"):
        policy = "inherit.test" if domain.startswith("sub.") else domain
        assert finding.subject == f"{policy}._report._dmarc.{REPORTS}"
        assert finding.severity == "info"  # reporting, not delivery: the verdict stands
    assert next(a for a in report.areas if a.name == "dmarc").verdict == "pass"


def test_rules():
    assert report_destinations("v=DMARC1; p=none; rua=mailto:a@X.test!10m, mailto:b@x.test,"
                               " https://r.test/, mailto:c@y.test.") == ["x.test", "y.test"]
    assert report_destinations("v=DMARC1; p=none") == []
    assert authorization_name("a.test", "r.test") == "a.test._report._dmarc.r.test"
    name = "a.test._report._dmarc.r.test"
    missing = Answer(name, "TXT", "nxdomain")
    other = Answer(name, "TXT", "ok", ("v=spf1 -all",))
    agreed = Answer(name, "TXT", "ok", ("v=DMARC1",))
    failed = Answer(name, "TXT", "error", error="SERVFAIL")
    assert [h.id for h in report_hits("a.test", (("r.test", missing),))] == [
        "dmarc.rua-unauthorized"]
    assert [h.detail for h in report_hits("a.test", (("r.test", other),))] == [
        f"no v=DMARC1 TXT record at {name}: r.test has not agreed to receive reports for "
        "a.test, so receivers send it none"]
    assert report_hits("a.test", (("r.test", agreed),)) == []
    assert report_hits("a.test", (("r.test", failed),)) == []
