"""DANE in ``audit``: TLSA records served by the loopback DNS server with and without the AD
bit, matched against the chain real fake SMTP servers present after STARTTLS."""

from __future__ import annotations

import pytest

from smtpdiag.core.policy.dane import dane_hits, parse_tlsa, tlsa_matches
from smtpdiag.core.policy.records import AddressFacts, Answer
from tests.auditkit import World, ids


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(str(tmp_path_factory.mktemp("dane")))
    try:
        good = w.smtp("127.0.3.1", "good.dane.test", cert="intermediate")
        other = w.smtp("127.0.3.2", "other.dane.test")
        w.smtp("127.0.3.3", "plain.dane.test", tls="none")
        for n, host in enumerate(("good", "other", "plain"), start=1):
            w.add(f"{host}.dane.test", "A", f"127.0.3.{n}")
        zones = {
            # a DANE-EE record for the key and a DANE-TA one for the intermediate: rollover-ready
            "ok": ("good", [w.tlsa(good), w.tlsa(good, 2, 0, 1, index=1)], True),
            "one": ("good", [w.tlsa(good, 3, 0, 2)], True),
            "stale": ("good", [w.tlsa(other), w.tlsa(other, 3, 0, 1)], True),
            "unsigned": ("good", [w.tlsa(good), w.tlsa(good, 2, 1, 1, index=1)], False),
            "pkix": ("good", [w.tlsa(good), w.tlsa(good, 1, 1, 1)], True),
            "short": ("good", [w.tlsa(good), "3 1 7 " + "ab" * 16], True),
            "notls": ("plain", ["3 1 1 " + "ab" * 32, "3 0 1 " + "cd" * 32], True),
            "none": ("other", [], True),
        }
        for name, (host, records, signed) in zones.items():
            domain = f"{name}.test"
            mx = f"{name}-mx.dane.test"
            w.add(domain, "MX", f"10 {mx}.")
            w.add(mx, "A", f"127.0.3.{('good', 'other', 'plain').index(host) + 1}")
            if records:
                w.add(f"_25._tcp.{mx}", "TLSA", *records)
                if signed:
                    w.authenticated.add(f"_25._tcp.{mx}")
        yield w
    finally:
        w.close()


@pytest.mark.parametrize(("domain", "expected"), [
    ("ok", []),
    ("one", ["dane.single"]),
    ("stale", ["dane.no-match"]),
    ("unsigned", ["dane.unsigned"]),
    ("pkix", ["dane.usage", "dane.single"]),
    ("short", ["dane.malformed", "dane.single"]),
    ("notls", ["dane.no-tls"]),
    ("none", ["dane.none"]),
])
def test_each_dane_state_on_loopback(world, domain, expected):
    assert ids(world.run(f"{domain}.test"), "dane") == expected


def test_validation_status_is_said_plainly_and_decides_the_severity(world):
    unsigned = world.run("unsigned.test")
    section = next(a for a in unsigned.areas if a.name == "dane")
    records, (where,) = section.facts[:-1], section.facts[-1:]
    assert len(records) == 2 and all("NOT validated (no AD bit)" in fact for fact in records)
    # probed on a test port: the TLSA name stays _25._tcp, and the report says so
    assert where == ("TLSA is looked up at _25._tcp, the port senders deliver to (RFC 7672); "
                     f"the chains compared are those presented on port {world.port}")
    stale = world.run("stale.test")
    section = next(a for a in stale.areas if a.name == "dane")
    assert all("(DNSSEC-validated)" in fact for fact in section.facts[:-1])
    assert section.findings[0].severity == "critical" and section.verdict == "fail"


# --- pure


def test_parse_tlsa():
    record = parse_tlsa("3 1 1 AB CD")
    assert record is not None and (record.usage, record.selector, record.mtype,
                                   record.data) == (3, 1, 1, b"\xab\xcd")
    assert parse_tlsa("3 1 1") is None and parse_tlsa("3 x 1 ab") is None
    assert parse_tlsa("3 1 1 zz") is None


def test_matching_uses_the_leaf_for_ee_and_the_rest_for_ta():
    import hashlib

    chain = (b"leaf-der", b"ca-der")
    exact = parse_tlsa(f"3 0 0 {b'leaf-der'.hex()}")
    assert exact is not None and tlsa_matches(exact, chain)
    ta_on_leaf = parse_tlsa(f"2 0 0 {b'leaf-der'.hex()}")
    assert ta_on_leaf is not None and not tlsa_matches(ta_on_leaf, chain)
    ta = parse_tlsa(f"2 0 1 {hashlib.sha256(b'ca-der').hexdigest()}")
    assert ta is not None and tlsa_matches(ta, chain)
    sha512 = parse_tlsa(f"3 0 2 {hashlib.sha512(b'leaf-der').hexdigest()}")
    assert sha512 is not None and tlsa_matches(sha512, chain)
    pkix = parse_tlsa(f"1 0 0 {b'leaf-der'.hex()}")
    assert pkix is not None and not tlsa_matches(pkix, chain)
    assert not tlsa_matches(exact, ())
    spki_of_garbage = parse_tlsa(f"3 1 0 {b'leaf-der'.hex()}")
    assert spki_of_garbage is not None and not tlsa_matches(spki_of_garbage, chain)


def test_dane_none_only_when_no_host_has_records():
    empty = Answer("_25._tcp.a", "TLSA", "nodata")
    assert [h.id for h in dane_hits((("a", empty), ("b", empty)), ())] == ["dane.none"]
    assert dane_hits((), ()) == []
    record = Answer("_25._tcp.b", "TLSA", "ok", ("3 0 0 " + b"x".hex(),), authenticated=True)
    facts = (AddressFacts("b", "192.0.2.1", chain=(b"x",)),)
    hits = dane_hits((("a", empty), ("b", record)), facts)
    assert [(h.id, h.subject) for h in hits] == [("dane.none", "_25._tcp.a"),
                                                 ("dane.single", "_25._tcp.b")]
    short = Answer("_25._tcp.b", "TLSA", "ok", ("3 1 1 abab", "3 1 2 " + "ab" * 64),
                   authenticated=True)
    hits = dane_hits((("b", short),), ())
    assert [h.id for h in hits] == ["dane.malformed", "dane.single"]
    assert "a 2-byte digest, not 32" in hits[0].detail
    failed = Answer("_25._tcp.a", "TLSA", "error", error="SERVFAIL")
    assert [h.detail for h in dane_hits((("a", failed),), ())] == ["SERVFAIL"]


def test_on_port_25_the_dane_facts_are_the_records_alone():
    from smtpdiag.core.policy.evaluate import evaluate
    from smtpdiag.core.policy.records import Gathered, HostFacts, MxFacts
    from smtpdiag.model import Attempt

    record = Answer("_25._tcp.mx.a.test", "TLSA", "ok", ("3 0 0 " + b"x".hex(),),
                    authenticated=True)
    mx = MxFacts("a.test", "mx", (HostFacts("mx.a.test", 10, ("192.0.2.1",)),))

    def dane_facts(port: int) -> tuple[str, ...]:
        attempt = Attempt("mx.a.test", "192.0.2.1", port, "starttls")
        facts = AddressFacts("mx.a.test", "192.0.2.1", attempt=attempt, chain=(b"x",))
        report = evaluate(Gathered("a.test", mx, (facts,), tlsa=(("mx.a.test", record),)))
        return next(a for a in report.areas if a.name == "dane").facts

    assert dane_facts(25) == ("_25._tcp.mx.a.test TLSA 3 0 0 78 (DNSSEC-validated)",)
    assert dane_facts(2525)[1].endswith("presented on port 2525")
