"""A network error on a future the run abandoned is no traceback for the user; any other
error the loop reports still is (``eventloop.run``'s exception handler)."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import asyncio, gc, os, ssl, sys
from smtpdiag.net import eventloop

async def main(error):
    future = asyncio.get_running_loop().create_future()
    future.set_exception(error)  # never retrieved, as a cancelled handshake's waiter
    del future
    gc.collect()

error = {"ssl": ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"),
         "reset": ConnectionResetError(), "bug": KeyError("ours")}[sys.argv[1]]
eventloop.run(main(error), int(sys.argv[2]))
print("done")
"""


def _run(kind: str, loop: str, targets: int = 2) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", SCRIPT, kind, str(targets)],
                          capture_output=True, text=True, timeout=60,
                          env={"SMTPDIAG_LOOP": loop, "PATH": ""})


LOOPS = ["asyncio"] + (["uvloop"] if sys.platform != "win32" else [])


@pytest.mark.parametrize("loop", LOOPS)
@pytest.mark.parametrize("kind", ["ssl", "reset"])
def test_a_network_error_no_one_awaits_prints_nothing(kind: str, loop: str) -> None:
    pytest.importorskip(loop)
    result = _run(kind, loop)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "done\n"
    assert result.stderr == ""


@pytest.mark.parametrize("loop", LOOPS)
def test_any_other_error_is_still_reported(loop: str) -> None:
    pytest.importorskip(loop)
    result = _run("bug", loop)
    assert result.stdout == "done\n"
    assert "exception was never retrieved" in result.stderr
    assert "KeyError" in result.stderr

