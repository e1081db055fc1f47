"""``ReplyReader``'s fast paths (a whole reply, or one short line, in one read) read every
reply exactly as the line-by-line path does, and are not taken for anything else."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtpdiag.core.replies import MAX_LINE_KEPT, MAX_LINES_KEPT, REDACTED, Redactor, ReplyReader
from smtpdiag.errors import ProtocolError
from smtpdiag.model import Reply


def _bytewise(reader: ReplyReader, data: bytes) -> Reply | None:
    """Feed the first byte, then the rest: never the one-read fast path (a line is under way),
    always the line-by-line one, which leaves what follows the reply in ``trailing``."""
    return reader.feed(data[:1]) or reader.feed(data[1:])


WHOLE_REPLIES = [
    b"250 2.1.0 Ok\r\n",
    b"250 ok\n",
    b"250\r\n",
    b"220 \r\n",
    b"250-a.example\r\n250-PIPELINING\r\n250 SIZE 10240000\r\n",
    b"250-a\n250 b\n",
    b"250-\r\n250 x\r\n",
    b"250-a\r\n250\r\n",
    b"554 5.7.1 no \xff\xfe thanks\r\n",
    b"250 x\r\r\n",
    b"250 " + b"x" * (MAX_LINE_KEPT - 4) + b"\r\n",
    b"".join(b"250-l\r\n" for _ in range(MAX_LINES_KEPT - 1)) + b"250 end\r\n",
    b"535 5.7.8 c2VjcmV0 refused\r\n",
    b"250-mx \xff\r\n250 8BIT\xfe\r\n",  # bytes that are not UTF-8, kept as received
    b"550-2.1.0 an enhanced code of another class\r\n550 is not read\r\n",
]


@pytest.mark.parametrize("secrets", [(), ("c2VjcmV0",)])
@pytest.mark.parametrize("data", WHOLE_REPLIES)
def test_a_whole_reply_in_one_read_takes_the_fast_path_and_reads_as_line_by_line(
        data: bytes, secrets: tuple[str, ...]) -> None:
    fast, slow = ReplyReader(Redactor(secrets)), ReplyReader(Redactor(secrets))
    assert fast._whole(data) is not None
    reply = fast.feed(data)
    assert reply is not None
    assert reply == _bytewise(slow, data)
    assert (fast.full_lines, fast.trailing) == (slow.full_lines, slow.trailing)
    assert fast.feed(b"221 bye\r\n") == Reply(221, ("bye",), None, ("221 bye",))


NOT_WHOLE = [
    b"250-a\r\n",  # no last line
    b"250-a\r\n251 b\r\n",  # mixed codes
    b"250 a\r\n250 b\r\n",  # bytes after the reply
    b"250 a\r\n\r\n",
    b"250 a\n\n",  # a blank line after a one-line reply is not part of its text
    b"250-a\r\n250\tb\r\n",
    b"250xa\r\n",
    b"25\r\n",
    b"\n",
    b"2500 a\r\n",
    b"260 no\r\n",
    b"199 no\r\n",
    b"250 " + b"x" * (MAX_LINE_KEPT - 3) + b"\r\n",  # one byte past what a line keeps
    b"".join(b"250-l\r\n" for _ in range(MAX_LINES_KEPT)) + b"250 end\r\n",
    b"250 ok",  # no line end
]


def _outcome(read: Callable[[], object]) -> object:
    """What a read gives: its reply, or the words of the protocol error it raises."""
    try:
        return read()
    except ProtocolError as exc:
        return str(exc)


@pytest.mark.parametrize("data", NOT_WHOLE)
def test_anything_else_is_left_to_the_line_by_line_path(data: bytes) -> None:
    assert ReplyReader()._whole(data) is None
    whole, slow = ReplyReader(), ReplyReader()
    assert _outcome(lambda: whole.feed(data)) == _outcome(lambda: _bytewise(slow, data))
    assert (whole.full_lines, whole.trailing) == (slow.full_lines, slow.trailing)


def test_the_fast_path_is_not_taken_in_the_middle_of_a_reply() -> None:
    reader = ReplyReader()
    assert reader.feed(b"250-first\r\n250-sec") is None
    assert reader.feed(b"ond\r\n250 last\r\n") == Reply(
        250, ("first", "second", "last"), None, ("250-first", "250-second", "250 last"))
    reader = ReplyReader()
    assert reader.feed(b"250-first\r\n") is None
    assert reader.feed(b"250 last\r\n") == Reply(250, ("first", "last"), None,
                                                 ("250-first", "250 last"))


ONE_LINE_REPLIES = [
    b"250 2.1.0 Ok\r\n",
    b"250\n",
    b"535 5.7.8 c2VjcmV0 refused\r\n",  # a secret echoed: redacted on the fast path too
    b"421 4.3.2 \xc3\xa9t\xe9 \x1b[2J\r\n",  # bad UTF-8 and a control, kept as received
    b"250   2.1.5 spaced\r\n",  # an enhanced code after blanks is still read
    b"550 \xc2\xa05.1.1 after a no-break space\r\n",
    b"250 ok 2.1.0\r\n",  # not at the start: no enhanced code
    b"250 " + b"x" * (MAX_LINE_KEPT - 6) + b"\r\n",  # the longest line it takes
]


@pytest.mark.parametrize("secrets", [(), ("c2VjcmV0",)])
@pytest.mark.parametrize("data", ONE_LINE_REPLIES)
def test_one_short_line_takes_the_one_line_path_and_reads_as_line_by_line(
        data: bytes, secrets: tuple[str, ...]) -> None:
    fast, slow = ReplyReader(Redactor(secrets)), ReplyReader(Redactor(secrets))
    assert fast._one_line(data) is not None
    assert fast.feed(data) == _bytewise(slow, data)
    assert (fast.full_lines, fast.trailing) == (slow.full_lines, slow.trailing)
    if secrets and b"c2VjcmV0" in data:
        assert fast.full_lines == (f"5.7.8 {REDACTED} refused",)


@settings(max_examples=400, deadline=None)
@given(code=st.sampled_from([b"250", b"220", b"554", b"199", b"260", b"25", b"2500", b""]),
       sep=st.sampled_from([b" ", b"-", b"", b"\t", b"x"]),
       text=st.binary(max_size=40).filter(lambda b: b"\n" not in b),
       end=st.sampled_from([b"\r\n", b"\n", b"\r\r\n"]),
       secret=st.sampled_from(["", "ok", "\\xff"]))
def test_any_one_line_read_in_one_read_is_what_the_line_by_line_path_makes(
        code: bytes, sep: bytes, text: bytes, end: bytes, secret: str) -> None:
    """The one-line path and the line-by-line path: the same reply or the same error, the
    same ``full_lines`` and ``trailing``, whatever the line."""
    data = code + sep + text + end
    fast, slow = ReplyReader(Redactor([secret])), ReplyReader(Redactor([secret]))
    assert _outcome(lambda: fast.feed(data)) == _outcome(lambda: _bytewise(slow, data))
    assert (fast.full_lines, fast.trailing) == (slow.full_lines, slow.trailing)
