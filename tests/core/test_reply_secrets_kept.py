"""``core/replies.py`` with secrets to hide (a password given to probe): a reply of several
lines is read as one text, and what it keeps is hidden as a one-line reply's is — the start
of a secret at a line's cut, a secret the server wrapped over two lines, in the reply's lines
and in ``full_lines`` (where EHLO's keywords are read) alike — while an over-long line's
keywords past its cut are still read.  And an enhanced code of another class than the reply's
is not the reply's, on every path.  Pure."""

from __future__ import annotations

import pytest

from smtpdiag.core.replies import MAX_LINE_KEPT, REDACTED, Redactor, ReplyReader

SECRET = "s3cretpassword"


def _read(data: bytes, bytewise: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    reader = ReplyReader(Redactor([SECRET]))
    reply = (reader.feed(data[:1]) or reader.feed(data[1:])) if bytewise else reader.feed(data)
    assert reply is not None
    return reply.lines, reader.full_lines


@pytest.mark.parametrize("bytewise", [False, True])
def test_a_secret_begun_at_a_cut_line_end_is_hidden_and_the_whole_line_still_read(
        bytewise: bool) -> None:
    head = "x" * (MAX_LINE_KEPT - 4 - 4)  # the line keeps "s3cr" of the secret at its cut
    data = f"250-{head}{SECRET} AUTH PLAIN\r\n250 OK\r\n".encode()
    lines, full = _read(data, bytewise)
    assert lines == (head + REDACTED, "OK")
    assert full == (f"{head}{REDACTED} AUTH PLAIN", "OK")


@pytest.mark.parametrize("bytewise", [False, True])
def test_a_secret_wrapped_over_two_lines_is_hidden_in_both(bytewise: bool) -> None:
    lines, full = _read(f"535-5.7.8 bad {SECRET[:6]}\r\n535 5.7.8 {SECRET[6:]} no\r\n".encode(),
                        bytewise)
    assert lines == full == (f"5.7.8 bad {REDACTED}", f"5.7.8 {REDACTED} no")


@pytest.mark.parametrize("bytewise", [False, True])
@pytest.mark.parametrize(("data", "enhanced"), [
    (b"550-2.1.0 not this class\r\n550 5.1.1 nor a later line\r\n", None),
    (b"550-5.1.1 this one\r\n550 user unknown\r\n", "5.1.1"),
])
def test_an_enhanced_code_is_read_only_in_the_replys_class(data: bytes, enhanced: str | None,
                                                           bytewise: bool) -> None:
    reader = ReplyReader()
    reply = (reader.feed(data[:1]) or reader.feed(data[1:])) if bytewise else reader.feed(data)
    assert reply is not None and reply.enhanced == enhanced
