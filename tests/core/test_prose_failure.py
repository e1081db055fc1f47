"""``core/prose.py``'s ``about_a_failure``: a message without a delivery report is a bounce by
its headers, by its words, or by a code read from it; a person's message is none of these.
Pure."""

from __future__ import annotations

import pytest

from smtpdiag.core.dsn import read_message

PERSON = b"From: bob@example.net\nTo: ann@example.org\nSubject: Notes\n\n"


@pytest.mark.parametrize(("body", "code", "enhanced"), [
    (b"550 Sorry, not today\n", 550, None),  # a reply code alone
    (b"Sorry, not today (#5.1.1)\n", None, "5.1.1"),  # an enhanced code alone
])
def test_a_code_read_from_a_person_s_words_makes_them_a_bounce(body, code, enhanced):
    (found,) = read_message(PERSON + body)
    assert (found.diagnostic.code, found.diagnostic.enhanced) == (code, enhanced)
    assert read_message(PERSON + b"Sorry, not today\n") == []  # words the catalogue lacks


@pytest.mark.parametrize(("length", "bounce"), [(20_000, True), (20_001, False)])
def test_failure_words_are_looked_for_in_the_first_20000_characters(length, bounce):
    # a long message is searched so far only: past it, a person's words are their own
    words = "could not be delivered"
    body = ("Hello there. " * 2_000)[:length - len(words)] + words + "\n"
    assert bool(read_message(PERSON + body.encode())) is bounce
