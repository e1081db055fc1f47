"""``core/replies.py``: a server that sends our own command back instead of a reply is called
an echo, in any case, its line end and trailing blanks aside; a line that only looks like another
command is not an SMTP reply line.  The message names what was seen, in full.  Pure."""

from __future__ import annotations

import re

import pytest

from smtpdiag.core.replies import ReplyReader
from smtpdiag.errors import ProtocolError


@pytest.mark.parametrize("echo", [
    b"EHLO client.example\r\n", b"ehlo CLIENT.example\n",
    b"EHLO client.example\r\r\n",  # a stray CR before the line end
    b"EHLO client.example \t\r\n",  # blanks after it: still our command, sent back
])
def test_our_own_command_sent_back_is_an_echo(echo: bytes) -> None:
    reader = ReplyReader()
    reader.sent = b"EHLO client.example"
    shown = echo.removesuffix(b"\n").removesuffix(b"\r").decode()
    with pytest.raises(ProtocolError, match=re.escape(
            f"the server sent our own command back ('{shown}') instead of a reply: an echo, "
            "not an SMTP server")):
        reader.feed(echo)


def test_another_line_after_a_command_is_no_echo() -> None:
    reader = ReplyReader()
    reader.sent = b"EHLO client.example"
    with pytest.raises(ProtocolError, match=r"^not an SMTP reply line: 'EHLO other.example'$"):
        reader.feed(b"EHLO other.example\r\n")


def test_a_reply_that_mixes_codes_quotes_60_characters_of_each_line() -> None:
    reader = ReplyReader()
    reader.feed(b"250-" + b"a" * 70 + b"\r\n")
    with pytest.raises(ProtocolError) as raised:
        reader.feed(b"251 " + b"b" * 70 + b"\r\n")
    assert str(raised.value) == (f"multi-line reply mixes codes 250 and 251 ('250-{'a' * 56}…' "
                                 f"then '251 {'b' * 56}…')")


def test_before_any_command_is_sent_no_line_is_an_echo() -> None:
    reader = ReplyReader()  # the greeting: nothing sent yet
    with pytest.raises(ProtocolError, match=r"^not an SMTP reply line: 'XXXX'$"):
        reader.feed(b"XXXX\r\n")
