"""A domain may publish thousands of MX records (a hostile or broken zone): what probe, check
and audit say of its MX set stays a few lines, each list cut with a count of the rest, and
still names the problem.  Pure: the findings from the MX answer as given."""

from __future__ import annotations

import pytest

from smtpdiag.core.findings import mx_findings, null_mx_findings
from smtpdiag.core.policy.mxset import mx_facts_lines, mx_hits
from smtpdiag.core.policy.records import HostFacts, MxFacts
from smtpdiag.core.text import listed
from smtpdiag.model import MxHost, Resolution

MANY = 3000
LIMIT = 2000  # characters: a few findings' worth, not thousands of records'


def test_listed_names_a_few_and_counts_the_rest() -> None:
    assert listed(["a", "b"]) == "a, b"
    assert listed([str(i) for i in range(5)]) == "0, 1, 2, 3, 4"
    assert listed([str(i) for i in range(6)]) == "0, 1, 2, 3, 4 and 1 more"
    assert listed([str(i) for i in range(MANY)], 3) == f"0, 1, 2 and {MANY - 3} more"


def _size(found: object) -> int:
    return sum(len(str(item)) for item in found)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("records", "said"), [
    ([(i, ".") for i in range(MANY)], "several MX records point at '.' (preferences 0, 1, 2, 3, "
     f"4 and {MANY - 5} more)"),
    ([(i, ".") for i in range(MANY)] + [(10, "mx.d.test")],
     f"MX 0 ., MX 1 ., MX 2 ., MX 3 ., MX 4 . and {MANY - 5} more (a null MX)"),
    ([(10, f"mx{i}.d.test") for i in range(MANY)], "the MX hosts mx0.d.test, mx1.d.test, "
     f"mx2.d.test, mx3.d.test, mx4.d.test and {MANY - 5} more share preference 10"),
    ([(i, "mx.d.test") for i in range(MANY)], "the MX host mx.d.test is listed 3000 times "
     f"(preferences 0, 1, 2, 3, 4 and {MANY - 5} more)"),
    ([(i, f"192.0.2.{i % 250}") for i in range(MANY)], f"and {MANY - 5} more MX targets"),
])
def test_probes_mx_findings_stay_short_for_thousands_of_records(records, said) -> None:
    resolution = Resolution("d.test", "mx", tuple(MxHost(p, h) for p, h in records))
    found = [*null_mx_findings(resolution), *mx_findings(resolution)]
    assert any(said in finding.message for finding in found), [f.message for f in found]
    assert _size(f.message for f in found) < LIMIT


@pytest.mark.parametrize(("hosts", "said"), [
    ([HostFacts(".", i, status="null") for i in range(MANY)],
     f"several MX records point at '.' (preferences 0, 1, 2, 3, 4 and {MANY - 5} more)"),
    ([HostFacts(".", i, status="null") for i in range(MANY)]
     + [HostFacts("mx.d.test", 10, ("192.0.2.1",))],
     f"'.' (the null MX) is listed beside other MX records ({MANY} such records)"),
    ([HostFacts(f"mx{i}.d.test", 10, status="nxdomain") for i in range(MANY)],
     f"and {MANY - 5} more records alike"),
    ([HostFacts(f"mx{i}.d.test", 10, ("192.0.2.1",)) for i in range(MANY)],
     f"mx3.d.test, mx4.d.test and {MANY - 5} more"),
    ([HostFacts("mx.d.test", i, ("192.0.2.1",)) for i in range(MANY)],
     f"(preferences 0, 1, 2, 3, 4 and {MANY - 5} more)"),
])
def test_audits_mx_findings_stay_short_for_thousands_of_records(hosts, said) -> None:
    status = "null" if all(h.status == "null" for h in hosts) else "mx"
    hits = mx_hits(MxFacts("d.test", status, tuple(hosts)))
    assert any(said in hit.detail for hit in hits), [hit.detail for hit in hits][:8]
    assert len(hits) <= 12 and _size(hit.detail for hit in hits) < LIMIT
    assert len(hits) == len(set(hits))  # the same finding is said once


def test_audits_text_shows_the_first_mx_records_and_counts_the_rest() -> None:
    from smtpdiag.model import AuditArea, AuditReport
    from smtpdiag.render.audit_view import FACTS_SHOWN, audit_doc, audit_json

    hosts = tuple(HostFacts(f"mx{i}.d.test", i, ("192.0.2.1",)) for i in range(MANY))
    facts = tuple(mx_facts_lines(MxFacts("d.test", "mx", hosts)))
    report = AuditReport("d.test", "pass", "ok", (AuditArea("mx", "MX set", "pass", facts),))
    text = audit_doc(report).plain()
    assert "MX 19 mx19.d.test" in text and "MX 20 mx20.d.test" not in text
    assert f"… (+{MANY - FACTS_SHOWN})" in text and len(text) < LIMIT
    assert len(audit_json(report)["areas"][0]["facts"]) == MANY  # the data keeps them all


def test_probes_mx_line_names_the_first_records_and_counts_the_rest() -> None:
    from smtpdiag.render.report_view import MX_SHOWN, _mx_line

    line = _mx_line(tuple(MxHost(i, ".") for i in range(MANY)))
    assert line.startswith("0 ., 1 ., 2 .")
    assert line.endswith(f"19 ., and {MANY - MX_SHOWN} more MX records")
    assert _mx_line((MxHost(10, "a.test"), MxHost(10, "b.test"))) == \
        "10 a.test and b.test (equal preference)"
