"""Which form a reply was found in, and what each form keeps of the text.

``read_diagnostic`` tries the forms in order (README: explain); each gives the code, the
enhanced code, the text without them and the lines as they read.  These hold the forms that
the bounce files reach only through a classification, which would not tell a lost enhanced
code or a wrong form apart.  Pure.
"""

from __future__ import annotations

import pytest

from smtpdiag.core.bounce import read_diagnostic

SES = "5.1.0 - Unknown address error 550-'5.2.2 <ann@example.org>... Mailbox Full'"


@pytest.mark.parametrize(("text", "form"), [
    # Amazon SES: its status first; in a DSN field it follows the type
    (SES, "text"),
    (f"smtp; {SES} (delivery attempts: 0)", "dsn"),
    # a reply code after prose, the first 4xx or 5xx one
    ("We tried: 250 ok, then 550 5.1.1 no such user", "text"),
])
def test_the_form_says_where_the_reply_was_found(text: str, form: str) -> None:
    found = read_diagnostic(text)
    assert found.form == form
    assert found.code == 550


@pytest.mark.parametrize(("text", "local", "code"), [
    # a local delivery program failed: "X-Unix", on a later line of the fields
    ("Status: 5.0.0\nDiagnostic-Code: X-Unix; 550 5.7.1 refused", True, 550),
    ("Status: 5.0.0\nDiagnostic-Code: X-Unix; mail forwarding loop", True, None),
    ("Status: 5.0.0\nDiagnostic-Code: smtp; 550 5.7.1 refused", False, 550),
])
def test_an_x_unix_diagnostic_code_is_local_wherever_it_stands(text: str, local: bool,
                                                                code: int | None) -> None:
    found = read_diagnostic(text)
    assert (found.form, found.local, found.code) == ("dsn", local, code)


@pytest.mark.parametrize(("text", "enhanced", "message"), [
    # a Diagnostic-Code of words: an enhanced code in them is kept, and its leading one is
    # not part of the words
    ("Diagnostic-Code: X-Postfix; 5.4.4 host not found", "5.4.4", "host not found"),
    ("Diagnostic-Code: X-Postfix; host not found (#5.4.4)", "5.4.4", "host not found (#5.4.4)"),
    ("Diagnostic-Code: X-Postfix; host not found", None, "host not found"),
])
def test_a_diagnostic_code_of_words_keeps_its_enhanced_code(text: str, enhanced: str | None,
                                                            message: str) -> None:
    found = read_diagnostic(text)
    assert (found.code, found.enhanced, found.message, found.form) == (
        None, enhanced, message, "dsn")
    assert found.lines == (text.split("; ", 1)[1],)


def test_a_diagnostic_code_of_words_names_the_step_the_text_gives() -> None:
    found = read_diagnostic("Diagnostic-Code: X-Postfix; host not found\n"
                            "(in reply to RCPT TO command)")
    assert (found.code, found.message, found.command) == (None, "host not found", "RCPT")


@pytest.mark.parametrize(("text", "message", "lines"), [
    # qmail's code after the words, with its parentheses, at the end or inside the line
    ("Unable to contact LDAP server. (#4.4.3)", "Unable to contact LDAP server.",
     ("Unable to contact LDAP server. (#4.4.3)",)),
    ("Unable to contact LDAP server (#4.4.3), try later",
     "Unable to contact LDAP server , try later",
     ("Unable to contact LDAP server (#4.4.3), try later",)),
    ("(#5.1.1) no such user", "no such user", ("(#5.1.1) no such user",)),
    # the code at the start and inside the words; the first one goes, once
    ("5.2.2 mailbox full (#5.2.2)", "mailbox full (#5.2.2)", ("5.2.2 mailbox full (#5.2.2)",)),
    ("Recipient rejected 5.1.1 user unknown", "Recipient rejected user unknown",
     ("Recipient rejected 5.1.1 user unknown",)),
    # a Status field's comment is read without its parentheses
    ("5.1.1 (bad destination mailbox address)", "bad destination mailbox address",
     ("5.1.1 (bad destination mailbox address)",)),
    # the words of the code's own line, not the lines before it
    ("<a@b.example>:\nSorry, no mailbox here by that name. (#5.1.1)",
     "Sorry, no mailbox here by that name.", ("Sorry, no mailbox here by that name. (#5.1.1)",)),
    # nothing but the code: the code is the text
    ("5.1.1", "5.1.1", ("5.1.1",)),
])
def test_an_enhanced_code_alone_is_taken_out_of_the_words(text: str, message: str,
                                                          lines: tuple[str, ...]) -> None:
    found = read_diagnostic(text)
    assert (found.code, found.message, found.lines, found.form) == (
        None, message, lines, "enhanced"), found


def test_text_without_any_code_is_read_as_words_to_two_thousand_characters() -> None:
    found = read_diagnostic("Your message was not delivered.\n\n" + "x" * 3_000)
    assert found.form == "words"
    assert found.lines == ("Your message was not delivered.", "x" * (2_000 - 33))
    assert found.message == "Your message was not delivered. " + "x" * (2_000 - 33)


def test_text_without_any_code_still_names_the_step_it_gives() -> None:
    found = read_diagnostic("The recipient was refused\n(in reply to RCPT TO command)")
    assert (found.form, found.command) == ("words", "RCPT")


@pytest.mark.parametrize(("text", "code", "enhanced", "message"), [
    # a greeting's continuation line quoted before the refusal
    ("Diagnostic-Code: smtp; 220-laposte 421 4.2.1 Service refused, please try later",
     421, "4.2.1", "Service refused, please try later"),
    # an accepted MAIL quoted before the refused RCPT
    ("host mx.example.org said: 250 2.1.0 Ok 550 5.1.1 User unknown (in reply to RCPT TO "
     "command)", 550, "5.1.1", "User unknown"),
    ("354 go ahead 554 5.6.0 Message refused", 554, "5.6.0", "Message refused"),
    ("250 2.0.0 Ok: queued", 250, "2.0.0", "Ok: queued"),  # a success alone stays itself
])
def test_a_success_quoted_before_a_refusal_is_not_what_failed(
        text: str, code: int, enhanced: str, message: str) -> None:
    found = read_diagnostic(text)
    assert (found.code, found.enhanced, found.message) == (code, enhanced, message)


def test_a_pasted_success_before_a_refusal_explains_the_refusal() -> None:
    from smtpdiag.core.explain import explain

    (item,) = explain("220 mx.example.org ESMTP 550 5.7.1 Client host rejected")["items"]
    assert (item["reply"]["code"], item["reason"]["name"]) == (550, "blocked")
    (item,) = explain("250 OK")["items"]
    assert item["reply"]["code"] == 250
