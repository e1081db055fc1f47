"""``core/replies.py``'s helpers for what is shown of a reply: ``excerpt`` (a quoted and cut
piece of hostile text, escaped where shown), ``parse_enhanced`` and the ``Redactor`` that hides
secrets."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtpdiag.core.replies import Redactor, excerpt, parse_enhanced, secret_forms
from smtpdiag.render.doc import clean

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
    ("\\x1b \x1b", 80, "'\\\\x1b \\x1b'"),
    (b"\\xff \xff", 80, "'\\\\xff \\xff'"),
])
def test_excerpt(data: bytes | str, limit: int, shown: str) -> None:
    """Quoted and cut here; escaped once, where it is shown (a byte that is not UTF-8 kept as
    the byte until then, so that it shows as ``\\xff`` and a spelt ``\\xff`` as ``\\\\xff``)."""
    assert clean(excerpt(data, limit)) == shown


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


_RFC3463_AT_START = re.compile(r"([245])\.([0-9]{1,3})\.([0-9]{1,3})(?=\s|$)")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="245013.9x \t\n\u2003\x1c\u0662", max_size=12),
       st.sampled_from([None, 250, 450, 550, 221, 354]))
def test_parse_enhanced_is_the_pattern_whether_kept_or_not(text: str, code: int | None) -> None:
    """What a reply text's start says, read by the pattern itself: the texts without a dot in
    second place that ``parse_enhanced`` never matches, and the answers it keeps for a text seen
    before, change nothing (asked twice: the second answer is the kept one)."""
    match = _RFC3463_AT_START.match(text.lstrip())
    wanted = match.group(0) if match and (
        code is None or int(match.group(1)) == code // 100) else None
    assert parse_enhanced(text, code) == wanted
    assert parse_enhanced(text, code) == wanted


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
    # the base64 forms URL-encoded (more forms: tests/core/test_secrets.py)
    assert secret_forms("pw", ("me", None)) == (
        "pw", "cHc=", "AG1lAHB3", "AABwdw==", "cHc", "AABwdw", "%70%77", "\\x70\\x77",
        "006d65007077", "%00%6d%65%00%70%77", "\\x00\\x6d\\x65\\x00\\x70\\x77",
        "00 6d 65 00 70 77", "00:6d:65:00:70:77", "00007077", "%00%00%70%77",
        "\\x00\\x00\\x70\\x77", "00 00 70 77", "00:00:70:77", "cHc%3D", "AABwdw%3D%3D")
    assert secret_forms("") == () and secret_forms(None, ("me",)) == ()


def test_redactor_defaults() -> None:
    assert Redactor().secrets == ()
    assert Redactor(["b", "", "ccc", "b"]).secrets == ("ccc", "b")
    assert Redactor.MIN_TAIL == 3
    assert Redactor(["SECRET"])("x SECR") == "x SECR"  # cut defaults to False
