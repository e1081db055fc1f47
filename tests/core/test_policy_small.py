"""The small policy rules fed plain records: block-list answers (``core/policy/dnsbl.py``) and a
submission port's STARTTLS posture (``core/policy/submission.py``), each finding word for word.
"""

from __future__ import annotations

import pytest

from smtpdiag.core.policy.dnsbl import dnsbl_hits, dnsbl_name
from smtpdiag.core.policy.records import Answer, Hit, SubmissionFacts
from smtpdiag.core.policy.submission import submission_hits

ZONE = "zen.example.test"
SUBJECT = "mx.example.test [192.0.2.99]"


@pytest.mark.parametrize(("address", "zone", "name"), [
    ("192.0.2.99", ZONE, "99.2.0.192.zen.example.test"),
    ("192.0.2.99", ".zen.example.test.", "99.2.0.192.zen.example.test"),
    ("2001:db8::1", "bl.test", "1." + "0." * 23 + "8.b.d.0.1.0.0.2.bl.test"),
])
def test_dnsbl_name(address: str, zone: str, name: str) -> None:
    assert dnsbl_name(address, zone) == name


def a(*records: str, status: str = "ok", error: str | None = None) -> Answer:
    return Answer("99.2.0.192." + ZONE, "A", status, records, error=error)


def txt(*records: str) -> Answer:
    return Answer("99.2.0.192." + ZONE, "TXT", "ok", records)


@pytest.mark.parametrize(("answer", "text", "hits"), [
    (a(status="nxdomain"), None, []),
    (a(status="nodata"), txt("listed anyway"), []),
    (a(status="error", error="timed out"), None, [Hit("dnsbl.error", SUBJECT,
                                                      f"{ZONE}: timed out")]),
    (a("127.255.255.254", "127.0.0.2"), None, [Hit(
        "dnsbl.refused", SUBJECT, f"{ZONE} answered 127.255.255.254: the query was refused, "
        "the address was not checked")]),
    (a("127.255.255.252", "127.255.255.254"), None, [Hit(
        "dnsbl.refused", SUBJECT, f"{ZONE} answered 127.255.255.252, 127.255.255.254: the "
        "query was refused, the address was not checked")]),
    (a("192.0.2.250", "127.0.0.2", "10.0.0.1"), None, [Hit(
        "dnsbl.error", SUBJECT, f"{ZONE} answered 192.0.2.250, 10.0.0.1, outside 127.0.0.0/8: "
        "the resolver rewrites NXDOMAIN, so nothing is known")]),
    (a("127.0.0.2"), None, [Hit("dnsbl.listed", SUBJECT,
                                f"192.0.2.99 is listed in {ZONE} (127.0.0.2)")]),
    (a("127.0.0.2", "127.0.0.4"), txt(), [Hit(
        "dnsbl.listed", SUBJECT, f"192.0.2.99 is listed in {ZONE} (127.0.0.2, 127.0.0.4)")]),
    (a("127.0.0.2"), txt("Listed: see", "https://bl.test/q?ip=192.0.2.99"), [Hit(
        "dnsbl.listed", SUBJECT, f"192.0.2.99 is listed in {ZONE} (127.0.0.2): Listed: see "
        "https://bl.test/q?ip=192.0.2.99")]),
    (a("127.0.0.3"), txt("w" * 300), [Hit(
        "dnsbl.listed", SUBJECT, f"192.0.2.99 is listed in {ZONE} (127.0.0.3): " + "w" * 200)]),
])
def test_dnsbl_hits(answer: Answer, text: Answer | None, hits: list[Hit]) -> None:
    assert dnsbl_hits("192.0.2.99", ZONE, answer, text, SUBJECT) == hits


WHERE = "smtp.example.test [192.0.2.5]:587"


def facts(**kwargs: object) -> SubmissionFacts:
    options: dict[str, object] = {"starttls": True, "injection": False}
    options.update(kwargs)
    return SubmissionFacts("smtp.example.test", "192.0.2.5", 587, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kwargs", "hits"), [
    ({}, []),
    ({"injection": None}, []),
    ({"error": "connection refused", "starttls": False, "injection": True},
     [Hit("sub.unreachable", WHERE, "connection refused")]),
    ({"starttls": False}, [Hit("sub.no-starttls", WHERE, "EHLO lists no STARTTLS")]),
    ({"starttls": False, "tls_error": "handshake failed"},
     [Hit("sub.no-starttls", WHERE, "EHLO lists no STARTTLS")]),
    ({"tls_error": "handshake failed"},
     [Hit("sub.no-starttls", WHERE, "STARTTLS is listed but fails: handshake failed")]),
    ({"auth_before_tls": ("PLAIN", "LOGIN")},
     [Hit("sub.auth-before-tls", WHERE, "AUTH PLAIN LOGIN advertised before STARTTLS")]),
    ({"auth_before_tls": tuple(f"M{n}" for n in range(10))},
     [Hit("sub.auth-before-tls", WHERE, "AUTH M0 M1 M2 M3 M4 M5 M6 M7 advertised before "
          "STARTTLS")]),
    ({"mail_before_tls": 199}, []),
    ({"mail_before_tls": 200}, [Hit("sub.mail-before-tls", WHERE,
                                    "MAIL FROM before STARTTLS answered 200")]),
    ({"mail_before_tls": 250}, [Hit("sub.mail-before-tls", WHERE,
                                    "MAIL FROM before STARTTLS answered 250")]),
    ({"mail_before_tls": 299}, [Hit("sub.mail-before-tls", WHERE,
                                    "MAIL FROM before STARTTLS answered 299")]),
    ({"mail_before_tls": 300}, []),
    ({"mail_before_tls": 530}, []),
    ({"injection": True}, [Hit("sub.starttls-injection", WHERE, "RSET, sent in the same "
                               "packet as STARTTLS, was answered inside the TLS session")]),
    ({"starttls": False, "auth_before_tls": ("PLAIN",), "mail_before_tls": 250,
      "injection": True},
     [Hit("sub.no-starttls", WHERE, "EHLO lists no STARTTLS"),
      Hit("sub.auth-before-tls", WHERE, "AUTH PLAIN advertised before STARTTLS"),
      Hit("sub.mail-before-tls", WHERE, "MAIL FROM before STARTTLS answered 250"),
      Hit("sub.starttls-injection", WHERE, "RSET, sent in the same packet as STARTTLS, was "
          "answered inside the TLS session")]),
])
def test_submission_hits(kwargs: dict[str, object], hits: list[Hit]) -> None:
    assert submission_hits(facts(**kwargs)) == hits
