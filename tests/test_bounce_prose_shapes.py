"""Prose bounces in the shapes older and smaller mail systems write them (session 9, from a
read of Mailman's bounce samples): an encoded Subject, a returned message quoted with ">", a
version number in it, a delay warning in words, a local command that died.  Written here in
the same shapes; no corpus file is copied."""

from __future__ import annotations

import pytest

from smtpdiag.core.bounce import read_diagnostic
from smtpdiag.core.classify import classify_message

PERSON = b"From: Gateway Scanner <scanner@relay.example>\nTo: list-bounces@lists.example\n"


def test_a_bounce_known_by_its_encoded_subject_or_its_words_is_one():
    body = (b"Your message could not be delivered to the following recipients:\n\n"
            b"rl@far.example\n\nPlease do not resend your original message.\n")
    encoded = PERSON + b"Subject: =?utf-8?B?RGVsaXZlcnkgZmFpbHVyZSBub3RpZmljYXRpb24=?=\n\n"
    (record,) = classify_message(encoded + body)  # "Delivery failure notification"
    assert record["recipient"] == "rl@far.example" and "error" not in record
    (plain,) = classify_message(PERSON + b"Subject: note\n\n" + body)  # its words say so
    assert plain["recipient"] == "rl@far.example"


def test_a_returned_message_quoted_with_angle_brackets_is_not_read_as_the_failure():
    body = (b"The address to which your message was addressed, ann@far.example, did not "
            b"match any address here.\n\nOriginal message as received is as follows:\n"
            b"=========================================\n>Return-Path: <list@lists.example>\n"
            b">Subject: [ANNOUNCE] widget 2.3.0\n>\n>Widget 2.3.0 is out: 550 5.1.1 fixed.\n")
    (record,) = classify_message(PERSON + b"Subject: Returned mail\n\n" + body)
    assert (record["code"], record["enhanced"]) == (None, None)
    assert "ANNOUNCE" not in record["input"]


@pytest.mark.parametrize(("text", "enhanced"), [
    ("Released with wxPython 2.3.0 today", None),  # a version number, not a status
    ("2.0.0 Ok: queued as 4F2", "2.0.0"),  # pasted alone, at the start: a status
    ("We tried twice: 4.4.1 no answer from host", "4.4.1"),
])
def test_a_success_code_inside_prose_is_no_enhanced_code(text, enhanced):
    assert read_diagnostic(text).enhanced == enhanced


@pytest.mark.parametrize("words", [
    "has not yet been delivered because the recipient server did not respond. This is just a "
    "warning, you do not need to resend.",
    "THIS IS A WARNING MESSAGE ONLY. Your message has not yet been delivered.",
])
def test_a_delay_warning_in_prose_is_delayed(words):
    body = f"Your message to: ann@far.example {words}\n".encode()
    (record,) = classify_message(b"From: MAILER-DAEMON@relay.example\nSubject: Warning\n\n"
                                 + body)
    assert (record["reason"]["name"], record["reason"]["permanent"]) == ("delayed", False)


def test_a_local_delivery_command_that_died_is_a_system_error():
    body = (b"<ann@far.example>: Command died with status 17: \"/usr/sbin/amavis\". Command\n"
            b"    output: Can't use an undefined value as a symbol reference\n")
    (record,) = classify_message(b"From: MAILER-DAEMON@relay.example\nSubject: Undelivered "
                                 b"Mail Returned to Sender\n\n" + body)
    assert (record["recipient"], record["reason"]["name"]) == ("ann@far.example", "system-error")


def test_a_bounce_forwarded_inline_keeps_its_quoted_headers_and_failure():
    body = (b"Begin forwarded message:\n\n> From: Mail Delivery Subsystem <MAILER-DAEMON>\n"
            b"> Subject: Returned mail: see transcript for details\n"
            b"> Return-Path: <MAILER-DAEMON>\n>\n"
            b">    ----- The following addresses had permanent fatal errors -----\n"
            b"> <ann@far.example>\n>     (reason: 550 5.1.1 User unknown)\n")
    (record,) = classify_message(PERSON + b"Subject: Fwd: Returned mail\n\n" + body)
    assert (record["recipient"], record["code"]) == ("ann@far.example", 550)


@pytest.mark.parametrize("head", [
    b"Return-Path: <>\nX-Autoreply: yes\nPrecedence: bulk\nSubject: Re: lunch\n",
    b"Auto-Submitted: auto-replied\nSubject: Re: lunch\n",
    b"Return-Path: <>\nSubject: Out of Office: lunch\n",
    b"Return-Path: <>\nSubject: Automatic reply: lunch\n",
    # each mark alone, or after another header of the kind that says nothing
    b"Return-Path: <>\nX-Autorespond: 1\nSubject: Re: lunch\n",
    b"Return-Path: <>\nPrecedence: auto_reply\nSubject: Re: lunch\n",
    b"Return-Path: <>\nAuto-Submitted: no\nX-Autoreply: yes\nSubject: Re: lunch\n",
])
def test_a_vacation_reply_is_no_bounce_whatever_its_words(head):
    body = b"I am away; my mailbox is full of unread mail and not checked until Monday.\n"
    assert classify_message(PERSON + head + b"\n" + body) == []


def test_a_mail_system_s_bounce_marked_auto_replied_is_still_a_bounce():
    # Postfix marks its bounces Auto-Submitted: auto-replied (RFC 3834) too
    (record,) = classify_message(
        b"From: MAILER-DAEMON@relay.example (Mail Delivery System)\nAuto-Submitted: "
        b"auto-replied\nSubject: Undelivered Mail Returned to Sender\n\n<ann@far.example>: host "
        b"mx.far.example said: 550 5.1.1 User unknown (in reply to RCPT TO command)\n")
    assert (record["recipient"], record["reason"]["name"]) == ("ann@far.example", "user-unknown")


def test_a_bounce_known_by_its_subject_alone_marked_auto_replied_is_still_a_bounce():
    # a mail system not known by its From: its Subject says a delivery failed, which no
    # vacation reply's does
    (record,) = classify_message(
        b"From: noreply@relay.example\nAuto-Submitted: auto-replied\nSubject: Undelivered Mail "
        b"Returned to Sender\n\n<ann@far.example>: host mx.far.example said: 550 5.1.1 User "
        b"unknown (in reply to RCPT TO command)\n")
    assert (record["recipient"], record["reason"]["name"]) == ("ann@far.example", "user-unknown")


def test_an_x_failed_recipients_header_makes_a_bounce_of_words_that_name_no_failure():
    head = (b"From: relay@relay.example\nTo: bob@example.net\nSubject: About your message\n")
    body = b"\nSorry, it did not work out this time.\n"
    (record,) = classify_message(head + b"X-Failed-Recipients: ann@far.example\n" + body)
    assert (record["recipient"], record["code"]) == ("ann@far.example", None)
    assert classify_message(head + body) == []  # without it: a person's words


def test_a_delay_warning_in_prose_says_delayed_as_a_report_would():
    body = (b"THIS IS A WARNING MESSAGE ONLY.\n\nDelivery to the following recipient has been "
            b"delayed:\n\n     ann@far.example\n\nMessage will be retried for 2 more day(s)\n\n"
            b"Technical details of temporary failure:\nThe recipient server said: 452 4.2.2 "
            b"Mailbox full\n\n   ----- Message header follows -----\n\nReceived: by 10.0.0.1\n"
            b"Subject: 550 5.7.1 blocked\n")
    (record,) = classify_message(b"From: Mail Delivery Subsystem <mailer-daemon@mail.example>"
                                 b"\nSubject: Delivery Status Notification (Delay)\n\n" + body)
    assert (record["action"], record["reason"]["name"]) == ("delayed", "mailbox-full")
    assert record["code"] == 452 and "Received:" not in record["input"]  # header cut off
