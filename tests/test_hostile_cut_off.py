"""A server that hangs up in the middle of a reply: the message says what did arrive.

"closed the connection" alone reads as a server that hung up between replies; half a line, or
the first lines of a multi-line reply, are what a person needs to see which it was.
"""

from __future__ import annotations

import pytest

from .conftest import assert_no_traceback, run_cli
from .hostile import HostileServer, close, send, smtp


@pytest.mark.parametrize(("sent", "said"), [
    (b"220 hel", "(7 bytes of an unfinished reply were received: '220 hel')"),
    (b"220-a\r\n220-b\x1b\r\n", "(2 lines of an unfinished reply arrived, with no last line: "
                                 "'220-a', '220-b\\x1b')"),
])
def test_a_hang_up_inside_a_reply_quotes_what_came(sent: bytes, said: str) -> None:
    with HostileServer([send(sent), close()]) as server:
        result = run_cli("probe", server.target, "--timeout", "5", "--dry-run")
    assert_no_traceback(result)
    assert result.returncode == 3, result.stdout + result.stderr
    assert (f"greeting failed: {server.target} closed the connection in the middle of a reply "
            f"{said}") in result.stdout


def test_a_hang_up_between_replies_is_said_as_before() -> None:
    with HostileServer([send(b"220 ready\r\n"), close(), smtp()]) as server:
        result = run_cli("probe", server.target, "--timeout", "5", "--dry-run")
    assert result.returncode == 3, result.stdout + result.stderr
    assert f"ehlo failed: {server.target} closed the connection  (" in result.stdout
