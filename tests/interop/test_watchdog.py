"""The tier's servers must not outlive a test run that is killed (a pytest timeout, ``kill -9``):
a Postfix left behind holds the tier's fixed ports, and every later run fails on them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PARENT = """
import subprocess, sys
from pathlib import Path
from tests.interop.servers import _watchdog
server = subprocess.Popen(["sleep", "600"], start_new_session=True)
_watchdog([server], Path(sys.argv[1]))
print(server.pid, flush=True)
sys.stdin.read()
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie no one reaped is gone for our purpose
        return stat.read().split(") ")[1].split()[0] != "Z"


def test_a_killed_test_process_takes_its_servers_and_their_directory_with_it(
        tmp_path: Path) -> None:
    scratch = tmp_path / "interop-root"
    scratch.mkdir()
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(scratch)], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    server = int(parent.stdout.readline())
    try:
        assert _alive(server)
        parent.send_signal(signal.SIGKILL)  # no teardown runs
        parent.wait(10)
        end = time.monotonic() + 20
        while _alive(server) and time.monotonic() < end:
            time.sleep(0.2)
        assert not _alive(server)
        while scratch.exists() and time.monotonic() < end:
            time.sleep(0.2)
        assert not scratch.exists()
    finally:
        if _alive(server):
            os.kill(server, signal.SIGKILL)
