"""``core/policy/dmarc.py`` fed plain DNS answers: which record applies and every hit it gives.

``tests/test_audit_dns_policies.py`` asks a real DNS server; here each rule of RFC 7489 that
``audit`` reads is pinned with its exact detail: ``v=DMARC1`` first, a valid ``p=``, ``sp=``
for an inherited record, ``rua``, ``pct`` below 100, and the organisational domain's fallback.
"""

from __future__ import annotations

import pytest

from smtpdiag.core.policy.dmarc import dmarc_hits, dmarc_records, dmarc_tags
from smtpdiag.core.policy.records import Answer, Hit

GOOD = "v=DMARC1; p=reject; rua=mailto:d@example.test"


def txt(*records: str, status: str = "ok", error: str | None = None,
        name: str = "_dmarc.example.test") -> Answer:
    return Answer(name, "TXT", status, records, error=error)


NONE = txt(status="nxdomain")


@pytest.mark.parametrize(("records", "found"), [
    ((), []),
    (("v=spf1 -all", GOOD), [GOOD]),
    (("V = DMARC1; p=none",), ["V = DMARC1; p=none"]),       # spaces and case: still meant
    (("p=none; v=DMARC1",), ["p=none; v=DMARC1"]),             # out of place, still counted
    (("v=DMARC2; p=none",), []),
])
def test_dmarc_records(records: tuple[str, ...], found: list[str]) -> None:
    assert dmarc_records(txt(*records)) == found


def test_no_answer_has_no_records() -> None:
    assert dmarc_records(None) == []


def test_dmarc_tags_lowercase_keys_first_wins_values_kept() -> None:
    assert dmarc_tags(" v=DMARC1 ; P = Reject ;p=none; rua=mailto:a=b@x.test;junk; ;x=") == {
        "v": "DMARC1", "p": "Reject", "rua": "mailto:a=b@x.test", "x": ""}


@pytest.mark.parametrize(("record", "hits"), [
    (GOOD, []),
    ("v=DMARC1;p=quarantine;rua=mailto:d@x.test;pct=100", []),
    ("v = DMARC1; p=REJECT; rua=mailto:d@x.test", []),
    ("v=DMARC1; p=none; rua=mailto:d@x.test",
     [Hit("dmarc.p-none", "_dmarc.example.test", "p=none: v=DMARC1; p=none; "
          "rua=mailto:d@x.test")]),
    ("v=DMARC1; p=reject", [Hit("dmarc.no-rua", "_dmarc.example.test", "v=DMARC1; p=reject")]),
    ("v=DMARC1; p=reject; rua=", [Hit("dmarc.no-rua", "_dmarc.example.test",
                                       "v=DMARC1; p=reject; rua=")]),
    (GOOD + "; pct=99", [Hit("dmarc.pct", "_dmarc.example.test", "pct=99")]),
    (GOOD + "; pct=0", [Hit("dmarc.pct", "_dmarc.example.test", "pct=0")]),
    (GOOD + "; pct=abc", [Hit("dmarc.tags", "_dmarc.example.test",
                              "pct=abc is not a valid value (receivers use 100)")]),
    (GOOD + "; pct=٥٠", [Hit("dmarc.tags", "_dmarc.example.test",  # not ASCII digits
                             "pct=٥٠ is not a valid value (receivers use 100)")]),
    (GOOD + "; pct=200; adkim=x; aspf=S; fo=1:d:9; rf=afrf; ri=abc; ruf=nomail; Foo=bar",
     [Hit("dmarc.tags", "_dmarc.example.test",
          "pct=200 is not a valid value (receivers use 100); adkim=x is not a valid value "
          "(receivers use relaxed (r)); fo=1:d:9 is not a valid value (receivers use 0); "
          "ri=abc is not a valid value (receivers use 86400); foo= is not a DMARC tag "
          "(ignored); ruf=nomail is not a mailto: address (no reports go there)")]),
    ("v=DMARC1; p=reject; rua=mailto:d@x.test,https://x.test/r",
     [Hit("dmarc.tags", "_dmarc.example.test",
          "rua=https://x.test/r is not a mailto: address (no reports go there)")]),
    ("v=DMARC1; p=none; sp=reject",
     [Hit("dmarc.p-none", "_dmarc.example.test", "p=none: v=DMARC1; p=none; sp=reject"),
      Hit("dmarc.no-rua", "_dmarc.example.test", "v=DMARC1; p=none; sp=reject")]),
    ("v=DMARC1; p=reject; sp=none; rua=mailto:d@x.test", []),  # sp= is for subdomains only
    ("p=reject; v=DMARC1", [Hit("dmarc.invalid", "_dmarc.example.test",
                                "v= must come first and be DMARC1: p=reject; v=DMARC1")]),
    ("v=dmarc1; p=reject", [Hit("dmarc.invalid", "_dmarc.example.test",
                                "v= must come first and be DMARC1: v=dmarc1; p=reject")]),
    ("v=DMARC1; p=block", [Hit("dmarc.invalid", "_dmarc.example.test",
                               "p= is 'block', not none, quarantine or reject: "
                               "v=DMARC1; p=block")]),
    ("v=DMARC1; rua=mailto:d@x.test", [Hit(  # RFC 7489 §6.6.3: as if p=none
        "dmarc.invalid", "_dmarc.example.test", "p= is missing; with a valid rua receivers "
        "act as if p=none: v=DMARC1; rua=mailto:d@x.test", "warning")]),
    ("v=DMARC1; adkim=s", [Hit(
        "dmarc.invalid", "_dmarc.example.test", "p= is missing, not none, quarantine or "
        "reject: v=DMARC1; adkim=s")]),
    ("v=DMARC1; p=none; x=" + "y" * 300, [
        Hit("dmarc.tags", "_dmarc.example.test", "x= is not a DMARC tag (ignored)"),
        Hit("dmarc.p-none", "_dmarc.example.test", "p=none: " + ("v=DMARC1; p=none; x="
                                                                  + "y" * 300)[:200]),
        Hit("dmarc.no-rua", "_dmarc.example.test", ("v=DMARC1; p=none; x=" + "y" * 300)[:200])]),
])
def test_the_domains_own_record(record: str, hits: list[Hit]) -> None:
    assert dmarc_hits("example.test", txt(record), "example.test", None) == (hits, record)


@pytest.mark.parametrize("detail", [
    "v= must come first and be DMARC1: ", "p= is 'block', not none, quarantine or reject: "])
def test_an_invalid_record_is_cut_at_200_characters(detail: str) -> None:
    record = ("p=block; v=DMARC1; " if detail.startswith("v=") else "v=DMARC1; p=block; ") \
        + "z" * 300
    hits, applied = dmarc_hits("example.test", txt(record), None, None)
    assert hits == [Hit("dmarc.invalid", "_dmarc.example.test", detail + record[:200])]
    assert applied == record


def test_two_records_are_one_finding_and_none_applies() -> None:
    other = "v=DMARC1; p=none; " + "q" * 300
    assert dmarc_hits("example.test", txt(GOOD, other), None, None) == (
        [Hit("dmarc.multiple", "_dmarc.example.test", (GOOD + " | " + other)[:300])], None)


def org(*records: str) -> Answer:
    return txt(*records, name="_dmarc.example.test")


@pytest.mark.parametrize(("record", "hits"), [
    (GOOD, []),
    ("v=DMARC1; p=reject; sp=none; rua=mailto:d@x.test",
     [Hit("dmarc.p-none", "_dmarc.example.test", "sp=none: v=DMARC1; p=reject; sp=none; "
          "rua=mailto:d@x.test")]),
    ("v=DMARC1; p=none; rua=mailto:d@x.test",
     [Hit("dmarc.p-none", "_dmarc.example.test", "p=none: v=DMARC1; p=none; "
          "rua=mailto:d@x.test")]),
    ("v=DMARC1; p=none; sp=Reject; rua=mailto:d@x.test", []),
])
def test_a_subdomain_inherits_the_organisational_record(record: str, hits: list[Hit]) -> None:
    got = dmarc_hits("mail.example.test", NONE, "example.test", org(record))
    assert got == ([Hit("dmarc.inherited", "mail.example.test", "_dmarc.mail.example.test has "
                        "no record; _dmarc.example.test applies"), *hits], record)


def test_two_organisational_records_are_one_finding() -> None:
    assert dmarc_hits("mail.example.test", NONE, "example.test", org(GOOD, GOOD)) == (
        [Hit("dmarc.multiple", "_dmarc.example.test", f"{GOOD} | {GOOD}")], None)


@pytest.mark.parametrize(("domain", "own", "org_domain", "org_answer", "detail"), [
    ("example.test", NONE, None, None, "no v=DMARC1 TXT record at _dmarc.example.test"),
    ("example.test", NONE, "example.test", org(GOOD),       # its own organisational domain
     "no v=DMARC1 TXT record at _dmarc.example.test"),
    ("mail.example.test", txt("v=spf1 -all"), "example.test", org(),
     "no v=DMARC1 TXT record at _dmarc.mail.example.test nor at _dmarc.example.test"),
    ("mail.example.test", NONE, "example.test", None,
     "no v=DMARC1 TXT record at _dmarc.mail.example.test nor at _dmarc.example.test"),
])
def test_no_record_anywhere(domain: str, own: Answer, org_domain: str | None,
                            org_answer: Answer | None, detail: str) -> None:
    assert dmarc_hits(domain, own, org_domain, org_answer) == (
        [Hit("dmarc.none", domain, detail)], None)


@pytest.mark.parametrize(("domain", "own", "org_domain", "org_answer", "where", "detail"), [
    # its own lookup failed: whether a policy applies is unknown, the parent is not asked
    ("mail.example.test", txt(status="error", error="timed out"), "example.test", None,
     "_dmarc.mail.example.test", "timed out"),
    ("mail.example.test", txt(status="error"), None, None,
     "_dmarc.mail.example.test", "the TXT lookup failed"),
    ("example.test", txt(status="error", error="SERVFAIL"), "example.test", None,
     "_dmarc.example.test", "SERVFAIL"),
    # none of its own, and the organisational domain's lookup failed
    ("mail.example.test", NONE, "example.test", txt(status="error", error="SERVFAIL"),
     "_dmarc.example.test", "SERVFAIL"),
    ("mail.example.test", NONE, "example.test", txt(status="error"),
     "_dmarc.example.test", "the TXT lookup failed"),
])
def test_a_failed_lookup_is_not_no_policy(domain: str, own: Answer, org_domain: str | None,
                                          org_answer: Answer | None, where: str,
                                          detail: str) -> None:
    assert dmarc_hits(domain, own, org_domain, org_answer) == (
        [Hit("dmarc.lookup-failed", where, detail)], None)
