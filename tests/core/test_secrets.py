"""``core/secrets.py``: every form of the password a server may echo, and the redactor reading
a reply's lines as one, so that a secret wrapped over them is hidden in each line it touches."""

from __future__ import annotations

import base64
import html
import json

import pytest

from smtpdiag.core.replies import ReplyReader
from smtpdiag.core.secrets import Redactor, secret_forms


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




@pytest.mark.parametrize(("password", "text", "shown"), [
    # a tiny password: hidden as a whole word in the case sent, never inside others
    ("ok", "250 Ok", "250 Ok"),
    ("ok", "250 2.0.0 OK token broken", "250 2.0.0 OK token broken"),
    ("ok", "535 5.7.8 password ok refused", "535 5.7.8 password <redacted> refused"),
    ("ok", "535 pw=ok;", "535 pw=<redacted>;"),
    ("a", "250 a b c", "250 <redacted> b c"),
    ("a", "250 2.1.0 sender accepted", "250 2.1.0 sender accepted"),
    ("Ok", "250 Ok", "250 <redacted>"),  # the very word, in its case: it may be the echo
    # four or five characters: a whole word in any case, never inside a word
    ("pass", "535 PASS is wrong", "535 <redacted> is wrong"),
    ("pass", "250 password accepted, passed", "250 password accepted, passed"),
    # six or seven: inside a word too, in the case sent (a base64 part is that short)
    ("passwd", "535 xxpasswdyy and PASSWD", "535 xx<redacted>yy and <redacted>"),
    ("passwd", "535 xxPASSWDyy", "535 xxPASSWDyy"),
    # eight and more: anywhere, in any case
    ("hunter22", "535 xxHUNTER22yy", "535 xx<redacted>yy"),
])
def test_a_short_secret_hides_its_echo_without_mangling_ordinary_words(
        password: str, text: str, shown: str) -> None:
    assert Redactor(secret_forms(password, ("alice",)))(text) == shown


def test_a_tiny_password_leaves_the_replies_of_a_session_readable() -> None:
    redact = Redactor(secret_forms("ok", ("alice@example.test",)))
    for line in ("220 mx.example.com ESMTP Postfix", "250-mx.example.com Hello", "250 OK",
                 "235 2.7.0 Authentication successful", "250 2.0.0 Ok: queued as 4Bok1"):
        assert redact(line) == line
    assert redact("535 5.7.8 you sent b2s= and AGFsaWNlQGV4YW1wbGUudGVzdABvaw==") == \
        "535 5.7.8 you sent <redacted> and <redacted>"


@pytest.mark.parametrize("prefix", [b"", b"x", b"xy", b"user=alice pass=", b"\0someone\0"])
def test_inside_longer_base64_every_character_of_the_password_alone_is_hidden(
        prefix: bytes) -> None:
    """Each base64 character carries six bits: those made of the password's bits alone are
    hidden, however the password falls among the text's bytes; the one or two characters that
    mix in a neighbour's bits stay, as they reveal at most a few bits."""
    password = "correct horse!"
    encoded = base64.b64encode(prefix + password.encode() + b"Z and more").decode()
    low, high = len(prefix) * 8, (len(prefix) + len(password)) * 8
    own = [i for i in range(len(encoded)) if 6 * i >= low and 6 * i + 6 <= high]
    shown = Redactor(secret_forms(password))(encoded)
    assert shown == encoded[:own[0]] + "<redacted>" + encoded[own[-1] + 1:]


def test_a_password_escaped_for_json_or_html_is_hidden() -> None:
    password = "a&b<c>d'e\"f\\g"
    redact = Redactor(secret_forms(password))
    assert redact(f"echo {json.dumps(password)}") == 'echo "<redacted>"'
    assert redact(f"<p>{html.escape(password)}</p>") == "<p><redacted></p>"


def test_text_that_only_starts_like_the_passwords_base64_is_left_alone() -> None:
    # "pwW" is "cHdX" in base64, unpadded: no shorter form of it is a secret
    redact = Redactor(secret_forms("pwW"))
    assert redact("cHdX, cHdY and cHd") == "<redacted>, cHdY and cHd"


def test_a_secret_that_begins_another_in_another_case_leaves_none_of_the_longer_shown() -> None:
    assert Redactor(["ABCDEF", "abc"])("x abcdef y") == "x <redacted> y"


def test_text_cut_right_after_the_start_of_a_secret_is_hidden() -> None:
    assert Redactor(["SECRET"])("SEC", cut=True) == "<redacted>"
    assert Redactor(["SECRET"])("SE", cut=True) == "SE"  # under three characters: noise


@pytest.mark.parametrize(("lines", "shown"), [
    # the secret starts the first line: nothing there is a lead, even what looks like a code
    (["300-spar", "5.7.8 tans no"], ["<redacted>", "5.7.8 <redacted> no"]),
    (["ABCD", "EFGH y"], ["<redacted>", "<redacted> y"]),
    # a line holding the end of one secret and the start of the next
    (["x ABCD", "EFGH y ABCD", "EFGH"], ["x <redacted>", "<redacted> y <redacted>",
                                         "<redacted>"]),
])
def test_a_secret_at_the_first_character_and_two_in_one_line_are_hidden(
        lines: list[str], shown: list[str]) -> None:
    assert Redactor(["ABCDEFGH", "300-spartans"]).lines(lines) == shown


def test_a_reply_whose_text_starts_with_a_wrapped_secret_hides_it() -> None:
    reader = ReplyReader(Redactor(["300-spartans"]))
    reply = reader.feed(b"535-300-spar\r\n535 tans\r\n")
    assert reply is not None
    assert reply.lines == ("<redacted>", "<redacted>")
    assert reply.raw == ("535-<redacted>", "535 <redacted>")
