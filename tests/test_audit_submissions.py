"""``audit --submission`` on both submission ports a mail client uses: 587 with STARTTLS and
465 with implicit TLS (RFC 8314), each certificate verified for the host name, against raw
loopback servers (tests/rawsmtp.py) sharing one port per service, as hosts share 587 and 465."""

from __future__ import annotations

import json

import pytest

from smtpdiag.core.policy.records import SubmissionFacts
from smtpdiag.core.policy.submission import submission_fact, submission_hits
from tests.auditkit import World
from tests.conftest import assert_no_traceback, assert_valid, run_cli
from tests.rawsmtp import RawSubmission


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(str(tmp_path_factory.mktemp("subs")))
    try:
        ports = {False: 0, True: 0}
        # name: (address, the certificate's names, what runs on the implicit-TLS port)
        cases = {"good": ("127.0.5.1", None, "tls"), "plain465": ("127.0.5.2", None, "plain"),
                 "badcert": ("127.0.5.3", ("elsewhere.test",), "tls"),
                 "no465": ("127.0.5.4", None, None)}
        for name, (address, names, on_465) in cases.items():
            host = f"mail.{name}.test"
            certs = w.certs(names or (host,))
            for implicit in (False, True):
                if implicit and on_465 is None:
                    continue
                server = w._stack.enter_context(RawSubmission(
                    address, certs.cert_file, certs.key_file, port=ports[implicit],
                    implicit=implicit and on_465 == "tls",
                    starttls=not implicit))
                ports[implicit] = server.port
            w.add(f"{name}.test", "MX", f"10 {host}.")
            w.add(host, "A", address)
        # RFC 8314's SRV record names the implicit-TLS host; RFC 6186's the STARTTLS one
        w.add("srv.test", "MX", "10 mx.srv.test.")
        w.add("mx.srv.test", "A", "127.0.5.99")
        w.add("_submissions._tcp.srv.test", "SRV", "0 1 465 mail.good.test.")
        w.add("_submission._tcp.srv.test", "SRV", "0 1 587 mail.badcert.test.")
        w.ports = ports
        yield w
    finally:
        w.close()


def _section(world: World, domain: str):
    report = world.run(domain, submission=(world.ports[False],),
                       submissions=(world.ports[True],))
    return next(a for a in report.areas if a.name == "submission")


def _found(section) -> list[tuple[str, int]]:
    return [(f.id, int(f.subject.rsplit(":", 1)[1])) for f in section.findings]


def test_good_on_both_ports(world):
    section = _section(world, "good.test")
    assert section.findings == () and section.verdict == "pass"
    assert section.facts == (
        f"mail.good.test [127.0.5.1]:{world.ports[False]}: STARTTLS offered",
        f"mail.good.test [127.0.5.1]:{world.ports[True]}: implicit TLS (TLSv1.3)")


def test_plain_smtp_on_the_implicit_tls_port(world):
    section = _section(world, "plain465.test")
    assert _found(section) == [("sub.implicit-tls-failed", world.ports[True])]
    (failed,) = section.findings
    assert "plain SMTP" in failed.detail and failed.severity == "critical"


def test_a_certificate_for_another_name_on_both_ports(world):
    section = _section(world, "badcert.test")
    assert sorted(_found(section)) == sorted([("sub.cert-invalid", world.ports[False]),
                                              ("sub.cert-invalid", world.ports[True])])
    assert all("Hostname mismatch" in f.detail and "mail.badcert.test" in f.detail
               for f in section.findings)


def test_a_closed_implicit_tls_port_is_only_a_note(world):
    section = _section(world, "no465.test")
    assert _found(section) == [("sub.unreachable", world.ports[True])]
    assert section.findings[0].severity == "info"


def test_each_service_takes_its_hosts_from_its_own_srv_record(world):
    section = _section(world, "srv.test")
    assert [f.split(":")[0] for f in section.facts] == ["mail.badcert.test [127.0.5.3]",
                                                        "mail.good.test [127.0.5.1]"]
    assert _found(section) == [("sub.cert-invalid", world.ports[False])]


def test_cli_checks_both_ports_and_says_so_when_skipped(world):
    args = [*world.cli_args(), "--submission-port", str(world.ports[False]),
            "--submissions-port", str(world.ports[True]), "--json"]
    result = run_cli("audit", "badcert.test", *args)
    assert_no_traceback(result)
    report = json.loads(result.stdout)
    assert_valid(report, "audit")
    (section,) = [a for a in report["areas"] if a["name"] == "submission"]
    assert [f["id"] for f in section["findings"]] == ["sub.cert-invalid"] * 2
    skipped = json.loads(run_cli("audit", "good.test", *world.cli_args(), "--json").stdout)
    (off,) = [a for a in skipped["areas"] if a["name"] == "submission"]
    assert off["verdict"] == "skipped" and "587" in off["note"] and "465" in off["note"]


def test_rules():
    base = SubmissionFacts("h", "192.0.2.1", 465, implicit=True, tls_version="TLSv1.3")
    assert submission_hits(base) == []
    assert submission_fact(base) == "h [192.0.2.1]:465: implicit TLS (TLSv1.3)"
    from dataclasses import replace

    failed = replace(base, tls_error="wrong version number", tls_version=None)
    assert [h.id for h in submission_hits(failed)] == ["sub.implicit-tls-failed"]
    assert submission_fact(failed) == "h [192.0.2.1]:465: implicit TLS fails"
    bad = replace(base, cert_error="certificate has expired")
    assert [(h.id, h.detail) for h in submission_hits(bad)] == [
        ("sub.cert-invalid", "certificate has expired (checked for h)")]
    mismatch = replace(base, cert_error="Hostname mismatch, certificate is not valid for 'h'")
    assert [h.detail for h in submission_hits(mismatch)] == [mismatch.cert_error]
    # on 587 too, after the posture findings
    starttls = SubmissionFacts("h", "a", 587, starttls=True, auth_before_tls=("PLAIN",),
                               cert_error="self-signed certificate")
    assert [h.id for h in submission_hits(starttls)] == ["sub.auth-before-tls",
                                                         "sub.cert-invalid"]
    # a handshake that failed says so once, not also about a certificate it never saw
    assert [h.id for h in submission_hits(replace(starttls, tls_error="bad"))] == [
        "sub.no-starttls", "sub.auth-before-tls"]
