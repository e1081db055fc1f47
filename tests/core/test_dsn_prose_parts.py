"""``core/dsn.py``: which parts of a prose bounce (one without a delivery-status report) are
read as its words — the text parts up to the returned message, not an attachment, not an HTML
copy of a text already read, not a part that is not text — and whether each recipient it lists
is a final failure.  Asserted as ``read_message`` gives them.  Pure.
"""

from __future__ import annotations

import base64
from email import message_from_string

from smtpdiag.core.dsn import _prose, read_message

PROSE = b"Your message could not be delivered to <ann@example.org>.\n"
LATER = b"452 4.2.2 <ann@example.org>: mailbox full\n"  # words a part not to be read holds


def _bounce(*parts: bytes, kind: bytes = b"mixed") -> bytes:
    """A multipart bounce of the given parts (each its headers, a blank line and a body)."""
    body = b"".join(b"--B\n" + part + b"\n" for part in parts)
    return (b"From: MAILER-DAEMON@mx.example.net\nTo: bob@example.net\nSubject: failure\n"
            b"MIME-Version: 1.0\nContent-Type: multipart/" + kind + b'; boundary="B"\n\n'
            + body + b"--B--\n")


def _text(body: bytes, kind: bytes = b"text/plain", *headers: bytes) -> bytes:
    return b"Content-Type: " + kind + b"\n" + b"".join(h + b"\n" for h in headers) + b"\n" + body


def _read(data: bytes) -> tuple[str | None, int | None, str, bool]:
    (found,) = read_message(data)
    return found.recipient, found.diagnostic.code, found.diagnostic.message, found.final


def test_the_prose_alone_is_read_when_nothing_else_is_text() -> None:
    assert _read(_bounce(_text(PROSE))) == (
        "ann@example.org", None, "Your message could not be delivered to <ann@example.org>.",
        True)


def test_the_words_stop_where_the_returned_headers_begin() -> None:
    for headers in (b"text/rfc822-headers", b"message/rfc822-headers"):
        data = _bounce(_text(PROSE), _text(b"From: bob@example.net\nSubject: hi\n", headers),
                       _text(LATER))
        assert _read(data)[1] is None, headers  # the part after the returned headers: unread


def test_a_text_part_after_the_returned_headers_is_not_read_either() -> None:
    data = _bounce(_text(PROSE), _text(b"Subject: " + LATER, b"text/rfc822-headers"))
    assert _read(data)[1] is None


def test_an_attached_text_and_a_part_that_is_not_text_are_not_read() -> None:
    attached = _text(LATER, b"text/plain", b'Content-Disposition: attachment; filename="l.txt"')
    assert _read(_bounce(_text(PROSE), attached))[1] is None
    assert _read(_bounce(_text(PROSE), _text(LATER, b"application/octet-stream")))[1] is None
    inline = _text(LATER, b"text/plain", b"Content-Disposition: inline")
    assert _read(_bounce(_text(PROSE), inline))[1] == 452  # inline text is read


def test_an_html_copy_of_the_text_is_skipped_and_the_parts_after_it_still_read() -> None:
    html = _text(b"<p>" + LATER + b"</p>", b"text/html")
    alternative = b'Content-Type: multipart/alternative; boundary="A"\n\n--A\n' + _text(PROSE) \
        + b"\n--A\n" + html + b"\n--A--\n"
    assert _read(_bounce(alternative))[1] is None  # the HTML copy's 452 is not read
    after = _text(b"550 5.1.1 <ann@example.org>: no such user\n")
    assert _read(_bounce(alternative, after))[1] == 550


def test_an_html_only_bounce_is_read_from_its_html() -> None:
    html = _text(b"<p>" + LATER + b"</p>", b"text/html")
    assert _read(_bounce(html))[1] == 452


def test_a_base64_part_with_crlf_line_ends_reads_as_lines() -> None:
    encoded = base64.b64encode(b"Delivery failed.\r\n\r\n550 5.1.1 <ann@example.org>:\r\n"
                               b"    no such user here\r\n")
    found = read_message(_bounce(_text(encoded, b"text/plain",
                                       b"Content-Transfer-Encoding: base64")))
    assert [(f.recipient, f.diagnostic.code, f.diagnostic.message) for f in found] == [
        ("ann@example.org", 550, "<ann@example.org>: no such user here")]


def test_every_recipient_of_a_prose_bounce_is_final_unless_it_will_be_tried_again() -> None:
    listed = (b"<ann@example.org>: 550 5.1.1 no such user\n"
              b"<cy@example.org>: 550 5.1.1 no such user\n")
    failed = read_message(_bounce(_text(b"Delivery failed.\n\n" + listed)))
    assert [(f.recipient, f.final) for f in failed] == [("ann@example.org", True),
                                                        ("cy@example.org", True)]
    delayed = read_message(_bounce(_text(b"Delivery is delayed; we will keep trying.\n\n"
                                         + listed)))
    assert [(f.recipient, f.final) for f in delayed] == [("ann@example.org", False),
                                                         ("cy@example.org", False)]


def test_a_text_part_in_a_broken_or_unknown_transfer_encoding_is_read_as_it_is() -> None:
    words = b"550 5.1.1 <ann@example.org>: no such user"
    broken = {  # not uuencode, a bad =-escape, not UTF-8; base64 without its padding
        b"x-uuencode": words + b" \xff=\n=ZZ\n", b"quoted-printable": words + b" \xff=\n=ZZ\n",
        b"x-made-up": words + b" \xff\n", b"8bit": words + b" \xff\n",
        b"base64": base64.b64encode(words + b" here\n").rstrip(b"=") + b"\n",
    }
    for encoding, body in broken.items():
        data = _bounce(_text(body, b"text/plain; charset=utf-8",
                             b"Content-Transfer-Encoding: " + encoding))
        (found,) = read_message(data)
        assert (found.recipient, found.diagnostic.code) == ("ann@example.org", 550), encoding
        assert found.diagnostic.message.startswith("<ann@example.org>: no such user"), encoding


def test_the_returned_copy_is_looked_for_from_the_second_character() -> None:
    """``_prose`` itself (``read_message`` reads an empty prose again from the raw body, which
    is cut the same way): a text that starts with a returned-copy marker keeps it (there would
    be nothing left); one whose second line starts with it is cut there."""
    text = "Return-Path: <x@example.org>\nhello\n"
    assert _prose(message_from_string(f"Content-Type: text/plain\n\n{text}")) == text
    assert _prose(message_from_string(f"Content-Type: text/plain\n\n\n{text}")) == "\n"
