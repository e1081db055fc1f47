"""Server text never begins a line as a CI runner's command (``::error file=x::...``).

GitHub Actions reads every line a step prints and acts on one that begins, after spaces, with
``::name ...::`` (an annotation, ``::add-mask::``, ``::stop-commands::``).  smtpdiag's own
prefixes (``← ``, a label) keep server text from the start of a line, but a CI job that sets
``FORCE_COLOR`` gets wrapped output, and a wrapped line may begin with the server's words.  Such
a line shows its first colon escaped (``\\x3a``, as every escape smtpdiag shows), so it is text.
"""

from __future__ import annotations

import re

import pytest

from .conftest import assert_no_traceback, run_cli
from .hostile import GREETING, HostileServer, answering, send

WORDS = b" ".join([b"::error file=x::pwned", b"::add-mask::hidden"] * 8)
SCRIPT = [send(GREETING), answering({b"RCPT": [b"550 5.1.1 user unknown " + WORDS + b"\r\n"]})]
COMMAND = re.compile(r"^\s*::[A-Za-z-]+[ :]", re.MULTILINE)


@pytest.mark.parametrize("columns", ["40", "60", "80", "120"])
def test_no_wrapped_line_begins_with_a_runner_command(columns: str) -> None:
    with HostileServer(SCRIPT) as server:
        results = [run_cli(*args, "--timeout", "5", env={"FORCE_COLOR": "1", "COLUMNS": columns})
                   for args in (("probe", server.target, "--dry-run"),
                                ("check", server.target, "--no-mx"))]
    assert "::error file=x::pwned" in results[0].stdout  # the words are shown, within lines
    for result in results:
        assert_no_traceback(result)
        shown = result.stdout + result.stderr
        assert not COMMAND.search(shown), COMMAND.search(shown)


def test_piped_output_never_wraps_so_never_begins_a_line_with_them() -> None:
    with HostileServer(SCRIPT) as server:
        result = run_cli("probe", server.target, "--dry-run", "--timeout", "5")
    assert not COMMAND.search(result.stdout + result.stderr)
    assert "\\x3a" not in result.stdout  # nothing to escape where no line begins with them
