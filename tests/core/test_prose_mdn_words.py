"""``core/prose.py``'s ``mdn_rejection``: where a disposition notification may say that a mail
system refused the message (its Subject, its Auto-Submitted, its text's first 2,000
characters), and that a notification shown to a person is no refusal whatever it says.
Pure."""

from __future__ import annotations

import pytest

from tests.test_bounce_mdn_rejection import _records

DELETED = "automatic-action/MDN-sent-automatically; deleted"
NEUTRAL = "Your message was not stored."


@pytest.mark.parametrize(("subject", "auto", "words"), [
    ("Message rejected", "auto-replied", NEUTRAL),  # the Subject alone, "rejected" its end
    ("Offer", "auto-replied (rejected)", NEUTRAL),  # Dovecot's Auto-Submitted alone
    ("Offer", "auto-replied", "Your message was rejected."),  # the text alone
])
def test_any_one_place_that_says_rejected_makes_a_deleted_mdn_a_bounce(subject, auto, words):
    (record,) = _records(subject=subject, auto=auto, disposition=DELETED, words=words)
    assert (record["recipient"], record["action"]) == ("ann@example.net", "failed")
    assert _records(subject="Offer", auto="auto-replied", disposition=DELETED,
                    words=NEUTRAL) == []  # none of them says it: a deletion, no refusal


@pytest.mark.parametrize(("length", "bounce"), [(2_000, True), (2_001, False)])
def test_the_text_is_searched_in_its_first_2000_characters(length, bounce):
    words = ("Your message was not stored; it was " + "very " * 400)[:length - 9] + " rejected"
    assert bool(_records(subject="Offer", auto="auto-replied", disposition=DELETED,
                         words=words)) is bounce


def test_a_read_receipt_for_a_message_about_a_rejection_is_no_bounce():
    assert _records(subject="Read: Your offer was rejected", auto="auto-replied",
                    disposition="manual-action/MDN-sent-manually; displayed",
                    words="Your message about the rejected offer was displayed.") == []
