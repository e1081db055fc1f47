"""A recipient's mail system that refuses a message after accepting it may say so in a
disposition notification (RFC 8098), not a delivery report: Dovecot's LDA and LMTP when a
mailbox is over quota, and Sieve's ``reject`` (Dovecot, Cyrus).  Such an MDN is a bounce; a
read receipt, or a message a person deleted unread, is not."""

from __future__ import annotations

from smtpdiag.core.classify import classify_message

_MDN = """\
From: Mail Delivery Subsystem <postmaster@mail.example.net>
To: <bounces@example.org>
Date: Sat, 10 May 2026 08:00:16 +0200
Subject: {subject}
Auto-Submitted: {auto}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=disposition-notification;
\tboundary="b1/mail.example.net"

--b1/mail.example.net
Content-Type: text/plain; charset=utf-8
Content-Disposition: inline

{words}
--b1/mail.example.net
Content-Type: message/disposition-notification

Reporting-UA: mail.example.net; Dovecot Mail Delivery Agent
Final-Recipient: rfc822; ann@example.net
Original-Message-ID: <1@example.org>
Disposition: {disposition}

--b1/mail.example.net
Content-Type: message/rfc822

From: Bo <bo@example.org>
To: Ann <ann@example.net>
Subject: Offer

Hello
--b1/mail.example.net--
"""


def _records(**fields: str) -> list[dict]:
    values = {"subject": "Rejected: Offer", "auto": "auto-replied (rejected)",
              "disposition": "automatic-action/MDN-sent-automatically; deleted",
              "words": "Your message to <ann@example.net> was automatically rejected:\n"
                       "Quota exceeded (mailbox for user is full)"} | fields
    return classify_message(_MDN.format(**values).encode())


def test_dovecot_rejection_is_a_failed_recipient_with_its_cause():
    (record,) = _records()
    assert (record["recipient"], record["action"], record["reason"]["name"]) == (
        "ann@example.net", "failed", "mailbox-full")
    assert "error" not in record


def test_sieve_reject_names_the_users_rule():
    (record,) = _records(subject="Automatically rejected mail", auto="auto-replied",
                         words="Your message was automatically rejected by Sieve, a mail\n"
                               "filtering language. The following reason was given:\n"
                               "I do not accept messages from this address.")
    assert (record["recipient"], record["action"]) == ("ann@example.net", "failed")


def test_read_receipts_and_unread_deletions_are_no_failures():
    shown = _records(subject="Read: Offer", auto="auto-replied",
                     disposition="manual-action/MDN-sent-manually; displayed",
                     words="Your message was displayed on the recipient's screen.")
    deleted = _records(subject="Not read: Offer", auto="auto-replied",
                       disposition="manual-action/MDN-sent-automatically; deleted",
                       words="Your message was deleted without being read.")
    for records in (shown, deleted):
        assert records == []
