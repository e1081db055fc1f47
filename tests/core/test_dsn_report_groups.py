"""``core/dsn.py``: which groups of a delivery-status report are failures (not a delivered,
relayed or expanded recipient, not the per-message group), which are final (not a delay), and
where a recipient's words come from when its Diagnostic-Code gives none.  Asserted as
``read_message`` gives them.  Pure.
"""

from __future__ import annotations

import pytest

from smtpdiag.core.dsn import read_message


def _dsn(prose: str, *groups: str) -> bytes:
    """A multipart/report bounce: the prose, then the per-message group and ``groups``."""
    fields = "\n\n".join(["Reporting-MTA: dns; mx.example.net", *groups])
    return (
        "From: MAILER-DAEMON@mx.example.net\nTo: bob@example.net\nSubject: Delivery report\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        f"--B\nContent-Type: text/plain\n\n{prose}\n"
        f"--B\nContent-Type: message/delivery-status\n\n{fields}\n\n--B--\n").encode()


def _group(recipient: str, action: str, status: str, diagnostic: str | None = None) -> str:
    lines = [f"Final-Recipient: rfc822; {recipient}", f"Action: {action}", f"Status: {status}"]
    return "\n".join(lines + ([f"Diagnostic-Code: smtp; {diagnostic}"] if diagnostic else []))


FAILED = _group("cy@example.org", "failed", "5.1.1", "550 5.1.1 no such user")


@pytest.mark.parametrize("action", ["delivered", "relayed", "expanded"])
def test_a_recipient_that_was_not_a_failure_is_not_listed_nor_stops_the_rest(action: str
                                                                              ) -> None:
    data = _dsn("Report.", _group("ann@example.org", action, "2.0.0", "250 2.0.0 ok"), FAILED)
    assert [(f.recipient, f.action, f.diagnostic.code) for f in read_message(data)] == [
        ("cy@example.org", "failed", 550)]


def test_a_delayed_recipient_is_not_final_and_a_failed_one_is() -> None:
    delayed = _group("ann@example.org", "delayed", "4.4.1", "421 4.4.1 no answer yet")
    found = read_message(_dsn("Report.", delayed, FAILED))
    assert [(f.recipient, f.final) for f in found] == [("ann@example.org", False),
                                                       ("cy@example.org", True)]


def test_a_group_without_a_recipient_field_is_still_a_failure() -> None:
    nameless = "Action: failed\nStatus: 5.7.1\nDiagnostic-Code: smtp; 550 5.7.1 refused"
    found = read_message(_dsn("Report.", nameless))
    assert [(f.recipient, f.status, f.diagnostic.code) for f in found] == [
        (None, "5.7.1", 550)]


def test_without_a_diagnostic_code_the_prose_s_reply_is_the_recipient_s() -> None:
    prose = "Delivery failed:\n\n550 5.2.2 mailbox over quota"
    (found,) = read_message(_dsn(prose, _group("ann@example.org", "failed", "5.2.2")))
    assert (found.diagnostic.code, found.diagnostic.enhanced, found.diagnostic.message) == (
        550, "5.2.2", "mailbox over quota")


def test_a_diagnostic_code_of_words_alone_keeps_its_words() -> None:
    group = _group("ann@example.org", "failed", "5.0.0", "mailbox unavailable, try never")
    (found,) = read_message(_dsn("Delivery failed.", group))
    assert found.diagnostic.message == "mailbox unavailable, try never"
    assert found.diagnostic.enhanced == "5.0.0"  # from the Status field


def test_a_recipient_s_own_lines_that_hold_only_its_address_give_no_words_of_their_own() -> None:
    prose = "These recipients failed:\n\n<ann@example.org>:\n\n550 5.1.1 user unknown"
    (found,) = read_message(_dsn(prose, _group("ann@example.org", "failed", "5.1.1")))
    assert (found.diagnostic.code, found.diagnostic.message) == (550, "user unknown")


def test_a_diagnostic_code_with_the_code_alone_takes_the_recipient_s_own_words() -> None:
    prose = "<ann@example.org>: host mx.example.org said: 550 mailbox disabled"
    (found,) = read_message(_dsn(prose, _group("ann@example.org", "failed", "5.2.1", "550")))
    assert (found.diagnostic.code, found.diagnostic.message) == (550, "mailbox disabled")
    other = read_message(_dsn(prose, _group("cy@example.org", "failed", "5.2.1", "550")))
    assert other[0].diagnostic.message == "550"  # another recipient's words are not its


@pytest.mark.parametrize("empty", ["smtp;", "X-Postfix;"])
def test_a_diagnostic_code_that_says_nothing_yields_to_the_prose(empty: str) -> None:
    prose = "Delivery failed:\n\n550 5.2.2 mailbox over quota"
    group = _group("ann@example.org", "failed", "5.2.2") + f"\nDiagnostic-Code: {empty}"
    (found,) = read_message(_dsn(prose, group))
    assert (found.diagnostic_code, found.diagnostic.code, found.diagnostic.message) == (
        empty, 550, "mailbox over quota")


def test_a_recipient_the_prose_does_not_list_is_not_given_another_s_reply() -> None:
    """Without a Diagnostic-Code, a recipient the prose's list leaves out is read from its
    Status field, never from the reply the prose quotes for someone else (found by mutmut:
    the prose's reply was taken whenever the Status gave no reply code)."""
    prose = ("<ann@example.org>: host mx.example.org said: 550 5.1.1 <ann@example.org>: user "
             "unknown (in reply to RCPT TO command)")
    ann = _group("ann@example.org", "failed", "5.1.1", "550 5.1.1 user unknown")
    found = read_message(_dsn(prose, ann, _group("cy@example.org", "failed", "5.2.2")))
    assert [(f.recipient, f.diagnostic.code, f.diagnostic.enhanced) for f in found] == [
        ("ann@example.org", 550, "5.1.1"), ("cy@example.org", None, "5.2.2")]
    assert "ann" not in found[1].diagnostic.message


def test_own_lines_of_the_address_alone_leave_the_recipient_the_prose_s_words() -> None:
    prose = "These recipients failed:\n\n<ann@example.org>:\n\nThe mailbox is unknown here."
    (found,) = read_message(_dsn(prose, _group("ann@example.org", "failed", "5.1.1")))
    assert "The mailbox is unknown here." in found.diagnostic.message
    assert found.diagnostic.enhanced == "5.1.1"


def test_without_prose_or_diagnostic_code_or_status_nothing_is_said() -> None:
    (found,) = read_message(_dsn("", "Final-Recipient: rfc822; ann@example.org\nAction: failed"))
    assert (found.recipient, found.status, found.diagnostic.code, found.diagnostic.message) == (
        "ann@example.org", None, None, "")


@pytest.mark.parametrize(("diagnostic", "message"), [
    ("550", "mailbox disabled"),  # the code alone
    ("550 .", "mailbox disabled"),  # and what only punctuates it
    ("550 -", "mailbox disabled"),
    ("550 550", "mailbox disabled"),  # the code said again: read as the code alone
    ("550 550 550", "550 550"),  # but then the words are the code twice, not alone
    ("550 XXX", "XXX"),  # as is any word after it
])
def test_only_a_diagnostic_code_that_is_the_code_alone_takes_the_own_words(diagnostic: str,
                                                                          message: str) -> None:
    prose = "<ann@example.org>: host mx.example.org said: 550 mailbox disabled"
    (found,) = read_message(_dsn(prose, _group("ann@example.org", "failed", "5.2.1", diagnostic)))
    assert (found.diagnostic.code, found.diagnostic.message) == (550, message)


def test_own_words_without_a_code_leave_a_code_alone_as_it_is() -> None:
    prose = "<ann@example.org>: the mailbox was disabled last year"
    (found,) = read_message(_dsn(prose, _group("ann@example.org", "failed", "5.2.1", "550")))
    assert (found.diagnostic.code, found.diagnostic.message) == (550, "550")


def test_a_diagnostic_code_of_words_alone_is_not_replaced_by_the_prose_s_reply() -> None:
    prose = "Delivery failed:\n\n550 5.2.2 mailbox over quota"
    group = _group("ann@example.org", "failed", "5.0.0", "mailbox unavailable, try never")
    (found,) = read_message(_dsn(prose, group))
    assert (found.diagnostic.code, found.diagnostic.message) == (
        None, "mailbox unavailable, try never")
    # nor by the recipient's own lines
    own = "<ann@example.org>: the mailbox was disabled last year"
    (found,) = read_message(_dsn(own, group))
    assert found.diagnostic.message == "mailbox unavailable, try never"


@pytest.mark.parametrize(("prose", "code", "message"), [
    # the list names the recipient alone: the reply given once for all is its reply
    ("550 5.1.1 user unknown\n\nFailed recipients:\n<ann@example.org>", 550, "user unknown"),
    # and the words, where that reply has no code
    ("The mailbox is unknown.\n\nFailed recipients:\n<ann@example.org>", None,
     "The mailbox is unknown. Failed recipients: <ann@example.org>"),
    # own words without a code yield to the reply the prose gives with one
    ("550 5.2.1 refused for policy reasons\n\n<ann@example.org>: mailbox disabled", 550,
     "refused for policy reasons"),
])
def test_without_a_diagnostic_code_a_listed_recipient_gets_the_prose_s_reply(
        prose: str, code: int | None, message: str) -> None:
    (found,) = read_message(_dsn(prose, _group("ann@example.org", "failed", "5.1.1")))
    assert (found.diagnostic.code, found.diagnostic.message) == (code, message)


@pytest.mark.parametrize(("fields", "action", "final"), [
    # a comment after the Action's word (RFC 822 syntax allows one)
    ("Action: failed (bad destination mailbox address)\nStatus: 5.1.1", "failed", True),
    ("Action: Delayed (will retry)\nStatus: 4.4.1", "delayed", False),
    # no Action at all, but the retry time only a delayed recipient has (RFC 3464 §2.3.9)
    ("Status: 4.4.1\nWill-Retry-Until: Fri, 4 Dec 2026 05:00:00 +0000", "delayed", False),
])
def test_a_recipient_s_action_is_its_word(fields: str, action: str, final: bool) -> None:
    (found,) = read_message(_dsn("Report.", f"Final-Recipient: rfc822; ann@example.org\n{fields}"))
    assert (found.recipient, found.action, found.final) == ("ann@example.org", action, final)


@pytest.mark.parametrize("action", ["relayed (to a non-DSN MTA)", "delivered", "expanded"])
def test_a_report_of_recipients_that_did_not_fail_only_gives_none(action: str) -> None:
    # from a mail system, about a delivery: but nothing in it failed
    data = _dsn("Your message was relayed.", _group("ann@example.org", action, "2.0.0"))
    assert read_message(data) == []
