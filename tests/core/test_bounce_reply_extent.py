"""Where a reply quoted inside prose ends, and the enhanced code it gives after its words.

Bounce prose puts a reply in parentheses ("(reason: 550 User unknown)"), before "(in reply
to …)", or writes its enhanced code last, qmail's way ("550 Mailbox full (#5.2.2)").  The reply
keeps its own parentheses and leaves behind only the one that closes the prose's; a later
enhanced code is the reply's only when its class is the reply code's.  Pure.
"""

from __future__ import annotations

import pytest

from smtpdiag.core.bounce import read_diagnostic


@pytest.mark.parametrize(("text", "enhanced", "message"), [
    # qmail and others: the enhanced code after the words, at the start or after an anchor
    ("550 Mailbox full (#5.2.2)", "5.2.2", "Mailbox full (#5.2.2)"),
    ("host mx.example said: 550 Mailbox full (#5.2.2)", "5.2.2", "Mailbox full (#5.2.2)"),
    ("Remote host said: 421 busy, try later (#4.3.0)", "4.3.0", "busy, try later (#4.3.0)"),
    # a code of another class is not the reply's
    ("550 try later (#4.2.2)", None, "try later (#4.2.2)"),
    ("421 gone for good (#5.1.1)", None, "gone for good (#5.1.1)"),
])
def test_an_enhanced_code_after_the_words_is_the_replys_when_its_class_agrees(
        text: str, enhanced: str | None, message: str) -> None:
    found = read_diagnostic(text)
    assert (found.enhanced, found.message) == (enhanced, message), found


@pytest.mark.parametrize(("text", "message"), [
    # the prose's parenthesis closes after the reply: it is left behind
    ("(reason: 550 User unknown)", "User unknown"),
    ("(reason: 550 User unknown) (in reply to RCPT TO command)", "User unknown"),
    ("(a) (reason: 550 User unknown)", "User unknown"),
    ("(reason: 550 5.1.1 User unknown (no such user))", "User unknown (no such user)"),
    # the reply's own parentheses stay, whether or not the prose opened one before it
    ("(note: 550 5.1.1 mailbox unavailable (user unknown)",
     "mailbox unavailable (user unknown)"),
    ("rejected: 550 mailbox unavailable (user unknown)", "mailbox unavailable (user unknown)"),
    # a parenthesis that closes with no opening one in the prose is the reply's own text
    ("Step 2) rejected (permanent) by server: 550 User unknown)", "User unknown)"),
    ("rejected: 550 User) unknown", "User) unknown"),
])
def test_a_reply_inside_the_proses_parentheses_leaves_the_closing_one_behind(
        text: str, message: str) -> None:
    assert read_diagnostic(text).message == message


def test_a_reply_is_read_to_its_first_two_thousand_characters() -> None:
    found = read_diagnostic("550 " + "x" * 3_000)
    assert found.message == "x" * 1_996


@pytest.mark.parametrize(("text", "message"), [
    # a tab inside the reply reads as a space
    ("550 5.1.1 user\tunknown", "user unknown"),
    # a multi-line reply folded into one DSN field: the codes of its later lines go
    ("Diagnostic-Code: smtp; 550-5.7.1 first\n 550-5.7.1 second", "first second"),
    ("Diagnostic-Code: smtp; 550-5.7.1 first\n 550 5.7.1 second", "first second"),
    ("Diagnostic-Code: smtp; 550 5.7.1 not 550-5.7.1 here", "not here"),
    # no code: nothing is taken out, whatever the words
    ("Diagnostic-Code: X-Postfix; lookup of None- failed", "lookup of None- failed"),
])
def test_a_replys_text_is_one_line_without_its_codes(text: str, message: str) -> None:
    assert read_diagnostic(text).message == message
