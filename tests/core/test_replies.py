"""``core/replies.py``: the reply parser, the replies it reads and the ones it refuses, its error
messages byte for byte.  Its bounds, helpers and fast paths: ``test_reply_*.py`` beside it."""

from __future__ import annotations

import pytest

from smtpdiag.core.replies import (
    MAX_FULL_KEPT,
    MAX_LINE_BYTES,
    MAX_LINE_KEPT,
    MAX_LINES_KEPT,
    REDACTED,
    Redactor,
    ReplyReader,
    parse_reply,
    parse_reply_text,
)
from smtpdiag.errors import ProtocolError
from smtpdiag.model import Reply


def test_bounds() -> None:
    assert (MAX_LINE_BYTES, MAX_LINE_KEPT, MAX_LINES_KEPT) == (65_536, 2_048, 200)
    assert MAX_FULL_KEPT == 262_144
    assert REDACTED == "<redacted>"


# ------------------------------------------------------------------ ReplyReader: good replies

@pytest.mark.parametrize(("data", "code", "lines", "enhanced", "raw"), [
    (b"250 ok\r\n", 250, ("ok",), None, ("250 ok",)),
    (b"250 ok\n", 250, ("ok",), None, ("250 ok",)),
    (b"250\r\n", 250, ("",), None, ("250",)),
    (b"250 \r\n", 250, ("",), None, ("250 ",)),
    (b"250-a\r\n250-b\r\n250 c\r\n", 250, ("a", "b", "c"), None, ("250-a", "250-b", "250 c")),
    (b"250-a\n250 c\n", 250, ("a", "c"), None, ("250-a", "250 c")),
    (b"550 5.7.1 no\r\n", 550, ("5.7.1 no",), "5.7.1", ("550 5.7.1 no",)),
    (b"550-5.7.1 first\r\n550 5.1.1 second\r\n", 550, ("5.7.1 first", "5.1.1 second"), "5.7.1",
     ("550-5.7.1 first", "550 5.1.1 second")),
    (b"550 4.7.1 class mismatch\r\n", 550, ("4.7.1 class mismatch",), None,
     ("550 4.7.1 class mismatch",)),
    (b"220 caf\xc3\xa9 \xff\r\n", 220, ("café \udcff",), None, ("220 café \udcff",)),
    (b"250 a\rb\r\n", 250, ("a\rb",), None, ("250 a\rb",)),
    (b"250 x\r\r\n", 250, ("x\r",), None, ("250 x\r",)),
    (b"559 x\r\n", 559, ("x",), None, ("559 x",)),
    (b"200 x\r\n", 200, ("x",), None, ("200 x",)),
])
def test_parse_reply(data: bytes, code: int, lines: tuple[str, ...], enhanced: str | None,
                     raw: tuple[str, ...]) -> None:
    assert parse_reply(data) == Reply(code, lines, enhanced, raw, truncated=False)


def test_feed_in_pieces_and_reuse() -> None:
    reader = ReplyReader()
    assert reader.feed(b"25") is None
    assert reader.feed(b"0-first\r") is None
    assert reader.feed(b"\n250 sec") is None
    reply = reader.feed(b"ond\r\n")
    assert reply == Reply(250, ("first", "second"), None, ("250-first", "250 second"))
    assert reader.feed(b"354 go\n") == Reply(354, ("go",), None, ("354 go",))


def test_bytes_after_a_reply_are_kept_as_trailing_not_parsed() -> None:
    reader = ReplyReader()
    reply = reader.feed(b"250 ok\r\n250 injected\r\n")
    assert reply is not None and reply.lines == ("ok",)
    assert reader.trailing == b"250 injected\r\n"
    reader.feed(b"250 again\r\n")
    assert reader.trailing == b""
    reader.feed(b"250 ok\r\n" + b"x" * (MAX_LINE_KEPT + 10))
    assert reader.trailing == b"x" * MAX_LINE_KEPT


def test_memory_stays_bounded_while_a_line_grows() -> None:
    reader = ReplyReader()
    for _ in range(8):
        assert reader.feed(b"x" * 4000) is None
    assert len(reader._partial) == 32_000  # a long line is kept whole, for its keywords...
    with pytest.raises(ProtocolError, match=f"no line end in its first {MAX_LINE_BYTES} bytes"):
        for _ in range(30):  # ...up to the bound, and no further
            reader.feed(b"x" * 4000)
    assert len(reader._partial) == 0


def test_a_line_at_the_kept_limit_fed_in_two_pieces_is_whole() -> None:
    reader = ReplyReader()
    assert reader.feed(b"250 " + b"x" * (MAX_LINE_KEPT - 4)) is None
    reply = reader.feed(b"\r\n")
    assert reply is not None and not reply.truncated
    assert reply.lines == ("x" * (MAX_LINE_KEPT - 4),)


def test_a_new_reader_has_nothing_trailing() -> None:
    assert ReplyReader().trailing == b""


def test_clear_forgets_a_partial_reply() -> None:
    reader = ReplyReader()
    assert reader.feed(b"250-one\r\n250-tw") is None
    reader.clear()
    assert reader.feed(b"220 fresh\r\n") == Reply(220, ("fresh",), None, ("220 fresh",))


def test_after_an_error_the_reader_starts_afresh() -> None:
    reader = ReplyReader()
    reader.feed(b"250-one\r\n")
    with pytest.raises(ProtocolError, match="mixes codes 250 and 550"):
        reader.feed(b"550 two\r\n")
    assert reader.feed(b"221 bye\r\n") == Reply(221, ("bye",), None, ("221 bye",))
    with pytest.raises(ProtocolError, match="not an SMTP reply line"):
        reader.feed(b"250-x\r\nhello\r\n")
    assert reader.feed(b"250 y\r\n") == Reply(250, ("y",), None, ("250 y",))


# ------------------------------------------------------------------ ReplyReader: refusals

@pytest.mark.parametrize(("data", "message"), [
    (b"hello\r\n", r"^not an SMTP reply line: 'hello'$"),
    (b"\r\n", r"^not an SMTP reply line: ''$"),
    (b"250x\r\n", r"^not an SMTP reply line: '250x'$"),
    (b"250\tx\r\n", "^not an SMTP reply line: '250\tx'$"),  # escaped where shown
    (b"25\r\n", r"^not an SMTP reply line: '25'$"),
    (b"abc 250\r\n", r"^not an SMTP reply line: 'abc 250'$"),
    (b"199 x\r\n", r"^reply code 199 is not an SMTP code \(2xx to 5xx, second digit 0 to 5\)$"),
    (b"600 x\r\n", r"^reply code 600 is not an SMTP code"),
    (b"260 x\r\n", r"^reply code 260 is not an SMTP code"),
    (b"299 x\r\n", r"^reply code 299 is not an SMTP code"),
    (b"160\r\n", r"^reply code 160 is not an SMTP code"),
    (b"099-x\r\n", r"^reply code 099 is not an SMTP code"),
    (b"2500 x\r\n", r"^reply code '2500' is not three digits long$"),
    (b"12345678901234567890\r\n", r"^reply code '123456789012…' is not three digits long$"),
    (b"2500x\r\n", r"^not an SMTP reply line: '2500x'$"),
    (b"250-a\r\n251 b\r\n", r"^multi-line reply mixes codes 250 and 251 \('250-a' then "
                             r"'251 b'\)$"),  # the lines quoted: what was seen
    (b"250 o", r"^incomplete reply: '250 o'$"),
    (b"250-a\r\n", "^incomplete reply: '250-a\r\n'$"),
    (b"", r"^incomplete reply: ''$"),
])
def test_parse_reply_refuses(data: bytes, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        parse_reply(data)


def test_an_error_quotes_the_line_with_secrets_hidden() -> None:
    reader = ReplyReader(Redactor(["hunter22"]))
    with pytest.raises(ProtocolError, match=r"^not an SMTP reply line: 'pw <redacted> x'$"):
        reader.feed(b"pw hunter22 x\r\n")
    with pytest.raises(ProtocolError, match=r"^reply code '<redacted>' is not"):
        ReplyReader(Redactor(["2500"])).feed(b"2500 x\r\n")


def test_a_reader_without_a_redactor_keeps_text_as_is() -> None:
    assert ReplyReader().redact("hunter22") == "hunter22"


def test_secrets_are_redacted_in_lines_and_raw() -> None:
    reader = ReplyReader(Redactor(["AHVzZXIA"]))
    reply = reader.feed(b"535-bad AHVzZXIA\r\n535 5.7.8 AHVzZXIA again\r\n")
    assert reply == Reply(535, ("bad <redacted>", "5.7.8 <redacted> again"), None,
                          ("535-bad <redacted>", "535 5.7.8 <redacted> again"))


# ------------------------------------------------------------------ parse_reply_text

@pytest.mark.parametrize(("text", "replies"), [
    ("550 5.1.1 no such user", [Reply(550, ("5.1.1 no such user",), "5.1.1",
                                      ("550 5.1.1 no such user",))]),
    ("550", [Reply(550, ("",), None, ("550",))]),
    ("  550 x  ", [Reply(550, ("x",), None, ("550 x",))]),
    ("550-5.7.1 a\n550 b", [Reply(550, ("5.7.1 a", "b"), "5.7.1", ("550-5.7.1 a", "550 b"))]),
    ("550 5.7.1 a\nwrapped text\n", [Reply(550, ("5.7.1 a", "wrapped text"), "5.7.1",
                                            ("550 5.7.1 a", "wrapped text"))]),
    ("421 busy\n\n550 no", [Reply(421, ("busy",), None, ("421 busy",)),
                             Reply(550, ("no",), None, ("550 no",))]),
    ("250-a\n251 b", [Reply(250, ("a", "b"), None, ("250-a", "251 b"))]),
    ("\n\n550 x\n\n", [Reply(550, ("x",), None, ("550 x",))]),
    ("550 4.7.1 mismatch", [Reply(550, ("4.7.1 mismatch",), None, ("550 4.7.1 mismatch",))]),
])
def test_parse_reply_text(text: str, replies: list[Reply]) -> None:
    assert parse_reply_text(text) == replies


@pytest.mark.parametrize(("text", "message"), [
    ("", r"^no SMTP reply code found in empty input$"),
    ("\n  \n", r"^no SMTP reply code found in empty input$"),
    ("hello\n550 x", r"^no SMTP reply code found in 'hello'$"),
    ("600 x", r"^no SMTP reply code found in '600 x'$"),
    ("199 x", r"^no SMTP reply code found in '199 x'$"),
    ("260 x", r"^no SMTP reply code found in '260 x'$"),
    ("2500 x", r"^no SMTP reply code found in '2500 x'$"),
    ("550x", r"^no SMTP reply code found in '550x'$"),
])
def test_parse_reply_text_refuses(text: str, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        parse_reply_text(text)
