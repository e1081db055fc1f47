"""``core/replies.py``: the reply parser, its bounds and its error messages, byte for byte."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtpdiag.core.capabilities import parse_capabilities
from smtpdiag.core.replies import (
    MAX_FULL_KEPT,
    MAX_LINE_BYTES,
    MAX_LINE_KEPT,
    MAX_LINES_KEPT,
    REDACTED,
    Redactor,
    ReplyReader,
    excerpt,
    parse_enhanced,
    parse_reply,
    parse_reply_text,
    secret_forms,
)
from smtpdiag.errors import ProtocolError
from smtpdiag.model import Reply


def test_bounds() -> None:
    assert (MAX_LINE_BYTES, MAX_LINE_KEPT, MAX_LINES_KEPT) == (65_536, 2_048, 200)
    assert MAX_FULL_KEPT == 262_144
    assert REDACTED == "<redacted>"


# ------------------------------------------------------------------ excerpt

@pytest.mark.parametrize(("data", "limit", "shown"), [
    ("hello", 80, "'hello'"),
    (b"hello", 80, "'hello'"),
    ("a" * 80, 80, "'" + "a" * 80 + "'"),
    ("a" * 81, 80, "'" + "a" * 80 + "…'"),
    ("abcdef", 3, "'abc…'"),
    ("abc", 3, "'abc'"),
    ("a\r\nb\x00\x1f\x7f\x9f", 80, "'a\\x0d\\x0ab\\x00\\x1f\\x7f\\x9f'"),
    ("\x80 \xa0", 80, "'\\x80 \xa0'"),
    ("x\u202ey\u2066\u200e\u200f\u061c\u2028\u2029", 80,
     "'x\\u202ey\\u2066\\u200e\\u200f\\u061c\\u2028\\u2029'"),
    (" ~", 80, "' ~'"),
    (b"\xff\xfe", 80, "'\\xff\\xfe'"),
    ("é", 80, "'é'"),
])
def test_excerpt(data: bytes | str, limit: int, shown: str) -> None:
    assert excerpt(data, limit) == shown


def test_excerpt_default_limit_is_80() -> None:
    assert excerpt("b" * 81) == "'" + "b" * 80 + "…'"
    assert excerpt("b" * 80) == "'" + "b" * 80 + "'"


# ------------------------------------------------------------------ parse_enhanced

@pytest.mark.parametrize(("text", "code", "enhanced"), [
    ("5.7.1 denied", 550, "5.7.1"),
    ("5.7.1", 550, "5.7.1"),
    ("  5.7.1\tdenied", 550, "5.7.1"),
    ("5.123.456 x", 550, "5.123.456"),
    ("5.1234.1 x", 550, None),
    ("5.1.1234 x", 550, None),
    ("5.7.1x denied", 550, None),
    ("5.7 denied", 550, None),
    ("3.0.0 x", 354, None),
    ("4.7.1 x", 550, None),
    ("5.7.1 x", 450, None),
    ("4.7.1 x", 450, "4.7.1"),
    ("2.0.0 ok", 250, "2.0.0"),
    ("2.0.0 ok", None, "2.0.0"),
    ("4.0.0 ok", None, "4.0.0"),
    ("denied 5.7.1", 550, None),
    ("", 550, None),
    ("6.0.0 x", None, None),
    ("5.5.1 x", 500, "5.5.1"),
    ("2.0.0 x", 200, "2.0.0"),
    ("4.0.0 x", 400, "4.0.0"),
])
def test_parse_enhanced(text: str, code: int | None, enhanced: str | None) -> None:
    assert parse_enhanced(text, code) == enhanced


def test_parse_enhanced_defaults_to_any_class() -> None:
    assert parse_enhanced("5.1.1 x") == "5.1.1"


# ------------------------------------------------------------------ Redactor

@pytest.mark.parametrize(("secrets", "text", "cut", "shown"), [
    (["SECRET"], "a SECRET b SECRET", False, "a <redacted> b <redacted>"),
    (["SECRET"], "nothing to hide", False, "nothing to hide"),
    (["SECRET"], "a secret, a Secret", False, "a <redacted>, a <redacted>"),  # in any case
    (["SECRET"], "tail secr", True, "tail <redacted>"),
    (["SECRET"], "tail SECR", True, "tail <redacted>"),
    (["SECRET"], "tail SECR", False, "tail SECR"),
    (["SECRET"], "tail SECRE", True, "tail <redacted>"),
    (["SECRET"], "tail SEC", True, "tail <redacted>"),   # MIN_TAIL: three characters
    (["SECRET"], "tail SE", True, "tail SE"),             # two are too few to tell
    (["SECRET"], "SECRET S", True, "<redacted> S"),
    (["SECRET"], "", True, ""),
    (["AB"], "x A", True, "x A"),                         # one character cannot tell
    (["AB"], "x AB", True, "x <redacted>"),
    (["ABCD", "ABCDEFGH"], "ABCDEFGH", False, "<redacted>"),  # longest first
    (["", "KEY"], "a KEY", False, "a <redacted>"),
    ([], "anything", True, "anything"),
    (["Bxyz", "ABxyz"], "ABxyz", False, "<redacted>"),  # longest first, not last in order
    (["ted>"], "ted>", True, "<redacted>"),  # a whole secret is never taken for a cut one
])
def test_redactor(secrets: list[str], text: str, cut: bool, shown: str) -> None:
    assert Redactor(secrets)(text, cut=cut) == shown


def test_secret_forms_are_every_way_auth_sends_the_password() -> None:
    # base64 of "pw", of "\0me\0pw" (PLAIN for user me), of "\0\0pw" (PLAIN, no user), without
    # padding; hex of each PLAIN string (forms we derive are kept from six characters on), and
    # the base64 forms URL-encoded
    assert secret_forms("pw", ("me", None)) == (
        "pw", "cHc=", "AG1lAHB3", "AABwdw==", "cHc", "AABwdw", "%70%77", "\\x70\\x77",
        "006d65007077", "%00%6d%65%00%70%77", "\\x00\\x6d\\x65\\x00\\x70\\x77",
        "00 6d 65 00 70 77", "00:6d:65:00:70:77", "00007077", "%00%00%70%77",
        "\\x00\\x00\\x70\\x77", "00 00 70 77", "00:00:70:77", "cHc%3D", "AABwdw%3D%3D")
    assert secret_forms("") == () and secret_forms(None, ("me",)) == ()


def test_a_long_password_has_every_form_a_server_may_echo() -> None:
    password = 'hunter2 "Sekr1t"/+?'  # URL-, JSON- and HTML-escaped differently
    forms = secret_forms(password, ("alice",))
    plain = b"\0alice\0" + password.encode()
    assert forms[:3] == (password, base64.b64encode(password.encode()).decode(),
                         base64.b64encode(plain).decode())
    assert base64.urlsafe_b64encode(plain).decode() in forms
    assert plain.hex() in forms and password.encode().hex() in forms
    assert "%" + "%".join(f"{b:02x}" for b in plain) in forms
    assert "hunter2%20%22Sekr1t%22%2F%2B%3F" in forms  # quote
    assert "hunter2+%22Sekr1t%22%2F%2B%3F" in forms  # quote_plus
    assert 'hunter2 \\"Sekr1t\\"/+?' in forms  # in a JSON or Prometheus string
    assert "hunter2 &quot;Sekr1t&quot;/+?" in forms  # in HTML
    # inside any longer base64 text, at each of the three byte offsets
    for prefix in (b"", b"x", b"xy", b"\0someone-else\0", b"user=alice pass="):
        encoded = base64.b64encode(prefix + password.encode() + b" and more").decode()
        assert any(form in encoded for form in forms[3:] if len(form) >= 20), prefix


def test_redactor_defaults() -> None:
    assert Redactor().secrets == ()
    assert Redactor(["b", "", "ccc", "b"]).secrets == ("ccc", "b")
    assert Redactor.MIN_TAIL == 3
    assert Redactor(["SECRET"])("x SECR") == "x SECR"  # cut defaults to False


@pytest.mark.parametrize(("lines", "shown"), [
    # wrapped as servers wrap a long reply: each line led by the enhanced code
    (["5.7.8 you sent ABCD", "5.7.8 EFGH and more"], ["5.7.8 you sent <redacted>",
                                                      "5.7.8 <redacted> and more"]),
    # over three lines, one of them nothing but a piece; trailing space is not part of it
    (["x AB ", "CDEF", "GH y"], ["x <redacted> ", "<redacted>", "<redacted> y"]),
    (["x ab", "cdEFgh y"], ["x <redacted>", "<redacted> y"]),  # in any case
    # raw lines (an unasked text): the code is a lead too
    (["535-AB", "535 CDEFGH"], ["535-<redacted>", "535 <redacted>"]),
    # a piece that only looks like the start: nothing to hide
    (["x ABC", "5.7.8 XYZ"], ["x ABC", "5.7.8 XYZ"]),
    (["ABCDEFGH", "ABCDEFGH"], ["<redacted>", "<redacted>"]),
    (["one line ABCDEFGH"], ["one line <redacted>"]),
    ([], []),
])
def test_a_secret_wrapped_over_lines_is_hidden_in_each(lines: list[str],
                                                       shown: list[str]) -> None:
    assert Redactor(["ABCDEFGH"]).lines(lines) == shown


def test_the_longest_form_is_taken_whole_across_lines() -> None:
    """A form inside another (the password's base64 inside the PLAIN token) never wins over
    the whole one: hiding only the inner one would leave the rest of the token shown."""
    redact = Redactor(["INNER", "xxINNERyy"])
    assert redact.lines(["a xxIN", "NERyy b"]) == ["a <redacted>", "<redacted> b"]
    assert redact("a xxIN\r\nNERyy b") == "a <redacted>\r\n<redacted> b"


def test_lines_cut_short_lose_the_start_of_a_secret() -> None:
    redact = Redactor(["ABCDEFGH"])
    assert redact.lines(["x ABC", "y ABC"], [False, True]) == ["x ABC", "y <redacted>"]
    assert redact("x AB\ncut ABCD", cut=True) == "x AB\ncut <redacted>"
    assert Redactor().lines(["ABC"], [True]) == ["ABC"]


def test_a_reader_hides_a_secret_wrapped_over_a_reply() -> None:
    whole = b"535-5.7.8 sent HUNT\r\n535 5.7.8 er22 no\r\n"
    for chunks in ([whole], [whole[:12], whole[12:30], whole[30:]]):  # fast path, line by line
        reader = ReplyReader(Redactor(["hunter22"]))
        replies = [reply for chunk in chunks if (reply := reader.feed(chunk)) is not None]
        assert replies[0].lines == ("5.7.8 sent <redacted>", "5.7.8 <redacted> no")
        assert replies[0].raw == ("535-5.7.8 sent <redacted>", "535 5.7.8 <redacted> no")
    reader = ReplyReader(Redactor(["hunter22"]))
    assert reader.feed(b"535-sent hun\r\n535-ter22\r\n") is None
    assert reader.pending_lines == ("535-sent <redacted>", "535-<redacted>")


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
    (b"220 caf\xc3\xa9 \xff\r\n", 220, ("café \\xff",), None, ("220 café \\xff",)),
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
    (b"250\tx\r\n", r"^not an SMTP reply line: '250\\x09x'$"),
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
    (b"250-a\r\n251 b\r\n", r"^multi-line reply mixes codes 250 and 251$"),
    (b"250 o", r"^incomplete reply: '250 o'$"),
    (b"250-a\r\n", r"^incomplete reply: '250-a\\x0d\\x0a'$"),
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
    many = ReplyReader()
    many.feed(b"250-name\r\n" + junk + b"250-DSN\r\n" * 30 + b"250 SIZE 5\r\n")
    assert many.full_lines[MAX_LINES_KEPT:] == ("DSN",) * 20  # bounded: 20 such lines at most
