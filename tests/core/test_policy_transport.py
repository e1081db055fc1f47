"""``core/policy/transport.py``: each MX address's findings with their exact detail, and where
the MX hosts disagree, word for word.

``tests/test_audit_rules.py`` pins which findings fire; here is what each one says (the detail
an admin reads), and the edges: 14 days and 13, one PTR name and two, six SANs shown and the
seventh not, a refusal cut at 300 characters and a disagreement at 400.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from smtpdiag.core.policy.records import AddressFacts, Hit
from smtpdiag.core.policy.transport import address_hits, consistency_hits, forward_secret
from smtpdiag.model import Attempt, Capabilities, ErrorInfo, Reply, Step, TlsInfo

HOST = "mx.example.test"
WHERE = f"{HOST} [192.0.2.1]"
GREETING = Step("greeting", reply=Reply(220, (f"{HOST} ESMTP",)))
EHLO = Step("ehlo", reply=Reply(250, (HOST,)))
GOOD = TlsInfo("starttls", "TLSv1.3", "TLS_AES_128_GCM_SHA256", verified=True,
               hostname_matched=True, days_left=90, not_after="2027-03-01T00:00:00Z",
               issuer="Test CA", subject="CN=mx.example.test")


def facts(*steps: Step, tls: TlsInfo | None = GOOD, caps: Capabilities | None = None,
          error: ErrorInfo | None = None, ptr: tuple[str, ...] = (HOST,),
          confirmed: tuple[str, ...] = (HOST,), ptr_status: str = "ok") -> AddressFacts:
    attempt = Attempt(HOST, "192.0.2.1", 25, "starttls", steps or (GREETING, EHLO), tls,
                      caps or Capabilities(starttls=True), error)
    return AddressFacts(HOST, "192.0.2.1", ptr, ptr_status, confirmed, attempt)


@pytest.mark.parametrize(("version", "cipher", "fs"), [
    ("TLSv1.3", "AES256-SHA", True), ("TLSv1.2", "EDH-RSA-AES256-SHA", True),
    ("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", True),
    ("TLSv1.2", "RSA-ECDHE-AES", True), ("TLSv1.2", "tls_ecdhe_x", True),
    ("TLSv1.2", "RSA-ECDHEX", False), (None, "AES128-SHA", False), ("TLSv1.2", "dhe-rsa", True),
])
def test_forward_secret(version: str | None, cipher: str, fs: bool) -> None:
    assert forward_secret(version, cipher) is fs


def test_a_healthy_address_says_nothing() -> None:
    assert address_hits(facts()) == []


def test_without_a_walk_only_reverse_dns_is_judged() -> None:
    assert address_hits(AddressFacts(HOST, "192.0.2.1", (HOST,), "ok", (HOST,))) == []
    assert address_hits(AddressFacts(HOST, "192.0.2.1")) == [
        Hit("addr.no-ptr", WHERE, "192.0.2.1 has no PTR record")]


@pytest.mark.parametrize(("kwargs", "detail"), [
    ({"ptr": ("a.test",), "confirmed": ()},
     "192.0.2.1 → PTR a.test, but that name does not resolve back to 192.0.2.1"),
    ({"ptr": ("a.test", "b.test"), "confirmed": ()},
     "192.0.2.1 → PTR a.test, b.test, but none of them resolve back to 192.0.2.1"),
])
def test_fcrdns(kwargs: dict[str, tuple[str, ...]], detail: str) -> None:
    assert address_hits(facts(**kwargs)) == [Hit("addr.fcrdns", WHERE, detail)]  # type: ignore[arg-type]


def test_a_failed_ptr_lookup() -> None:
    assert address_hits(facts(ptr=(), confirmed=(), ptr_status="error")) == [
        Hit("addr.ptr-lookup-failed", WHERE, "the PTR lookup for 192.0.2.1 failed")]


@pytest.mark.parametrize("step", ["connect", "greeting", "dns"])
def test_unreachable(step: str) -> None:
    found = address_hits(facts(GREETING, error=ErrorInfo("timeout", "timed out", step),
                               ptr=(), confirmed=()))
    assert found == [Hit("addr.no-ptr", WHERE, "192.0.2.1 has no PTR record"),
                     Hit("addr.unreachable", WHERE, "port 25: timed out")]


def test_an_error_before_any_step_is_unreachable_too() -> None:
    attempt = Attempt(HOST, "192.0.2.1", 2525, "starttls", (),
                      error=ErrorInfo("protocol", "odd", "ehlo"))
    assert address_hits(AddressFacts(HOST, "192.0.2.1", (HOST,), "ok", (HOST,), attempt)) == [
        Hit("addr.unreachable", WHERE, "port 2525: odd")]


@pytest.mark.parametrize(("greeting", "ehlo", "mismatch"), [
    ("mx.example.test ESMTP", "other.test", None),
    ("other.test ESMTP", "MX.Example.Test.", None),
    ("ptr.example.test", "other.test", None),            # a PTR name is known too
    ("other.test ESMTP", "other2.test", "greeting names other.test, EHLO names other2.test; "
     f"MX host {HOST}, PTR ptr.example.test"),
    ("", "other2.test", "greeting names -, EHLO names other2.test; "
     f"MX host {HOST}, PTR ptr.example.test"),
    ("other.test", "", "greeting names other.test, EHLO names -; "
     f"MX host {HOST}, PTR ptr.example.test"),
    ("", "", None),
])
def test_names_a_server_gives(greeting: str, ehlo: str, mismatch: str | None) -> None:
    steps = (Step("greeting", reply=Reply(220, (greeting,))),
             Step("ehlo", reply=Reply(250, (ehlo,))))
    found = address_hits(facts(*steps, ptr=("ptr.example.test",),
                               confirmed=("ptr.example.test",)))
    assert found == ([] if mismatch is None else [Hit("addr.name-mismatch", WHERE, mismatch)])


def test_no_ptr_is_said_as_none_in_a_mismatch() -> None:
    steps = (Step("greeting", reply=Reply(220, ("a.test",))),
             Step("ehlo", reply=Reply(250, ("b",))))
    assert address_hits(facts(*steps, ptr=(), confirmed=()))[1] == Hit(
        "addr.name-mismatch", WHERE,
        f"greeting names a.test, EHLO names b; MX host {HOST}, PTR none")


@pytest.mark.parametrize(("steps", "hit"), [
    ((Step("greeting", reply=Reply(554, ("go away",))),),
     Hit("addr.greeting-refused", WHERE, "greeting: 554 go away")),
    ((Step("greeting", reply=Reply(421, ("busy",))),),
     Hit("addr.tempfail", WHERE, "greeting: 421 busy")),
    ((Step("greeting", reply=Reply(554, ("z" * 400,))),),
     Hit("addr.greeting-refused", WHERE, ("greeting: 554 " + "z" * 400)[:300])),
    ((GREETING, EHLO, Step("mail", reply=Reply(550, ("no null sender",)))),
     Hit("addr.null-sender-refused", WHERE, "MAIL FROM:<>: 550 no null sender")),
    ((GREETING, EHLO, Step("mail", reply=Reply(451, ("later",))),
      Step("rcpt", reply=Reply(550, ("no",)))),
     Hit("addr.tempfail", WHERE, "MAIL FROM:<>: 451 later")),
    ((GREETING, EHLO, Step("mail", reply=Reply(550, ("y" * 400,)))),
     Hit("addr.null-sender-refused", WHERE, ("MAIL FROM:<>: 550 " + "y" * 400)[:300])),
    ((GREETING, EHLO, Step("mail", reply=Reply(250, ("ok",))),
      Step("rcpt", reply=Reply(550, ("no postmaster",)))),
     Hit("addr.postmaster-refused", WHERE, "RCPT TO:<postmaster@…>: 550 no postmaster")),
    ((GREETING, EHLO, Step("rcpt", reply=Reply(450, ("x" * 400,)))),
     Hit("addr.tempfail", WHERE, ("RCPT TO:<postmaster@…>: 450 " + "x" * 400)[:300])),
])
def test_refusals(steps: tuple[Step, ...], hit: Hit) -> None:
    assert address_hits(facts(*steps)) == [hit]


def test_a_refusing_greeting_names_nothing() -> None:
    steps = (Step("greeting", reply=Reply(554, ("other.test no",))),
             Step("ehlo", reply=Reply(250, ("other2.test",))))
    assert [h.id for h in address_hits(facts(*steps))] == ["addr.greeting-refused"]


@pytest.mark.parametrize(("kwargs", "hits"), [
    ({"tls": None, "error": ErrorInfo("tls", "handshake failed", "starttls")},
     [Hit("addr.tls-failed", WHERE, "handshake failed")]),
    ({"tls": None, "error": ErrorInfo("tls", "bad record", "tls")},
     [Hit("addr.tls-failed", WHERE, "bad record")]),
    ({"tls": None, "caps": Capabilities(starttls=False)},
     [Hit("addr.no-starttls", WHERE, "EHLO lists no STARTTLS")]),
    ({"tls": None}, []),
    ({"tls": None, "error": ErrorInfo("timeout", "slow", "rcpt")}, []),
])
def test_without_tls(kwargs: dict[str, object], hits: list[Hit]) -> None:
    assert address_hits(facts(**kwargs)) == hits  # type: ignore[arg-type]


def tls(**changes: object) -> AddressFacts:
    return facts(tls=replace(GOOD, **changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(("changes", "hits"), [
    ({"version": "TLSv1.1", "cipher": "ECDHE-RSA-AES128-SHA"},
     [Hit("addr.tls-old", WHERE, "negotiated TLSv1.1")]),
    ({"version": "SSLv3", "cipher": "AES128-SHA"},
     [Hit("addr.tls-old", WHERE, "negotiated SSLv3"),
      Hit("addr.cipher-weak", WHERE, "SSLv3 AES128-SHA")]),
    ({"version": "TLSv1.2", "cipher": "AES256-GCM-SHA384"},
     [Hit("addr.cipher-weak", WHERE, "TLSv1.2 AES256-GCM-SHA384")]),
    ({"days_left": -3}, [Hit("addr.cert-expired", WHERE, "expired 3 days ago (2027-03-01)")]),
    ({"days_left": -1, "not_after": None}, [Hit("addr.cert-expired", WHERE,
                                                 "expired 1 days ago ()")]),
    ({"days_left": 0}, [Hit("addr.cert-expiring", WHERE, "0 days left (2027-03-01)")]),
    ({"days_left": 13}, [Hit("addr.cert-expiring", WHERE, "13 days left (2027-03-01)")]),
    ({"days_left": 14}, []),
    ({"days_left": None}, []),
    ({"verified": False, "verify_error": "self-signed certificate"},
     [Hit("addr.cert-untrusted", WHERE, "self-signed certificate; issuer Test CA")]),
    ({"verified": False, "verify_error": "unable to get local issuer", "issuer": None},
     [Hit("addr.cert-untrusted", WHERE, "unable to get local issuer; issuer ?")]),
    ({"verified": False, "verify_error": "Certificate has EXPIRED", "days_left": -1},
     [Hit("addr.cert-expired", WHERE, "expired 1 days ago (2027-03-01)")]),
    ({"verify_error": "Hostname mismatch", "hostname_matched": False,
      "sans": tuple(f"DNS:n{i}.test" for i in range(8))},
     [Hit("addr.cert-name", WHERE, "the certificate names n0.test, n1.test, n2.test, n3.test, "
          f"n4.test, n5.test, not {HOST}")]),
    ({"hostname_matched": False}, [Hit("addr.cert-name", WHERE, "the certificate names "
                                       f"CN=mx.example.test, not {HOST}")]),
    ({"hostname_matched": False, "subject": None},
     [Hit("addr.cert-name", WHERE, f"the certificate names ?, not {HOST}")]),
])
def test_tls_details(changes: dict[str, object], hits: list[Hit]) -> None:
    assert address_hits(tls(**changes)) == hits


CANNOT = "; a current sender's handshake fails (seen in a diagnostic handshake)"


@pytest.mark.parametrize(("changes", "hits"), [
    ({"version": "TLSv1", "cipher": "ECDHE-RSA-AES128-SHA"},
     [Hit("addr.tls-old", WHERE, "offers only TLSv1 (ECDHE-RSA-AES128-SHA)" + CANNOT,
          "critical")]),
    ({"version": "TLSv1.1", "cipher": "AES128-SHA"},
     [Hit("addr.tls-old", WHERE, "offers only TLSv1.1 (AES128-SHA)" + CANNOT, "critical"),
      Hit("addr.cipher-weak", WHERE, "TLSv1.1 AES128-SHA")]),
    ({"version": "TLSv1.2", "cipher": "AES128-GCM-SHA256"},
     [Hit("addr.cipher-weak", WHERE, "TLSv1.2 AES128-GCM-SHA256, the only kind offered"
          + CANNOT, "critical")]),
    ({}, [Hit("addr.tls-failed", WHERE, "offers only TLS 1.0")]),
    ({"version": "TLSv1", "cipher": "ECDHE-RSA-AES128-SHA", "days_left": 3},
     [Hit("addr.tls-old", WHERE, "offers only TLSv1 (ECDHE-RSA-AES128-SHA)" + CANNOT,
          "critical"), Hit("addr.cert-expiring", WHERE, "3 days left (2027-03-01)")]),
])
def test_tls_seen_only_in_a_diagnostic_handshake(changes: dict[str, object],
                                                 hits: list[Hit]) -> None:
    seen = replace(GOOD, verified=False, verify_error="self-signed", **changes)  # type: ignore[arg-type]
    found = address_hits(facts(tls=seen, error=ErrorInfo("tls", "offers only TLS 1.0", "tls")))
    assert found == hits


# ------------------------------------------------------------------ consistency

def walked(host: str, address: str, *, starttls: bool = True, size: int | None = 1000,
           tls_info: TlsInfo | None = GOOD, banner: str = "ESMTP Postfix",
           error: ErrorInfo | None = None, caps: bool = True) -> AddressFacts:
    steps = (Step("greeting", reply=Reply(220, (f"{host} {banner}",))),)
    attempt = Attempt(host, address, 25, "starttls", steps, tls_info,
                      Capabilities(size=size, starttls=starttls) if caps else None, error)
    return AddressFacts(host, address, attempt=attempt)


def test_consistency_needs_two_reached_hosts() -> None:
    one = walked("a.test", "192.0.2.1")
    odd = walked("b.test", "192.0.2.2", starttls=False, tls_info=None, caps=False)
    assert consistency_hits([one, odd, AddressFacts("c.test", "192.0.2.3")], ()) == []


def test_consistency_word_for_word() -> None:
    one = walked("a.test", "192.0.2.1")
    two = walked("b.test", "192.0.2.2", starttls=False, tls_info=None, size=None,
                 banner="ESMTP Exim")
    three = walked("c.test", "192.0.2.3", starttls=False,
                   tls_info=replace(GOOD, version="TLSv1.2", hostname_matched=False))
    assert consistency_hits([one, two, three], ("Postfix", "Exim")) == [
        Hit("consistency.starttls", "MX hosts", "STARTTLS: a.test (192.0.2.1) offers STARTTLS; "
            "b.test (192.0.2.2) no STARTTLS; c.test (192.0.2.3) offers STARTTLS"),
        Hit("consistency.certificate", "MX hosts", "certificate: a.test (192.0.2.1) valid; "
            "c.test (192.0.2.3) not valid"),
        Hit("consistency.tls", "MX hosts", "TLS version: a.test (192.0.2.1) TLSv1.3; "
            "c.test (192.0.2.3) TLSv1.2"),
        Hit("consistency.size", "MX hosts", "SIZE: a.test (192.0.2.1) 1000; "
            "b.test (192.0.2.2) no SIZE; c.test (192.0.2.3) 1000"),
        Hit("consistency.software", "MX hosts", "software: a.test (192.0.2.1) Postfix; "
            "b.test (192.0.2.2) Exim; c.test (192.0.2.3) Postfix"),
    ]


@pytest.mark.parametrize("changes", [
    {"verified": False}, {"verify_error": "self-signed"}, {"hostname_matched": False}])
def test_each_kind_of_certificate_trouble_is_not_valid(changes: dict[str, object]) -> None:
    hits = consistency_hits([walked("a.test", "192.0.2.1"), walked(
        "b.test", "192.0.2.2", tls_info=replace(GOOD, **changes))], ())  # type: ignore[arg-type]
    assert [h.detail for h in hits] == [
        "certificate: a.test (192.0.2.1) valid; b.test (192.0.2.2) not valid"]


def test_hostname_unknown_is_still_valid_and_an_unnamed_version_is_a_question_mark() -> None:
    hits = consistency_hits([walked("a.test", "192.0.2.1"), walked(
        "b.test", "192.0.2.2", tls_info=replace(GOOD, hostname_matched=None, version=None))], ())
    assert hits == [Hit("consistency.tls", "MX hosts", "TLS version: a.test (192.0.2.1) TLSv1.3; "
                        "b.test (192.0.2.2) ?")]


def test_a_certificate_from_the_diagnostic_handshake_is_not_compared() -> None:
    diagnosed = walked("b.test", "192.0.2.2", tls_info=replace(GOOD, verified=False),
                       error=ErrorInfo("tls", "old", "tls"))
    other_error = walked("c.test", "192.0.2.3", tls_info=replace(GOOD, verified=False),
                         error=ErrorInfo("timeout", "slow", "rcpt"))
    assert [h.id for h in consistency_hits([walked("a.test", "192.0.2.1"), diagnosed], ())] == []
    assert [h.id for h in consistency_hits([walked("a.test", "192.0.2.1"), other_error], ())] \
        == ["consistency.certificate"]


def test_an_unnamed_banner_and_a_long_disagreement_cut_at_400() -> None:
    many = [walked("z.test", "192.0.2.99", banner="ESMTP", size=99)]
    many += [walked(f"host-with-a-long-name-{n}.test", f"192.0.2.{n}", size=n) for n in range(20)]
    size, software = consistency_hits(many, ("Postfix",))
    assert size.id == "consistency.size"
    whole = "SIZE: z.test (192.0.2.99) 99; " + "; ".join(
        f"host-with-a-long-name-{n}.test (192.0.2.{n}) {n}" for n in range(20))
    assert size.detail == whole[:400]
    assert software.detail.startswith("software: z.test (192.0.2.99) unnamed; "
                                      "host-with-a-long-name-0.test (192.0.2.0) Postfix; ")
