"""DNS names holding bytes no host name holds (a control, a space, a dot or a backslash
inside a label), as a broken zone serves them (tests/dnsserver.py): every output shows such a
byte once escaped, ``\\x07`` as server text's bytes are shown (dnspython's ``\\007``, escaped
again where it was shown, read ``\\\\007``); audit asks about exactly the name the zone gave;
and a STARTTLS handshake with such a host is walked, not a traceback.
"""

from __future__ import annotations

import json

import pytest

from smtpdiag.fakeserver import FakeServer
from tests.auditkit import World
from tests.conftest import assert_no_traceback, run_cli
from tests.dnsserver import DnsServer

ZONE = {("odd.test", "MX"): ["10 mx\\007.odd.test.", "20 a\\032b.odd.test.",
                             "30 we\\.ird.odd.test."],
        ("mx\\007.odd.test", "A"): ["127.0.0.1"]}
SHOWN = ("mx\\x07.odd.test", "a\\x20b.odd.test", "we\\x2eird.odd.test")


@pytest.fixture(scope="module")
def servers():
    with FakeServer("healthy") as smtp, DnsServer(ZONE) as dns:
        yield smtp, dns


def cli(servers, *args: str):
    smtp, dns = servers
    result = run_cli(*args, "--port", str(smtp.port), "--nameserver", f"127.0.0.1:{dns.port}",
                     "--timeout", "3")
    assert_no_traceback(result)
    return result


def test_probe_shows_each_odd_byte_once_escaped_and_walks_starttls(servers) -> None:
    result = cli(servers, "probe", "odd.test", "--dry-run")
    assert "MX: 10 mx\\x07.odd.test, 20 a\\x20b.odd.test, 30 we\\x2eird.odd.test" in \
        result.stdout, result.stdout
    assert "a\\x20b.odd.test does not exist (NXDOMAIN)" in result.stdout
    assert "\\\\" not in result.stdout  # no backslash doubled
    assert "── mx\\x07.odd.test 127.0.0.1:" in result.stdout
    assert "TLSv1.3" in result.stdout  # the handshake was walked (its SNI: mx\007.odd.test)
    assert "the certificate does not name mx\\x07.odd.test" in result.stdout


def test_probe_json_carries_the_same_text(servers) -> None:
    report = json.loads(cli(servers, "probe", "odd.test", "--dry-run", "--json").stdout)
    assert tuple(m["host"] for m in report["resolution"]["mx"]) == SHOWN
    assert [a["host"] for a in report["attempts"]][:1] == ["mx\\x07.odd.test"]
    assert report["summary"].startswith("mx\\x07.odd.test (127.0.0.1:")


def test_check_shows_them_once_escaped(servers) -> None:
    for fmt in ("nagios", "junit", "json"):
        result = cli(servers, "check", "odd.test", "--format", fmt, "--all-mx")
        shown = result.stdout if fmt != "json" else json.dumps(json.loads(result.stdout))
        assert "a\\x20b.odd.test" in shown.replace("\\\\", "\\"), (fmt, result.stdout)
        if fmt != "json":
            assert "\\\\" not in result.stdout, (fmt, result.stdout)


def test_audit_asks_about_the_very_names_and_shows_them_once_escaped(tmp_path) -> None:
    world = World(str(tmp_path))
    try:
        for (name, rdtype), values in ZONE.items():
            world.add(name, rdtype, *values)
        dns = world.start_dns()
        result = run_cli("audit", "odd.test", *world.cli_args())
    finally:
        world.close()
    assert_no_traceback(result)
    assert "MX 10 mx\\x07.odd.test → 127.0.0.1" in result.stdout, result.stdout
    assert "MX 20 a\\x20b.odd.test → nxdomain" in result.stdout
    assert "\\\\" not in result.stdout
    assert "✗ CRITICAL  An MX record names no host name — mx\\x07.odd.test" in result.stdout
    assert "seen: MX 20 a\\x20b.odd.test: it holds characters no host name has" in result.stdout
    assert result.returncode == 1  # the audit's FAIL
    assert {("mx\\007.odd.test", "A"), ("we\\.ird.odd.test", "A"), ("a\\032b.odd.test", "A")
            } <= set(dns.queries)


def test_an_mx_target_that_is_no_host_name_is_a_finding_and_the_verdict_says_so(servers):
    """Senders refuse such an MX as malformed (Postfix: "malformed domain name in resource
    data of MX record"), so the server answering smtpdiag is not the whole story; with every
    MX target malformed, no sender delivers at all (critical)."""
    result = cli(servers, "probe", "odd.test", "--dry-run")
    for shown in SHOWN:
        assert (f"✗ critical: the MX target {shown} is not a host name: it holds characters no "
                "host name has (only letters, digits and hyphens, RFC 5321 §2.3.5), so senders "
                "refuse it as malformed; fix the MX record") in result.stdout, result.stdout
    assert "(dry run: no DATA sent); but senders refuse the MX target mx\\x07.odd.test as " \
        "malformed: it is no host name" in result.stdout
    _, dns = servers
    dns.records["one.test", "MX"] = ["10 mx\\007.odd.test.", "20 mx.one.test."]
    dns.records["mx.one.test", "A"] = ["127.0.0.1"]
    dns.names.update({"one.test", "mx.one.test"})
    result = cli(servers, "check", "one.test", "--format", "nagios")
    assert result.returncode == 1  # another MX target is a host name: senders use it
    assert result.stdout.startswith("SMTPDIAG WARNING - one.test: dns: the MX target "
                                    "mx\\x07.odd.test is not a host name"), result.stdout
