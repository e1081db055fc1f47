"""Broken zones, served by the loopback DNS server (tests/dnsserver.py), as ``probe``, ``check``
and ``audit`` see them: each says in one line which step, which record and what was seen.
"""

from __future__ import annotations

import asyncio

import pytest

from smtpdiag.net.lookups import PolicyResolver
from tests.auditkit import World
from tests.conftest import assert_no_traceback, run_cli
from tests.dnsserver import DnsServer

BAD_BYTE = {("bad.test", "TXT"): ['"v=spf1 mx \\255 -all"'],
            ("bad.test", "MX"): ["0 ."],
            ("_dmarc.bad.test", "TXT"): ['"v=DMARC1; p=reject; rua=mailto:d\\255@bad.test"']}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(str(tmp_path_factory.mktemp("broken")))
    for (name, rdtype), values in BAD_BYTE.items():
        w.add(name, rdtype, *values)
    try:
        yield w
    finally:
        w.close()


def test_a_txt_byte_that_is_not_utf8_is_kept_as_that_byte() -> None:
    with DnsServer(BAD_BYTE) as server:
        answer = asyncio.run(PolicyResolver((server.host, server.port), 2.0).ask("bad.test",
                                                                                  "TXT"))
    assert answer.records == ("v=spf1 mx \udcff -all",)


def test_audit_shows_a_bad_txt_byte_once_escaped(world) -> None:
    result = run_cli("audit", "bad.test", *world.cli_args())
    assert_no_traceback(result)
    assert "bad.test TXT: v=spf1 mx \\xff -all" in result.stdout, result.stdout
    assert "'\\xff' is not an SPF term (in 'v=spf1 mx \\xff -all')" in result.stdout
    assert "rua=mailto:d\\xff@bad.test" in result.stdout
    assert "\\\\" not in result.stdout  # no backslash doubled
    result = run_cli("audit", "bad.test", "--json", *world.cli_args())
    assert '"bad.test TXT: v=spf1 mx \\\\xff -all"' in result.stdout  # JSON: the text \xff
