"""``core/capabilities.py``: every EHLO keyword read into its field, and the near misses.

The first line of an EHLO reply is the server's name and never an extension; case and spacing
vary; SIZE takes 1 to 20 ASCII digits; AUTH takes SASL names (RFC 4422 §3.1: up to 20 of
``A-Z 0-9 - _``), once each, also in the old ``AUTH=`` form; anything else is kept, cut at 200
characters, at most 50 lines of it.
"""

from __future__ import annotations

import pytest

from smtpdiag.core.capabilities import parse_capabilities
from smtpdiag.model import Capabilities, Reply


def caps(*lines: str) -> Capabilities:
    return parse_capabilities(Reply(250, ("mx.test greets you", *lines)))


@pytest.mark.parametrize(("line", "field"), [
    ("PIPELINING", "pipelining"), ("8BITMIME", "eightbitmime"), ("SMTPUTF8", "smtputf8"),
    ("CHUNKING", "chunking"), ("DSN", "dsn"), ("ENHANCEDSTATUSCODES", "enhancedstatuscodes"),
    ("STARTTLS", "starttls"), ("starttls", "starttls"), ("  Pipelining  ", "pipelining"),
    ("DSN extra words", "dsn"),
])
def test_each_flag_sets_its_field_only(line: str, field: str) -> None:
    assert caps(line) == Capabilities(**{field: True})  # type: ignore[arg-type]


def test_the_first_line_is_the_name_not_an_extension() -> None:
    assert parse_capabilities(Reply(250, ("STARTTLS",))) == Capabilities()
    assert parse_capabilities(Reply(250, ("PIPELINING", "DSN"))) == Capabilities(dsn=True)


def test_empty_lines_are_skipped_not_kept() -> None:
    assert caps("", "   ", "DSN") == Capabilities(dsn=True)


@pytest.mark.parametrize(("line", "size"), [
    ("SIZE 35882577", 35882577), ("size 1", 1), ("SIZE 0", 0), ("SIZE", 0),
    ("SIZE " + "9" * 20, int("9" * 20)), ("SIZE 1 2", 1),
])
def test_size(line: str, size: int) -> None:
    assert caps(line) == Capabilities(size=size)


@pytest.mark.parametrize("line", ["SIZE " + "9" * 21, "SIZE 12a", "SIZE -5", "SIZE ²"])
def test_a_size_that_is_no_number_is_kept_as_said(line: str) -> None:
    """The extension is there (no stated limit, as SIZE alone), and its line is kept among the
    others, so what the server said is shown rather than "no limit"."""
    assert caps(line) == Capabilities(size=0, other=(line,))


def test_without_size_it_is_none() -> None:
    assert caps("DSN").size is None


@pytest.mark.parametrize(("lines", "auth"), [
    (("AUTH PLAIN LOGIN",), ("PLAIN", "LOGIN")),
    (("AUTH PLAIN PLAIN LOGIN",), ("PLAIN", "LOGIN")),            # once, within a line too
    (("AUTH=LOGIN LOGIN",), ("LOGIN",)),
    (("auth plain cram-md5",), ("PLAIN", "CRAM-MD5")),
    (("AUTH PLAIN", "AUTH LOGIN PLAIN"), ("PLAIN", "LOGIN")),     # once each
    (("AUTH PLAIN", "AUTH=PLAIN LOGIN"), ("PLAIN", "LOGIN")),
    (("AUTH=LOGIN PLAIN",), ("LOGIN", "PLAIN")),                  # old form, glued
    (("AUTH= LOGIN",), ("LOGIN",)),                               # old form, spaced
    (("AUTH=LOGIN", "AUTH LOGIN XOAUTH2"), ("LOGIN", "XOAUTH2")),
    (("AUTH SCRAM_SHA_1 " + "A" * 20 + " " + "B" * 21,), ("SCRAM_SHA_1", "A" * 20)),
    (("AUTH PL\x01AIN LOGIN",), ("LOGIN",)),
    (("AUTH PLAIN! GSS API",), ("GSS", "API")),
    (("AUTH",), ()),
])
def test_auth_mechanisms(lines: tuple[str, ...], auth: tuple[str, ...]) -> None:
    assert caps(*lines) == Capabilities(auth=auth)


def test_other_lines_are_kept_stripped_and_cut() -> None:
    got = caps("  X-EXPS GSSAPI NTLM  ", "VRFY", "X" * 250, "AUTHX PLAIN")
    assert got == Capabilities(other=("X-EXPS GSSAPI NTLM", "VRFY", "X" * 200, "AUTHX PLAIN"))


def test_at_most_fifty_other_lines() -> None:
    lines = [f"X-{n}" for n in range(60)]
    assert caps(*lines).other == tuple(lines[:50])


def test_whole_lines_given_apart_are_read_instead_of_the_reply_lines() -> None:
    reply = Reply(250, ("name", "X-CUT"))
    whole = parse_capabilities(reply, ["name", "STARTTLS", "SIZE 10"])
    assert whole == Capabilities(size=10, starttls=True)
    assert parse_capabilities(reply, []) == Capabilities()
    assert parse_capabilities(reply, None) == Capabilities(other=("X-CUT",))


def test_the_summary_counts_every_extension_it_does_not_name() -> None:
    from smtpdiag.render.report_view import _caps

    lines = ("mx.test", *(f"X-EXT-{i}" for i in range(60)), "[smtpdiag: 40 further lines not kept]")
    caps = parse_capabilities(Reply(250, lines, None, (), True))
    assert (len(caps.other), caps.other_more) == (50, 10 + 40)
    assert _caps(caps).endswith(" · X-EXT-11 · 88 more")  # 12 named, 38 + 10 + 40 not
    assert _caps(parse_capabilities(Reply(250, ("mx.test", "X-A"), None, (), False))) == "X-A"
