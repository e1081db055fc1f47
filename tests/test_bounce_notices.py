"""Messages about a delivery that report no failure (``core/notices.py``): a delay warning in
prose, in the words and languages mail systems write one, says the recipient is delayed and
not failed for good.  Written here in the shapes those systems use; no corpus file is copied."""

from __future__ import annotations

import json

import pytest

from smtpdiag.core.classify import classify_message
from tests.conftest import assert_valid, run_cli

DAEMON = b"From: Mail Delivery System <MAILER-DAEMON@relay.near.example>\nTo: bob@near.example\n"


@pytest.mark.parametrize(("subject", "body"), [
    # Gmail's warning: its headline, then that it will retry
    ("Delivery Status Notification (Delay)",
     "** Delivery incomplete **\n\nThere was a temporary problem delivering your message to "
     "ann@far.example. Gmail will retry for 46 more hours. You'll be notified if the delivery "
     "fails permanently.\n\nThe response was:\n\n550 5.7.1 This message looks suspicious\n"),
    # Exchange's: the recipient listed, then what it still does
    ("Delivery delayed:hello",
     "Delivery is delayed to these recipients or groups:\n\nann@far.example\n\nThis message "
     "hasn't been delivered yet. Delivery will continue to be attempted.\n"),
    # German and Spanish warnings name no code at all, or a transient one
    ("Zustellung verzögert: hallo",
     "Ihre Nachricht an ann@far.example konnte bisher nicht zugestellt werden.\nSie müssen "
     "die Nachricht nicht erneut senden.\n\n421 4.4.2 Verbindung abgebrochen\n"),
    ("Retardo en la entrega del mensaje",
     "Su mensaje para ann@far.example aún no ha podido ser entregado.\nSe seguirá intentando "
     "la entrega durante 3 días.\n"),
    # a Subject alone can say so: French, words the body does not repeat
    ("Remise retardée : bonjour",
     "Message pour ann@far.example :\n451 4.7.1 Réessayez plus tard\n"),
])
def test_a_delay_warning_in_any_of_its_shapes_is_delayed_not_failed(subject, body):
    message = DAEMON + f"Subject: {subject}\nContent-Type: text/plain; charset=utf-8\n\n" \
        .encode() + body.encode()
    (record,) = classify_message(message)
    assert record["recipient"] == "ann@far.example"
    assert record["action"] == "delayed"
    assert record["reason"]["permanent"] is False


@pytest.mark.parametrize(("subject", "body"), [
    # a final bounce returning a message whose own Subject spoke of a delay
    ("Undelivered Mail Returned to Sender: delayed invoice",
     "<ann@far.example>: host mx.far.example said: 550 5.1.1 User unknown (in reply to RCPT "
     "TO command)\n"),
    # a failure after retries says it gave up, whatever it said while it retried
    ("Delivery Status Notification (Failure)",
     "Delivery to ann@far.example failed permanently: we have given up after trying for 5 "
     "days; it will not be retried.\n\n421 4.4.2 Connection dropped\n"),
])
def test_a_final_failure_is_no_delay_warning(subject, body):
    message = DAEMON + f"Subject: {subject}\n\n".encode() + body.encode()
    (record,) = classify_message(message)
    assert record["action"] is None and record["reason"]["permanent"] is True


PERSON = b"From: Ann Example <ann@far.example>\nTo: bob@near.example\n"


@pytest.mark.parametrize(("head", "body"), [
    # Subjects in the languages mail clients write them, after a reply's marks
    ("Subject: Fuera de la oficina: Re: factura",
     "Estoy fuera hasta el 5 de enero. My mailbox is full, sorry."),
    ("Subject: AW: Abwesend bis 10.12.", "Ihre Nachricht wird nicht weitergeleitet."),
    ("Subject: Risposta automatica: fattura", "Your message has not been delivered to Ann."),
    ("Subject: [Auto-Reply] invoice", "This mailbox is not monitored: the message could not be "
     "delivered to a person."),
    ("Subject: Automatisch antwoord: offerte", "Uw bericht is niet afgeleverd: mailbox full."),
    ("Subject: Odpowiedź automatyczna: faktura", "Wiadomość nie została dostarczona: mailbox "
     "full."),
    ("Subject: 자동 회신: 견적", "Your message could not be delivered to me until Monday."),
    ("Subject: Ann Example is out of the office.", "I will return on 10 December; your message "
     "was not delivered to anyone else."),
    # neither headers nor Subject: the opening words of a person's automatic reply
    ("Subject: Re: invoice 4411",
     "I am currently out of the office with limited access to email. Your message has not "
     "been delivered to my colleagues; for urgent matters write to support@far.example."),
    ("Subject: Re: facture",
     "Je suis absente jusqu'au 4 janvier. Votre message n'a pas été remis à mes collègues."),
    ("Subject: Re: faktura", "Jestem poza biurem do 4 stycznia. Your message could not be "
     "delivered to my team."),
    ("Subject: Re: счёт", "Я в отпуске до 10 декабря. Your message could not be delivered to "
     "my colleagues."),
])
def test_an_automatic_reply_in_any_language_is_no_bounce(head, body):
    message = PERSON + f"{head}\nContent-Type: text/plain; charset=utf-8\n\n{body}\n".encode()
    assert classify_message(message) == []


@pytest.mark.parametrize(("sender", "subject", "body"), [
    ('"Ann via Guard" <notification@guard.example>', "Please confirm your message",
     "Your message to ann@far.example is waiting in her guest list. It will not be delivered "
     "until you confirm that you are a person: click the link below."),
    ("ann@far.example", "Re: meeting [verification]",
     "The message you sent requires that you verify that you are a real live human being and "
     "not a spam source. Your message has been held and will be delivered once you verify."),
    # even from a mail system's address: a challenge names no failure
    ("MAILER-DAEMON@far.example", "Sender verification required",
     "Your message to ann@far.example has been quarantined pending sender verification. "
     "To have it delivered, reply to this message."),
])
def test_a_challenge_to_verify_the_sender_is_no_bounce(sender, subject, body):
    message = f"From: {sender}\nTo: bob@near.example\nSubject: {subject}\n\n{body}\n".encode()
    assert classify_message(message) == []


def test_a_refusal_with_a_code_that_asks_to_verify_is_still_a_bounce():
    # a server's refusal may ask the sender to confirm an address: its code says it failed
    message = (DAEMON + b"Subject: Undelivered Mail Returned to Sender\n\n<ann@far.example>: "
               b"host mx.far.example said: 550 5.7.1 Sender address unverified: please verify "
               b"that you are a real sender at https://far.example/ (in reply to RCPT TO "
               b"command)\n")
    (record,) = classify_message(message)
    assert (record["recipient"], record["code"]) == ("ann@far.example", 550)


def test_a_bounce_that_quotes_a_held_message_notice_is_still_a_bounce():
    # a list's "is being held until the moderator can review it" quoted in a bounce: a failure
    message = (PERSON + b"Subject: Non-Delivery: Your message awaits moderator approval\n\n"
               b"The email below could not be delivered to the following user:\n\n"
               b"<carl@far.example>\n\nOld message:\n\nYour mail to 'list' is being held until "
               b"the list moderator can review it for approval.\n")
    (record,) = classify_message(message)
    assert record["recipient"] == "carl@far.example"


@pytest.mark.parametrize(("message", "says"), [
    (PERSON + b"Subject: Automatic reply: invoice\n\nI am away until Monday.\n",
     "it is an automatic reply (out of office, vacation), not a bounce"),
    (b"From: MAILER-DAEMON@far.example\nSubject: Sender verification required\n\nYour message "
     b"to ann@far.example has been quarantined pending sender verification.\n",
     "it is a challenge, not a bounce"),
    (b"From: abuse@far.example\nMIME-Version: 1.0\nContent-Type: multipart/report; "
     b"report-type=feedback-report; boundary=B\n\n--B\nContent-Type: text/plain\n\nA complaint."
     b"\n--B\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\n\n--B--\n",
     "it is a feedback report"),
])
def test_explain_says_what_a_message_that_is_no_bounce_is(message, says, tmp_path):
    path = tmp_path / "reply.eml"
    path.write_bytes(message)
    result = run_cli("explain", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"no failed recipient or diagnostic text found in this message: {says}" \
        in result.stderr
    (record,) = [json.loads(line) for line in run_cli("explain", "--jsonl", str(path))
                 .stdout.splitlines()]
    assert says in record["error"]
    assert_valid(record, "bounce")


def test_a_person_s_message_is_still_said_to_have_no_failure_only(tmp_path):
    path = tmp_path / "lunch.eml"
    path.write_bytes(PERSON + b"Subject: lunch\n\nSee you at noon.\n")
    assert run_cli("explain", str(path)).stderr.strip().endswith(
        "no failed recipient or diagnostic text found in this message")


SENDMAIL_SECTIONS = (
    "The original message was received at Thu, 3 Dec 2026 04:00:00 GMT\n\n"
    "   ----- The following addresses had permanent fatal errors -----\n<ann@far.example>\n"
    "    (reason: 550 5.1.1 <ann@far.example>... User unknown)\n\n"
    "   ----- The following addresses had transient non-fatal errors -----\n"
    "<carl@other.example>\n    (reason: 452 4.2.2 Mailbox full)\n\n"
    "   ----- Transcript of session follows -----\n... while talking to mx.other.example.:\n"
    ">>> RCPT To:<carl@other.example>\n<<< 452 4.2.2 Mailbox full\n"
    "<carl@other.example>... Deferred: 452 4.2.2 Mailbox full\n")


def test_a_recipient_under_a_transient_errors_head_is_delayed_and_the_others_failed():
    message = (DAEMON + b"Subject: Returned mail: see transcript for details\n\n"
               + SENDMAIL_SECTIONS.encode())
    failed, later = classify_message(message)
    assert (failed["recipient"], failed["action"], failed["reason"]["permanent"]) == (
        "ann@far.example", None, True)
    assert (later["recipient"], later["action"], later["code"]) == (
        "carl@other.example", "delayed", 452)
    assert later["reason"]["permanent"] is False


def test_a_bounce_that_lists_only_transient_errors_is_delayed():
    alone = SENDMAIL_SECTIONS[SENDMAIL_SECTIONS.index("   ----- The following addresses had t"):]
    (record,) = classify_message(DAEMON + b"Subject: Returned mail\n\n" + alone.encode())
    assert (record["recipient"], record["action"]) == ("carl@other.example", "delayed")
    assert record["reason"]["permanent"] is False


@pytest.mark.parametrize(("subject", "body", "says"), [
    ("Delivery Status Notification (Relay)",
     "Your message has been successfully relayed to the following recipients, but the requested "
     "delivery status notifications may not be generated by the destination.\n\n  ann@far.example",
     "it is a delivery notice"),
    ("Delivered: hello", "Your message has been delivered to the following recipients:\n\n"
     "ann@far.example (ann@far.example)\n", "it is a delivery notice"),
    ("Message Recall Failure: hello", "Your message\n\n  To: ann@far.example\n  Subject: hello"
     "\n\ncould not be recalled.\n", "it is a delivery notice"),
    ("Not read: hello", "Your message\n\n  To: ann@far.example\n\nwas deleted without being "
     "read on Thursday, December 3, 2026.\n", "it is a read receipt"),
])
def test_a_notice_that_a_message_was_delivered_relayed_recalled_or_read_is_no_bounce(
        subject, body, says, tmp_path):
    message = (b"From: postmaster@near.example\nTo: bob@near.example\nSubject: "
               + subject.encode() + b"\n\n" + body.encode())
    assert classify_message(message) == []
    path = tmp_path / "notice.eml"
    path.write_bytes(message)
    assert says in run_cli("explain", str(path)).stderr


def test_a_notice_that_also_names_a_failed_recipient_is_a_bounce():
    message = (b"From: postmaster@near.example\nTo: bob@near.example\nSubject: Undeliverable: "
               b"hello\n\nYour message has been delivered to the following recipients: "
               b"carl@far.example\n\nDelivery has failed to these recipients or groups:\n\n"
               b"ann@far.example\nThe email address you entered couldn't be found.\n")
    (record,) = classify_message(message)
    assert record["recipient"] == "ann@far.example"


@pytest.mark.parametrize(("raw", "words"), [
    ("Odpowiedź automatyczna: faktura".encode(), "Odpowiedź automatyczna: faktura"),  # UTF-8
    ("Réponse automatique".encode("cp1252"), "Réponse automatique"),  # Windows-1252
    (b"=?utf-8?q?R=C3=A9ponse_automatique?=", "Réponse automatique"),  # RFC 2047, as before
])
def test_a_subject_written_in_8_bit_bytes_is_read_as_words(raw, words):
    from smtpdiag.core.transfer import parsed_message, subject_text

    assert subject_text(parsed_message(b"Subject: " + raw + b"\n\nx\n")) == words


@pytest.mark.parametrize("body", [
    "The following message could not be delivered.\n\nRecipient: ann@far.example\nReason: 550 "
    "5.1.1 User unknown\n\nRecipient: dan@far.example\nReason: 552 5.2.2 Mailbox full\n",
    "Message delivery failed.\n\nRecipient address: ann@far.example\nReason: rejected\n"
    "Diagnostic code: smtp; 550 5.1.1 User unknown\n\nRecipient address: dan@far.example\n"
    "Reason: Over quota\nDiagnostic code: smtp; 552 5.2.2 Mailbox full\n",
    "Zustellung fehlgeschlagen.\n\nEmpfänger: ann@far.example\nGrund: 550 5.1.1 User unknown\n\n"
    "Empfänger: dan@far.example\nGrund: 552 5.2.2 Mailbox full\n",
    # "To:" with its failure's label on the next line
    "Delivery to the following recipients failed:\n\n    To: ann@far.example\n    Error: 550 "
    "5.1.1 User unknown\n\n    To: dan@far.example\n    Error: 552 5.2.2 Mailbox full\n",
])
def test_recipients_listed_under_a_label_each_keep_their_own_failure(body):
    message = DAEMON + b"Subject: Undelivered mail\nContent-Type: text/plain; charset=utf-8\n\n" \
        + body.encode()
    found = [(r["recipient"], r["code"], r["enhanced"], r["reason"]["name"])
             for r in classify_message(message)]
    assert found == [("ann@far.example", 550, "5.1.1", "user-unknown"),
                     ("dan@far.example", 552, "5.2.2", "mailbox-full")]


def test_a_quoted_to_line_is_still_no_recipient_of_its_own():
    # Domino quotes the original's To (a list): the failed recipient is the one named after
    message = (DAEMON + b"Subject: DELIVERY FAILURE\n\nYour message\n\n  To: list@lists.example\n"
               b"  Subject: hello\n\nwas not delivered to:\n\n  ann@far.example\n\nbecause:\n\n"
               b"  User ann (ann@far.example) not listed in Domino Directory\n")
    assert [r["recipient"] for r in classify_message(message)] == ["ann@far.example"]


@pytest.mark.parametrize(("length", "delayed"), [(20_000, True), (20_001, False)])
def test_a_warning_s_words_are_looked_for_in_the_first_20000_characters(length, delayed):
    # a warning says so early; a long text is not searched to its end by every pattern
    words = "will keep trying"
    prose = "<ann@far.example>: 421 4.4.2 timed out\n" + "x " * 20_000
    body = prose[:length - len(words)] + words + "\n"
    (record,) = classify_message(DAEMON + b"Subject: Mail failure\n\n" + body.encode())
    assert (record["action"] == "delayed") is delayed
