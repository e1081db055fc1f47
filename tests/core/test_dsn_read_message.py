"""``core/dsn.read_message`` on whole messages, where the fixture bounces do not go: line ends
of every kind, the sender a bounce is sent back to (never its recipient), the cap on
X-Failed-Recipients, and a report's fields found in the text when the MIME walk found no
report.  Pure: bytes in, records out.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from smtpdiag.core.dsn import read_message

MESSAGES = Path(__file__).resolve().parents[2] / "fixtures" / "messages"


def _fixture(name: str) -> bytes:
    return (MESSAGES / name).read_bytes().replace(b"\r\n", b"\n")


@pytest.mark.parametrize("name", ["postfix-dsn-two-recipients.eml", "qmail-prose.eml",
                                  "dsn-in-text-part-qp.eml", "exim-two-recipients.eml"])
@pytest.mark.parametrize("ending", [b"\r\n", b"\r"])
def test_a_bounce_reads_the_same_whatever_its_line_ends(name: str, ending: bytes) -> None:
    """CRLF as sent, or the bare CR of an old Mac mailer's file: every record as with LF."""
    data = _fixture(name)
    records = read_message(data)
    assert records and all(found.recipient for found in records)
    assert read_message(data.replace(b"\n", ending)) == records


def _prose_bounce(body: str, to: str = "bob@sender.example", extra: str = "") -> bytes:
    return (f"From: MAILER-DAEMON@mx.example.org\nTo: {to}\nSubject: failure notice\n{extra}"
            f"\n{body}").encode()


def test_the_address_a_bounce_is_sent_back_to_is_not_its_recipient() -> None:
    body = ("Your message from bob@sender.example to ann@example.org could not be delivered.\n"
            "550 5.1.1 User unknown\n")
    (found,) = read_message(_prose_bounce(body))
    assert found.recipient == "ann@example.org"
    assert found.diagnostic.code == 550
    # the same words sent back to someone else: the first address named is the recipient
    (other,) = read_message(_prose_bounce(body, to="carol@sender.example"))
    assert other.recipient == "bob@sender.example"
    # the To field's display name and brackets are not part of the address
    (named,) = read_message(_prose_bounce(body, to="Bob <bob@sender.example>"))
    assert named.recipient == "ann@example.org"


def test_x_failed_recipients_gives_at_most_1000_records() -> None:
    listed = ", ".join(f"user{n}@example.org" for n in range(1_001))
    records = read_message(_prose_bounce("550 5.1.1 User unknown\n",
                                         extra=f"X-Failed-Recipients: {listed}\n"))
    assert [found.recipient for found in records] == [
        f"user{n}@example.org" for n in range(1_000)]
    assert {found.diagnostic.code for found in records} == {550}


@pytest.mark.parametrize(("name", "fields"), [
    # a boundary the body never uses: the report is read from the raw text
    ("dsn-boundary-missing.eml", ("paul@example.org", "failed", "5.1.1", "dns; mx.example.org",
                                  "smtp; 550 5.1.1 <paul@example.org>: this address has no "
                                  "mailbox here")),
    # fields written into a quoted-printable text part: read decoded, soft breaks joined
    ("dsn-in-text-part-qp.eml", ("vera@example.org", "failed", "4.4.7", None,
                                 "smtp; 554 4.4.7 Message expired: it could not be delivered "
                                 "within 900 minutes")),
])
def test_a_report_the_mime_walk_misses_is_read_field_by_field(name: str,
                                                              fields: tuple[str | None, ...]
                                                              ) -> None:
    (found,) = read_message(_fixture(name))
    assert (found.recipient, found.action, found.status, found.remote_mta,
            found.diagnostic_code) == fields
    assert found.final


@pytest.mark.parametrize("content_type", ["multipart/mixed", "application/octet-stream"])
def test_a_bounce_without_a_text_part_is_read_from_its_body(content_type: str) -> None:
    """A multipart without its boundary parameter, or a body of another type: nothing to walk,
    so the body is read as text."""
    body = "<ann@example.org>:\n550 5.1.1 no such user here\n"
    (found,) = read_message(_prose_bounce(body, extra=f"Content-Type: {content_type}\n"))
    assert (found.recipient, found.diagnostic.code, found.diagnostic.enhanced,
            found.diagnostic.message) == ("ann@example.org", 550, "5.1.1", "no such user here")


def test_a_forwarded_bounce_that_cannot_be_written_back_is_read_as_the_forward() -> None:
    """The attachment is read again from its bytes; a multipart without a boundary holding an
    8-bit byte cannot be written as bytes (UnicodeEncodeError): the forward's own words are
    read instead, never an error."""
    data = _fixture("forwarded-qmail-bounce.eml").replace(
        b"Subject: failure notice\n", b"Subject: failure notice\nContent-Type: multipart/mixed\n"
    ).replace(b"Sorry, no mailbox", b"Sorry\xff, no mailbox")
    (found,) = read_message(data)
    assert found.diagnostic.message == "Can you look at this bounce?"


@pytest.mark.parametrize(("field", "recipient"), [
    ("rfc822; ann@example.org", "ann@example.org"),
    ("rfc822; <ann@example.org>", "ann@example.org"),  # the brackets are not the address
    ("rfc822;postmaster", "postmaster"),  # no space after the type, no domain
    # an X.400 address keeps its own semicolons: only the type before the first is dropped
    ("x400; c=us;a= ;p=example;s=lee;", "c=us;a= ;p=example;s=lee;"),
    # a local part the address pattern does not take whole is kept whole, never its end only
    ("rfc822; \x1b[31mann@example.org", "\x1b[31mann@example.org"),
    ("rfc822; <[ann]@example.org>", "[ann]@example.org"),
    ("rfc822; \"ann [x]\"@example.org", "\"ann [x]\"@example.org"),
    ("rfc822; ann@[192.0.2.1]", "ann@[192.0.2.1]"),
    ("rfc822; <ann@[IPv6:2001:db8::1]>", "ann@[IPv6:2001:db8::1]"),
    ("rfc822; Ann Lee <ann@example.org>", "ann@example.org"),
])
def test_the_final_recipient_is_the_address_after_its_type(field: str, recipient: str) -> None:
    data = (
        "From: MAILER-DAEMON@mx.example.net\nTo: bob@example.net\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nReport.\n--B\nContent-Type: message/delivery-status\n\n"
        f"Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: {field}\nAction: failed\n"
        "Status: 5.1.1\n\n--B--\n").encode()
    assert [found.recipient for found in read_message(data)] == [recipient]


def test_fields_in_the_text_are_not_read_as_the_prose_about_every_recipient() -> None:
    """A report written into the text part: the words before its fields are the prose, so a
    recipient without a Diagnostic-Code gets those words, not another's reply from a field."""
    data = (
        b"From: MAILER-DAEMON@relay.example.net\nTo: bob@example.net\nContent-Type: text/plain\n"
        b"\nDelivery to these recipients failed.\n\nReporting-MTA: dns; relay.example.net\n\n"
        b"Final-Recipient: rfc822; ann@example.org\nAction: failed\nStatus: 5.1.1\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 user unknown\n\n"
        b"Final-Recipient: rfc822; cy@example.org\nAction: failed\nStatus: 5.2.2\n")
    ann, cy = read_message(data)
    assert (ann.recipient, ann.diagnostic.code, ann.diagnostic.message) == (
        "ann@example.org", 550, "user unknown")
    assert (cy.recipient, cy.diagnostic.code, cy.diagnostic.enhanced, cy.diagnostic.message) == (
        "cy@example.org", None, "5.2.2", "Delivery to these recipients failed.")


def test_a_report_attached_as_a_file_is_read_with_the_decoded_prose() -> None:
    """The fields in an attached text file (no delivery-status part), the words in a base64
    text part: the recipient's reply is read from the decoded words, not from the raw body's
    base64 before the fields."""
    words = base64.b64encode(b"Delivery failed:\n\n550 5.1.1 user unknown\n").decode()
    data = (
        "From: MAILER-DAEMON@relay.example.net\nTo: bob@example.net\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="B"\n\n'
        f"--B\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n{words}\n"
        "--B\nContent-Type: text/plain\nContent-Disposition: attachment; filename=details.txt\n"
        "\nReporting-MTA: dns; relay.example.net\n\nFinal-Recipient: rfc822; ann@example.org\n"
        "Action: failed\nStatus: 5.1.1\n\n--B--\n").encode()
    (found,) = read_message(data)
    assert (found.recipient, found.action, found.diagnostic.code, found.diagnostic.message) == (
        "ann@example.org", "failed", 550, "user unknown")


@pytest.mark.parametrize(("final", "original", "recipient"), [
    # no Internet address the sender could know: the address it sent to
    ("x400; /S=ann/OU=north/O=example/PRMD=EX/ADMD= /C=GB/", "rfc822; ann@north.example",
     "ann@north.example"),
    ("rfc822;@relay.example.net:ann@ims_daemon", "rfc822;ann@example.net", "ann@example.net"),
    ("rfc822;Ann@sims-ms-daemon", "rfc822;Ann@example.com", "Ann@example.com"),
    # an address after aliasing is still the one that failed
    ("rfc822;lee.a@mbox.example.org", "rfc822;ann@example.org", "lee.a@mbox.example.org"),
    ("rfc822; ann@[192.0.2.1]", "rfc822; ann@example.org", "ann@[192.0.2.1]"),
])
def test_the_original_recipient_stands_in_for_a_final_one_no_sender_knows(
        final: str, original: str, recipient: str) -> None:
    data = (
        "From: MAILER-DAEMON@mx.example.net\nTo: bob@example.net\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nReport.\n--B\nContent-Type: message/delivery-status\n\n"
        f"Reporting-MTA: dns; mx.example.net\n\nOriginal-Recipient: {original}\n"
        f"Final-Recipient: {final}\nAction: failed\nStatus: 5.1.1\n\n--B--\n").encode()
    assert [found.recipient for found in read_message(data)] == [recipient]


def test_a_quoted_address_in_prose_is_the_address_without_its_quote() -> None:
    data = (b"From: MAILER-DAEMON@mx.example.net\nTo: bob@example.net\nSubject: failure\n\n"
            b"The following message, addressed to 'ann@example.org',\nfailed because it has "
            b"not been collected after 30 days\n")
    assert [found.recipient for found in read_message(data)] == ["ann@example.org"]


def test_a_quoted_to_line_is_not_the_recipient_where_the_bounce_names_another() -> None:
    # Exchange 5.5: the original's To (a list) quoted first, the failed recipient in X.400 form
    data = (b"From: postmaster@mx.example.net\nTo: bob@example.net\nSubject: Undeliverable\n\n"
            b"Your message\n\n  To:      list@lists.example.org\n  Subject: RE: draft\n\n"
            b"did not reach the following recipient(s):\n\nc=US;a= ;p=EX;o=North;dda:SMTP="
            b"ANN@EXAMPLE.COM; on Fri, 4 Oct 2002 17:12:28 -0400\n"
            b"    The recipient name is not recognized\n")
    assert [found.recipient for found in read_message(data)] == ["ANN@EXAMPLE.COM"]
    only = (b"From: postmaster@mx.example.net\nSubject: Undeliverable\n\nYour message\n\n"
            b"  To:      ann@example.com\n\ndid not reach its recipient: unknown user\n")
    assert [found.recipient for found in read_message(only)] == ["ann@example.com"]
