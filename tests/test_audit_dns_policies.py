"""SPF, DMARC and block lists in ``audit``: real answers from the loopback DNS server, and the
pure rules fed plain answers."""

from __future__ import annotations

import pytest

from smtpdiag.core.policy.dmarc import dmarc_hits, dmarc_tags
from smtpdiag.core.policy.dnsbl import dnsbl_hits, dnsbl_name
from smtpdiag.core.policy.records import Answer, Hit
from smtpdiag.core.policy.spf import next_questions, parse_spf, spf_hits, spf_records
from smtpdiag.net.audit import organisational_domain
from tests.auditkit import World, ids
from tests.dnsserver import servfail_why

INCLUDES = [f"i{n}.spf.test" for n in range(11)]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(str(tmp_path_factory.mktemp("dnspol")))
    try:
        spf = {
            "good": "v=spf1 mx a:out.good.test include:i0.spf.test -all",
            "many": "v=spf1 " + " ".join(f"include:{n}" for n in INCLUDES) + " -all",
            "voids": "v=spf1 a:v1.spf.test a:v2.spf.test mx:v3.spf.test -all",
            "plus": "v=spf1 mx +all", "neutral": "v=spf1 mx ?all", "noall": "v=spf1 mx",
            "syntax": "v=spf1 ip4:300.0.0.1 -all", "ptr": "v=spf1 ptr -all",
            "broken": "v=spf1 include:nospf.spf.test -all",
            "redir": "v=spf1 redirect=plus.test",
            "loop": "v=spf1 include:a.loop.test -all",
            "incfail": "v=spf1 include:down.spf.test -all",
            "rootfail": "v=spf1 -all",
        }
        for name, record in spf.items():
            w.add(f"{name}.test", "TXT", f'"{record}"')
            w.add(f"{name}.test", "MX", "10 mx.pol.test.")
            w.add(f"_dmarc.{name}.test", "TXT",
                  f'"v=DMARC1; p=reject; rua=mailto:d@{name}.test"')
        w.add("two.test", "TXT", '"v=spf1 -all"', '"v=spf1 mx -all"')
        w.add("two.test", "MX", "10 mx.pol.test.")
        w.add("out.good.test", "A", "192.0.2.1")
        w.add("mx.pol.test", "A", "127.0.2.1")
        for name in INCLUDES:
            w.add(name, "TXT", '"v=spf1 ip4:192.0.2.0/24 -all"')
        w.add("nospf.spf.test", "TXT", '"google-site-verification=abc"')
        w.add("a.loop.test", "TXT", '"v=spf1 include:b.loop.test -all"')
        w.add("b.loop.test", "TXT", '"v=spf1 ip4:192.0.2.0/24 include:a.loop.test -all"')
        w.add("down.spf.test", "TXT", '"v=spf1 -all"')
        # DMARC shapes (SPF fine everywhere)
        dmarc = {"dnone": "v=DMARC1; p=none; rua=mailto:d@dnone.test",
                 "dnorua": "v=DMARC1; p=reject", "dpct": "v=DMARC1; p=reject; pct=50; "
                 "rua=mailto:d@dpct.test", "dbad": "v=DMARC1; p=maybe",
                 "dorder": "p=reject; v=DMARC1",
                 "dtags": "v=DMARC1; p=reject; pct=200; rua=nomail, mailto:d@dtags.test"}
        for name, record in dmarc.items():
            w.add(f"{name}.test", "TXT", '"v=spf1 -all"')
            w.add(f"_dmarc.{name}.test", "TXT", f'"{record}"')
        for name in ("dnothing", "sub.dparent", "dtwo", "dfail", "sub.dpfail"):
            w.add(f"{name}.test", "TXT", '"v=spf1 -all"')
        w.add("_dmarc.dparent.test", "TXT",
              '"v=DMARC1; p=reject; sp=none; rua=mailto:d@dparent.test"')
        w.add("_dmarc.dtwo.test", "TXT", '"v=DMARC1; p=reject"', '"v=DMARC1; p=none"')
        # block lists: 127.0.2.1 is listed, 127.0.2.2 refused, 127.0.2.3 clean
        w.add("bl.test", "MX", "10 a.bl.test.", "20 b.bl.test.", "30 c.bl.test.")
        for letter, n in (("a", 1), ("b", 2), ("c", 3)):
            w.add(f"{letter}.bl.test", "A", f"127.0.2.{n}")
        w.add("1.2.0.127.dnsbl.test", "A", "127.0.0.2")
        w.add("1.2.0.127.dnsbl.test", "TXT", '"listed for spam, see https://dnsbl.test/"')
        w.add("2.2.0.127.dnsbl.test", "A", "127.255.255.254")
        w.add("dnsbl.test", "SOA", "ns.test. host.test. 1 3600 600 86400 300")
        # a broken zone: the domain's own _dmarc, or its parent's, answers SERVFAIL
        w.start_dns().servfail.update({"_dmarc.dfail.test", "_dmarc.dpfail.test",
                                       "down.spf.test", ("rootfail.test", "TXT")})
        yield w
    finally:
        w.close()


@pytest.mark.parametrize(("domain", "expected"), [
    ("good", []), ("many", ["spf.lookups"]), ("voids", ["spf.void"]),
    ("plus", ["spf.plus-all"]), ("neutral", ["spf.neutral-all"]), ("noall", ["spf.no-all"]),
    ("syntax", ["spf.syntax"]), ("ptr", ["spf.ptr"]), ("broken", ["spf.include-error"]),
    ("redir", ["spf.plus-all"]), ("two", ["spf.multiple"]), ("dnothing", []),
    ("bl", ["spf.none"]), ("loop", ["spf.loop"]), ("incfail", ["spf.lookup-failed"]),
    ("rootfail", ["spf.lookup-failed"]),
])
def test_spf_on_loopback(world, domain, expected):
    assert ids(world.run(f"{domain}.test"), "spf") == expected


def test_an_spf_lookup_that_failed_names_the_question_and_the_server(world):
    port = world.dns.port
    servfail = f"the nameserver 127.0.0.1:{port} failed (SERVFAIL) answering"
    found = {domain: [(f.severity, f.subject, f.detail) for f in world.run(f"{domain}.test").areas
                      if f.name == "spf" for f in f.findings]
             for domain in ("incfail", "rootfail", "loop")}
    assert found == {
        "incfail": [("warning", "down.spf.test",
                     f"include:down.spf.test: {servfail} TXT down.spf.test: "
                     + servfail_why(port, "TXT down.spf.test"))],
        "rootfail": [("warning", "rootfail.test", f"{servfail} TXT rootfail.test: "
                      + servfail_why(port, "TXT rootfail.test"))],
        "loop": [("critical", "a.loop.test", "a.loop.test → b.loop.test → a.loop.test: "
                  "receivers go round until the 10-lookup limit and fail (permerror)")]}


@pytest.mark.parametrize(("domain", "expected"), [
    ("good", []), ("dnone", ["dmarc.p-none"]), ("dnorua", ["dmarc.no-rua"]),
    ("dpct", ["dmarc.pct"]), ("dbad", ["dmarc.invalid"]), ("dorder", ["dmarc.invalid"]),
    ("dnothing", ["dmarc.none"]), ("sub.dparent", ["dmarc.inherited", "dmarc.p-none"]),
    ("dtwo", ["dmarc.multiple"]), ("dfail", ["dmarc.lookup-failed"]),
    ("sub.dpfail", ["dmarc.lookup-failed"]), ("dtags", ["dmarc.tags"]),
])
def test_dmarc_on_loopback(world, domain, expected):
    report = world.run(f"{domain}.test")
    assert ids(report, "dmarc") == expected
    for finding in (f for a in report.areas for f in a.findings):
        assert "DOMAIN" not in finding.fix + finding.meaning  # the domain is named instead
    if domain == "dnothing":
        fix = next(f.fix for a in report.areas for f in a.findings if f.id == "dmarc.none")
        assert fix.startswith('Publish _dmarc.dnothing.test TXT "v=DMARC1; p=none; '
                              'rua=mailto:dmarc@dnothing.test"')
    if domain == "dtags":
        found = next(f for a in report.areas for f in a.findings if f.id == "dmarc.tags")
        assert (found.severity, found.detail) == ("warning", "pct=200 is not a valid value "
                                                  "(receivers use 100); rua=nomail is not a "
                                                  "mailto: address (no reports go there)")
    if domain.endswith("fail"):  # names the question that failed and what the server said
        failed = next(f for a in report.areas for f in a.findings if f.id == "dmarc.lookup-failed")
        asked = "_dmarc.dfail.test" if domain == "dfail" else "_dmarc.dpfail.test"
        assert failed.subject == asked and "SERVFAIL" in failed.detail, failed
        assert "dig TXT _dmarc." in failed.fix


def test_block_lists_are_off_by_default_and_read_right_when_asked(world):
    off = world.run("bl.test")
    section = next(a for a in off.areas if a.name == "dnsbl")
    assert section.verdict == "skipped" and section.findings == ()
    report = world.run("bl.test", dnsbl=("dnsbl.test",))
    found = {(f.id, f.subject) for a in report.areas for f in a.findings if f.area == "dnsbl"}
    assert found == {("dnsbl.listed", "a.bl.test [127.0.2.1]"),
                     ("dnsbl.refused", "b.bl.test [127.0.2.2]")}
    listed = next(f for a in report.areas for f in a.findings if f.id == "dnsbl.listed")
    assert "127.0.0.2" in listed.detail and "listed for spam" in listed.detail
    queried = {name for name, _ in world.dns.queries}
    assert "3.2.0.127.dnsbl.test" in queried


# --- pure SPF


def test_spf_records_and_terms():
    assert spf_records(("v=spf1 -all", "v=spf10", "V=SPF1 mx", "other")) == [
        "v=spf1 -all", "V=SPF1 mx"]
    terms, errors = parse_spf("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a/24 "
                              "mx:example.com include:x.test ~all redirect=r.test unknown=1")
    assert errors == []
    assert [(t.qualifier, t.name, t.value, t.modifier) for t in terms] == [
        ("+", "ip4", "192.0.2.0/24", False), ("+", "ip6", "2001:db8::/32", False),
        ("+", "a", "", False), ("+", "mx", "example.com", False),
        ("+", "include", "x.test", False), ("~", "all", "", False),
        ("+", "redirect", "r.test", True), ("+", "unknown", "1", True)]


@pytest.mark.parametrize(("record", "problem"), [
    ("v=spf1 ip4:300.1.1.1", "not an address"), ("v=spf1 ip4:2001:db8::1", "other address"),
    ("v=spf1 ip6:192.0.2.1", "other address"), ("v=spf1 foo:bar", "unknown mechanism"),
    ("v=spf1 +redirect=x.test", "no qualifier"), ("v=spf1 all:x", "no argument"),
    ("v=spf1 include", "needs a domain"), ("v=spf1 redirect=", "needs a domain"),
    ("v=spf1 redirect=a.test redirect=b.test", "more than once"),
    ("v=spf1 a:exa mple", "unknown mechanism"), ("v=spf1 !all", "not an SPF term")])
def test_spf_syntax_errors(record, problem):
    errors = parse_spf(record)[1]
    assert errors and problem in errors[0], errors


def test_next_questions_skip_macros_and_default_to_the_domain():
    assert next_questions("d.test", "v=spf1 a mx include:x.test exists:%{i}.bl.test "
                          "redirect=R.test ip4:192.0.2.1 -all") == [
        ("d.test", "A"), ("d.test", "AAAA"), ("d.test", "MX"), ("x.test", "TXT"),
        ("r.test", "TXT")]


def _answers(**txt: str | list[str]) -> tuple[Answer, ...]:
    found = []
    for name, value in txt.items():
        records = tuple([value] if isinstance(value, str) else value)
        found.append(Answer(name.replace("_", "."), "TXT", "ok" if records else "nodata",
                            records))
    return tuple(found)


def test_spf_lookup_limit_counts_through_includes_exactly():
    ten = " ".join(f"include:i{n}.t" for n in range(9))
    nested = {f"i{n}_t": "v=spf1 -all" for n in range(9)}
    own = Answer("d.t", "A", "ok", ("192.0.2.1",))
    hits, _ = spf_hits("d.t", (*_answers(d_t=f"v=spf1 {ten} a -all", **nested), own))
    assert [h.id for h in hits] == []  # exactly 10: allowed
    nested["i0_t"] = "v=spf1 a:x.t -all"
    other = Answer("x.t", "A", "ok", ("192.0.2.1",))
    hits, _ = spf_hits("d.t", (*_answers(d_t=f"v=spf1 {ten} a -all", **nested), own, other))
    assert [h.id for h in hits] == ["spf.lookups"]
    assert hits[0].detail.startswith("11 lookups (limit 10)")


def test_spf_void_limit_is_more_than_two():
    def run(n: int) -> list[str]:
        terms = " ".join(f"a:v{i}.t" for i in range(n))
        answers = _answers(d_t=f"v=spf1 {terms} -all") + tuple(
            Answer(f"v{i}.t", rdtype, "nxdomain") for i in range(n) for rdtype in ("A", "AAAA"))
        return [h.id for h in spf_hits("d.t", answers)[0]]

    assert run(2) == []
    assert run(3) == ["spf.void"]


def test_spf_all_through_redirect_and_loops_end():
    hits, _ = spf_hits("d.t", _answers(d_t="v=spf1 redirect=r.t", r_t="v=spf1 -all"))
    assert hits == []
    hits, _ = spf_hits("d.t", _answers(d_t="v=spf1 include:d.t -all"))
    assert [h.id for h in hits] == ["spf.loop"]
    hits, _ = spf_hits("d.t", _answers(d_t="v=spf1 redirect=r.t", r_t="v=spf1 redirect=d.t"))
    assert [h.id for h in hits] == ["spf.loop"]
    hits, _ = spf_hits("d.t", _answers(d_t="v=spf1 include:n.t -all", n_t=[]))
    assert [h.id for h in hits] == ["spf.include-error"]
    none, record = spf_hits("d.t", _answers(d_t="hello"))
    assert [h.id for h in none] == ["spf.none"] and record is None
    failed = Answer("d.t", "TXT", "error", error="SERVFAIL from x")
    assert spf_hits("d.t", (failed,))[0] == [Hit("spf.lookup-failed", "d.t", "SERVFAIL from x")]


# --- pure DMARC and DNSBL


def test_dmarc_tags_and_rules():
    assert dmarc_tags("v=DMARC1; p=reject; p=none;rua=mailto:a@b") == {
        "v": "DMARC1", "p": "reject", "rua": "mailto:a@b"}
    own = Answer("_dmarc.a.t", "TXT", "ok", ("v=DMARC1; p=quarantine; rua=mailto:x@a.t",))
    assert dmarc_hits("a.t", own, "a.t", None) == ([], own.records[0])
    empty = Answer("_dmarc.s.a.t", "TXT", "nxdomain")
    org = Answer("_dmarc.a.t", "TXT", "ok", ("v=DMARC1; p=reject; rua=mailto:x@a.t",))
    hits, record = dmarc_hits("s.a.t", empty, "a.t", org)
    assert [h.id for h in hits] == ["dmarc.inherited"] and record == org.records[0]
    hits, _ = dmarc_hits("s.a.t", empty, "a.t", None)
    assert [h.id for h in hits] == ["dmarc.none"] and "_dmarc.a.t" in hits[0].detail
    lower = Answer("_dmarc.a.t", "TXT", "ok", ("v=dmarc1; p=reject; rua=mailto:x",))
    assert [h.id for h in dmarc_hits("a.t", lower, "a.t", None)[0]] == ["dmarc.invalid"]


def test_organisational_domain_uses_the_public_suffix_list():
    assert organisational_domain("mail.example.co.uk") == "example.co.uk"
    assert organisational_domain("a.b.example.com") == "example.com"
    assert organisational_domain("example.com") == "example.com"


def test_dnsbl_names_and_answers():
    assert dnsbl_name("192.0.2.1", "zen.test.") == "1.2.0.192.zen.test"
    assert dnsbl_name("2001:db8::1", "z.test").startswith("1.0.0.0.") and \
        dnsbl_name("2001:db8::1", "z.test").endswith(".8.b.d.0.1.0.0.2.z.test")

    def run(status: str, *codes: str) -> list[str]:
        answer = Answer("n", "A", status, codes, error="boom")
        return [h.id for h in dnsbl_hits("192.0.2.1", "z.test", answer, None, "s")]

    assert run("nxdomain") == [] and run("nodata") == []
    assert run("ok", "127.0.0.2") == ["dnsbl.listed"]
    assert run("ok", "127.0.0.4", "127.0.0.10") == ["dnsbl.listed"]
    assert run("ok", "127.255.255.254") == ["dnsbl.refused"]
    assert run("ok", "127.0.0.2", "127.255.255.252") == ["dnsbl.refused"]
    assert run("ok", "198.51.100.7") == ["dnsbl.error"]
    assert run("error") == ["dnsbl.error"]
