"""``core/policy/spf.py`` fed plain DNS answers: the term parser, the questions it asks next, the
10-lookup and 2-void-lookup limits through includes and redirects, and what ``all`` says.

``tests/test_audit_dns_policies.py`` meets these rules through a real DNS server; here each is
pinned with its exact detail, and each limit at its edge (10 lookups and 11, 2 voids and 3).
"""

from __future__ import annotations

import pytest

from smtpdiag.core.policy.records import Answer, Hit
from smtpdiag.core.policy.spf import (
    LOOKUP_LIMIT,
    VOID_LIMIT,
    Term,
    next_questions,
    parse_spf,
    spf_hits,
    spf_records,
)

D = "example.test"


def txt(name: str, *records: str, status: str = "ok", error: str | None = None) -> Answer:
    return Answer(name, "TXT", status, records, error=error)


def answer(name: str, rdtype: str, status: str = "ok") -> Answer:
    return Answer(name, rdtype, status, ("192.0.2.1",) if status == "ok" else ())


def test_limits() -> None:
    assert (LOOKUP_LIMIT, VOID_LIMIT) == (10, 2)


@pytest.mark.parametrize(("records", "found"), [
    (("v=spf1",), ["v=spf1"]),
    (("V=SPF1 -all", "v=spf1 a"), ["V=SPF1 -all", "v=spf1 a"]),
    (("v=spf1x -all", "v=spf10", " v=spf1 -all", "spf1 -all", "v=DMARC1"), []),
])
def test_spf_records(records: tuple[str, ...], found: list[str]) -> None:
    assert spf_records(records) == found


# ------------------------------------------------------------------ the term parser

@pytest.mark.parametrize(("record", "terms"), [
    ("v=spf1", []),
    ("v=spf1 -all", [Term("-", "all")]),
    ("v=spf1 +all ~all ?all all", [Term("+", "all"), Term("~", "all"), Term("?", "all"),
                                   Term("+", "all")]),
    ("v=spf1 a mx ptr", [Term("+", "a"), Term("+", "mx"), Term("+", "ptr")]),
    ("v=spf1 A:Mail.Example.test/24 MX//64", [Term("+", "a", "Mail.Example.test"),
                                              Term("+", "mx")]),
    ("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 ip4:192.0.2.1",
     [Term("+", "ip4", "192.0.2.0/24"), Term("+", "ip6", "2001:db8::/32"),
      Term("+", "ip4", "192.0.2.1")]),
    ("v=spf1 ip4:192.0.2.7/24", [Term("+", "ip4", "192.0.2.7/24")]),   # host bits allowed
    ("v=spf1 include:_spf.example.test exists:%{i}.x.test",
     [Term("+", "include", "_spf.example.test"), Term("+", "exists", "%{i}.x.test")]),
    ("v=spf1 redirect=_spf.example.test exp=explain.x.test unknown=thing",
     [Term("+", "redirect", "_spf.example.test", True), Term("+", "exp", "explain.x.test", True),
      Term("+", "unknown", "thing", True)]),
    ("v=spf1 REDIRECT=x.test", [Term("+", "redirect", "x.test", True)]),
])
def test_parse_spf_reads_valid_terms(record: str, terms: list[Term]) -> None:
    assert parse_spf(record) == (terms, [])


@pytest.mark.parametrize(("record", "errors"), [
    ("v=spf1 -all!", ["'-all!' is not an SPF term"]),
    ("v=spf1 " + "é" * 70, ["'" + "é" * 60 + "' is not an SPF term"]),
    ("v=spf1 -redirect=x.test", ["'-redirect=x.test': a modifier takes no qualifier"]),
    ("v=spf1 redirect=", ["redirect= needs a domain"]),
    ("v=spf1 exp=bad!name", ["exp= needs a domain"]),
    ("v=spf1 foo", ["unknown mechanism 'foo'"]),
    ("v=spf1 ip4:300.0.0.1", ["ip4:300.0.0.1 is not an address or network"]),
    ("v=spf1 ip4", ["ip4: is not an address or network"]),
    ("v=spf1 ip4:2001:db8::1", ["ip4:2001:db8::1 is the other address family"]),
    ("v=spf1 ip6:192.0.2.1", ["ip6:192.0.2.1 is the other address family"]),
    ("v=spf1 include", ["include: needs a domain"]),
    ("v=spf1 include:bad!name", ["include: needs a domain"]),
    ("v=spf1 exists:", ["exists: needs a domain"]),
    ("v=spf1 all:x.test", ["all takes no argument"]),
    ("v=spf1 a:bad!name", ["a:bad!name is not a domain"]),
    ("v=spf1 mx:bad@name", ["mx:bad@name is not a domain"]),
    ("v=spf1 redirect=a.test redirect=b.test", ["redirect= appears more than once"]),
    ("v=spf1 exp=a.test exp=b.test exp=c.test", ["exp= appears more than once"]),
])
def test_parse_spf_names_each_error(record: str, errors: list[str]) -> None:
    assert parse_spf(record)[1] == errors


def test_a_bad_term_is_left_out_and_the_rest_kept() -> None:
    assert parse_spf("v=spf1 a foo -all") == ([Term("+", "a"), Term("-", "all")],
                                              ["unknown mechanism 'foo'"])


# ------------------------------------------------------------------ next_questions

def test_next_questions_for_each_counted_term() -> None:
    record = ("v=spf1 ip4:192.0.2.1 a a:Host.Example.test. mx mx:%{d}.x.test ptr "
              "include:_spf.x.test exists:e.x.test redirect=r.x.test exp=why.x.test -all")
    assert next_questions(D, record) == [
        (D, "A"), (D, "AAAA"), ("host.example.test", "A"), ("host.example.test", "AAAA"),
        (D, "MX"), ("_spf.x.test", "TXT"), ("e.x.test", "A"), ("r.x.test", "TXT")]


def test_next_questions_of_an_empty_record() -> None:
    assert next_questions(D, "v=spf1 -all") == []


# ------------------------------------------------------------------ spf_hits

def test_no_answer_asked_no_finding() -> None:
    assert spf_hits(D, ()) == ([], None)


@pytest.mark.parametrize(("root", "hit"), [
    (txt(D, "v=DMARC1; p=none"), Hit("spf.none", D, f"no v=spf1 TXT record at {D}")),
    (txt(D, status="nxdomain"), Hit("spf.none", D, f"no v=spf1 TXT record at {D}")),
    # not "no record": whether one exists is unknown (receivers: temperror)
    (txt(D, status="error", error="SERVFAIL"), Hit("spf.lookup-failed", D, "SERVFAIL")),
    (txt(D, status="error"), Hit("spf.lookup-failed", D, "the TXT lookup failed")),
])
def test_no_record(root: Answer, hit: Hit) -> None:
    assert spf_hits(D, (root,)) == ([hit], None)


def test_two_records_are_one_finding() -> None:
    first, second = "v=spf1 -all", "v=spf1 a " + "x" * 300 + " -all"
    assert spf_hits(D, (txt(D, first, second),)) == (
        [Hit("spf.multiple", D, (first + " | " + second)[:300])], None)


@pytest.mark.parametrize(("record", "hit"), [
    ("v=spf1 a -all", None),
    ("v=spf1 a ~all", None),
    ("v=spf1 a", "spf.no-all"),
    ("v=spf1 a +all", "spf.plus-all"),
    ("v=spf1 a all", "spf.plus-all"),
    ("v=spf1 a ?all", "spf.neutral-all"),
])
def test_what_all_says(record: str, hit: str | None) -> None:
    answers = (txt(D, record), answer(D, "A"), answer(D, "AAAA"))
    assert spf_hits(D, answers) == ([] if hit is None else [Hit(hit, D, record)], record)


def test_all_in_a_long_record_is_shown_cut_at_300() -> None:
    record = "v=spf1 " + " ".join(f"ip4:192.0.2.{n}" for n in range(40)) + " +all"
    assert spf_hits(D, (txt(D, record),)) == ([
        Hit("spf.long", D, "601 bytes, over the 450 that RFC 7208 §3.4 advises"),
        Hit("spf.plus-all", D, record[:300])], record)


def test_syntax_errors_name_the_record_they_are_in() -> None:
    record = "v=spf1 foo -all"
    assert spf_hits(D, (txt(D, record),)) == (
        [Hit("spf.syntax", D, "unknown mechanism 'foo' (in 'v=spf1 foo -all')")], record)


def test_ptr_is_a_finding_with_its_qualifier() -> None:
    record = "v=spf1 ?ptr ptr:x.test -all"
    hits, _ = spf_hits(D, (txt(D, record),))
    assert hits == [Hit("spf.ptr", D, f"?ptr in {D}"), Hit("spf.ptr", D, f"+ptr in {D}")]


def lookups(count: int) -> str:
    return "v=spf1 " + " ".join(f"a:h{n}.x.test" for n in range(count)) + " -all"


@pytest.mark.parametrize("count", [LOOKUP_LIMIT - 1, LOOKUP_LIMIT])
def test_up_to_ten_lookups_are_fine(count: int) -> None:
    assert spf_hits(D, (txt(D, lookups(count)),)) == ([], lookups(count))


def test_eleven_lookups_are_named() -> None:
    record = lookups(11)
    names = ", ".join(f"a:h{n}.x.test" for n in range(11))
    assert spf_hits(D, (txt(D, record),)) == (
        [Hit("spf.lookups", D, f"11 lookups (limit 10): {names}")], record)


def test_the_lookup_list_is_cut_at_400_characters() -> None:
    record = "v=spf1 " + " ".join(f"a:host-with-a-long-name-{n}.x.test" for n in range(20)) \
        + " -all"
    (long, hit), _ = spf_hits(D, (txt(D, record),))
    assert long.id == "spf.long"  # 667 bytes
    names = ", ".join(f"a:host-with-a-long-name-{n}.x.test" for n in range(20))
    assert hit == Hit("spf.lookups", D, f"20 lookups (limit 10): {names}"[:400])


def test_lookups_are_counted_through_includes_and_redirects() -> None:
    answers = (
        txt(D, "v=spf1 a mx include:one.x.test redirect=two.x.test"),
        txt("one.x.test", "v=spf1 a:a1.x.test a:a2.x.test a:a3.x.test ip4:192.0.2.1 ~all"),
        txt("TWO.x.test.", "v=spf1 exists:e.x.test a:a4.x.test a:a5.x.test ptr -all"),
    )
    hits, record = spf_hits(D, answers)
    assert record == answers[0].records[0]
    assert hits == [Hit("spf.ptr", "two.x.test", "+ptr in two.x.test"),
                    Hit("spf.lookups", D, "11 lookups (limit 10): a, mx, include:one.x.test, "
                        "a:a1.x.test, a:a2.x.test, a:a3.x.test, redirect:two.x.test, "
                        "exists:e.x.test, a:a4.x.test, a:a5.x.test, ptr")]


def test_a_modifier_other_than_redirect_is_no_lookup() -> None:
    record = lookups(10)[:-5] + " exp=why.x.test unknown=x.test -all"
    assert spf_hits(D, (txt(D, record),)) == ([], record)


def test_an_include_loop_is_named() -> None:
    answers = (txt(D, f"v=spf1 include:{D} -all"),)
    assert spf_hits(D, answers) == ([Hit("spf.loop", D, f"{D} → {D}: receivers go round until "
                                         "the 10-lookup limit and fail (permerror)")],
                                    answers[0].records[0])


def test_an_include_loop_through_others_is_named_with_its_path() -> None:
    answers = (txt(D, "v=spf1 include:a.x.test -all"), txt("a.x.test", "v=spf1 include:b.x.test"),
               txt("b.x.test", "v=spf1 include:a.x.test ~all"))
    hits, _ = spf_hits(D, answers)
    assert hits == [Hit("spf.loop", "a.x.test", "a.x.test → b.x.test → a.x.test: receivers go "
                        "round until the 10-lookup limit and fail (permerror)")]


def test_an_include_met_twice_is_no_loop_and_counts_twice() -> None:
    answers = (txt(D, "v=spf1 include:a.x.test include:b.x.test -all"),
               txt("a.x.test", "v=spf1 include:c.x.test -all"),
               txt("b.x.test", "v=spf1 include:c.x.test -all"),
               txt("c.x.test", "v=spf1 a mx a:1.x.test a:2.x.test -all"),
               *(answer(n, t) for n in (D, "1.x.test", "2.x.test") for t in ("A", "AAAA")),
               answer(D, "MX"))
    hits, _ = spf_hits(D, answers)
    assert hits == [Hit("spf.lookups", D, "12 lookups (limit 10): include:a.x.test, "
                        "include:c.x.test, a, mx, a:1.x.test, a:2.x.test, include:b.x.test, "
                        "include:c.x.test, a, mx, a:1.x.test, a:2.x.test")]


def test_includes_are_followed_at_most_ten_deep() -> None:
    chain = [txt(D, "v=spf1 include:i1.x.test -all")] + [
        txt(f"i{n}.x.test", f"v=spf1 include:i{n + 1}.x.test -all") for n in range(1, 12)]
    hits, _ = spf_hits(D, tuple(chain))
    names = ", ".join(f"include:i{n}.x.test" for n in range(1, 12))
    assert hits == [Hit("spf.lookups", D, f"11 lookups (limit 10): {names}")]


@pytest.mark.parametrize("answers", [
    (answer("v1.x.test", "A", "nxdomain"), answer("v1.x.test", "AAAA", "nodata"),
      answer("v2.x.test", "A", "nxdomain"), answer("v2.x.test", "AAAA", "nxdomain")),
    (answer("v1.x.test", "A", "nxdomain"), answer("v1.x.test", "AAAA", "ok"),
      answer("v2.x.test", "A", "nxdomain"), answer("v3.x.test", "MX", "nodata")),
    (answer("v1.x.test", "A", "error"),
      answer("v2.x.test", "A", "nxdomain"), answer("v3.x.test", "MX", "nodata")),
])
def test_two_void_lookups_are_fine(answers: tuple[Answer, ...]) -> None:
    record = "v=spf1 a:v1.x.test a:v2.x.test mx:v3.x.test -all"
    assert spf_hits(D, (txt(D, record), *answers)) == ([], record)


def test_three_void_lookups_are_named() -> None:
    record = "v=spf1 a:v1.x.test mx:v2.x.test exists:v3.x.test include:v4.x.test -all"
    answers = (txt(D, record), answer("v1.x.test", "AAAA", "nodata"),
               answer("v2.x.test", "MX", "nxdomain"), answer("v3.x.test", "A", "nodata"),
               txt("v4.x.test", status="nxdomain"))
    assert spf_hits(D, answers) == ([
        Hit("spf.include-error", "v4.x.test", "include:v4.x.test does not exist (NXDOMAIN)"),
        Hit("spf.void", D, "4 void lookups (limit 2): a:v1.x.test, mx:v2.x.test, "
            "exists:v3.x.test, include:v4.x.test")], record)


def test_the_void_list_is_cut_at_400_characters() -> None:
    names = [f"a:void-host-with-a-long-name-{n}.x.test" for n in range(10)]
    record = "v=spf1 " + " ".join(names) + " -all"
    answers = (txt(D, record), *(answer(n[2:], "A", "nxdomain") for n in names))
    (hit,), _ = spf_hits(D, answers)
    assert hit == Hit("spf.void", D, f"10 void lookups (limit 2): {', '.join(names)}"[:400])


@pytest.mark.parametrize(("included", "hit"), [
    (txt("inc.x.test", "v=spf1 -all", "v=spf1 ~all"),
     Hit("spf.include-error", "inc.x.test", "include:inc.x.test has 2 SPF records, not one")),
    (txt("inc.x.test", "not spf"),
     Hit("spf.include-error", "inc.x.test", "include:inc.x.test has no SPF record")),
    # a lookup that failed is a temperror, not a broken include
    (txt("inc.x.test", status="error", error="SERVFAIL"),
     Hit("spf.lookup-failed", "inc.x.test", "include:inc.x.test: SERVFAIL")),
])
def test_an_include_without_a_single_record_is_an_error(included: Answer, hit: Hit) -> None:
    record = "v=spf1 include:inc.x.test -all"
    assert spf_hits(D, (txt(D, record), included)) == ([hit], record)


def test_an_include_not_asked_is_not_judged() -> None:
    record = "v=spf1 include:inc.x.test -all"
    assert spf_hits(D, (txt(D, record),)) == ([], record)


def test_the_redirect_decides_all() -> None:
    answers = (txt(D, "v=spf1 a redirect=r.x.test"), txt("r.x.test", "v=spf1 ?all"),
               answer(D, "A"))
    assert spf_hits(D, answers) == ([Hit("spf.neutral-all", D, "v=spf1 a redirect=r.x.test")],
                                    "v=spf1 a redirect=r.x.test")


def test_a_chain_of_redirects_decides_all_at_its_end() -> None:
    answers = (txt(D, "v=spf1 redirect=r1.x.test"), txt("r1.x.test", "v=spf1 redirect=r2.x.test"),
               txt("r2.x.test", "v=spf1 -all"))
    assert spf_hits(D, answers) == ([], "v=spf1 redirect=r1.x.test")


def test_an_all_beside_a_redirect_wins() -> None:
    answers = (txt(D, "v=spf1 -all redirect=r.x.test"), txt("r.x.test", "v=spf1 +all"))
    assert spf_hits(D, answers) == ([Hit(  # RFC 7208 §6.1: not counted, not followed
        "spf.redirect-ignored", D, "redirect=r.x.test is ignored: the record has an all "
        "mechanism (-all), which decides for every host it does not list")],
        "v=spf1 -all redirect=r.x.test")


def test_a_long_record_is_measured_in_bytes() -> None:
    def found(record: str) -> list[str]:
        return [h.id for h in spf_hits(D, (txt(D, record),))[0]]

    record = "v=spf1 " + "a" * 438 + " -all"  # 450 bytes: at the limit
    assert found(record) == ["spf.syntax"]
    assert found(record.replace("a", "é", 1)) == ["spf.syntax", "spf.long"]  # 451 bytes


def test_a_broken_redirect_is_reported_once_not_as_a_missing_all() -> None:
    record = "v=spf1 redirect=r.x.test"
    answers = (txt(D, record), txt("r.x.test", "no spf here"))
    assert spf_hits(D, answers) == (
        [Hit("spf.include-error", "r.x.test", "redirect:r.x.test has no SPF record")],
        record)


def test_a_redirect_loop_ends() -> None:
    answers = (txt(D, "v=spf1 redirect=r.x.test"), txt("r.x.test", f"v=spf1 redirect={D}"))
    hits, _ = spf_hits(D, answers)
    assert hits == [Hit("spf.loop", D, f"{D} → r.x.test → {D}: receivers go round until the "
                        "10-lookup limit and fail (permerror)")]


def test_a_term_with_macros_is_a_note_counted_once_and_not_followed() -> None:
    record = "v=spf1 include:%{d}._spf.x.test exists:%{i}._ip.x.test -all"
    assert spf_hits(D, (txt(D, record),)) == ([
        Hit("spf.macro", D, "include:%{d}._spf.x.test (counted as one lookup; what it leads "
            "to is not followed)"),
        Hit("spf.macro", D, "exists:%{i}._ip.x.test (counted as one lookup; what it leads to "
            "is not followed)")], record)
