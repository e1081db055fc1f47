"""A bounce a person forwarded inline (``core/forwards.py``): below the mail client's separator
and its block of the bounce's headers, in the client's language, the bounce is read as itself,
not cut off where its separator looks like a returned copy's start.  Written here in the
shapes clients write; no corpus file is copied."""

from __future__ import annotations

import pytest

from smtpdiag.core.classify import classify_message

PERSON = b"From: Bob <bob@near.example>\nTo: helpdesk@near.example\n"
EXCHANGE_BOUNCE = (
    "Delivery has failed to these recipients or groups:\n\nann@far.example\nThe email address "
    "you entered couldn't be found.\n\nDiagnostic information for administrators:\n\n"
    "ann@far.example\nRemote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'\n")


@pytest.mark.parametrize(("subject", "block"), [
    ("FW: Undeliverable: hello",
     "-----Original Message-----\nFrom: Microsoft Outlook <MicrosoftExchange329e@near.example>\n"
     "Sent: Thursday, December 3, 2026 5:00 AM\nTo: Bob <bob@near.example>\n"
     "Subject: Undeliverable: hello\n"),
    ("TR: Non remis : bonjour",
     "-----Message d'origine-----\nDe : postmaster@near.example\nEnvoyé : jeudi 3 décembre "
     "2026 05:00\nÀ : bob@near.example\nObjet : Non remis : bonjour\n"),
    ("see below",  # newer Outlook: a rule of underscores, bold names
     "________________________________\n*From:* Mail Delivery System <MAILER-DAEMON@near."
     "example>\n*Sent:* Thursday, December 3, 2026 5:00 AM\n*Subject:* Undeliverable: hello\n"),
])
def test_a_bounce_forwarded_inline_is_read_as_that_bounce(subject, block):
    message = PERSON + (f"Subject: {subject}\nContent-Type: text/plain; charset=utf-8\n\n"
                        f"Can you check why?\n\n{block}\n{EXCHANGE_BOUNCE}").encode()
    (record,) = classify_message(message)
    assert (record["recipient"], record["code"], record["enhanced"]) == (
        "ann@far.example", 550, "5.1.1")
    assert record["reason"]["name"] == "user-unknown"


def test_a_person_s_message_forwarded_inline_is_no_bounce():
    message = (PERSON + b"Subject: FW: lunch\n\nSee below.\n\n-----Original Message-----\n"
               b"From: Carl <carl@far.example>\nSent: Thursday\nSubject: lunch\n\nNoon?\n")
    assert classify_message(message) == []


def test_a_bounce_s_returned_copy_is_not_read_as_a_forward():
    # a mail system's own bounce: below its "Original message" line is the message it
    # returns, even one whose Subject spoke of a failure
    message = (b"From: MAILER-DAEMON@relay.near.example\nTo: bob@near.example\nSubject: "
               b"failure notice\n\n<ann@far.example>:\nRemote host said: 552 5.2.2 Mailbox "
               b"full\n\n--- Original message follows.\n\nFrom: postmaster@near.example\n"
               b"Subject: Undeliverable: report\n\n<carl@far.example>: 550 5.1.1 unknown\n")
    (record,) = classify_message(message)
    assert (record["recipient"], record["code"]) == ("ann@far.example", 552)


def test_a_text_of_many_separators_is_read_once_each_not_again_at_each():
    # 15,000 quoted messages below one another (a hostile or a very long thread): each block
    # is read where it stands; the text below one was split again at every separator (minutes)
    body = b"-----Original Message-----\nFrom: carl@far.example\nSubject: lunch\n\n" * 15_000
    assert classify_message(PERSON + b"Subject: FW: notes\n\n" + body) == []
