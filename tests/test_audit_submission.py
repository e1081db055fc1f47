"""``audit --submission``: the STARTTLS posture of submission ports, against a raw loopback
server whose STARTTLS handling each case picks (tests/rawsmtp.py)."""

from __future__ import annotations

import pytest

from smtpdiag.core.policy.records import SubmissionFacts
from smtpdiag.core.policy.submission import submission_hits
from tests.auditkit import World, ids
from tests.rawsmtp import RawSubmission


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(str(tmp_path_factory.mktemp("sub")))
    try:
        cases = {"safe": {}, "injectable": {"vulnerable": True},
                 "authplain": {"auth_before_tls": True}, "mailplain": {"mail_before_tls": True},
                 "notls": {"starttls": False}}
        port = 0
        for n, (name, options) in enumerate(cases.items(), start=1):
            host = f"sub.{name}.test"
            certs = w.certs((host,))
            server = w._stack.enter_context(RawSubmission(
                f"127.0.4.{n}", certs.cert_file, certs.key_file, port=port, **options))
            port = server.port
            w.add(f"{name}.test", "MX", f"10 {host}.")
            w.add(host, "A", f"127.0.4.{n}")
        w.add("srv.test", "MX", "10 nowhere.srv.test.")
        w.add("nowhere.srv.test", "A", "127.0.4.99")
        w.add("_submission._tcp.srv.test", "SRV", "0 1 587 sub.safe.test.")
        w.submission_port = port
        yield w
    finally:
        w.close()


def run(world: World, domain: str) -> list[str]:
    return ids(world.run(domain, submission=(world.submission_port,)), "submission")


@pytest.mark.parametrize(("domain", "expected"), [
    ("safe", []), ("injectable", ["sub.starttls-injection"]),
    ("authplain", ["sub.auth-before-tls"]), ("mailplain", ["sub.mail-before-tls"]),
    ("notls", ["sub.no-starttls"]),
])
def test_each_posture_on_loopback(world, domain, expected):
    assert run(world, f"{domain}.test") == expected


def test_off_by_default_and_srv_names_the_host(world):
    section = next(a for a in world.run("safe.test").areas if a.name == "submission")
    assert section.verdict == "skipped"
    report = world.run("srv.test", submission=(world.submission_port,))
    section = next(a for a in report.areas if a.name == "submission")
    assert section.facts == (f"sub.safe.test [127.0.4.1]:{world.submission_port}: STARTTLS "
                             "offered",)
    assert section.findings == ()


def test_rules():
    base = SubmissionFacts("h", "192.0.2.1", 587, starttls=True, mail_before_tls=530,
                           injection=False)
    assert submission_hits(base) == []
    assert [h.id for h in submission_hits(SubmissionFacts("h", "a", 587, error="refused"))] == [
        "sub.unreachable"]
    from dataclasses import replace

    assert [h.id for h in submission_hits(replace(base, mail_before_tls=250))] == [
        "sub.mail-before-tls"]
    assert [h.id for h in submission_hits(replace(base, mail_before_tls=None))] == []
    assert [h.id for h in submission_hits(replace(base, tls_error="bad"))] == ["sub.no-starttls"]
    assert [h.id for h in submission_hits(replace(base, auth_before_tls=("PLAIN",)))] == [
        "sub.auth-before-tls"]
    assert [h.id for h in submission_hits(replace(base, injection=True))] == [
        "sub.starttls-injection"]
    assert [h.id for h in submission_hits(replace(base, injection=None))] == []
