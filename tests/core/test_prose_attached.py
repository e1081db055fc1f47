"""``core/prose.py``'s ``forwarded_bounce``: a bounce a person forwarded as an attachment, in
each form mail clients attach one, is read as that bounce.  Pure."""

from __future__ import annotations

import base64
import quopri

import pytest

from smtpdiag.core.dsn import read_message

BOUNCE = (b"From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\n"
          b"To: bob@example.net\nSubject: Undelivered Mail Returned to Sender\n\n"
          b"<ann@example.org>: host mx.example.org said: 550 5.1.1 <ann@example.org>: "
          b"Recipient address rejected: User unknown (in reply to RCPT TO command)\n")


def _forward(part_head: bytes, body: bytes) -> bytes:
    return (b"From: bob@example.net\nTo: admin@example.net\nSubject: Fwd: bounce\n"
            b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="F"\n\n--F\n'
            b"Content-Type: text/plain\n\nWhat does this mean?\n--F\n" + part_head + b"\n"
            + body + b"\n--F--\n")


@pytest.mark.parametrize(("part_head", "body"), [
    # message/rfc822 sent quoted-printable: its text decoded first
    (b"Content-Type: message/rfc822\nContent-Transfer-Encoding: quoted-printable\n",
     quopri.encodestring(BOUNCE.replace(b"address rejected", b"address=rejected"))),
    # a saved message as a file: by its type, whatever its name
    (b'Content-Type: application/octet-stream; name="message.dat"\n'
     b"Content-Transfer-Encoding: base64\n", base64.encodebytes(BOUNCE)),
    # by its name, whatever its type, in any case
    (b'Content-Type: text/plain\nContent-Disposition: attachment; filename="Bounce.EML"\n',
     BOUNCE),
    # saved with CRLF line ends
    (b'Content-Type: application/octet-stream; name="bounce.eml"\n'
     b"Content-Transfer-Encoding: base64\n", base64.encodebytes(BOUNCE.replace(b"\n", b"\r\n"))),
])
def test_a_bounce_forwarded_as_an_attachment_is_read_as_that_bounce(part_head: bytes,
                                                                   body: bytes) -> None:
    (found,) = read_message(_forward(part_head, body))
    assert (found.recipient, found.diagnostic.code, found.diagnostic.enhanced,
            found.diagnostic.command) == ("ann@example.org", 550, "5.1.1", "RCPT")
    assert found.diagnostic.message.startswith("<ann@example.org>: Recipient address")
    assert found.diagnostic.message.endswith("User unknown")

