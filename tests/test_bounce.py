"""Reading real bounce text: every MTA format in fixtures/texts, reasons and their precedence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smtpdiag.core.bounce import read_diagnostic
from smtpdiag.core.explain import explain
from tests.conftest import assert_valid

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TEXTS = json.loads((FIXTURES / "texts.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_each_mta_format_is_read(name):
    text = (FIXTURES / "texts" / name).read_text(encoding="utf-8")
    want = TEXTS[name]
    found = read_diagnostic(text)
    assert (found.code, found.enhanced, found.command, found.form) == (
        want["code"], want["enhanced"], want["step"], want["form"])
    result = explain(text)
    assert_valid(result, "explain")
    item = result["items"][0]
    assert item["reason"]["name"] == want["reason"]
    assert item["step"] == want["step"]


def test_folded_diagnostic_code_is_one_reply():
    found = read_diagnostic("Diagnostic-Code: smtp; 550 5.1.1 <a@example.org>:\n"
                            "    Recipient address rejected:\n\tUser unknown")
    assert found.message == "<a@example.org>: Recipient address rejected: User unknown"


def test_a_code_inside_an_address_or_number_is_not_a_reply():
    found = read_diagnostic("Connection timed out to 10.5.2.1 port 5500 at 2024-05-50")
    assert (found.code, found.enhanced, found.form) == (None, None, "words")
    assert explain("Connection timed out to 10.5.2.1")["items"][0]["reason"]["name"] == "network"


def test_nothing_readable_is_a_usage_error():
    from smtpdiag.errors import UsageError

    with pytest.raises(UsageError, match="no SMTP reply code"):
        explain("hello there, how are you")


@pytest.mark.parametrize(("text", "reason", "decided_by"), [
    # a provider's own pattern beats everything
    ("550 5.1.1 The email account that you tried to reach does not exist. gsmtp",
     "user-unknown", "provider"),
    # a wording beats the enhanced code ...
    ("550 5.2.1 <bob@example.org>... User Unknown", "user-unknown", "text"),
    ("554 5.7.9 Header error", "not-compliant", "text"),
    ("550 5.1.1 <bob@example.org> too many recipients this hour", "too-many-recipients", "text"),
    # ... which beats the basic code
    ("550 5.2.2 over", "mailbox-full", "enhanced"),
    ("552 ok then", "message-too-big", "basic"),
    ("550 nope", "unknown", "none"),
])
def test_precedence_provider_text_enhanced_basic(text, reason, decided_by):
    item = explain(text)["items"][0]
    assert (item["reason"]["name"], item["reason"]["decided_by"]) == (reason, decided_by)


@pytest.mark.parametrize("text", ["550 5.2.1 <bob@example.org>... User Unknown",
                                  "554 5.7.9 Header error"])
def test_text_contradicting_the_registry_says_so(text):
    item = explain(text)["items"][0]
    assert any("wins over what" in note for note in item["notes"])


def test_dropped_enhanced_code_is_mentioned():
    item = explain("554 4.4.7 Message expired in queue")["items"][0]
    assert item["reply"]["enhanced"] is None
    assert any("4.4.7 was not read" in note for note in item["notes"])


def test_the_command_named_in_the_text_decides_a_generic_refusal():
    item = explain("host mx.example.org[192.0.2.1] said: 550 5.7.1 Access denied "
                   "(in reply to MAIL FROM command)")["items"][0]
    assert item["step"] == "MAIL"
    assert item["reason"]["name"] == "sender-rejected"


def test_permanent_follows_the_class_and_who_the_reason():
    temp = explain("452 4.2.2 Mailbox full")["items"][0]["reason"]
    perm = explain("552 5.2.2 Mailbox full")["items"][0]["reason"]
    assert (temp["permanent"], perm["permanent"]) == (False, True)
    assert temp["who"] == "recipient-admin"
