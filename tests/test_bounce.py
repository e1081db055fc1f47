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


@pytest.mark.parametrize(("text", "message"), [
    ("retry timeout exceeded (reason: 550 5.1.1 User unknown)", "User unknown"),
    ("failed ( 550 5.1.1 User unknown )", "User unknown"),
    ("failed (550 5.1.1 User unknown (no such user))", "User unknown (no such user)"),
    # not written inside parentheses: the reply's own ")" is the server's, and stays
    ("550 5.1.1 User unknown (no such user))", "User unknown (no such user))"),
    ("(note) 550 5.1.1 User unknown)", "User unknown)"),
])
def test_a_reply_written_inside_parentheses_leaves_the_closing_one_behind(text, message):
    found = read_diagnostic(text)
    assert (found.code, found.enhanced, found.message) == (550, "5.1.1", message)


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


# The accuracy fixes of the audit: each a reply as the provider really sends it.
@pytest.mark.parametrize(("text", "entry", "reason", "overrides"), [
    ("421-4.7.23 [203.0.113.10] The sending IP address for this message doesn't have a PTR "
     "record, or the PTR record's forward DNS entry doesn't match the sending IP address. To "
     "protect users from spam, your email has been temporarily rate limited. gsmtp",
     "gmail-ptr-rate-limited", "requires-ptr", True),
    ("550-5.7.30 This message was blocked because DKIM does not pass. gsmtp",
     "gmail-dkim-blocked", "auth-failed", True),
    ("550-5.7.1 This message is not RFC 5322 compliant, because it has multiple addresses in "
     "the From: header. gsmtp", "gmail-rfc5322-noncompliant", "not-compliant", False),
    ("550 5.7.1 The administrator of the recipient's domain has a policy that prohibited the "
     "mail that you sent. gsmtp", "google-workspace-admin-policy", "policy", False),
    ("534-5.7.14 Please log in via your web browser and then try again. gsmtp",
     "gmail-web-login-required", "auth-required", True),
    ("553 5.7.2 [TSS09] All messages from 203.0.113.10 will be permanently deferred",
     "yahoo-permanently-deferred", "blocked", True),
    ("550 5.7.12 The sender was not authenticated by the organization.",
     "microsoft-sender-not-authenticated-for-group", "policy", True),
    ("550 5.7.13 Sender is not allowed to send to this public folder",
     "microsoft-public-folder-not-allowed", "policy", True),
    ("550 5.4.1 Relay Access Denied [BN8NAM12FT063.eop-nam12.prod.protection.outlook.com]",
     "microsoft-relay-access-denied", "user-unknown", True),
    ("535 5.7.30 Basic authentication is not supported for Client Submission.",
     "microsoft-basic-auth-client-submission", "auth-required", True),
])
def test_audited_provider_replies(text, entry, reason, overrides):
    item = explain(text)["items"][0]
    assert item["provider"]["id"] == entry
    assert item["provider"]["overrides_registry"] is overrides
    assert item["reason"]["name"] == reason


@pytest.mark.parametrize(("code", "entry"), [
    ("127.255.255.252", "spamhaus-returnc-typo"),
    ("127.255.255.254", "spamhaus-open-resolver"),
    ("127.255.255.255", "spamhaus-excessive-queries"),
])
def test_spamhaus_error_answers_are_told_apart_and_blame_the_receiver(code, entry):
    item = explain(f"554 5.7.1 Client host [203.0.113.10] blocked using zen.spamhaus.org; "
                   f"{code}")["items"][0]
    assert item["provider"]["id"] == entry
    assert item["reason"]["who"] == "recipient-admin"


def test_postfix_helo_entry_does_not_claim_underscores_are_invalid():
    from smtpdiag import catalogue

    entry = next(e for e in catalogue.providers() if e.id == "postfix-helo-invalid")
    assert "accept underscores" in entry.description


def test_450_and_451_list_the_commands_rfc_5321_gives_them():
    from smtpdiag import catalogue

    assert "MAIL" not in catalogue.lookup_basic(450).commands
    assert "DATA" not in catalogue.lookup_basic(451).commands
    assert "DATA-END" in catalogue.lookup_basic(451).commands
