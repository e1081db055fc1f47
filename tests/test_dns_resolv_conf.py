"""The system's resolver configuration broken: /etc/resolv.conf naming no nameserver, or one
where nothing listens.  Each run reads a real resolv.conf, bound over /etc/resolv.conf in a
mount namespace of its own (``unshare -m``, root only; skipped elsewhere), so nothing is
patched and nothing leaves loopback: the empty file names no server, the other 127.0.0.9.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import _cli_env, assert_no_traceback

pytestmark = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("unshare") is None,
    reason="binds a resolv.conf over /etc/resolv.conf in a mount namespace: root and unshare")

NONE = ("the system resolver has no nameservers configured, so MX nx.test could not be asked: "
        "/etc/resolv.conf names none; add a nameserver line to it, or give --nameserver IP")


def run_with(resolv: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    conf = tmp_path / "resolv.conf"
    conf.write_text(resolv)
    command = " ".join([sys.executable, "-m", "smtpdiag", *args])
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", f"mount --bind {conf} /etc/resolv.conf && exec {command}"],
        capture_output=True, text=True, env=_cli_env(), timeout=60, check=False)
    if "mount" in result.stderr and "smtpdiag" not in result.stderr:
        pytest.skip(f"no mount namespace here: {result.stderr.strip()}")
    assert_no_traceback(result)
    return result


@pytest.mark.parametrize(("args", "code"), [
    (("probe", "nx.test", "--dry-run"), 3),
    (("check", "nx.test", "--format", "nagios"), 2),
    (("audit", "nx.test"), 3),  # was: internal error (NoResolverConfiguration)
])
def test_a_resolv_conf_naming_no_nameserver_says_so_and_what_to_do(tmp_path: Path, args,
                                                                   code: int) -> None:
    result = run_with("# no nameserver\n", tmp_path, *args)
    assert result.returncode == code, (result.stdout, result.stderr)
    assert NONE in result.stdout, result.stdout


def test_a_resolv_conf_pointing_nowhere_names_that_server_and_the_refused_tcp_retry(
        tmp_path: Path) -> None:
    result = run_with("nameserver 127.0.0.9\n", tmp_path, "probe", "nx.test", "--dry-run",
                      "--timeout", "1")
    assert result.returncode == 3
    assert ("dns: no answer within 1 s from the system resolver (127.0.0.9, from "
            "/etc/resolv.conf) for MX nx.test, nor over TCP (connection refused: nothing "
            "listens on that port): check that the resolvers in /etc/resolv.conf run and are "
            "reachable from here (dig +tcp MX nx.test)") in result.stdout, result.stdout
