"""``core/reason.py``: which rule names a refusal's cause, in which order, and how context
(the command answered, a bounce's ``Action:``, a local delivery program) changes the reading.

What a reason means (its summary, usual nature and who acts) is read from
``catalogue/data/reasons.json`` here, so a corrected text does not break these tests; what
``decide`` chooses — the name, ``decided_by``, the rule and ``permanent`` — is asserted whole.
Pure.
"""

from __future__ import annotations

from typing import Any

import pytest

from smtpdiag import catalogue
from smtpdiag.core.reason import (
    _FILTER_NOT_MAILBOX,
    OWN_CAUSE,
    SENDER_SIDE,
    TRANSIENT,
    by_basic,
    by_enhanced,
    decide,
    reason_for,
    reason_names,
)

TABLE = catalogue.reasons()


def entry(entry_id: str) -> catalogue.ProviderEntry:
    return next(item for item in catalogue.providers() if item.id == entry_id)


def expect(name: str, decided_by: str, rule: str, permanent: bool | None = None,
           who: str | None = None) -> dict[str, Any]:
    info = TABLE["reasons"][name]
    return {"name": name, "permanent": info["permanent"] if permanent is None else permanent,
            "who": who or info["who"], "decided_by": decided_by, "rule": rule,
            "summary": info["summary"]}


def test_the_vocabulary_is_the_data_file_s_in_its_order() -> None:
    assert reason_names() == tuple(TABLE["reasons"])
    assert reason_names()[0] == "user-unknown" and "unknown" in reason_names()
    assert {"network", "system-error", "unknown", "greylisted", "syntax"} == TRANSIENT
    assert {"mailbox-full", "message-too-big", "system-full"} == OWN_CAUSE
    assert {"user-unknown", "host-unknown", "policy", "unknown", "syntax"} == SENDER_SIDE


# ------------------------------------------------------------------ reason_for

@pytest.mark.parametrize(("name", "klass", "final", "permanent"), [
    ("mailbox-full", None, None, False),  # its usual nature
    ("user-unknown", None, None, True),
    ("mailbox-full", 5, None, True),  # the reply's class decides
    ("user-unknown", 4, None, False),
    ("user-unknown", 2, None, True),  # a class that says nothing of permanence
    ("mailbox-full", 3, None, False),
    ("mailbox-full", 4, True, True),  # a bounce that gave up decides over both
    ("user-unknown", 5, False, False),
    ("user-unknown", None, False, False),
])
def test_permanent(name: str, klass: int | None, final: bool | None, permanent: bool) -> None:
    assert reason_for(name, decided_by="basic", rule="x", klass=klass,
                      final=final)["permanent"] is permanent


def test_reason_for_is_the_whole_object() -> None:
    assert reason_for("spam", decided_by="text", rule="r1") == expect("spam", "text", "r1")
    assert reason_for("spam", decided_by="provider", rule="r2", who="recipient-admin") == \
        expect("spam", "provider", "r2", who="recipient-admin")


# ------------------------------------------------------------------ the tables

@pytest.mark.parametrize(("enhanced", "name"), [
    ("4.7.1", "blocked"),  # the class-specific table first
    ("5.7.1", TABLE["enhanced"]["X.7.1"]),
    ("5.1.1", "user-unknown"),
    ("4.1.1", "user-unknown"),
    ("5.0.0", None),  # registered, but names no cause
    ("5.7.999", None),  # not registered
])
def test_by_enhanced(enhanced: str, name: str | None) -> None:
    assert by_enhanced(enhanced) == name


@pytest.mark.parametrize(("code", "command", "name"), [
    (554, None, "policy"),  # the row's "any"
    (554, "CONNECT", "blocked"),
    (554, "RCPT", "policy"),  # a command the row does not name
    (550, "RCPT", "user-unknown"),
    (550, None, None),  # "unknown" is no answer
    (550, "DATA", None),
    (450, "RCPT", "greylisted"),
    (259, None, None),  # no row
    (250, "RCPT", None),
])
def test_by_basic(code: int, command: str | None, name: str | None) -> None:
    assert by_basic(code, command) == name


# ------------------------------------------------------------------ decide: the order

def test_a_provider_pattern_decides_first_with_its_own_who() -> None:
    item = entry("gmail-spf-rate-limited")
    found = decide(code=421, enhanced="4.7.27", text="whatever", entry=item)
    assert found == expect(item.reason, "provider", item.id, permanent=False,
                           who=item.who or None)


def test_a_text_pattern_passed_in_decides_as_text() -> None:
    item = entry("text-greylisted")
    assert item.kind == "text" and not item.generic
    assert decide(code=450, enhanced="4.7.1", text="", entry=item) == \
        expect(item.reason, "text", item.id, permanent=False)


def test_a_generic_text_pattern_passed_in_yields_to_a_code_that_names_a_cause() -> None:
    item = entry("greylisting-try-again-later")
    assert item.kind == "text" and item.generic
    assert decide(code=450, enhanced="4.7.1", text="", entry=item) == \
        expect("blocked", "enhanced", "4.7.1", permanent=False)
    assert decide(code=450, enhanced="4.7.0", text="", entry=item) == \
        expect(item.reason, "text", item.id, permanent=False)


def test_a_text_pattern_is_looked_up_when_none_was_passed() -> None:
    assert decide(code=550, enhanced="5.7.1", text="mailbox full") == \
        expect("mailbox-full", "text", "text-mailbox-full", permanent=True)


def test_a_search_that_found_nothing_is_not_repeated() -> None:
    assert decide(code=550, enhanced="5.7.1", text="mailbox full", searched=True) == \
        expect(TABLE["enhanced"]["X.7.1"], "enhanced", "5.7.1", permanent=True)


def test_then_the_enhanced_code_then_the_basic_code_then_nothing() -> None:
    assert decide(code=452, enhanced="4.2.2", text="") == \
        expect("mailbox-full", "enhanced", "4.2.2", permanent=False)
    assert decide(code=452, enhanced="4.0.0", text="", command="RCPT") == \
        expect("too-many-recipients", "basic", "452", permanent=False)
    assert decide(code=452, enhanced=None, text="") == \
        expect("system-full", "basic", "452", permanent=False)
    assert decide(code=550, enhanced=None, text="nothing known") == \
        expect("unknown", "none", "", permanent=True)
    assert decide(code=None, enhanced=None, text="") == expect("unknown", "none", "")


def test_the_class_comes_from_the_enhanced_code_without_a_reply_code() -> None:
    assert decide(code=None, enhanced="5.2.2", text="")["permanent"] is True
    assert decide(code=None, enhanced="4.2.2", text="")["permanent"] is False


# ------------------------------------------------------------------ a local delivery program

def test_a_local_program_s_failure_is_a_system_error() -> None:
    assert decide(code=None, enhanced=None, text="", local=True) == \
        expect("system-error", "text", "X-Unix")
    assert decide(code=550, enhanced="5.1.1", text="", local=True, final=True) == \
        expect("system-error", "enhanced", "X-Unix 5.1.1", permanent=True)


def test_a_local_program_may_name_its_own_cause() -> None:
    assert decide(code=None, enhanced="5.2.2", text="", local=True) == \
        expect("mailbox-full", "enhanced", "5.2.2", permanent=True)


# ------------------------------------------------------------------ expired

@pytest.mark.parametrize(("code", "enhanced", "text", "final", "rule"), [
    (451, "4.3.0", "", True, "Action: failed"),  # a transient code, then given up
    (451, None, "", True, "Action: failed"),
    (450, "4.4.1", "", True, "Action: failed"),
    (421, "4.4.1", "connection timed out", True, "Action: failed"),
    (None, None, "connection timed out", True, "Action: failed"),  # a network failure
])
def test_a_bounce_that_gave_up_after_a_transient_failure_expired(
        code: int | None, enhanced: str | None, text: str, final: bool, rule: str) -> None:
    assert decide(code=code, enhanced=enhanced, text=text, final=final) == \
        expect("expired", "action", rule, permanent=final)


@pytest.mark.parametrize(("code", "enhanced", "text"), [
    (451, "4.3.0", ""),  # a transient code in a delay warning
    (None, None, ""),  # a delay warning on nothing at all
    (None, "4.4.7", ""),  # its enhanced code says "delivery time expired"
    (None, None, "Message expired: could not be delivered for 4 hours"),  # so do its words
])
def test_a_delay_warning_is_delayed_not_expired(code: int | None, enhanced: str | None,
                                                text: str) -> None:
    """``Action: delayed``: the sending server is still retrying; nothing has failed for good."""
    assert decide(code=code, enhanced=enhanced, text=text, final=False) == \
        expect("delayed", "action", "Action: delayed", permanent=False)


@pytest.mark.parametrize(("code", "enhanced", "text", "final"), [
    (451, "4.3.0", "", None),  # no Action: at all
    (550, "5.3.0", "", True),  # a permanent reply: its own reason
    (452, "4.2.2", "", True),  # a transient reply that names a cause
    (None, None, "", True),  # a failure on nothing at all is not an expiry
    (450, "4.7.1", "", True),
])
def test_not_expired(code: int | None, enhanced: str | None, text: str,
                     final: bool | None) -> None:
    assert decide(code=code, enhanced=enhanced, text=text, final=final)["name"] != "expired"


# ------------------------------------------------------------------ the command answered

def test_user_unknown_words_answering_data_are_a_filter() -> None:
    filtered = {**expect("policy", "text", "text-user-unknown after DATA", permanent=True),
                "summary": _FILTER_NOT_MAILBOX[False]}
    assert decide(code=550, enhanced=None, text="User unknown", command="DATA") == filtered
    assert decide(code=550, enhanced=None, text="User unknown", command="DATA-END") == filtered


@pytest.mark.parametrize(("enhanced", "command"), [
    ("5.1.1", "DATA"),  # an X.1.x code says the mailbox is missing
    ("5.1.0", "DATA-END"),
    (None, "RCPT"),
    (None, None),
])
def test_user_unknown_words_elsewhere_stay_so(enhanced: str | None,
                                              command: str | None) -> None:
    assert decide(code=550, enhanced=enhanced, text="User unknown", command=command)["name"] \
        == "user-unknown"


@pytest.mark.parametrize(("code", "enhanced", "text", "command", "decided_by", "rule"), [
    (550, None, "User unknown", "MAIL", "text", "text-user-unknown"),
    (550, "5.1.7", "", None, "enhanced", "5.1.7"),
    (553, "5.1.8", "", "RCPT", "enhanced", "5.1.8"),
    (550, None, "", "MAIL", "basic", "550"),
    # the words say the recipient is unknown, the code that the sender is
    (550, "5.1.7", "User unknown", "RCPT", "text", "text-user-unknown"),
    (550, "5.1.8", "User unknown", "RCPT", "text", "text-user-unknown"),
])
def test_a_refusal_of_the_sender(code: int, enhanced: str | None, text: str,
                                 command: str | None, decided_by: str, rule: str) -> None:
    found = decide(code=code, enhanced=enhanced, text=text, command=command)
    assert found == expect("sender-rejected", decided_by, rule, permanent=True)


def test_a_product_s_user_unknown_answering_mail_is_about_the_sender() -> None:
    found = decide(code=550, enhanced=None, text="", command="MAIL",
                   entry=entry("postfix-user-unknown-in-table"))
    assert found == expect("sender-rejected", "provider", "postfix-user-unknown-in-table",
                           permanent=True)


def test_a_refusal_of_the_sender_that_names_no_rule_says_none() -> None:
    assert decide(code=None, enhanced=None, text="", command="MAIL") == \
        expect("sender-rejected", "none", "")


@pytest.mark.parametrize(("kwargs", "name"), [
    # the reply's class, then a bounce's Action:, decide each reading's permanence
    ({"code": 450, "text": "", "command": "MAIL"}, "sender-rejected"),
    ({"code": 550, "text": "User unknown", "command": "MAIL", "final": False},
     "sender-rejected"),
    ({"code": 450, "enhanced": "4.1.2", "text": "", "command": "HELO"}, "blocked"),
    ({"code": 501, "enhanced": "5.1.2", "text": "", "command": "HELO", "final": False},
     "blocked"),
    ({"code": 554, "enhanced": "5.5.0", "text": "", "command": "CONNECT", "final": False},
     "blocked"),
    ({"code": 450, "text": "User unknown", "command": "DATA"}, "policy"),
    ({"code": 550, "text": "User unknown", "command": "DATA", "final": False}, "policy"),
    ({"code": 550, "text": "", "final": False,
      "entry": "postfix-user-unknown-in-table"}, "user-unknown"),
])
def test_each_reading_is_as_permanent_as_the_reply_and_the_bounce_say(
        kwargs: dict[str, Any], name: str) -> None:
    if "entry" in kwargs:
        kwargs = {**kwargs, "entry": entry(kwargs["entry"])}
    found = decide(**{"enhanced": None, **kwargs})
    assert (found["name"], found["permanent"]) == (name, False)


def test_a_500_reply_is_of_class_5() -> None:
    assert decide(code=500, enhanced=None, text="mailbox full")["permanent"] is True
    assert decide(code=504, enhanced=None, text="mailbox full")["permanent"] is True


def test_other_protocol_status_with_a_code_the_table_lacks() -> None:
    found = decide(code=557, enhanced="5.5.0", text="", command="CONNECT")
    assert (found["name"], found["decided_by"]) == ("syntax", "enhanced")


def test_a_protocol_slip_answering_mail_is_not_about_the_sender() -> None:
    slip = next(item for item in catalogue.providers()
                if item.kind != "text" and item.reason == "syntax")
    found = decide(code=503, enhanced=None, text="", command="MAIL", entry=slip)
    assert (found["name"], found["decided_by"]) == ("syntax", "provider")


def test_a_cause_that_is_not_the_sender_s_stays_at_mail() -> None:
    assert decide(code=452, enhanced="4.2.2", text="", command="MAIL")["name"] == "mailbox-full"


@pytest.mark.parametrize("command", ["CONNECT", "HELO", "EHLO"])
def test_an_unknown_host_answering_the_greeting_or_helo_is_the_client_s_name(
        command: str) -> None:
    assert decide(code=501, enhanced="5.1.2", text="", command=command) == \
        expect("blocked", "enhanced", f"5.1.2 at {command}", permanent=True)


@pytest.mark.parametrize("command", ["RCPT", "MAIL", None])
def test_an_unknown_host_elsewhere_stays_so(command: str | None) -> None:
    found = decide(code=501, enhanced="5.1.2", text="", command=command)
    assert found["name"] == ("sender-rejected" if command == "MAIL" else "host-unknown")


@pytest.mark.parametrize(("code", "enhanced", "command", "name", "rule"), [
    (554, "5.5.0", "CONNECT", "blocked", "554 at CONNECT"),
    (421, "4.5.0", "EHLO", "blocked", "421 at EHLO"),
    (421, "4.0.0", "HELO", "blocked", "421"),  # X.0.0 names no cause: the code decides anyway
])
def test_other_status_yields_to_the_basic_code_at_its_step(
        code: int, enhanced: str, command: str, name: str, rule: str) -> None:
    found = decide(code=code, enhanced=enhanced, text="", command=command)
    assert found == expect(name, "basic", rule, permanent=code // 100 == 5)


@pytest.mark.parametrize(("code", "enhanced", "command"), [
    (554, "5.5.0", "RCPT"),  # the basic row names nothing at RCPT
    (554, "5.5.0", None),
    (None, "5.5.0", "CONNECT"),  # no basic code to yield to
    (554, "5.5.1", "CONNECT"),  # a specific protocol status keeps its reading
])
def test_other_status_stays_without_a_basic_reading_at_the_step(
        code: int | None, enhanced: str, command: str | None) -> None:
    assert decide(code=code, enhanced=enhanced, text="", command=command)["decided_by"] == \
        "enhanced"


@pytest.mark.parametrize(("code", "enhanced", "text", "expired"), [
    (450, None, "", True),  # nothing names a cause: the basic code's "unknown"
    (451, "4.4.7", "mail loop detected", True),  # words of a cause, but the code says expiry
    (451, "4.4.1", "mail loop detected", False),  # "no answer from host": the loop stands
    (451, "4.3.0", "mail loop detected", False),  # the words' cause stands
    (None, "4.4.1", "No route to host", False),
    (None, "4.4.1", "Host not found, try again", False),
    (None, "4.4.1", "Connection timed out", True),  # a host that did not answer: expiry
    (421, None, "Connection refused", True),
])
def test_what_a_transient_failure_that_was_given_up_on_reads_as(
        code: int, enhanced: str | None, text: str, expired: bool) -> None:
    found = decide(code=code, enhanced=enhanced, text=text, final=True)
    assert (found["name"] == "expired") is expired
    if not expired:
        assert (found["name"], found["decided_by"]) == ("network", "text")
        assert found["rule"] in ("text-mail-loop", "text-no-route", "text-dns-try-again")


@pytest.mark.parametrize(("text", "rule", "expired"), [
    ("The recipient server did not accept our requests to connect. [mx 192.0.2.5: timed out]",
     "gmail-server-did-not-accept", True),
    ("Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)", "qmail-couldnt-connect",
     True),
    ("conversation with mx[192.0.2.5] timed out while sending RCPT TO",
     "postfix-conversation-timed-out", True),
    ("Deferred: Connection refused by mx.example.org.", "sendmail-deferred-connection-refused",
     True),
    # the server took the connection and dropped it at a step: a fault of that server
    ("lost connection with mx[192.0.2.5] while performing the HELO handshake",
     "postfix-lost-connection", False),
    ("Network error on destination MXs", "opensmtpd-network-error", False),
])
@pytest.mark.parametrize("final", [True, False])
def test_a_product_s_could_not_connect_expires_its_named_fault_stays(
        text: str, rule: str, expired: bool, final: bool) -> None:
    entry = catalogue.match_provider(None, None, text)
    assert entry is not None and entry.id == rule
    found = decide(code=None, enhanced=None, text=text, entry=entry, final=final)
    # a delay warning (not final) is still being retried: delayed, not expired
    assert found["name"] == (("expired" if final else "delayed") if expired else "network")
    assert found["decided_by"] == ("action" if expired else "provider")


def test_user_unknown_words_in_a_bounce_that_names_no_step_are_most_likely_a_filter() -> None:
    assert decide(code=550, enhanced=None, text="User unknown", final=True) == {
        **expect("policy", "text", "text-user-unknown step not named", permanent=True),
        "summary": _FILTER_NOT_MAILBOX[True]}


@pytest.mark.parametrize(("enhanced", "command", "final"), [
    ("5.2.1", None, True),  # "550 5.2.1 User unknown" stays the words'
    (None, None, None),  # no bounce: a reply read on its own
    (None, "RCPT", True),  # the step is named, and it is RCPT
])
def test_user_unknown_words_stay_so_when_the_bounce_says_more(
        enhanced: str | None, command: str | None, final: bool | None) -> None:
    found = decide(code=550, enhanced=enhanced, text="User unknown", command=command,
                   final=final)
    assert (found["name"], found["rule"]) == ("user-unknown", "text-user-unknown")


@pytest.mark.parametrize(("code", "enhanced", "text", "decided_by"), [
    (550, None, "mailbox full", "text"),
    (550, "5.2.2", "", "enhanced"),
    (552, None, "", "basic"),
])
def test_a_delay_warning_makes_any_reading_transient(code: int, enhanced: str | None,
                                                     text: str, decided_by: str) -> None:
    found = decide(code=code, enhanced=enhanced, text=text, final=False)
    assert (found["decided_by"], found["permanent"]) == (decided_by, False)
    assert decide(code=code, enhanced=enhanced, text=text, final=True)["permanent"] is True


@pytest.mark.parametrize("entry_id", ["comcast-dnsbl", "mimecast-anti-spoofing",
                                      "yahoo-ts-complaints-deferred"])
def test_decide_looks_up_text_patterns_only_a_product_entry_is_the_callers(entry_id: str) -> None:
    # a product's pattern decides only when the caller passes it (it searched every kind);
    # decide's own lookup is of the wording patterns, which know nothing of these texts
    entry = next(e for e in catalogue.providers() if e.id == entry_id)
    bare = decide(code=550, enhanced=None, text="")
    assert decide(code=550, enhanced=None, text=entry.example) == bare
    assert decide(code=550, enhanced=None, text=entry.example, entry=entry)["rule"] == entry_id


@pytest.mark.parametrize(("code", "rule"), [
    (550, "dnsbl-generic"), (554, "dnsbl-generic"),
    # outside the codes that wording pattern lists, the next one that knows the words decides
    (521, "text-blocked-using"), (421, "text-blocked-using"),
])
def test_a_wording_pattern_answers_only_the_codes_it_lists(code: int, rule: str) -> None:
    text = "rejected because 203.0.113.10 is in a black list at dnsbl.example.net"
    got = decide(code=code, enhanced=None, text=text)
    assert (got["name"], got["decided_by"], got["rule"]) == ("blocked", "text", rule)
