"""``core/classify.py``: the compact record of one diagnostic, for thousands at once.

The reason itself is ``core/reason.py``'s to decide (and its tests' to pin); here it is the
oracle, and what ``record`` decides on its own is pinned: an enhanced code whose class
contradicts the reply is dropped, a text pattern is no provider, the error only when nothing at
all was recognised, the input shown up to 1,000 characters, and a bounce's recipient fields.
"""

from __future__ import annotations

from typing import Any

import pytest

from smtpdiag import catalogue
from smtpdiag.core.bounce import Diagnostic
from smtpdiag.core.classify import BOUNCE_SCHEMA, MAX_INPUT_SHOWN, classify, record
from smtpdiag.core.reason import decide

NOTHING = "no SMTP reply code, enhanced status code or known bounce wording"


def diag(code: int | None, enhanced: str | None, message: str, command: str | None = None,
         form: str = "reply") -> Diagnostic:
    return Diagnostic(code, enhanced, message, (message,), command, form)


def expected(found: Diagnostic, text: str, enhanced: str | None, provider: str | None,
             final: bool | None = None, error: bool = False) -> dict[str, Any]:
    entry = catalogue.match_provider(found.code, enhanced, found.message)
    result = {
        "schema": BOUNCE_SCHEMA, "input": text[:MAX_INPUT_SHOWN], "code": found.code,
        "enhanced": enhanced, "step": found.command, "form": found.form,
        "reason": decide(code=found.code, enhanced=enhanced, text=found.message,
                         command=found.command, entry=entry, final=final),
        "provider": provider, "recipient": None, "action": None, "status": None,
        "remote_mta": None}
    if error:
        result["error"] = NOTHING
    return result


def test_constants() -> None:
    assert (BOUNCE_SCHEMA, MAX_INPUT_SHOWN) == ("smtpdiag.bounce/1", 1_000)


POSTFIX = "<a@b.test>: Recipient address rejected: User unknown in virtual mailbox table"


def test_a_provider_pattern_is_named() -> None:
    found = diag(550, "5.1.1", POSTFIX, "RCPT")
    got = record(found, "550 5.1.1 " + POSTFIX)
    assert got == expected(found, "550 5.1.1 " + POSTFIX, "5.1.1",
                           "postfix-user-unknown-in-table")
    assert got["reason"]["decided_by"] == "provider"


def test_a_text_pattern_decides_the_reason_but_is_no_provider() -> None:
    found = diag(421, "4.7.0", "try again later", form="reply")
    got = record(found, "421 4.7.0 try again later")
    assert got["provider"] is None and got["reason"]["decided_by"] == "text"
    assert got == expected(found, "421 4.7.0 try again later", "4.7.0", None)


@pytest.mark.parametrize(("code", "enhanced", "kept"), [
    (550, "4.1.1", None), (451, "5.1.1", None), (250, "2.0.0", "2.0.0"), (550, "5.1.1", "5.1.1"),
    (None, "5.7.1", "5.7.1"), (550, None, None), (550, "", ""),
])
def test_an_enhanced_code_contradicting_the_reply_is_dropped(code: int | None,
                                                            enhanced: str | None,
                                                            kept: str | None) -> None:
    found = diag(code, enhanced, "odd")
    got = record(found, "text")
    assert got["enhanced"] == kept
    assert got == expected(found, "text", kept, None,
                           error=code is None and not kept and got["reason"]["decided_by"]
                           == "none")


def test_nothing_recognised_is_an_error_record() -> None:
    found = diag(None, None, "hello", form="words")
    assert record(found, "hello") == expected(found, "hello", None, None, error=True)


@pytest.mark.parametrize(("code", "enhanced", "final"), [
    (550, None, None), (None, "5.9.9", None), (None, None, True), (None, None, False)])
def test_anything_known_is_no_error(code: int | None, enhanced: str | None,
                                    final: bool | None) -> None:
    assert "error" not in record(diag(code, enhanced, "zzz"), "zzz", final=final)


def test_final_reaches_the_reason() -> None:
    found = diag(451, "4.4.1", "connection timed out")
    got = record(found, "x", final=True)
    assert got == expected(found, "x", "4.4.1", None, final=True)
    assert got["reason"]["name"] == "expired"


def test_the_input_is_shown_up_to_1000_characters() -> None:
    text = "550 " + "x" * 1_200
    assert record(diag(550, None, "x" * 1_200), text)["input"] == text[:1_000]


def test_classify_reads_the_stripped_line() -> None:
    got = classify("  550 5.1.1 " + POSTFIX + "  \n")
    assert got["input"] == "550 5.1.1 " + POSTFIX
    assert (got["code"], got["enhanced"], got["provider"]) == (
        550, "5.1.1", "postfix-user-unknown-in-table")
    assert "error" not in got
    assert classify("   hello   ")["input"] == "hello"
    assert classify("hello")["error"] == NOTHING


def test_a_provider_pattern_for_another_enhanced_code_does_not_match() -> None:
    words = "Your email has been rate limited because SPF authentication didn't pass"
    assert classify(f"421 4.7.27 {words}")["provider"] == "gmail-spf-rate-limited"
    assert classify(f"421 4.7.0 {words}")["provider"] is None


def test_a_bounce_message_is_one_record_per_recipient_with_its_report() -> None:
    from pathlib import Path

    from smtpdiag.core.classify import classify_message
    from smtpdiag.core.dsn import read_message

    data = (Path(__file__).resolve().parents[2] / "fixtures" / "messages" /
            "postfix-dsn-two-recipients.eml").read_bytes()
    records = classify_message(data)
    assert [(r["recipient"], r["action"], r["status"], r["remote_mta"]) for r in records] == [
        ("ana@example.net", "failed", "5.1.1", "dns; mx1.example.net"),
        ("ben@example.com", "failed", "5.2.2", "dns; mx.example.com"),
    ]
    for found, item in zip(read_message(data), records, strict=True):
        assert item["input"] == found.diagnostic_code
        assert item["reason"]["permanent"] is True  # Action: failed
