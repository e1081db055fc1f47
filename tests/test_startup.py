"""Start-up discipline: quick commands never import the heavy I/O libraries.

The speed itself is measured in bench/bench_startup.py (never timed here); this checks the
design that makes it possible, so a careless top-level import fails a test instead of quietly
costing every user 50 ms.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("asyncio", "aiosmtplib", "dns", "rich", "cryptography", "aiosmtpd", "trustme",
         "pydantic", "smtpdiag.net.session", "smtpdiag.fakeserver.server")

PROBE = """
import atexit, sys
heavy = {heavy!r}
def report():
    loaded = sorted(m for m in sys.modules if m in heavy or m.split(".")[0] in heavy)
    sys.stderr.write("LOADED:" + ",".join(loaded) + "\\n")
atexit.register(report)
sys.argv = ["smtpdiag", *{argv!r}]
from smtpdiag.cli import main
main()
"""


def loaded_modules(*argv: str) -> list[str]:
    code = PROBE.format(heavy=HEAVY, argv=list(argv))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=False)
    line = next(x for x in result.stderr.splitlines() if x.startswith("LOADED:"))
    return [m for m in line.removeprefix("LOADED:").split(",") if m]


@pytest.mark.parametrize("argv", [
    ("explain", "550"),
    ("explain", "550 5.7.1 Relay access denied"),
    ("compare", "211", "250"),
    ("codes", "--class", "5"),
    ("--help",),
    ("exporter", "--help"),
])
def test_quick_commands_import_no_heavy_library(argv):
    assert loaded_modules(*argv) == []
