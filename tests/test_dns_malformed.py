"""A nameserver that answers with a record that cannot be read (a TLSA digest of the wrong
length, an MX whose name runs off the end of the message), sent as raw bytes by the loopback
DNS server: the message says the server answered, with a malformed reply, and why; never
"no answer within N s", which is what dropping the reply as if it were forged would say.
"""

from __future__ import annotations

import asyncio

from smtpdiag.net.lookups import PolicyResolver
from tests.conftest import assert_no_traceback, run_cli
from tests.dnsserver import DnsServer

TLSA_TOO_SHORT = "\\# 03010100"  # usage 3, selector 1, SHA-256 (1), but a 1-byte digest
MX_CUT_SHORT = "\\# 000a 03 6d78"  # preference 10, then a 3-byte label with 2 bytes


def test_a_malformed_tlsa_record_is_named_as_an_answer_not_a_timeout() -> None:
    with DnsServer({("_25._tcp.mx.d.test", "TLSA"): [TLSA_TOO_SHORT]}) as server:
        resolver = PolicyResolver(("127.0.0.1", server.port), 2.0)
        answer = asyncio.run(resolver.ask("_25._tcp.mx.d.test", "TLSA"))
    assert answer.status == "error"
    assert answer.error == (
        f"the nameserver 127.0.0.1:{server.port} answered TLSA _25._tcp.mx.d.test with a "
        "malformed reply (certificate association data length inconsistent with matching type)")
    assert server.queries == [("_25._tcp.mx.d.test", "TLSA")]  # asked once, not until a timeout


def test_a_malformed_mx_answer_fails_the_probe_with_what_was_answered() -> None:
    with DnsServer({("d.test", "MX"): [MX_CUT_SHORT]}) as server:
        result = run_cli("probe", "d.test", "--dry-run", "--timeout", "2", "--nameserver",
                         f"127.0.0.1:{server.port}")
    assert_no_traceback(result)
    assert result.returncode == 3
    verdict = next(line for line in result.stdout.splitlines() if line.startswith("Verdict:"))
    assert verdict.startswith(
        f"Verdict: FAILED — dns: the nameserver 127.0.0.1:{server.port} answered MX d.test "
        "with a malformed reply (DNS message is malformed)  ("), verdict
