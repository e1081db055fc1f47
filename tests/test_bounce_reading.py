"""Which words of a bounce are read for which recipient.

A DSN group without a Diagnostic-Code is read from what the prose says about that recipient;
prose that lists only other recipients is not about it, and the group's own Status comment
("4.0.0 (example.org: host name lookup failure)", RFC 3464's own example) is.  Sendmail lists a
failed address once on its own under "The following addresses had permanent fatal errors" and
writes why in the transcript below it: the transcript's line is that recipient's text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpdiag.core.classify import classify, classify_message
from smtpdiag.core.prose import segments

MESSAGES = Path(__file__).resolve().parent.parent / "fixtures" / "messages"


def read(name: str) -> bytes:
    return (MESSAGES / name).read_bytes()


def test_a_recipient_the_prose_does_not_list_is_read_from_its_status_comment():
    first, second = classify_message(read("dsn-status-comment.eml"))
    assert first["recipient"] == "zoe@first.example" and first["code"] == 550
    assert second["recipient"] == "abe@second.example"
    assert second["input"] == "second.example: host name lookup failure"
    assert second["enhanced"] == "4.0.0" and second["action"] == "delayed"


def test_prose_about_every_recipient_still_serves_one_it_does_not_list():
    # a report whose prose names no recipient at all: its words are about every one
    data = read("dsn-status-comment.eml").replace(
        b"<zoe@first.example>  (unrecoverable error)", b"The remote host refused the message.")
    records = classify_message(data)
    assert "remote host refused" in records[1]["input"]


def test_sendmails_transcript_line_is_the_listed_recipients_text():
    (record,) = classify_message(read("sendmail-transcript-after-list.eml"))
    assert record["recipient"] == "walt@remote.example"
    assert record["input"].startswith(
        "<walt@remote.example>... Deferred: Connection refused by mx.remote.example.")


def test_a_recipient_listed_twice_keeps_its_first_text_when_it_has_words():
    # a bounce written in two languages: the first text with words of its own is kept
    prose = ("<ann@example.org>: mailbox full\n\n<ann@example.org>: boîte pleine\n")
    assert segments(prose) == [("ann@example.org", "<ann@example.org>: mailbox full")]
    # the address alone, then a section head: the later line with words replaces it
    prose = ("<ann@example.org>\n\n   ----- Transcript of session follows -----\n"
             "<ann@example.org>... User unknown\n")
    assert segments(prose) == [("ann@example.org", "<ann@example.org>... User unknown")]


@pytest.mark.parametrize(("text", "code", "enhanced", "reason"), [
    # SES's own status ("Unknown address error") is its guess; the quoted reply is the server's
    ("smtp; 5.1.0 - Unknown address error 550-'5.7.1 <b-1@bounces.example>... Access denied' "
     "(delivery attempts: 0)", 550, "5.7.1", "blocked"),
    ("5.1.0 - Unknown address error 550-'5.2.2 <ann@example.org>... Mailbox Full' "
     "(delivery attempts: 0)", 550, "5.2.2", "mailbox-full"),
    ("5.3.0 - Other mail system problem 552-'message too large'", 552, None, "message-too-big"),
])
def test_amazon_ses_quoted_reply_is_the_servers_reply(text, code, enhanced, reason):
    record = classify(text)
    assert (record["code"], record["enhanced"], record["reason"]["name"]) == (
        code, enhanced, reason)


def test_a_bounce_forwarded_as_an_attachment_is_read():
    (record,) = classify_message(read("forwarded-qmail-bounce.eml"))
    assert record["recipient"] == "ann@example.org"
    assert (record["enhanced"], record["reason"]["name"], record["reason"]["rule"]) == (
        "5.1.1", "user-unknown", "qmail-no-mailbox")


def test_a_forwarded_report_is_read_with_its_fields():
    report = read("postfix-dsn-two-recipients.eml")
    outer = (b"From: Bob <bob@sender.example>\nTo: desk@sender.example\nSubject: FW: bounce\n"
             b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"o\"\n\n--o\n"
             b"Content-Type: text/plain\n\nplease check\n\n--o\nContent-Type: message/rfc822\n\n"
             + report.replace(b"\r\n", b"\n") + b"\n--o--\n")
    records = classify_message(outer)
    assert [r["recipient"] for r in records] == ["ana@example.net", "ben@example.com"]
    assert [r["reason"]["name"] for r in records] == ["user-unknown", "mailbox-full"]


@pytest.mark.parametrize(("sender", "subject"), [
    # a mail system's own bounce: its attachment is the returned original, whatever it says
    (b"MAILER-DAEMON@mx.example.org", b"Fwd: failure notice"),
    # a person's message that does not say it forwards: its attachment's Subject proves nothing
    (b"Bob <bob@sender.example>", b"have a look"),
])
def test_an_attachment_is_not_taken_for_the_bounce_without_cause(sender, subject):
    data = read("forwarded-qmail-bounce.eml").replace(  # the attachment: from a person
        b"From: MAILER-DAEMON@mx.example.org\n", b"From: carl@example.org\n").replace(
        b"From: Bob <bob@sender.example>", b"From: " + sender).replace(
        b"Subject: Fwd: failure notice", b"Subject: " + subject)
    (record,) = classify_message(data)
    assert record["reason"]["rule"] != "qmail-no-mailbox"


def test_each_recipient_keeps_the_step_its_own_lines_name():
    # Postfix writes "in reply to …" per recipient: the second answered the end of DATA
    first, second = classify_message(read("postfix-dsn-two-steps.eml"))
    assert (first["recipient"], first["step"], first["reason"]["name"]) == (
        "ivo@north.example", "RCPT", "user-unknown")
    assert (second["recipient"], second["step"]) == ("jan@south.example", "DATA-END")
    assert (second["reason"]["name"], second["reason"]["rule"]) == (
        "policy", "text-user-unknown after DATA")
