"""``core/explain.py``: code parsing, the views of known and unknown codes, the notes, and
each kind of input ``explain`` takes, asserted whole.

Entry texts come from the catalogue and are read from it here (a correction of the data does
not break a test); every sentence ``explain`` builds itself is asserted word for word.  Pure.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpdiag import catalogue
from smtpdiag.core.bounce import read_diagnostic
from smtpdiag.core.explain import (
    EXPLAIN_SCHEMA,
    basic_view,
    enhanced_view,
    explain,
    explain_diagnostic,
    explain_message,
    explain_reply,
    parse_code,
    provider_view,
    reply_match_text,
)
from smtpdiag.core.reason import decide
from smtpdiag.errors import UsageError
from smtpdiag.model import Reply

MESSAGES = Path(__file__).resolve().parents[2] / "fixtures" / "messages"


# ------------------------------------------------------------------ parse_code

@pytest.mark.parametrize(("text", "parsed"), [
    ("550", ("basic", 550)),
    (" 250\n", ("basic", 250)),
    ("200", ("basic", 200)),
    ("259", ("basic", 259)),  # the second digit may be 5
    ("5.7.1", ("enhanced", "5.7.1")),
    ("2.0.0", ("enhanced", "2.0.0")),
    ("4.999.999", ("enhanced", "4.999.999")),
    ("5.01.001", ("enhanced", "5.1.1")),  # leading zeros dropped
    (" 5.7.26 ", ("enhanced", "5.7.26")),
])
def test_parse_code(text: str, parsed: tuple[str, int | str]) -> None:
    assert parse_code(text) == parsed


BASIC_RULE = "the first digit must be 2-5 and the second 0-5 (RFC 5321 §4.2)"


@pytest.mark.parametrize(("text", "message"), [
    ("160", f"160 is not a valid SMTP reply code: {BASIC_RULE}"),
    ("600", f"600 is not a valid SMTP reply code: {BASIC_RULE}"),
    ("260", f"260 is not a valid SMTP reply code: {BASIC_RULE}"),
    ("570", f"570 is not a valid SMTP reply code: {BASIC_RULE}"),
    (" 590 ", f"590 is not a valid SMTP reply code: {BASIC_RULE}"),
    ("3.1.1", "3.1.1 is not a valid enhanced status code: the class must be 2, 4 or 5 (RFC 3463)"),
    ("1.0.0", "1.0.0 is not a valid enhanced status code: the class must be 2, 4 or 5 (RFC 3463)"),
    ("5.1.1.1", "'5.1.1.1' is neither a reply code (550), an enhanced code (5.7.1) nor a reply"),
    ("5.1000.1", "'5.1000.1' is neither a reply code (550), an enhanced code (5.7.1) nor a "
                 "reply"),
    ("55O", "'55O' is neither a reply code (550), an enhanced code (5.7.1) nor a reply"),
    ("٥٥٠", "'٥٥٠' is neither a reply code (550), an enhanced code (5.7.1) nor a reply"),
])
def test_parse_code_refuses(text: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_code(text)
    assert info.value.message == message


# ------------------------------------------------------------------ views

def test_a_known_basic_code_is_its_catalogue_entry() -> None:
    entry = catalogue.lookup_basic(550)
    assert entry is not None
    assert basic_view(550, "tr") == {
        "code": 550, "class": 5, "class_name": catalogue.headings("tr")["classes"]["5"],
        "name": entry.name, "known": True, "description": entry.description,
        "when": entry.when, "fix": entry.fix, "fix_server": entry.fix_server,
        "commands": list(entry.commands), "per_command": entry.per_command,
        "references": list(entry.references),
    }


@pytest.mark.parametrize("code", [259, 200, 315, 441, 543])
def test_an_unknown_basic_code_is_read_by_its_digits(code: int) -> None:
    assert catalogue.lookup_basic(code) is None
    digits = catalogue.digits()
    klass = str(code)[0]
    assert basic_view(code) == {
        "code": code, "class": int(klass), "class_name": catalogue.headings("en")["classes"][klass],
        "name": f"Unassigned {klass}xx reply", "known": False,
        "description": f"{digits['first'][klass]} {digits['second'][str(code)[1]]}",
        "when": "When a server uses a code that no RFC known to this catalogue defines; "
                "RFC 5321 tells a client to read such a code by its first digit.",
        "fix": digits["fix"][klass], "fix_server": "", "commands": [], "per_command": {},
        "references": ["RFC 5321 §4.2.1"],
    }


def test_a_registered_enhanced_code_is_its_registry_entry() -> None:
    entry = catalogue.lookup_enhanced("5.1.1")
    assert entry is not None
    _, subjects = catalogue.enhanced_parts()
    assert enhanced_view("5.1.1", "vi") == {
        "code": "5.1.1", "registry_code": "X.1.1", "class": 5,
        "class_name": catalogue.headings("vi")["enhanced_classes"]["5"],
        "subject_name": subjects["1"]["name"], "name": entry.name, "registered": True,
        "usual_class": True, "description": entry.description, "when": entry.when,
        "fix": entry.fix, "fix_server": entry.fix_server,
        "references": list(entry.references),
    }


@pytest.mark.parametrize(("code", "usual"), [
    ("5.1.1", True),  # a class the registry lists
    ("4.1.1", True),  # X.1.1 lists no class 4, but reply 451
    ("2.1.1", False),  # neither a class 2 nor a 2xx reply listed
    ("4.3.4", False),
    ("4.5.2", False),  # replies 500-502 are 5xx, whatever a division by another number says
    ("2.0.0", True),
])
def test_usual_class(code: str, usual: bool) -> None:
    entry = catalogue.lookup_enhanced(code)
    assert entry is not None
    klass = int(code[0])
    assert (klass in entry.classes or any(c // 100 == klass for c in entry.basic_codes)) is usual
    assert enhanced_view(code)["usual_class"] is usual


@pytest.mark.parametrize(("code", "subject", "subject_name", "subject_text"), [
    ("5.7.606", "7", None, None),
    ("4.9.3", "9", "Unassigned subject 9", "This subject number is not assigned by the "
                                           "registry."),
])
def test_an_unregistered_enhanced_code_is_read_by_class_and_subject(
        code: str, subject: str, subject_name: str | None, subject_text: str | None) -> None:
    classes, subjects = catalogue.enhanced_parts()
    klass, _, detail = code.split(".")
    name = subject_name or subjects[subject]["name"]
    text = subject_text or subjects[subject]["description"]
    assert catalogue.lookup_enhanced(code) is None
    assert enhanced_view(code) == {
        "code": code, "registry_code": f"X.{subject}.{detail}", "class": int(klass),
        "class_name": catalogue.headings("en")["enhanced_classes"][klass],
        "subject_name": name, "name": f"{name} (detail {detail} is not registered)",
        "registered": False, "usual_class": False,
        "description": f"{classes[klass]['description']} {text}",
        "when": "When a server uses a detail number of its own; the class and subject still "
                "say what kind of problem it is.",
        "fix": catalogue.digits()["fix"][klass], "fix_server": "",
        "references": ["RFC 3463 §2", "IANA SMTP Enhanced Status Codes registry"],
    }


def test_provider_view() -> None:
    entry = next(p for p in catalogue.providers() if p.overrides_registry)
    assert provider_view(entry) == {
        "id": entry.id, "provider": entry.provider, "name": entry.name,
        "description": entry.description, "fix": entry.fix,
        "overrides_registry": True, "registry_note": entry.registry_note,
        "references": list(entry.references),
    }


@pytest.mark.parametrize(("reply", "text"), [
    (Reply(550, ("5.1.1 a", "", "  5.1.1 b  "), "5.1.1", ()), "a b"),
    (Reply(550, ("  hello  ", "4.1.1 x"), None, ()), "hello 4.1.1 x"),  # a 4.x.x in a 5xx: text
    (Reply(550, ("5.1.1",), "5.1.1", ()), ""),
    (Reply(250, ("ok",), None, ()), "ok"),
])
def test_reply_match_text(reply: Reply, text: str) -> None:
    assert reply_match_text(reply) == text


# ------------------------------------------------------------------ explain: codes

def _only(text: str) -> dict:
    result = explain(text)
    assert result["schema"] == EXPLAIN_SCHEMA
    assert result["input"] == text.strip()
    assert len(result["items"]) == 1
    item: dict = result["items"][0]
    return item


def test_a_bare_basic_code() -> None:
    result = explain(" 550 ", "zh")
    assert result["lang"] == "zh" and result["input"] == "550"
    assert result["items"] == [{
        "reply": None, "basic": basic_view(550, "zh"), "enhanced": None, "provider": None,
        "notes": [], "reason": decide(code=550, enhanced=None, text=""), "step": None,
        "form": "code", "dsn": None,
    }]


def test_a_bare_enhanced_code() -> None:
    assert _only("5.1.1") == {
        "reply": None, "basic": None, "enhanced": enhanced_view("5.1.1"), "provider": None,
        "notes": [], "reason": decide(code=None, enhanced="5.1.1", text=""), "step": None,
        "form": "code", "dsn": None,
    }


@pytest.mark.parametrize(("text", "notes"), [
    ("259", ["259 is not in the catalogue; read by its digits."]),
    ("5.7.606", ["5.7.606 is not in the registry; read by its class and subject."]),
    ("4.9.3", ["4.9.3 is not in the registry; read by its class and subject."]),
    ("2.1.1", ["The registry lists X.1.1 with replies 451, 550, none of class 2; it is read as "
               "a success."]),
    ("4.3.4", ["The registry lists X.3.4 with replies 552, 554, none of class 4; it is read as "
               "a persistent transient failure."]),
    ("5.1.1", []),
    ("4.1.1", []),
    ("550", []),
])
def test_the_notes_on_how_a_code_was_read(text: str, notes: list[str]) -> None:
    assert _only(text)["notes"] == notes


def test_an_unknown_code_with_an_unregistered_enhanced_code_notes_both() -> None:
    item = _only("259 2.9.9 something")
    assert item["notes"] == ["259 is not in the catalogue; read by its digits.",
                             "2.9.9 is not in the registry; read by its class and subject."]


# ------------------------------------------------------------------ explain: replies

def test_a_reply_without_a_provider() -> None:
    item = _only("550 5.1.1 nope")
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
    item = _only("421-4.7.27 Your email has been rate limited because SPF authentication "
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
    item = _only("550 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org")
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
    assert not any("wins over" in note for note in _only(text)["notes"])


@pytest.mark.parametrize(("text", "dropped"), [
    ("550 2.1.1 odd", "2.1.1"),
    ("450 5.7.1 odd", "5.7.1"),
    ("250 4.0.0 odd", "4.0.0"),
])
def test_an_enhanced_code_of_another_class_is_dropped_and_said_so(text: str,
                                                                   dropped: str) -> None:
    item = _only(text)
    assert item["enhanced"] is None
    assert item["notes"] == [
        f"{dropped} was not read as the enhanced code: its class {dropped[0]} contradicts the "
        f"reply's class {text[0]} (RFC 3463 §2), so the reply code decides."]


@pytest.mark.parametrize("text", ["550 3.1.1 odd", "550 odd 2.1.1", "550 5.1.1 ok"])
def test_nothing_is_said_dropped_when_nothing_was(text: str) -> None:
    assert not any("was not read" in note for note in _only(text)["notes"])


def test_a_reply_without_lines_drops_nothing() -> None:
    assert explain_reply(Reply(550, (), None, ()))["notes"] == []


def test_the_step_a_reply_answered_is_found_in_the_text() -> None:
    item = _only("550 5.1.1 no such user (in reply to RCPT TO command)")
    assert (item["step"], item["form"]) == ("RCPT", "reply")
    assert _only("550 5.1.1 no such user")["step"] is None


def test_several_replies_are_several_items() -> None:
    result = explain("450 4.2.0 busy\n550 5.1.1 unknown")
    assert [item["reply"]["code"] for item in result["items"]] == [450, 550]


# ------------------------------------------------------------------ explain: words

def test_words_without_a_code() -> None:
    item = _only("mailbox full")
    assert item["reply"] is None and item["basic"] is None and item["enhanced"] is None
    assert item["form"] == "words" and item["text"] == "mailbox full"
    assert (item["reason"]["name"], item["reason"]["decided_by"]) == ("mailbox-full", "text")


def test_an_enhanced_code_with_words() -> None:
    item = _only("5.1.1 user unknown")
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
    assert _only("5.2.2 zzz")["reason"]["decided_by"] == "enhanced"
    later = explain_diagnostic(read_diagnostic("4.3.0 zzz"), final=True)
    assert later is not None and later["reason"]["name"] == "expired"


def test_words_that_contradict_an_enhanced_code_say_so() -> None:
    item = _only("5.7.1 mailbox full")
    assert item["reason"]["name"] == "mailbox-full"
    assert item["notes"] == [
        f"The text says mailbox-full ({item['reason']['summary']}); that wins over what 5.7.1 "
        f"means in the registry ({enhanced_view('5.7.1')['name']}: policy)."]


# ------------------------------------------------------------------ bounce messages

def test_a_bounce_that_gave_up_after_a_timeout_expired() -> None:
    (item,) = explain_message((MESSAGES / "postfix-dsn-expired.eml").read_bytes())
    assert (item["reason"]["name"], item["reason"]["rule"]) == ("expired", "Action: failed")
    assert item["dsn"]["recipient"] == "cara@slow.example"


def test_a_delay_warning_in_words_is_an_expiry_warning() -> None:
    (item,) = explain_message((MESSAGES / "gmail-delayed-prose.eml").read_bytes())
    assert (item["reason"]["name"], item["reason"]["rule"]) == ("expired", "Action: delayed")
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
