"""``core/transfer.py``: a body read as its writer meant it, and a message nesting too many
parts read as one text part that keeps its headers and its 8-bit bytes.  Pure."""

from __future__ import annotations

import base64

import pytest

from smtpdiag.core.dsn import read_message
from smtpdiag.core.transfer import MAX_CONTAINERS, parsed_message

HEAD = (b"From: MAILER-DAEMON@mx.example.net\nTo: bob@example.net\n"
        b"Subject: failure notice\nMIME-Version: 1.0\n")
REPLY = "550 5.1.1 <ann@example.org>: Benutzer unbekannt, désolé\n".encode()


def _nested(depth: int, reply: bytes = REPLY) -> bytes:
    opened = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (n, n)
                      for n in range(depth))
    closed = b"".join(b"\n--b%d--\n" % n for n in reversed(range(depth)))
    return HEAD + opened + b"Content-Type: text/plain; charset=utf-8\n\n" + reply + closed


def test_too_deep_a_message_keeps_its_headers_and_drops_its_mime_ones() -> None:
    flat = parsed_message(_nested(MAX_CONTAINERS + 1))
    assert flat.items() == [("From", "MAILER-DAEMON@mx.example.net"), ("To", "bob@example.net"),
                            ("Subject", "failure notice")]
    assert flat.get_content_type() == "text/plain" and not flat.is_multipart()
    # its own MIME headers anywhere among the others, the last of them not one
    head, _, body = _nested(MAX_CONTAINERS + 1).partition(b"\n\n")
    flat = parsed_message(head + b"\nContent-Transfer-Encoding: 7bit\nX-Seen: yes\n\n" + body)
    assert flat.items()[-1] == ("X-Seen", "yes") and len(flat.items()) == 4


def test_too_deep_a_message_with_8bit_text_is_read_in_utf8() -> None:
    (found,) = read_message(_nested(MAX_CONTAINERS + 1))
    assert (found.recipient, found.diagnostic.code) == ("ann@example.org", 550)
    assert found.diagnostic.message == "<ann@example.org>: Benutzer unbekannt, désolé"


@pytest.mark.parametrize("line_end", [b"\n", b"\r\n"])
def test_a_forwarded_bounce_nesting_too_deep_is_read_with_its_8bit_text(line_end: bytes) -> None:
    # it was read again from as_bytes(), which could not write its text back: the reply lost;
    # saved with CRLF, its body is found after its headers all the same
    saved = base64.encodebytes(_nested(MAX_CONTAINERS + 1).replace(b"\n", line_end))
    data = (b"From: bob@example.net\nTo: admin@example.net\nSubject: Fwd: failure notice\n"
            b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="F"\n\n--F\n'
            b"Content-Type: text/plain\n\nSee the attached bounce.\n--F\n"
            b'Content-Type: application/octet-stream; name="bounce.eml"\n'
            b"Content-Transfer-Encoding: base64\n\n" + saved + b"--F--\n")
    (found,) = read_message(data)
    assert (found.recipient, found.diagnostic.code, found.diagnostic.enhanced) == (
        "ann@example.org", 550, "5.1.1")
    assert "désolé" in found.diagnostic.message


def test_a_quoted_printable_part_written_in_8bit_keeps_its_letters_and_decodes_escapes() -> None:
    data = (b"From: MAILER-DAEMON@mx.example\nMIME-Version: 1.0\nContent-Type: text/plain; "
            b"charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
            + "<ann@example.org>: 550 5.1.1 Benutzer unbekannt (Grund=3Dgelöscht)\n".encode())
    (found,) = read_message(data)
    assert found.diagnostic.message == "Benutzer unbekannt (Grund=gelöscht)"


def test_an_encoded_label_over_8bit_latin1_text_reads_its_letters_in_its_charset() -> None:
    # the email package's decoding, encoded again as UTF-8, read "gelöscht" as "gelÃ¶scht";
    # a charset in RFC 2231 form (charset*=) made it raise TypeError: internal error
    for content_type in (b"charset=iso-8859-1", b"charset*=us-ascii''iso-8859-1"):
        data = (b"From: MAILER-DAEMON@mx.example\nMIME-Version: 1.0\nContent-Type: text/plain; "
                + content_type + b"\nContent-Transfer-Encoding: quoted-printable\n\n"
                + "<ann@example.org>: 550 5.1.1 unbekannt (Grund=3Dgelöscht)\n".encode("latin-1"))
        (found,) = read_message(data)
        assert found.diagnostic.message == "unbekannt (Grund=gelöscht)", content_type


def test_an_ascii_or_utf8_label_with_an_underscore_falls_back_to_windows_1252() -> None:
    for label in (b"us_ascii", b"UTF_8"):
        data = (b"From: MAILER-DAEMON@mx.example\nMIME-Version: 1.0\nContent-Type: text/plain; "
                b"charset=" + label + b"\n\n"
                + "<ann@example.org>: 550 5.1.1 Usuario desconocido (Información)\n".encode(
                    "cp1252"))
        (found,) = read_message(data)
        assert found.diagnostic.message == "Usuario desconocido (Información)", label
