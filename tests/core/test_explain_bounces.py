"""``core/explain.py`` on bounces: ``explain_diagnostic`` field by field (a Diagnostic-Code's
reply, words, a local program's) and ``explain_message`` over whole bounce messages (one item
per recipient, an expiry, a delay, a bounce whose words say nothing).

Entry texts come from the catalogue and are read from it here; every sentence ``explain``
builds itself is asserted word for word.  Pure.
"""

from __future__ import annotations

from smtpdiag import catalogue
from smtpdiag.core.bounce import read_diagnostic
from smtpdiag.core.explain import (
    basic_view,
    enhanced_view,
    explain,
    explain_diagnostic,
    explain_message,
    explain_reply,
)
from smtpdiag.model import Reply
from tests.core.explainkit import MESSAGES, only

# ------------------------------------------------------------------ explain_message

def test_a_bounce_message_is_one_item_per_recipient() -> None:
    data = (MESSAGES / "postfix-dsn-two-recipients.eml").read_bytes()
    items = explain_message(data)
    assert len(items) == 2
    for item in items:
        assert set(item["dsn"]) == {"recipient", "action", "status", "remote_mta",
                                    "diagnostic_code"}
        assert item["dsn"]["action"] == "failed"
        assert item["reason"]["permanent"] is True
    assert items[0]["dsn"]["recipient"] != items[1]["dsn"]["recipient"]


# ------------------------------------------------------------------ diagnostics, field by field

def test_a_diagnostic_s_reply_keeps_its_code_class_enhanced_code_and_raw_lines() -> None:
    found = read_diagnostic("Diagnostic-Code: smtp; 451 4.3.0 temporary")
    item = explain_diagnostic(found)
    assert item is not None
    assert item["reply"] == {"code": 451, "enhanced": "4.3.0", "lines": ["4.3.0 temporary"],
                             "raw": ["451 4.3.0 temporary"]}
    assert item["enhanced"] == enhanced_view("4.3.0")


def test_a_diagnostic_without_an_enhanced_code_is_its_words() -> None:
    found = read_diagnostic("Diagnostic-Code: smtp; 550 no such user here")
    item = explain_diagnostic(found)
    assert item is not None
    assert item["reply"]["lines"] == [found.message] == ["no such user here"]
    assert item["reply"]["raw"] == list(found.lines)


def test_a_diagnostic_s_code_and_a_final_bounce() -> None:
    found = read_diagnostic("Diagnostic-Code: smtp; 451 4.3.0 temporary")
    assert explain_diagnostic(found)["reason"]["name"] != "expired"  # type: ignore[index]
    item = explain_diagnostic(found, final=True)
    assert item is not None and (item["reason"]["name"], item["reason"]["decided_by"]) == (
        "expired", "action")


def test_a_local_program_s_diagnostic() -> None:
    found = read_diagnostic("Diagnostic-Code: X-Unix; 550 5.1.1 nope")
    item = explain_diagnostic(found)
    assert item is not None
    assert (item["reason"]["name"], item["reason"]["rule"]) == ("system-error", "X-Unix 5.1.1")


def test_an_enhanced_code_with_words_is_read_with_its_command_and_context() -> None:
    found = read_diagnostic("5.1.2 bad host name (in reply to HELO command)")
    item = explain_diagnostic(found, "tr")
    assert item is not None
    assert item["step"] == "HELO" and item["form"] == "enhanced"
    assert item["enhanced"] == enhanced_view("5.1.2", "tr")
    assert (item["reason"]["name"], item["reason"]["rule"]) == ("blocked", "5.1.2 at HELO")
    assert only("5.2.2 zzz")["reason"]["decided_by"] == "enhanced"
    later = explain_diagnostic(read_diagnostic("4.3.0 zzz"), final=True)
    assert later is not None and later["reason"]["name"] == "expired"


def test_words_that_contradict_an_enhanced_code_say_so() -> None:
    item = only("5.7.1 mailbox full")
    assert item["reason"]["name"] == "mailbox-full"
    assert item["notes"] == [
        f"The text says mailbox-full ({item['reason']['summary']}); that wins over what 5.7.1 "
        f"means in the registry ({enhanced_view('5.7.1')['name']}: policy)."]


# ------------------------------------------------------------------ bounce messages

def test_a_bounce_that_gave_up_after_a_timeout_expired() -> None:
    (item,) = explain_message((MESSAGES / "postfix-dsn-expired.eml").read_bytes())
    assert (item["reason"]["name"], item["reason"]["rule"]) == ("expired", "Action: failed")
    assert item["dsn"]["recipient"] == "cara@slow.example"


def test_a_delay_warning_in_words_is_delayed_not_expired() -> None:
    (item,) = explain_message((MESSAGES / "gmail-delayed-prose.eml").read_bytes())
    assert (item["reason"]["name"], item["reason"]["rule"]) == ("delayed", "Action: delayed")
    assert item["reason"]["permanent"] is False


UNREADABLE = b"""From: MAILER-DAEMON@mail.sender.example
To: alice@sender.example
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="XX"

--XX
Content-Type: text/plain

It did not work.

--XX
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.sender.example

Final-Recipient: rfc822; dan@far.example
Action: failed
Diagnostic-Code: smtp; the weather is fine

--XX--
"""


def test_a_bounce_whose_words_say_nothing_is_still_a_failure() -> None:
    (item,) = explain_message(UNREADABLE)
    assert item["reason"]["name"] == "unknown" and item["reason"]["permanent"] is True
    assert item["dsn"]["recipient"] == "dan@far.example"
    assert item["dsn"]["action"] == "failed"


def test_the_provider_s_own_reading_comes_before_the_registry_s_class_note() -> None:
    entry = next(p for p in catalogue.providers() if p.id == "microsoft-recipient-access-denied")
    item = only("550 5.4.1 Recipient address rejected: Access denied. AS(201806281) "
                 "[DM6NAM12FT035.eop-nam12.prod.protection.outlook.com]")
    assert item["provider"]["id"] == entry.id
    assert item["notes"][:2] == [
        f"{entry.provider} uses 5.4.1 differently from the registry: {entry.registry_note} "
        "The provider's meaning applies here.",
        "The registry lists X.4.1 with replies 451, none of class 5; it is read as a permanent "
        "failure."]


def test_a_text_pattern_is_a_reason_not_a_provider() -> None:
    item = only("552 5.2.2 mailbox full")
    assert item["provider"] is None
    assert (item["reason"]["decided_by"], item["reason"]["rule"]) == ("text",
                                                                      "text-mailbox-full")


def test_a_reply_in_a_bounce_that_gave_up_or_from_a_local_program() -> None:
    reply = Reply(451, ("4.3.0 temporary",), "4.3.0", ())
    assert explain_reply(reply)["reason"]["name"] != "expired"
    assert explain_reply(reply, final=True)["reason"]["name"] == "expired"
    local = explain_reply(Reply(550, ("5.1.1 nope",), "5.1.1", ()), local=True)
    assert (local["reason"]["name"], local["reason"]["rule"]) == ("system-error", "X-Unix 5.1.1")


def test_a_pasted_reply_is_in_the_language_asked_for() -> None:
    item = explain("550 5.1.1 nope", "tr")["items"][0]
    assert item["basic"] == basic_view(550, "tr")
    assert item["enhanced"] == enhanced_view("5.1.1", "tr")


def test_the_dropped_code_s_note_names_the_reply_s_own_class() -> None:
    assert only("501 2.0.0 odd")["notes"] == [
        "2.0.0 was not read as the enhanced code: its class 2 contradicts the reply's class 5 "
        "(RFC 3463 §2), so the reply code decides."]


def test_a_diagnostic_s_raw_lines_are_the_lines_the_server_sent() -> None:
    found = read_diagnostic("host mx.b said: 550-5.1.1 first line\n550 5.1.1 second line "
                            "(in reply to RCPT TO command)")
    item = explain_diagnostic(found)
    assert item is not None
    assert item["reply"]["raw"] == ["550-5.1.1 first line", "550 5.1.1 second line"]
    assert item["reply"]["lines"] == ["5.1.1 first line second line"]
    assert (item["step"], item["form"]) == ("RCPT", "postfix")
