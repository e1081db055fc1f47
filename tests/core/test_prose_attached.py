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
    # saved from a mailbox: an mbox "From " line first
    (b'Content-Type: application/octet-stream; name="bounce.eml"\n',
     b"From MAILER-DAEMON Mon Jun  1 10:00:00 2026\n" + BOUNCE),
    # a header without a space after its colon, and a blank line before the headers
    (b'Content-Type: application/octet-stream; name="bounce.eml"\n',
     BOUNCE.replace(b"From: ", b"From:")),
    (b'Content-Type: application/octet-stream; name="bounce.eml"\n', b"\n" + BOUNCE),
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



def test_a_person_s_text_that_starts_with_header_lines_is_not_an_attached_message() -> None:
    # only a message/rfc822 part or a saved message is attached: a postmaster's note pasted
    # into the text, its headers first, is the person's own words, and names no failure
    data = (b"From: bob@example.net\nTo: admin@example.net\nSubject: Fwd: welcome\n\n"
            b"From: postmaster@example.org\nSubject: Welcome to the list\n\n"
            b"Your subscription is confirmed.\n")
    assert read_message(data) == []


def test_a_report_from_an_unknown_sender_forwarded_without_fwd_is_read_from_its_own_text():
    # a delivery report is a bounce by its type alone: its reply comes from its own text part,
    # not from the person's words around it ("It says 421 somewhere")
    report = (b"From: noreply@mx.example.net\nTo: bob@example.net\nSubject: Your message\n"
              b"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status;"
              b' boundary="R"\n\n--R\nContent-Type: text/plain\n\n<ann@example.org>: 550 5.1.1 '
              b"<ann@example.org>: User unknown\n--R\nContent-Type: message/delivery-status\n\n"
              b"Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; ann@example.org\n"
              b"Action: failed\nStatus: 5.1.1\n--R--\n")
    data = _forward(b"Content-Type: message/rfc822\n", report).replace(
        b"Subject: Fwd: bounce", b"Subject: what is this?").replace(
        b"What does this mean?", b"What does this mean? It says 421 somewhere.")
    (found,) = read_message(data)
    assert (found.recipient, found.diagnostic.code, found.diagnostic.enhanced,
            found.diagnostic.message) == ("ann@example.org", 550, "5.1.1",
                                          "<ann@example.org>: User unknown")


UNKNOWN = (b"From: noreply@relay.example\nTo: bob@example.net\nSubject: Undeliverable: Offer\n\n"
           b"<ann@example.org>: 550 5.1.1 User unknown\n")


def test_an_attachment_is_a_bounce_by_its_subject_only_where_the_message_says_it_forwards():
    # "Fwd:": the attachment is what was forwarded, a bounce by its Subject although its
    # sender is not known by name; its reply is read, not the person's words
    data = _forward(b"Content-Type: message/rfc822\n", UNKNOWN).replace(
        b"Subject: Fwd: bounce", b"Subject: Fwd: Undeliverable: Offer")
    (found,) = read_message(data)
    assert (found.recipient, found.diagnostic.code) == ("ann@example.org", 550)


def test_a_person_s_subject_that_names_a_failure_does_not_hide_the_bounce_attached():
    # no "Fwd:", but the person's own Subject says a delivery failed: the attached bounce
    # (known by its From) is still the one read
    data = _forward(b"Content-Type: message/rfc822\n", BOUNCE).replace(
        b"Subject: Fwd: bounce", b"Subject: Delivery failed - what now?").replace(
        b"What does this mean?", b"What does this mean? It says 421 somewhere.")
    (found,) = read_message(data)
    assert (found.recipient, found.diagnostic.code) == ("ann@example.org", 550)
