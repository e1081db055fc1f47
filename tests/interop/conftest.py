"""The real-MTA tier's servers, started once per test session.

Without root or the packages (a fresh machine, the README's test command) every test here is
skipped with one line saying why; with ``SMTPDIAG_INTEROP=require`` (``.ci/run`` sets it, after
installing the packages) that is a failure instead, so CI proves the tier ran.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from smtpdiag.fakeserver import Certs
from tests.dnsserver import DnsServer
from tests.interop.node_servers import unavailable
from tests.interop.servers import DNS_ADDRESS, Postfix, Unavailable, start_postfix

# What the tests' DNS server knows: the RBL lists 127.0.0.1; no PTR for it (unknown client).
RECORDS = {
    ("1.0.0.127.rbl.interop.test", "A"): ["127.0.0.2"],
    ("1.0.0.127.rbl.interop.test", "TXT"): ['"listed for the interop tests"'],
    ("interop.test", "MX"): ["10 mx.interop.test."],
    ("mx.interop.test", "A"): ["127.0.0.1"],
    ("client.interop.test", "A"): ["127.0.0.1"],
}


@pytest.fixture(scope="session")
def postfix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postfix]:
    if os.geteuid() != 0:
        unavailable("needs root to start Postfix and a DNS server on port 53")
    certs = Certs.create(str(tmp_path_factory.mktemp("postfix-certs")), kind="good")
    try:
        dns = DnsServer(RECORDS, host=DNS_ADDRESS, port=53).start()
    except (OSError, RuntimeError) as exc:
        unavailable(f"cannot start the DNS server on {DNS_ADDRESS}:53: {exc}")
    try:
        instance = start_postfix(certs.cert_file, certs.key_file, certs.ca_file)
    except Unavailable as exc:
        dns.stop()
        unavailable(str(exc))
    try:
        yield instance
    finally:
        instance.stop()
        dns.stop()
