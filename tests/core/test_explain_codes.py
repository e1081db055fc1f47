"""``core/explain.py`` on codes: parsing a bare code, the views of known and unknown basic and
enhanced codes, the provider view, and ``explain`` of a bare code with its notes, asserted whole.

Entry texts come from the catalogue and are read from it here (a correction of the data does
not break a test); every sentence ``explain`` builds itself is asserted word for word.  Pure.
"""

from __future__ import annotations

import pytest

from smtpdiag import catalogue
from smtpdiag.core.explain import (
    basic_view,
    enhanced_view,
    explain,
    parse_code,
    provider_view,
    reply_match_text,
)
from smtpdiag.core.reason import decide
from smtpdiag.errors import UsageError
from smtpdiag.model import Reply
from tests.core.explainkit import only

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

def test_a_bare_basic_code() -> None:
    result = explain(" 550 ", "zh")
    assert result["lang"] == "zh" and result["input"] == "550"
    assert result["items"] == [{
        "reply": None, "basic": basic_view(550, "zh"), "enhanced": None, "provider": None,
        "notes": [], "reason": decide(code=550, enhanced=None, text=""), "step": None,
        "form": "code", "dsn": None,
    }]


def test_a_bare_enhanced_code() -> None:
    assert only("5.1.1") == {
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
    assert only(text)["notes"] == notes


def test_an_unknown_code_with_an_unregistered_enhanced_code_notes_both() -> None:
    item = only("259 2.9.9 something")
    assert item["notes"] == ["259 is not in the catalogue; read by its digits.",
                             "2.9.9 is not in the registry; read by its class and subject."]
