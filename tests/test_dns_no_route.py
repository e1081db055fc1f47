"""An MX host whose only addresses this machine has no route to (AAAA records only, probed
from a machine without IPv6): the connection cannot even start, which says nothing of the
server.  Run in a network namespace of its own (``unshare -n``, root only; skipped elsewhere),
where only loopback exists: the loopback DNS server answers, and no packet can leave.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import _cli_env

pytestmark = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("unshare") is None
    or shutil.which("ip") is None,
    reason="a network namespace with loopback only: root, unshare and ip")

SCRIPT = """
import subprocess, sys
from tests.dnsserver import DnsServer
zone = {("v6.test", "MX"): ["10 mx.v6.test."], ("mx.v6.test", "AAAA"): ["2001:db8::25"]}
with DnsServer(zone) as dns:
    result = subprocess.run([sys.executable, "-m", "smtpdiag", *sys.argv[1:], "--nameserver",
                             f"127.0.0.1:{dns.port}", "--timeout", "2"],
                            capture_output=True, text=True)
print(result.returncode)
print(result.stdout + result.stderr)
"""


def run_isolated(*args: str) -> tuple[int, str]:
    result = subprocess.run(
        ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", sys.executable,
         "-c", SCRIPT, *args], capture_output=True, text=True, env=_cli_env(), timeout=60,
        check=False, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if result.returncode != 0 or not result.stdout:
        pytest.skip(f"no network namespace here: {result.stderr.strip()[:200]}")
    code, _, output = result.stdout.partition("\n")
    return int(code), output


def test_an_mx_with_only_an_address_this_machine_cannot_route_to_says_so() -> None:
    code, output = run_isolated("check", "v6.test", "--format", "nagios")
    assert "Traceback" not in output
    assert code == 2
    assert ("connect: cannot connect to [2001:db8::25]:25: Network is unreachable: this "
            "machine has no route to that IPv6 address, so this says nothing of the server; "
            "senders with IPv6 may reach it (probe from a machine that has it)") in output, output
