"""``compare``: two codes side by side, every sentence it makes asserted whole.

The entry texts (names, descriptions) come from the catalogue and are read from it here, so a
correction of the data does not break these tests; the sentences ``compare`` builds around
them, the class labels and the per-class texts of ``data/compare.json`` are asserted word for
word, for same and different classes, basic and enhanced codes on either side.  Pure.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from smtpdiag import catalogue
from smtpdiag.core.compare import COMPARE_SCHEMA, _lower_first, _means, compare
from smtpdiag.core.explain import basic_view, enhanced_view
from smtpdiag.errors import UsageError

TEXTS = json.loads((catalogue.DATA_DIR / "compare.json").read_text(encoding="utf-8"))
MEANS, NEXT, SEND = TEXTS["class_means"], TEXTS["client_next"], TEXTS["send_when"]


def test_the_per_class_texts_are_the_data_files() -> None:
    assert MEANS["5"] == "the command failed and will fail again if repeated unchanged"
    assert NEXT["2"] == "goes on to the next command of the session"
    assert SEND["4"].startswith("when the problem may clear by itself")


@pytest.mark.parametrize(("text", "lowered"), [
    ("After a HELP", "after a HELP"),
    ("Ab", "ab"),
    ("A", "A"),  # one letter: nothing follows to tell a word from an acronym
    ("", ""),
    ("AUTH first", "AUTH first"),  # an acronym keeps its capitals
    ("after", "after"),
    ("Éclair", "éclair"),
    ("1st", "1st"),
])
def test_lower_first(text: str, lowered: str) -> None:
    assert _lower_first(text) == lowered


@pytest.mark.parametrize(("description", "sentence"), [
    ("A status report.", "211 is a status report."),
    ("An AUTH reply.", "211 is an AUTH reply."),
    ("The action was done.", "211 means that the action was done."),
    ("Another thing.", "211 means that another thing."),  # "An" only as a word
    ("ABC reply.", "211 means that ABC reply."),
])
def test_means(description: str, sentence: str) -> None:
    assert _means({"code": "211", "description": description}) == sentence


def _lower(text: str) -> str:
    return text[0].lower() + text[1:]


def _side_of(code: str) -> dict[str, Any]:
    if "." in code:
        view = enhanced_view(code)
        return {"code": code, "kind": "enhanced", "name": view["name"], "class": view["class"],
                "class_name": view["class_name"], "known": view["registered"],
                "description": view["description"], "when": view["when"], "fix": view["fix"],
                "references": view["references"], "commands": [],
                "subject_name": view["subject_name"]}
    view = basic_view(int(code))
    return {"code": code, "kind": "basic", "name": view["name"], "class": view["class"],
            "class_name": view["class_name"], "known": view["known"],
            "description": view["description"], "when": view["when"], "fix": view["fix"],
            "references": view["references"], "commands": view["commands"],
            "subject_name": ""}


@pytest.mark.parametrize(("code", "label"), [
    ("211", "2xx Positive Completion"),
    ("354", "3xx Positive Intermediate"),
    ("451", "4xx Transient Negative Completion"),
    ("550", "5xx Permanent Negative Completion"),
    ("259", "2xx Positive Completion"),  # unassigned: read by its digits
    ("2.0.0", "2.X.X Success"),
    ("4.7.1", "4.X.X Persistent Transient Failure"),
    ("5.1.1", "5.X.X Permanent Failure"),
    ("5.1.99", "5.X.X Permanent Failure"),  # unregistered detail
])
def test_each_side_is_the_code_s_view_with_its_class_label(code: str, label: str) -> None:
    result = compare(code, "250")
    assert result["sides"][0] == {**_side_of(code), "class_label": label}
    assert result["sides"][1] == {**_side_of("250"), "class_label": "2xx Positive Completion"}


def test_the_sides_of_unknown_codes_say_so() -> None:
    first, second = compare("259", "5.1.99")["sides"]
    assert (first["known"], second["known"]) == (False, False)
    assert (first["commands"], first["subject_name"]) == ([], "")
    assert (second["commands"], second["subject_name"]) == ([], "Addressing Status")
    assert (first["class"], second["class"]) == (2, 5)
    assert compare("250", "5.1.1")["sides"][1]["known"] is True


def test_two_basic_codes_of_one_class() -> None:
    result = compare("211", "250")
    category = ("Both SMTP 211 (System Status) and 250 (OK) belong to the 2xx Positive "
                "Completion category.")
    assert result == {
        "schema": COMPARE_SCHEMA, "lang": "en",
        "title": "SMTP 211 System Status vs 250 OK",
        "category": category,
        "summary": (f"{category} 211 is {_lower(basic_view(211)['description'])} Meanwhile, "
                    f"250 means that {_lower(basic_view(250)['description'])}"),
        "same_class": True,
        "sides": [{**_side_of("211"), "class_label": "2xx Positive Completion"},
                  {**_side_of("250"), "class_label": "2xx Positive Completion"}],
        "differences": [
            f"Both are 2xx Positive Completion responses: {MEANS['2']}.",
            "211 answers HELP; 250 answers EHLO, HELO, MAIL, RCPT, DATA-END, BDAT, BURL, RSET, "
            "NOOP, VRFY, EXPN, ETRN.",
            f"After either, a client {NEXT['2']}.",
        ],
        "which": (f"Both are sent {SEND['2']}. Send the one whose name says what happened: "
                  "211 (System Status) or 250 (OK)."),
    }


def test_two_basic_codes_of_different_classes() -> None:
    result = compare("250", "550", "tr")
    category = ("SMTP 250 (OK) is a 2xx Positive Completion response, while 550 (Mailbox "
                "Unavailable) is a 5xx Permanent Negative Completion response.")
    assert result["lang"] == "tr"
    assert result["title"] == "SMTP 250 OK vs 550 Mailbox Unavailable"
    assert result["category"] == category
    assert result["summary"] == (
        f"{category} 250 means that {_lower(basic_view(250)['description'])} In contrast, "
        f"550 means that {_lower(basic_view(550)['description'])}")
    assert result["same_class"] is False
    assert result["differences"] == [
        f"250 is a 2xx Positive Completion response: {MEANS['2']}; 550 is a 5xx Permanent "
        f"Negative Completion response: {MEANS['5']}.",
        "Both answer EHLO, HELO, MAIL, RCPT, DATA-END, BDAT, VRFY, EXPN; only 250 answers "
        "BURL, RSET, NOOP, ETRN.",
        f"After 250 a client {NEXT['2']}; after 550 it {NEXT['5']}.",
    ]
    assert result["which"] == f"Send 250 {SEND['2']}. Send 550 {SEND['5']}."
    # the headings are the language's; the class names with them
    assert result["sides"][0]["class_name"] == basic_view(250, "tr")["class_name"]


@pytest.mark.parametrize(("first", "second", "line"), [
    # the same commands: said once
    ("451", "452", "Both answer MAIL, RCPT, DATA-END, BDAT."),
    ("555", "455", "Both answer MAIL, RCPT."),
    ("259", "258", "Both answer no particular command."),
    # shared commands, and what only one of them answers (in the first one's order)
    ("550", "551", "Both answer RCPT, VRFY; only 550 answers EHLO, HELO, MAIL, DATA-END, BDAT, "
                   "EXPN."),
    ("551", "550", "Both answer RCPT, VRFY; only 550 answers EHLO, HELO, MAIL, DATA-END, BDAT, "
                   "EXPN."),
    ("455", "553", "Both answer MAIL, RCPT; only 553 answers VRFY."),
    ("251", "553", "Both answer RCPT, VRFY; only 251 answers ETRN and only 553 answers MAIL."),
    # nothing shared
    ("211", "354", "211 answers HELP; 354 answers DATA."),
    ("259", "354", "259 answers no particular command; 354 answers DATA."),
    ("354", "259", "354 answers DATA; 259 answers no particular command."),
    # enhanced codes report a subject; across kinds nothing is shared
    ("5.1.1", "5.1.2", "Both report addressing status (X.1.X)."),
    ("5.1.1", "4.7.1", "5.1.1 reports addressing status (X.1.X); 4.7.1 reports security or "
                       "policy status (X.7.X)."),
    ("550", "5.1.1", "550 answers EHLO, HELO, MAIL, RCPT, DATA-END, BDAT, VRFY, EXPN; 5.1.1 "
                     "reports addressing status (X.1.X)."),
    ("5.2.0", "354", "5.2.0 reports mailbox status (X.2.X); 354 answers DATA."),
    ("5.9.0", "354", "5.9.0 reports unassigned subject 9 (X.9.X); 354 answers DATA."),
])
def test_what_each_one_answers(first: str, second: str, line: str) -> None:
    assert compare(first, second)["differences"][1] == line


def test_an_enhanced_and_a_basic_code_are_codes_of_different_categories() -> None:
    result = compare("4.2.0", "550")
    category = ("SMTP 4.2.0 (Other or undefined mailbox status) is a 4.X.X Persistent "
                "Transient Failure code, while 550 (Mailbox Unavailable) is a 5xx Permanent "
                "Negative Completion code.")
    assert result["category"] == category
    assert result["summary"] == (
        f"{category} 4.2.0 means that {_lower(enhanced_view('4.2.0')['description'])} In "
        f"contrast, 550 means that {_lower(basic_view(550)['description'])}")
    assert result["differences"][0] == (
        f"4.2.0 is a 4.X.X Persistent Transient Failure code: {MEANS['4']}; 550 is a 5xx "
        f"Permanent Negative Completion code: {MEANS['5']}.")
    assert result["differences"][2] == (f"After 4.2.0 a client {NEXT['4']}; after 550 it "
                                        f"{NEXT['5']}.")


def test_a_basic_and_an_enhanced_code_of_one_class_differ_in_category_not_in_advice() -> None:
    result = compare("550", "5.1.1")
    assert result["same_class"] is False  # 5xx and 5.X.X are not one category
    assert result["category"] == (
        "SMTP 550 (Mailbox Unavailable) is a 5xx Permanent Negative Completion code, while "
        "5.1.1 (Bad destination mailbox address) is a 5.X.X Permanent Failure code.")
    assert result["differences"][0] == (
        f"550 is a 5xx Permanent Negative Completion code: {MEANS['5']}; 5.1.1 is a 5.X.X "
        f"Permanent Failure code: {MEANS['5']}.")
    assert result["differences"][2] == f"After either, a client {NEXT['5']}."
    assert result["which"] == (f"Both are sent {SEND['5']}. Send the one whose name says what "
                               "happened: 550 (Mailbox Unavailable) or 5.1.1 (Bad destination "
                               "mailbox address).")


def test_an_enhanced_side_is_in_the_language_asked_for() -> None:
    first, second = compare("5.1.1", "4.7.1", "tr")["sides"]
    assert first["class_name"] == enhanced_view("5.1.1", "tr")["class_name"]
    assert second["class_name"] == enhanced_view("4.7.1", "tr")["class_name"]
    assert first["class_name"] != enhanced_view("5.1.1")["class_name"]


def test_two_enhanced_codes_of_one_class() -> None:
    result = compare("5.1.1", "5.7.1")
    assert result["title"] == ("SMTP 5.1.1 Bad destination mailbox address vs 5.7.1 Delivery "
                               "not authorized, message refused")
    assert result["category"] == (
        "Both SMTP 5.1.1 (Bad destination mailbox address) and 5.7.1 (Delivery not "
        "authorized, message refused) belong to the 5.X.X Permanent Failure category.")
    assert result["same_class"] is True
    assert result["differences"][0] == f"Both are 5.X.X Permanent Failure codes: {MEANS['5']}."


def test_a_code_that_starts_with_an_article_is_a_thing() -> None:
    result = compare("432", "211")
    assert result["summary"].endswith(
        f" 432 is {_lower(basic_view(432)['description'])} In contrast, 211 is "
        f"{_lower(basic_view(211)['description'])}")


@pytest.mark.parametrize(("first", "second", "which"), [
    ("354", "334", f"Both are sent {SEND['3']}. Send the one whose name says what happened: "
                   "354 (Start Mail Input) or 334 (Authentication Challenge)."),
    ("451", "334", f"Send 451 {SEND['4']}. Send 334 {SEND['3']}."),
])
def test_which_to_send(first: str, second: str, which: str) -> None:
    assert compare(first, second)["which"] == which


@pytest.mark.parametrize(("first", "second", "message"), [
    ("211", "999", r"^999 is not a valid SMTP reply code"),
    ("611", "250", r"^611 is not a valid SMTP reply code"),
    ("250", "3.1.1", r"^3\.1\.1 is not a valid enhanced status code"),
    ("250", "nope", r"^'nope' is neither a reply code"),
])
def test_malformed_codes_are_refused(first: str, second: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        compare(first, second)
