"""``audit`` against whole domains on loopback: the MX set and every MX address, through a real
DNS server (tests/dnsserver.py), real fake SMTP servers and one trustme CA (tests/auditkit.py).

One world holds a clean domain and domains with each fault; every finding is produced by one
domain and absent from the clean one.
"""

from __future__ import annotations

import json

import pytest

from tests.auditkit import World, ids
from tests.conftest import assert_no_traceback, assert_valid, run_cli


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(str(tmp_path_factory.mktemp("audit")))
    try:
        # good.test: two MX hosts, one IPv4 and one IPv6, PTRs confirmed, valid certificates
        for server in (w.smtp("127.0.0.2", "mx1.good.test"), w.smtp("::1", "mx2.good.test")):
            name = f"_25._tcp.{server.hostname}"
            w.add(name, "TLSA", w.tlsa(server), w.tlsa(server, 3, 0, 1))
            w.authenticated.add(name)
        w.mx("good.test", (10, "mx1.good.test", "127.0.0.2"), (20, "mx2.good.test", "::1"))
        w.sts("good.test", "127.0.0.30", "mx1.good.test", "mx2.good.test")
        w.sender_policies("good.test")
        # bad.test: an alias, a missing host, a host without address, an IP literal; and
        # addresses with each transport fault
        w.add("bad.test", "MX", "5 alias.bad.test.", "30 gone.bad.test.", "40 noaddr.bad.test.",
              "50 192.0.2.1.")
        w.add("alias.bad.test", "CNAME", "real.bad.test.")
        w.add("real.bad.test", "A", "127.0.0.3")
        w.add("3.0.0.127.in-addr.arpa", "PTR", "real.bad.test.")
        w.add("noaddr.bad.test", "TXT", "\"no address here\"")
        w.smtp("127.0.0.3", "real.bad.test", cert="self-signed", tls="starttls")
        # tls.test: one fault per address, all at preference 10
        w.smtp("127.0.0.4", "plain.tls.test", tls="none")  # no STARTTLS
        w.smtp("127.0.0.5", "expired.tls.test", cert="expired")
        w.smtp("127.0.0.6", "named.tls.test", cert_names=("elsewhere.test",))
        w.smtp("127.0.0.7", "soon.tls.test", cert="expiring", greeting_name="weird.example")
        w.mx("tls.test", (10, "plain.tls.test", "127.0.0.4"), (10, "expired.tls.test",
             "127.0.0.5"), (10, "named.tls.test", "127.0.0.6"), (10, "soon.tls.test",
             "127.0.0.7"))
        # ptr.test: no PTR at all / a PTR that does not point back; and a dead address
        w.smtp("127.0.0.8", "noptr.ptr.test")
        w.smtp("127.0.0.9", "fcr.ptr.test")
        w.mx("ptr.test", (10, "noptr.ptr.test", "127.0.0.8"), (20, "fcr.ptr.test", "127.0.0.9"),
             (30, "dead.ptr.test", "127.0.0.10"), ptr=False)
        w.add("9.0.0.127.in-addr.arpa", "PTR", "liar.ptr.test.")
        w.add("liar.ptr.test", "A", "127.0.0.99")
        # refuse.test: refusals at MAIL and at RCPT
        w.smtp("127.0.0.11", "mail.refuse.test", scenario="mail-refused")
        w.smtp("127.0.0.12", "rcpt.refuse.test", scenario="unknown-user")
        w.mx("refuse.test", (10, "mail.refuse.test", "127.0.0.11"),
             (20, "rcpt.refuse.test", "127.0.0.12"))
        # the MX set's own shapes
        w.add("null.test", "MX", "0 .")
        w.add("mixed.test", "MX", "0 .", "10 mx1.good.test.")
        w.add("implicit.test", "A", "127.0.0.2")
        w.add("implicit.test", "AAAA", "::1")
        w.add("nothing.test", "TXT", "\"v=spf1 -all\"")
        w.add("single.test", "MX", "10 mx1.good.test.")
        w.add("broken.test", "MX", "10 mx1.good.test.")
        w.start_dns().servfail.add("broken.test")
        yield w
    finally:
        w.close()


def test_a_domain_whose_every_record_is_right_passes(world):
    report = world.run("good.test")
    assert ids(report) == []
    assert report.verdict == "pass"
    assert report.summary == "good.test: every check passed"
    assert {a.name: a.verdict for a in report.areas} == {
        "mx": "pass", "smtp": "pass", "mta-sts": "pass", "dane": "pass", "spf": "pass",
        "dmarc": "pass", "dnsbl": "skipped", "submission": "skipped"}
    assert len(report.attempts) == 2 and all(a.outcome == "accepted" for a in report.attempts)


def test_mx_set_faults_are_named_each_on_its_host(world):
    report = world.run("bad.test")
    found = {(f.id, f.subject) for a in report.areas for f in a.findings}
    assert ("mx.cname", "alias.bad.test") in found
    assert ("mx.host-nxdomain", "gone.bad.test") in found
    assert ("mx.no-address", "noaddr.bad.test") in found
    assert ("mx.ip-literal", "192.0.2.1") in found
    assert ("addr.cert-untrusted", "alias.bad.test [127.0.0.3]") in found
    # the alias was followed: its address was probed under the MX name
    assert [a.host for a in report.attempts] == ["alias.bad.test"]
    assert report.verdict == "fail"


@pytest.mark.parametrize(("domain", "expected"), [
    ("null.test", ["mx.null"]),
    ("mixed.test", ["mx.null-mixed", "mx.no-ipv6"]),
    ("nothing.test", ["mx.none"]),
    ("missing.test", ["mx.nxdomain"]),
    ("broken.test", ["mx.lookup-failed"]),
])
def test_mx_set_shapes_without_mail_hosts(world, domain, expected):
    report = world.run(domain)
    assert ids(report, "mx") == expected
    if domain == "missing.test":  # nothing else is said about a domain that does not exist
        assert ids(report) == expected
        assert {a.note for a in report.areas[1:]} == {"missing.test does not exist"}


def test_implicit_mx_and_single_mx(world):
    assert ids(world.run("implicit.test"), "mx") == ["mx.implicit"]
    single = world.run("single.test")
    assert ids(single, "mx") == ["mx.single", "mx.no-ipv6"]
    assert ids(single, "smtp") == []


def test_transport_faults_per_address(world):
    report = world.run("tls.test")
    found = {(f.id, f.subject.split(" ")[0]) for a in report.areas for f in a.findings}
    assert ("addr.no-starttls", "plain.tls.test") in found
    assert ("addr.cert-expired", "expired.tls.test") in found
    assert ("addr.cert-name", "named.tls.test") in found
    assert ("addr.cert-expiring", "soon.tls.test") in found
    assert ("addr.name-mismatch", "soon.tls.test") in found
    assert {"consistency.starttls", "consistency.certificate"} <= {f for f, _ in found}
    # the good hosts of this domain are not blamed for what the others do
    assert ("addr.cert-expired", "named.tls.test") not in found
    assert ("addr.cert-name", "soon.tls.test") not in found
    assert "addr.name-mismatch" not in {f for f, s in found if s != "soon.tls.test"}


def test_reverse_dns_and_a_dead_address(world):
    report = world.run("ptr.test")
    found = {(f.id, f.subject.split(" ")[0]) for a in report.areas for f in a.findings}
    assert ("addr.no-ptr", "noptr.ptr.test") in found
    assert ("addr.fcrdns", "fcr.ptr.test") in found
    assert ("addr.unreachable", "dead.ptr.test") in found
    detail = next(f.detail for a in report.areas for f in a.findings if f.id == "addr.fcrdns")
    assert "liar.ptr.test" in detail


def test_refusals_of_the_null_sender_and_of_postmaster(world):
    report = world.run("refuse.test")
    found = {(f.id, f.subject.split(" ")[0]) for a in report.areas for f in a.findings}
    assert ("addr.null-sender-refused", "mail.refuse.test") in found
    assert ("addr.postmaster-refused", "rcpt.refuse.test") in found


def test_cli_text_json_and_exit_codes(world):
    good = run_cli("audit", "good.test", *world.cli_args())
    assert_no_traceback(good)
    assert good.returncode == 0, good.stderr
    assert "MX set [PASS]" in good.stdout and "every check passed" in good.stdout
    bad = run_cli("audit", "tls.test", *world.cli_args(), "--json")
    assert bad.returncode == 1, bad.stderr
    document = json.loads(bad.stdout)
    assert_valid(document, "audit")
    assert document["schema"] == "smtpdiag.audit/1" and document["verdict"] == "fail"
    text = run_cli("audit", "tls.test", *world.cli_args())
    assert "✗ CRITICAL  The certificate has expired" in text.stdout
    assert "fix: Renew the certificate" in text.stdout


NOT_A_DOMAIN = " is not a mail domain (give example.com, not an address or a URL)"


@pytest.mark.parametrize(("bad", "message"), [
    ("user@example.com", "'user@example.com'" + NOT_A_DOMAIN),
    ("https://example.com/", "'https://example.com/'" + NOT_A_DOMAIN),
    ("nodots", "'nodots' is not a mail domain"),
    ("", "''" + NOT_A_DOMAIN),
    ("a b.test", "'a b.test'" + NOT_A_DOMAIN),
    ("ex\x1bample.com", "DOMAIN contains a control character (\\x1b); CR, LF, NUL and other "
     "controls are refused so that no SMTP command can be injected"),
])
def test_cli_refuses_what_is_not_a_domain(bad, message):
    result = run_cli("audit", bad, "--nameserver", "127.0.0.1:9")
    assert_no_traceback(result)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"smtpdiag: error: {message}\n"


def test_check_audit_turns_findings_into_states(world):
    args = [a for a in world.cli_args() if a != "--port"]
    port = args.pop(args.index(str(world.port)))
    common = [*args, "--port", port, "--format", "json"]
    good = run_cli("check", "good.test", "--audit", *common)
    assert_no_traceback(good)
    assert good.returncode == 0, good.stdout + good.stderr
    bad = run_cli("check", "tls.test", "--audit", *common)
    assert bad.returncode == 2, bad.stdout + bad.stderr
    reasons = json.loads(bad.stdout)["targets"][0]["reasons"]
    assert any(r["state"] == "CRITICAL" and r["message"].startswith(
        "audit smtp: The certificate has expired — expired.tls.test") for r in reasons)
    assert any(r["state"] == "WARNING" and "audit smtp: STARTTLS is not offered" in r["message"]
               for r in reasons)
    # the same domain without --audit: only what the probe itself sees
    plain = run_cli("check", "tls.test", *common)
    assert not any("audit" in r["message"] for r in json.loads(plain.stdout)["targets"][0][
        "reasons"])
    literal = run_cli("check", f"127.0.0.2:{port}", "--audit", *common)
    reasons = json.loads(literal.stdout)["targets"][0]["reasons"]
    assert {"state": "UNKNOWN", "step": None,
            "message": f"--audit needs a mail domain; 127.0.0.2:{port} is a host or an "
                       "address"} in reasons


def test_cli_when_the_nameserver_does_not_answer_says_so_and_exits_3(world):
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))  # bound, never read: every question times out
        port = silent.getsockname()[1]
        result = run_cli("audit", "good.test", "--nameserver", f"127.0.0.1:{port}",
                         "--timeout", "0.5", "--json")
    assert_no_traceback(result)
    assert result.returncode == 3, result.stderr
    document = json.loads(result.stdout)
    assert_valid(document, "audit")
    mx = next(a for a in document["areas"] if a["name"] == "mx")
    assert [f["id"] for f in mx["findings"]] == ["mx.lookup-failed"]
    assert f"127.0.0.1:{port}" in mx["findings"][0]["detail"]


def test_an_alias_is_followed_even_when_the_server_does_not_follow_it():
    import asyncio

    from smtpdiag.net.audit import gather_mx
    from smtpdiag.net.lookups import PolicyResolver
    from tests.dnsserver import DnsServer

    records = {("d.test", "MX"): ["10 alias.d.test."], ("alias.d.test", "CNAME"): ["real.d.test."],
               ("real.d.test", "A"): ["127.0.0.2"]}
    with DnsServer(records, chase=False) as dns:
        mx = asyncio.run(gather_mx(PolicyResolver((dns.host, dns.port), 3.0), "d.test"))
    host = mx.hosts[0]
    assert (host.host, host.cname, host.addresses, host.status) == (
        "alias.d.test", "real.d.test", ("127.0.0.2",), "ok")
