"""A "server" that sends our own command back (an echo service, a misrouted port, a loop).

It is not an SMTP server, and the message says so in those words, naming the step, instead of
"not an SMTP reply line"; an echoed AUTH line is quoted with its secret hidden.
"""

from __future__ import annotations

import json

import pytest

from smtpdiag.core.replies import ReplyReader
from smtpdiag.errors import ProtocolError

from .conftest import assert_no_traceback, run_cli
from .hostile import GREETING, Conn, HostileServer, send


async def _echo(conn: Conn) -> None:
    while line := await conn.line():
        await conn.send(line)


def test_a_reader_calls_its_own_command_sent_back_an_echo() -> None:
    reader = ReplyReader()
    reader.sent = b"EHLO client.test"
    with pytest.raises(ProtocolError, match=r"^the server sent our own command back "
                                            r"\('ehlo client.test'\) instead of a reply"):
        reader.feed(b"ehlo client.test\r\n")
    reader.sent = b"NOOP"
    with pytest.raises(ProtocolError, match=r"^not an SMTP reply line: 'EHLO x'$"):
        reader.feed(b"EHLO x\r\n")


@pytest.mark.parametrize("form", ["probe", "json", "nagios"])
def test_an_echo_is_named_at_the_step_it_answered(form: str) -> None:
    args = {"probe": ("probe", "--dry-run"), "json": ("probe", "--dry-run", "--json"),
            "nagios": ("check", "--format", "nagios")}[form]
    with HostileServer([send(GREETING), _echo]) as server:
        result = run_cli(args[0], server.target, "--timeout", "5", "--helo", "c.test",
                         *args[1:])
    assert_no_traceback(result)
    assert result.returncode in (2, 3), result.stdout + result.stderr  # CRITICAL / failed
    said = "the server sent our own command back ('EHLO c.test') instead of a reply"
    if form == "json":
        error = json.loads(result.stdout)["attempts"][0]["error"]
        assert error["step"] == "ehlo" and error["message"].startswith(said)
    else:
        assert said in result.stdout
