"""A domain whose name is an alias in a loop (a CNAME to a CNAME back to it), over the loopback
DNS server: the nameserver answered, so the message says what its answer was, not that it
"could not be asked" (dnspython's ChainTooLong arrives among the per-server errors, as an
unreachable server's OSError does).
"""

from __future__ import annotations

from tests.conftest import assert_no_traceback, run_cli
from tests.dnsserver import DnsServer

LOOP = {("loop.test", "CNAME"): ["loop2.test."], ("loop2.test", "CNAME"): ["loop.test."]}


def test_an_alias_loop_is_named_as_the_answer_it_was() -> None:
    with DnsServer(LOOP) as server:
        result = run_cli("probe", "loop.test", "--nameserver", f"127.0.0.1:{server.port}",
                         "--dry-run", "--timeout", "2")
    assert_no_traceback(result)
    assert result.returncode == 3, result.stdout + result.stderr
    verdict = next(line for line in result.stdout.splitlines() if line.startswith("Verdict:"))
    assert "could not be asked" not in verdict, verdict
    assert f"127.0.0.1:{server.port} answered MX loop.test with aliases (CNAME) that loop or " \
           "chain too far" in verdict, verdict
