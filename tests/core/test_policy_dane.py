"""``core/policy/dane.py`` fed plain TLSA answers and certificate chains (made by trustme, no
sockets): parsing, matching by usage × selector × matching type, and every finding's detail.

``tests/test_audit_dane.py`` asks a real DNS server; here each rule of RFC 7672 that ``audit``
reads is pinned, with the near misses: DANE-EE against the issuer, DANE-TA against the leaf,
a digest one byte short, an answer without the AD bit.
"""

from __future__ import annotations

import hashlib

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from smtpdiag.core.policy.dane import (
    DIGEST_SIZE,
    USAGES,
    Tlsa,
    dane_hits,
    parse_tlsa,
    tlsa_matches,
    tlsa_name,
)
from smtpdiag.core.policy.records import AddressFacts, Answer, Hit
from smtpdiag.model import Attempt, Capabilities, ErrorInfo

HOST = "mx.example.test"
WHERE = "_25._tcp.mx.example.test"


def _der(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


CA = trustme.CA()
LEAF_CERT = CA.issue_cert(HOST)
LEAF = _der(LEAF_CERT.cert_chain_pems[0].bytes())
ISSUER = _der(CA.cert_pem.bytes())
CHAIN = (LEAF, ISSUER)


def spki(der: bytes) -> bytes:
    return x509.load_der_x509_certificate(der).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def record(usage: int, selector: int, mtype: int, der: bytes) -> str:
    data = der if selector == 0 else spki(der)
    digest = {0: data, 1: hashlib.sha256(data).digest(), 2: hashlib.sha512(data).digest()}
    return f"{usage} {selector} {mtype} {digest[mtype].hex()}"


def test_tables_and_name() -> None:
    assert USAGES == {0: "PKIX-TA", 1: "PKIX-EE", 2: "DANE-TA", 3: "DANE-EE"}
    assert DIGEST_SIZE == {0: None, 1: 32, 2: 64}
    assert tlsa_name("mx.example.test.") == WHERE
    assert tlsa_name(HOST) == WHERE


@pytest.mark.parametrize(("text", "parsed"), [
    ("3 1 1 ab12", Tlsa(3, 1, 1, b"\xab\x12", "3 1 1 ab12")),
    ("2 0 2 AB 12 cd", Tlsa(2, 0, 2, b"\xab\x12\xcd", "2 0 2 AB 12 cd")),
    ("3 1 1", None),
    ("3 1 x ab", None),
    ("3 ¹ 1 ab", None),
    ("-3 1 1 ab", None),
    ("3 1 1 abc", None),
    ("3 1 1 zz", None),
    ("", None),
])
def test_parse_tlsa(text: str, parsed: Tlsa | None) -> None:
    assert parse_tlsa(text) == parsed


@pytest.mark.parametrize(("usage", "der", "chain", "matches"), [
    (3, LEAF, CHAIN, True),
    (3, LEAF, (LEAF,), True),
    (3, ISSUER, CHAIN, False),          # DANE-EE is the leaf only
    (2, ISSUER, CHAIN, True),
    (2, LEAF, CHAIN, False),            # DANE-TA is above the leaf only
    (2, ISSUER, (LEAF,), False),
    (1, LEAF, CHAIN, False),            # PKIX usages are never matched
    (0, ISSUER, CHAIN, False),
    (3, LEAF, (), False),
])
@pytest.mark.parametrize(("selector", "mtype"), [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)])
def test_tlsa_matches(usage: int, der: bytes, chain: tuple[bytes, ...], matches: bool,
                      selector: int, mtype: int) -> None:
    parsed = parse_tlsa(record(usage, selector, mtype, der))
    assert parsed is not None
    assert tlsa_matches(parsed, chain) is matches


def test_a_certificate_that_does_not_parse_is_skipped_not_raised() -> None:
    parsed = parse_tlsa(record(2, 1, 1, ISSUER))
    assert parsed is not None
    assert tlsa_matches(parsed, (LEAF, b"not a certificate", ISSUER)) is True
    assert tlsa_matches(parsed, (LEAF, b"not a certificate")) is False


def test_an_unknown_matching_type_compares_the_data_itself() -> None:
    assert tlsa_matches(Tlsa(3, 0, 9, LEAF, "x"), CHAIN) is True


# ------------------------------------------------------------------ dane_hits

def tlsa(*records: str, authenticated: bool = True, status: str = "ok",
         error: str | None = None, host: str = HOST) -> tuple[str, Answer]:
    return host, Answer(tlsa_name(host), "TLSA", status, records, authenticated=authenticated,
                        error=error)


def addr(ip: str = "192.0.2.1", chain: tuple[bytes, ...] = CHAIN,
         host: str = HOST) -> AddressFacts:
    return AddressFacts(host, ip, chain=chain)


EE = record(3, 1, 1, LEAF)
TA = record(2, 0, 2, ISSUER)


def test_no_mx_no_finding() -> None:
    assert dane_hits((), ()) == []


def test_no_records_anywhere() -> None:
    assert dane_hits((tlsa(status="nxdomain"), tlsa(status="nodata", host="b.test")), ()) == [
        Hit("dane.none", "all MX hosts", "no TLSA record at _25._tcp of any MX host")]


def test_failed_lookups_are_named_per_host() -> None:
    answers = (tlsa(status="error", error="SERVFAIL"), tlsa(status="nxdomain", host="b.test"),
               tlsa(status="error", host="c.test"))
    assert dane_hits(answers, ()) == [
        Hit("dane.lookup-failed", WHERE, "SERVFAIL"),
        Hit("dane.lookup-failed", "_25._tcp.c.test", "the TLSA lookup failed")]


def test_a_failed_lookup_beside_hosts_with_records_is_not_called_no_record() -> None:
    answers = (tlsa(EE, TA), tlsa(status="error", error="SERVFAIL", host="b.test"))
    assert dane_hits(answers, (addr(),)) == [
        Hit("dane.lookup-failed", "_25._tcp.b.test", "SERVFAIL")]


def test_a_good_pair_of_records_says_nothing() -> None:
    assert dane_hits((tlsa(EE, TA),), (addr(), addr("2001:db8::1"))) == []


def test_a_single_record_is_a_rollover_risk_shown_cut_at_120_characters() -> None:
    assert dane_hits((tlsa(EE),), (addr(),)) == [Hit("dane.single", WHERE, EE)]
    whole = record(3, 0, 0, LEAF)  # the whole certificate in hex
    assert len(whole) > 120
    assert dane_hits((tlsa(whole),), (addr(),)) == [Hit("dane.single", WHERE, whole[:120])]


def test_hosts_without_records_beside_hosts_with_them() -> None:
    answers = (tlsa(EE, TA), tlsa(status="nxdomain", host="b.test"))
    assert dane_hits(answers, (addr(),)) == [
        Hit("dane.none", "_25._tcp.b.test", "no TLSA record (other MX hosts have them)")]


@pytest.mark.parametrize(("text", "detail"), [
    ("1 1 1 " + "ab" * 32, "1 1 1 " + "ab" * 32 + ": usage 1 (PKIX-EE)"),
    ("0 0 1 " + "ab" * 32, "0 0 1 " + "ab" * 32 + ": usage 0 (PKIX-TA)"),
    ("4 1 1 " + "ab" * 32, "4 1 1 " + "ab" * 32 + ": usage 4 is not defined (0-3)"),
    ("3 2 1 " + "ab" * 32, "3 2 1 " + "ab" * 32 + ": selector 2 is not defined (0 or 1)"),
    ("3 1 3 " + "ab" * 32, "3 1 3 " + "ab" * 32 + ": matching type 3 is not defined (0, 1 "
     "or 2)"),
    ("5 7 9 ab", "5 7 9 ab: usage 5 is not defined (0-3), selector 7 is not defined (0 or 1), "
     "matching type 9 is not defined (0, 1 or 2)"),
    ("3 1 1 " + "ab" * 31, "3 1 1 " + "ab" * 31 + ": a 31-byte digest, not 32"),
    ("3 1 2 " + "ab" * 32, "3 1 2 " + "ab" * 32 + ": a 32-byte digest, not 64"),
    ("3 1 1 zz", "3 1 1 zz: does not parse"),
    ("3 1 1 " + "ab" * 100, ("3 1 1 " + "ab" * 100)[:80] + ": a 100-byte digest, not 32"),
    ("garbage " + "g" * 100, ("garbage " + "g" * 100)[:80] + ": does not parse"),
])
def test_each_unusable_record(text: str, detail: str) -> None:
    hit_id = "dane.usage" if "PKIX" in detail else "dane.malformed"
    assert dane_hits((tlsa(text, EE, TA),), (addr(),)) == [Hit(hit_id, WHERE, detail)]


def test_unusable_records_only_judge_no_chain() -> None:
    assert dane_hits((tlsa("3 1 1 zz"),), (addr(chain=()),)) == [
        Hit("dane.malformed", WHERE, "3 1 1 zz: does not parse")]


def test_a_full_sha256_digest_of_selector_0_is_usable() -> None:
    assert dane_hits((tlsa(record(3, 0, 1, LEAF), record(3, 0, 0, LEAF)),), (addr(),)) == []


@pytest.mark.parametrize(("authenticated", "severity"), [(True, None), (False, "warning")])
def test_no_match_and_no_tls_per_address(authenticated: bool, severity: str | None) -> None:
    other = trustme.CA().issue_cert(HOST)
    stranger = _der(other.cert_chain_pems[0].bytes())
    answers = (tlsa(EE, TA, authenticated=authenticated),)
    addresses = (addr("192.0.2.1", (stranger,)), addr("192.0.2.2", ()), addr("192.0.2.3"),
                 addr("192.0.2.9", (stranger,), host="other.test"))
    unsigned = [] if authenticated else [Hit(
        "dane.unsigned", WHERE, "2 TLSA record(s), AD bit not set: the answer was not "
        "DNSSEC-validated")]
    assert dane_hits(answers, addresses) == [
        *unsigned,
        Hit("dane.no-match", f"{HOST} [192.0.2.1]", "2 usable record(s), none matches the "
            "1-certificate chain presented", severity),
        Hit("dane.no-tls", f"{HOST} [192.0.2.2]", "no certificate could be read: the address "
            "was not probed", severity)]


def test_findings_come_host_by_host() -> None:
    answers = (tlsa(EE, host="a.test"), tlsa(TA, "x y", host="b.test", authenticated=False))
    hits = dane_hits(answers, (addr(host="a.test"), addr(host="b.test", chain=())))
    assert [(h.id, h.subject) for h in hits] == [
        ("dane.single", "_25._tcp.a.test"), ("dane.unsigned", "_25._tcp.b.test"),
        ("dane.malformed", "_25._tcp.b.test"), ("dane.no-tls", "b.test [192.0.2.1]"),
        ("dane.single", "_25._tcp.b.test")]


@pytest.mark.parametrize(("attempt", "why"), [
    (None, "no certificate could be read: the address was not probed"),
    (Attempt(HOST, "192.0.2.1", 25, "starttls",
             error=ErrorInfo("tls", "handshake failed: wrong version number", "starttls")),
     "no certificate could be read: starttls: handshake failed: wrong version number"),
    (Attempt(HOST, "192.0.2.1", 25, "starttls", error=ErrorInfo("timeout", "x" * 400)),
     "no certificate could be read: " + "x" * 270),
    (Attempt(HOST, "192.0.2.1", 25, "starttls", capabilities=Capabilities()),
     "no certificate could be read: EHLO lists no STARTTLS"),
    (Attempt(HOST, "192.0.2.1", 25, "starttls", capabilities=Capabilities(starttls=True)),
     "no certificate could be read after STARTTLS"),
])
def test_no_tls_says_what_the_walk_saw(attempt: Attempt | None, why: str) -> None:
    facts = AddressFacts(HOST, "192.0.2.1", attempt=attempt, chain=())
    assert dane_hits((tlsa(EE, TA),), (facts,)) == [Hit("dane.no-tls", f"{HOST} [192.0.2.1]", why)]


def test_no_tls_after_a_good_walk_says_why_the_certificate_read_failed() -> None:
    attempt = Attempt(HOST, "192.0.2.1", 25, "starttls", capabilities=Capabilities(starttls=True))
    facts = AddressFacts(HOST, "192.0.2.1", attempt=attempt, chain=(),
                         chain_error="a second connection got no 220 greeting")
    assert dane_hits((tlsa(EE, TA),), (facts,)) == [Hit(
        "dane.no-tls", f"{HOST} [192.0.2.1]", "no certificate could be read after STARTTLS: "
        "a second connection got no 220 greeting")]
