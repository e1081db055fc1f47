"""Bounces as real MTAs write them when more than one thing is going on: several recipients in
prose, a MIME boundary the body never uses, a reply cut to its first line, a multi-line reply
folded into one field, a filter answering DATA, a generic wording beside a specific cause."""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpdiag import catalogue
from smtpdiag.core.bounce import read_diagnostic
from smtpdiag.core.classify import classify, classify_message
from smtpdiag.core.dsn import read_message
from smtpdiag.core.explain import explain, explain_message
from smtpdiag.core.prose import raw_text, segments
from tests.conftest import assert_valid

MESSAGES = Path(__file__).resolve().parent.parent / "fixtures" / "messages"


def records(name: str) -> list[tuple[str | None, int | None, str | None, str]]:
    found = classify_message((MESSAGES / name).read_bytes())
    for record in found:
        assert_valid(record, "bounce")
    return [(r["recipient"], r["code"], r["step"], r["reason"]["name"]) for r in found]


@pytest.mark.parametrize(("name", "want"), [
    # qmail-remote's "does not like recipient." says the refusal answered RCPT
    ("qmail-two-recipients.eml", [("gina@example.org", 550, "RCPT", "user-unknown"),
                                  ("hugo@example.org", 552, "RCPT", "mailbox-full")]),
    # "A message sent by <ivy@…>" names the sender, not a recipient
    ("exim-two-recipients.eml", [("jack@example.com", 550, "RCPT", "user-unknown"),
                                 ("kate@example.net", 552, "DATA-END", "message-too-big")]),
    ("opensmtpd-two-recipients.eml", [("mia@example.jp", 552, None, "mailbox-full"),
                                      ("ned@example.jp", 550, None, "user-unknown")]),
])
def test_every_recipient_of_a_prose_bounce_gets_its_own_reason(name, want):
    assert records(name) == want
    items = explain_message((MESSAGES / name).read_bytes())
    assert [item["dsn"]["recipient"] for item in items] == [w[0] for w in want]


def test_a_report_behind_a_boundary_the_body_never_uses_is_still_read():
    assert records("dsn-boundary-missing.eml") == [("paul@example.org", 550, "RCPT",
                                                    "user-unknown")]


def test_a_diagnostic_cut_to_its_first_line_is_completed_from_the_transcript():
    (record,) = classify_message((MESSAGES / "sendmail-cut-diagnostic.eml").read_bytes())
    assert record["step"] == "DATA"
    assert (record["reason"]["name"], record["provider"]) == ("not-compliant",
                                                              "gmail-rfc5322-noncompliant")


def test_continuation_codes_inside_a_folded_field_are_not_text():
    found = read_diagnostic("Diagnostic-Code: smtp; 550-5.7.1 first part of the\n"
                            "    reply 550-5.7.1 second part 550 5.7.1 last part")
    assert found.message == "first part of the reply second part last part"
    # a code that merely appears in the text stays
    found = read_diagnostic("550 5.3.4 the limit is 550 5.7.1 megabytes")
    assert found.message == "the limit is 550 5.7.1 megabytes"


def test_qmail_giving_up_line_is_not_part_of_the_reply():
    found = read_diagnostic("<a@example.org>:\nRemote host said: 550 no such mailbox\n"
                            "Giving up on 192.0.2.1.")
    assert found.message == "no such mailbox"


@pytest.mark.parametrize(("text", "reason", "rule"), [
    ("host mx[192.0.2.1] said: 550 Unknown user a@example.jp (in reply to end of DATA "
     "command)", "policy", "text-user-unknown after DATA"),
    (">>> DATA\n<<< 550 Unknown user a@example.jp", "policy", "text-user-unknown after DATA"),
    # a product's own wording for a missing mailbox is more specific than the step
    (">>> DATA\n<<< 550 <a@example.jp>... User unknown", "user-unknown",
     "sendmail-user-unknown"),
    # an X.1.x code says the mailbox itself is bad, wherever it was said
    ("host mx[192.0.2.1] said: 550 5.1.1 Unknown user a@example.jp (in reply to end of DATA "
     "command)", "user-unknown", "text-user-unknown"),
    ("host mx[192.0.2.1] said: 550 Unknown user a@example.jp (in reply to RCPT TO command)",
     "user-unknown", "text-user-unknown"),
])
def test_user_unknown_in_answer_to_data_is_a_filter(text, reason, rule):
    for got in (classify(text)["reason"], explain(text)["items"][0]["reason"]):
        assert (got["name"], got["rule"]) == (reason, rule)


def test_a_generic_wording_yields_to_a_specific_cause():
    full = catalogue.match_provider(452, "4.3.1", "Insufficient disk space; try again later")
    assert full is not None and not full.generic and full.reason == "system-full"
    alone = catalogue.match_provider(451, None, "Please try again later")
    assert alone is not None and alone.generic
    quota = catalogue.match_provider(None, None, "mailbox is full: retry timeout exceeded")
    assert quota is not None and quota.reason == "mailbox-full"
    expired = catalogue.match_provider(None, None, "retry timeout exceeded")
    assert expired is not None and expired.reason == "expired"


def test_segments_need_a_line_that_starts_with_the_address():
    prose = ("Mail to bo@example.org and cy@example.org failed.\n"
             "<dee@example.org>:\n550 nope\n")
    assert segments(prose) == [("dee@example.org", "<dee@example.org>:\n550 nope")]
    two = "ann@example.org: 550 a\nbob@example.org: 552 b\nann@example.org: 550 again\n"
    assert segments(two) == [("ann@example.org", "ann@example.org: 550 a"),
                             ("bob@example.org", "bob@example.org: 552 b")]
    assert segments(two, sender="ANN@example.org") == [("bob@example.org",
                                                        "bob@example.org: 552 b")]
    summary = "550 5.1.1 <eve@example.org>... User unknown\n554 <fay@example.org>... x\n"
    assert [a for a, _ in segments(summary)] == ["eve@example.org", "fay@example.org"]
    assert [a for a, _ in segments("550 5.2.0 <gus@example.org> From:\n")] == []


def test_raw_text_drops_mime_lines_only():
    data = (b"Subject: x\r\nContent-Type: multipart/report; boundary=\"b1\"\r\n\r\n"
            b"--b2\r\nContent-Type: text/plain\r\n\r\nthe words\r\n--b2--\r\n")
    assert raw_text(data).split() == ["the", "words"]


def test_raw_text_without_a_blank_line_is_all_body_and_after_an_empty_head_its_rest():
    reply = b"550 5.1.1 <ann@far.example>... User unknown\n"
    assert raw_text(reply) == raw_text(b"\n\n" + reply) == reply.decode()
    # a report's fields pasted alone, no blank line: the parser takes them for headers
    (found,) = read_message(b"Final-Recipient: rfc822; ann@far.example\nAction: failed\n"
                            b"Status: 5.1.1\n")
    assert (found.recipient, found.action, found.diagnostic.enhanced) == (
        "ann@far.example", "failed", "5.1.1")


def test_a_recipient_listed_first_with_redacted_words_keeps_them_with_its_reply():
    # "XXXX" is words (a user's redaction), not a bare listing to be replaced by the reply's
    assert segments("<ann@far.example> XXXX\n\nann@far.example: 550 5.1.1 User unknown\n") \
        == [("ann@far.example", "<ann@far.example> XXXX\nann@far.example: 550 5.1.1 User unknown")]


@pytest.mark.parametrize(("name", "want"), [
    # ISO-2022-JP written straight into the header (Lotus Domino), read in Japanese
    ("domino-iso2022jp.eml", [("sakura@example.co.jp", None, None, "user-unknown")]),
    # the report's fields inside a quoted-printable text part, split by soft line breaks;
    # 554 with 4.4.7 contradicts itself, the words say the queue expired
    ("dsn-in-text-part-qp.eml", [("vera@example.org", 554, None, "expired")]),
    # no Diagnostic-Code in the report: each recipient's own line of the prose
    ("opensmtpd-dsn-no-diagnostic.eml", [("xena@example.net", 550, None, "user-unknown"),
                                         ("yann@example.net", 552, None, "mailbox-full")]),
    # AOL writes the recipients' field groups one after the other, without blank lines
    ("aol-dsn-no-blank-lines.eml", [("rosa@example.net", 552, None, "mailbox-full"),
                                    ("sven@example.net", 550, None, "user-unknown")]),
    # Microsoft 365's report for people: only "Status code: 550 5.1.10" in the admins'
    # section; its opening words say what happened (not the registry's null MX)
    ("m365-ndr-status-code.eml", [("uli@contoso.example", 550, None, "user-unknown")]),
    # a warning that only says "delayed": the sender's warning time has passed
    ("gmail-delayed-prose.eml", [("carl@example.com", None, None, "delayed")]),
])
def test_reports_as_mtas_really_write_them(name, want):
    assert records(name) == want


def test_a_local_delivery_program_failing_is_the_cause_whatever_it_printed():
    (record,) = classify_message((MESSAGES / "postfix-x-unix.eml").read_bytes())
    assert (record["reason"]["name"], record["reason"]["rule"]) == ("system-error",
                                                                    "X-Unix text-user-unknown")
    (item,) = explain_message((MESSAGES / "postfix-x-unix.eml").read_bytes())
    assert item["reason"]["name"] == "system-error"
    # the same words from a remote server are what they say
    assert classify("Diagnostic-Code: smtp; 550 5.1.1 no such user")["reason"]["name"] == (
        "user-unknown")
    # a local program may report a real cause of its own
    full = classify("Diagnostic-Code: X-Unix; maildrop: mailbox is full")
    assert full["reason"]["name"] == "mailbox-full"


def test_a_recipient_listed_again_on_an_unindented_line_keeps_its_reply():
    # only an indented line repeating the address is a fold of the line above (Postfix);
    # one that starts a line, whatever its first letter, is the address listed again
    assert segments("Xavier@far.example\nXavier@far.example: 550 5.1.1 User unknown\n") == [
        ("Xavier@far.example", "Xavier@far.example: 550 5.1.1 User unknown")]


@pytest.mark.parametrize(("before", "recipient"), [
    ("by", False),  # a sentence's last word, at the very start of the text
    ("sent by" + "\n" * 197, False),  # 200 characters back: still the sentence's end
    ("sent by" + "\n" * 198, True),  # further back: too far to end its sentence
])
def test_an_address_that_ends_a_sentence_is_looked_for_200_characters_back(before, recipient):
    found = segments(before + "\n<ann@far.example>: 550 5.1.1 User unknown\n")
    assert bool(found) is recipient


def test_a_prose_bounce_gives_its_first_1000_recipients():
    from smtpdiag.core.prose import MAX_RECIPIENTS
    prose = "".join(f"<u{n}@far.example>: 550 5.1.1 User unknown\n"
                    for n in range(MAX_RECIPIENTS + 1))
    found = segments(prose)
    assert len(found) == MAX_RECIPIENTS == 1_000
    # the last one's lines end where the next begins: they held the rest of the prose
    assert found[-1] == ("u999@far.example", "<u999@far.example>: 550 5.1.1 User unknown")


def test_a_recipient_listed_twice_in_words_keeps_its_first_text_whatever_follows():
    # listed again in a second language: the first text stays; a reply code further down
    # (another recipient's) is not this recipient's second listing's
    assert segments("ann@far.example Mailbox unavailable\n\nann@far.example Postfach nicht "
                    "erreichbar\n\nbob@far.example: 550 5.1.1 User unknown\n") == [
        ("ann@far.example", "ann@far.example Mailbox unavailable"),
        ("bob@far.example", "bob@far.example: 550 5.1.1 User unknown")]


def test_a_message_identifier_in_the_prose_is_no_recipient():
    # Microsoft's "Original Message ID", Exim's "References:" above its words: an identifier
    # written like an address is not the recipient; the address the prose names after it is
    bounce = ("From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\nTo: bo@example.net\n"
              "Subject: Undeliverable: Offer\n\n"
              "Original Message ID: <AM0PR01MB1234.eurprd01@AM0PR01MB1234.example.org>\n"
              "References: <E1abcDE-000123-AB@mx.example.org>\n\n"
              "Delivery to this recipient failed: ann@example.org\n550 5.1.1 User unknown\n")
    (record,) = classify_message(bounce.encode())
    assert record["recipient"] == "ann@example.org"
