"""``core/explain.py`` on pasted replies and words: the provider's and the registry's readings,
the notes (a contradiction, an enhanced code dropped for its class), the step a reply answered,
words without a code, and the language asked for, all through.

Entry texts come from the catalogue and are read from it here; every sentence ``explain``
builds itself is asserted word for word.  Pure.
"""

from __future__ import annotations

import pytest

from smtpdiag import catalogue
from smtpdiag.core.bounce import read_diagnostic
from smtpdiag.core.explain import (
    basic_view,
    enhanced_view,
    explain,
    explain_diagnostic,
    explain_message,
    explain_reply,
    provider_view,
)
from smtpdiag.core.reason import decide
from smtpdiag.errors import UsageError
from smtpdiag.model import Reply
from tests.core.explainkit import MESSAGES, only

# ------------------------------------------------------------------ explain: replies

def test_a_reply_without_a_provider() -> None:
    item = only("550 5.1.1 nope")
    assert item["reply"] == {"code": 550, "enhanced": "5.1.1", "lines": ["5.1.1 nope"],
                             "raw": ["550 5.1.1 nope"]}
    assert item["basic"] == basic_view(550) and item["enhanced"] == enhanced_view("5.1.1")
    assert (item["provider"], item["step"], item["form"], item["dsn"]) == (None, None, "reply",
                                                                           None)
    assert item["reason"] == decide(code=550, enhanced="5.1.1", text="nope", searched=True)
    assert "text" not in item


def test_a_reply_s_raw_lines_are_made_when_it_has_none() -> None:
    reply = Reply(550, ("5.1.1 a", ""), "5.1.1", ())
    assert explain_reply(reply)["reply"]["raw"] == ["550 5.1.1 a", "550"]
    kept = Reply(550, ("5.1.1 a",), "5.1.1", ("550-5.1.1 a", "550 "))
    assert explain_reply(kept)["reply"]["raw"] == ["550-5.1.1 a", "550 "]


def test_a_provider_that_reads_a_code_its_own_way_says_so_first() -> None:
    entry = next(p for p in catalogue.providers() if p.id == "gmail-spf-rate-limited")
    item = only("421-4.7.27 Your email has been rate limited because SPF authentication "
                 "didn't pass for this message. gsmtp")
    assert item["provider"] == provider_view(entry)
    registry = enhanced_view("4.7.27")["name"]
    assert item["notes"] == [
        f"Gmail uses 4.7.27 differently from the registry: {entry.registry_note} The "
        "provider's meaning applies here.",
        f"The text says auth-failed ({item['reason']['summary']}); that wins over what 4.7.27 "
        f"means in the registry ({registry}: no-mail).",
    ]
    assert (item["reason"]["name"], item["reason"]["decided_by"]) == ("auth-failed", "provider")


def test_a_text_pattern_that_overrides_the_registry_says_so() -> None:
    item = only("550 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org")
    assert item["notes"] == [
        f"The text says blocked ({item['reason']['summary']}); that wins over what 5.7.1 "
        f"means in the registry ({enhanced_view('5.7.1')['name']}: policy)."]


@pytest.mark.parametrize("text", [
    "550 5.1.1 <a@b.example>: Recipient address rejected: User unknown in virtual mailbox "
    "table",  # the pattern agrees with the registry
    "421 4.7.0 closing",  # no pattern: the code decides
    "550 Service unavailable; client host blocked using zen.spamhaus.org",  # no enhanced code
])
def test_no_contradiction_note_when_nothing_contradicts(text: str) -> None:
    assert not any("wins over" in note for note in only(text)["notes"])


@pytest.mark.parametrize(("text", "dropped"), [
    ("550 2.1.1 odd", "2.1.1"),
    ("450 5.7.1 odd", "5.7.1"),
    ("250 4.0.0 odd", "4.0.0"),
])
def test_an_enhanced_code_of_another_class_is_dropped_and_said_so(text: str,
                                                                   dropped: str) -> None:
    item = only(text)
    assert item["enhanced"] is None
    assert item["notes"] == [
        f"{dropped} was not read as the enhanced code: its class {dropped[0]} contradicts the "
        f"reply's class {text[0]} (RFC 3463 §2), so the reply code decides."]


@pytest.mark.parametrize("text", ["550 3.1.1 odd", "550 odd 2.1.1", "550 5.1.1 ok"])
def test_nothing_is_said_dropped_when_nothing_was(text: str) -> None:
    assert not any("was not read" in note for note in only(text)["notes"])


def test_a_reply_without_lines_drops_nothing() -> None:
    assert explain_reply(Reply(550, (), None, ()))["notes"] == []


def test_the_step_a_reply_answered_is_found_in_the_text() -> None:
    item = only("550 5.1.1 no such user (in reply to RCPT TO command)")
    assert (item["step"], item["form"]) == ("RCPT", "reply")
    assert only("550 5.1.1 no such user")["step"] is None


def test_several_replies_are_several_items() -> None:
    result = explain("450 4.2.0 busy\n550 5.1.1 unknown")
    assert [item["reply"]["code"] for item in result["items"]] == [450, 550]


# ------------------------------------------------------------------ explain: words

def test_words_without_a_code() -> None:
    item = only("mailbox full")
    assert item["reply"] is None and item["basic"] is None and item["enhanced"] is None
    assert item["form"] == "words" and item["text"] == "mailbox full"
    assert (item["reason"]["name"], item["reason"]["decided_by"]) == ("mailbox-full", "text")


def test_an_enhanced_code_with_words() -> None:
    item = only("5.1.1 user unknown")
    assert item["enhanced"] == enhanced_view("5.1.1") and item["form"] == "enhanced"
    assert item["text"] == "user unknown"


def test_words_that_say_nothing_known_are_refused() -> None:
    with pytest.raises(UsageError) as info:
        explain("the weather is fine")
    assert info.value.message == ("no SMTP reply code, enhanced status code or known bounce "
                                  "wording found in 'the weather is fine'")


@pytest.mark.parametrize("text", ["", " \n\t "])
def test_nothing_to_explain(text: str) -> None:
    with pytest.raises(UsageError) as info:
        explain(text)
    assert info.value.message == "nothing to explain: give a code (550, 5.7.1) or a reply text"


def test_explain_diagnostic_says_none_for_nothing_known_unless_asked() -> None:
    found = read_diagnostic("the weather is fine")
    assert explain_diagnostic(found) is None
    item = explain_diagnostic(found, always=True)
    assert item is not None and item["reason"]["name"] == "unknown"
    assert item["text"] == "the weather is fine"


def test_a_diagnostic_with_a_code_is_explained_as_its_reply() -> None:
    found = read_diagnostic("Diagnostic-Code: smtp; 550 5.1.1 <a@b>: Recipient address "
                            "rejected: User unknown in virtual mailbox table")
    item = explain_diagnostic(found)
    assert item is not None
    assert item["reply"] == {
        "code": 550, "enhanced": "5.1.1",
        "lines": ["5.1.1 <a@b>: Recipient address rejected: User unknown in virtual mailbox "
                  "table"],
        "raw": ["550 5.1.1 <a@b>: Recipient address rejected: User unknown in virtual mailbox "
                "table"]}
    assert item["form"] == "dsn"
    assert (item["reason"]["name"], item["reason"]["decided_by"]) == ("user-unknown",
                                                                      "provider")


def test_a_diagnostic_whose_enhanced_code_contradicts_its_reply_keeps_the_reply_s() -> None:
    found = read_diagnostic("Diagnostic-Code: smtp; 550 4.2.2 mailbox full")
    item = explain_diagnostic(found)
    assert item is not None
    assert item["reply"]["enhanced"] is None and item["enhanced"] is None
    assert item["reply"]["lines"] == ["4.2.2 mailbox full"]
    assert item["notes"] == [
        "4.2.2 was not read as the enhanced code: its class 4 contradicts the reply's class 5 "
        "(RFC 3463 §2), so the reply code decides."]


# ------------------------------------------------------------------ the language, all through

def test_every_view_is_in_the_language_asked_for() -> None:
    tr_basic = catalogue.headings("tr")["classes"]["4"]
    tr_enhanced = catalogue.headings("tr")["enhanced_classes"]["5"]
    assert tr_basic != catalogue.headings("en")["classes"]["4"]
    assert explain("5.1.1", "tr")["items"][0]["enhanced"]["class_name"] == tr_enhanced
    assert explain("5.1.1 user unknown", "tr")["items"][0]["enhanced"]["class_name"] == \
        tr_enhanced
    found = read_diagnostic("Diagnostic-Code: smtp; 451 4.3.0 temporary")
    item = explain_diagnostic(found, "tr")
    assert item is not None and item["basic"]["class_name"] == tr_basic
    data = (MESSAGES / "postfix-dsn-two-recipients.eml").read_bytes()
    assert explain_message(data, "tr")[0]["basic"]["class_name"] == \
        catalogue.headings("tr")["classes"]["5"]
