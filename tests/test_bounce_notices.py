"""Messages about a delivery that report no failure (``core/notices.py``): a delay warning in
prose, in the words and languages mail systems write one, says the recipient is delayed and
not failed for good.  Written here in the shapes those systems use; no corpus file is copied."""

from __future__ import annotations

import pytest

from smtpdiag.core.classify import classify_message

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
