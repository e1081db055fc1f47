"""``core/replies.py``'s bounds: a line at, one byte over and far past each limit, the lines
kept of a long reply, and ``full_lines``' budget; the edges byte for byte."""

from __future__ import annotations

import pytest

from smtpdiag.core.capabilities import parse_capabilities
from smtpdiag.core.replies import (
    MAX_LINE_BYTES,
    MAX_LINE_KEPT,
    MAX_LINES_KEPT,
    REDACTED,
    Redactor,
    ReplyReader,
    parse_reply,
)
from smtpdiag.errors import ProtocolError
from smtpdiag.model import Reply

# ------------------------------------------------------------------ bounds

def test_a_line_at_the_kept_limit_is_whole() -> None:
    text = b"x" * (MAX_LINE_KEPT - 4)
    reply = parse_reply(b"250 " + text + b"\r\n")
    assert reply.lines == (text.decode(),)
    assert not reply.truncated


def test_a_line_over_the_kept_limit_is_cut_and_flagged() -> None:
    text = b"x" * (MAX_LINE_KEPT - 4)
    reply = parse_reply(b"250 " + text + b"yz\r\n")
    assert reply.lines == (text.decode(),)
    assert reply.raw == ("250 " + text.decode(),)
    assert reply.truncated


def test_one_byte_over_the_kept_limit_is_cut() -> None:
    reply = parse_reply(b"250 " + b"x" * (MAX_LINE_KEPT - 3) + b"\r\n")
    assert reply.lines == ("x" * (MAX_LINE_KEPT - 4),)
    assert reply.truncated
    reply = parse_reply(b"250 " + b"x" * (MAX_LINE_KEPT - 3) + b"\n")
    assert reply.truncated
    reply = parse_reply(b"250 " + b"x" * (MAX_LINE_KEPT - 4) + b"\n")
    assert not reply.truncated


def test_the_carriage_return_does_not_count_against_the_line() -> None:
    # 2,048 bytes of line, then CR: the CR is dropped with the excess, the line is not cut
    reply = parse_reply(b"250 " + b"x" * (MAX_LINE_KEPT - 4) + b"\r\n")
    assert not reply.truncated


def test_a_secret_straddling_the_cut_is_hidden() -> None:
    secret = "TOPSECRETVALUE"
    data = b"535 " + b"x" * (MAX_LINE_KEPT - 4 - 6) + secret.encode() + b"\r\n"
    reply = ReplyReader(Redactor([secret])).feed(data)
    assert reply is not None and reply.truncated
    assert reply.lines[0].endswith(REDACTED)
    assert "TOPSEC" not in reply.lines[0] and "TOPSEC" not in reply.raw[0]


def test_a_cut_line_in_a_multi_line_reply_flags_the_reply() -> None:
    data = b"250-" + b"x" * MAX_LINE_KEPT + b"\r\n250 end\r\n"
    reply = parse_reply(data)
    assert reply.truncated
    assert reply.lines[1] == "end"


def test_a_line_of_max_line_bytes_with_its_cr_is_still_read() -> None:
    reader = ReplyReader()
    assert reader.feed(b"250 " + b"x" * (MAX_LINE_BYTES - 5)) is None
    reply = reader.feed(b"\r\n")
    assert reply is not None and reply.truncated and reply.code == 250


def test_a_line_past_max_line_bytes_without_end_is_refused() -> None:
    reader = ReplyReader(Redactor(["SECRETX"]))
    reader.feed(b"250 SECRETX " + b"x" * (MAX_LINE_BYTES - 12))  # exactly the limit
    with pytest.raises(ProtocolError, match=r"^reply line with no line end in its first 65536 "
                                            r"bytes \(RFC 5321 allows 512 in all\); it began "
                                            r"'250 <redacted> xxxxxxxxxxxxxxxxxxxxxxxxx…'$"):
        reader.feed(b"x")
    # and the reader starts afresh
    assert reader.feed(b"250 ok\r\n") == Reply(250, ("ok",), None, ("250 ok",))


def test_a_long_line_fed_in_many_pieces_is_refused_at_the_same_point() -> None:
    reader = ReplyReader()
    for _ in range(MAX_LINE_BYTES // 4096):
        assert reader.feed(b"x" * 4096) is None
    with pytest.raises(ProtocolError, match="no line end in its first 65536 bytes"):
        reader.feed(b"x")


def test_max_lines_kept_and_the_rest_counted() -> None:
    lines = [f"250-line {i}".encode() for i in range(MAX_LINES_KEPT + 5)]
    reply = parse_reply(b"\r\n".join(lines) + b"\r\n250 last\r\n")
    assert len(reply.raw) == MAX_LINES_KEPT
    assert reply.lines[:MAX_LINES_KEPT] == tuple(f"line {i}" for i in range(MAX_LINES_KEPT))
    assert reply.lines[MAX_LINES_KEPT:] == ("[smtpdiag: 6 further lines not kept]",)
    assert reply.truncated


def test_exactly_max_lines_kept_is_whole() -> None:
    lines = [b"250-l" for _ in range(MAX_LINES_KEPT - 1)] + [b"250 end"]
    reply = parse_reply(b"\r\n".join(lines) + b"\r\n")
    assert len(reply.lines) == MAX_LINES_KEPT
    assert reply.lines[-1] == "end"
    assert not reply.truncated


def test_the_enhanced_code_comes_from_the_first_line() -> None:
    reply = parse_reply(b"550-no code here\r\n550 5.7.1 later\r\n")
    assert reply.enhanced is None



# ------------------------------------------------------------------ full_lines

def test_full_lines_are_empty_before_any_reply() -> None:
    assert ReplyReader().full_lines == ()


def test_full_lines_of_short_lines_are_the_lines() -> None:
    reader = ReplyReader()
    reply = reader.feed(b"250-mx.test\r\n250 SIZE 10\r\n")
    assert reply is not None and reader.full_lines == reply.lines == ("mx.test", "SIZE 10")


def test_cut_lines_are_kept_whole_up_to_the_budget_of_a_reply() -> None:
    """A short line costs nothing; cut lines are kept whole until 262,144 characters are
    spent, the line that reaches the bound is cut there, and any later one keeps its cut."""
    reader = ReplyReader()
    data = (b"250-short\r\n" + b"".join(b"250-" + b"a" * 60_000 + b"\r\n" for _ in range(4))
            + b"250-" + b"b" * 30_000 + b"\r\n" + b"250 " + b"c" * 5_000 + b"\r\n")
    reply = reader.feed(data)
    assert reply is not None and reply.truncated
    assert [len(line) for line in reply.lines] == [5] + [MAX_LINE_KEPT - 4] * 6
    assert reader.full_lines == ("short", *["a" * 60_000] * 4, "b" * 22_144,
                                 "c" * (MAX_LINE_KEPT - 4))


def test_the_budget_starts_again_with_each_reply() -> None:
    reader = ReplyReader()
    long = b"250 " + b"d" * 60_000 + b"\r\n"
    for _ in range(6):
        assert reader.feed(long) is not None
        assert reader.full_lines == ("d" * 60_000,)


def test_a_line_of_exactly_max_line_bytes_fed_in_two_parts_is_kept_whole() -> None:
    reader = ReplyReader()
    data = b"250 " + b"x" * (MAX_LINE_BYTES - 4) + b"\n"
    assert reader.feed(data[:MAX_LINE_BYTES - 1]) is None
    reply = reader.feed(data[MAX_LINE_BYTES - 1:])
    assert reply is not None and reply.truncated
    assert reader.full_lines == ("x" * (MAX_LINE_BYTES - 4),)


def test_keyword_lines_past_the_kept_lines_are_still_read() -> None:
    junk = b"".join(b"250-X-JUNK-%d\r\n" % i for i in range(MAX_LINES_KEPT + 50))
    keywords = b"250-STARTTLS\r\n250-size 100\r\n250-AUTH=LOGIN\r\n250-STARTTLSX\r\n"
    reader = ReplyReader()
    reply = reader.feed(b"250-name\r\n" + junk + keywords + b"250 8BITMIME\r\n")
    assert reply is not None and len(reply.raw) == MAX_LINES_KEPT
    assert reader.full_lines[MAX_LINES_KEPT:] == ("STARTTLS", "size 100", "AUTH=LOGIN",
                                                 "8BITMIME")
    caps = parse_capabilities(reply, reader.full_lines)
    assert (caps.starttls, caps.size, caps.auth, caps.eightbitmime) == (True, 100, ("LOGIN",),
                                                                        True)
    # every other extension is counted: 199 junk lines kept (50 of them in ``other``), 51 junk
    # lines and STARTTLSX past the kept ones, never read
    assert (len(caps.other), caps.other_more) == (50, 149 + 52)
    assert caps.other[-1] == "X-JUNK-49"
    alone = parse_capabilities(reply)  # the reply alone: its note is no extension
    assert alone.other_more == 149 + 56 and not any("smtpdiag" in o for o in alone.other)
    many = ReplyReader()
    many.feed(b"250-name\r\n" + junk + b"250-DSN\r\n" * 30 + b"250 SIZE 5\r\n")
    assert many.full_lines[MAX_LINES_KEPT:] == ("DSN",) * 20  # bounded: 20 such lines at most
