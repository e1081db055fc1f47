"""A bounce's own words for people reach the reason: Gmail's report sentence, Sendmail's Subject.

The quoted reply is not all a bounce says.  Gmail writes "** Address not found **" and "Your
message wasn't delivered to … because the address couldn't be found" above a bare "550 <…>: User
unknown"; Sendmail's Subject names the first failure ("Returned mail: Cannot send message for 5
days") where the report has no Diagnostic-Code.  These words decide (``decided_by: report``)
only where the reply's own words name no cause, and only a product's own wording counts.
"""

from __future__ import annotations

from email import message_from_bytes
from email.policy import compat32
from pathlib import Path

import pytest

from smtpdiag.core.classify import classify_message
from smtpdiag.core.dsn import read_message, report_words
from smtpdiag.core.explain import explain_message
from tests.conftest import assert_valid, run_cli

MESSAGES = Path(__file__).resolve().parent.parent / "fixtures" / "messages"
GMAIL = (MESSAGES / "gmail-address-not-found.eml").read_bytes()
SENDMAIL = (MESSAGES / "sendmail-subject-cause.eml").read_bytes()
SENTENCE = (b"Your message wasn't delivered to tomas@mobile.example because the address "
            b"couldn't be found, or is unable to receive mail.")


def test_gmail_saying_the_address_was_not_found_keeps_user_unknown():
    (record,) = classify_message(GMAIL)
    assert record["recipient"] == "tomas@mobile.example"
    assert (record["reason"]["name"], record["reason"]["decided_by"], record["reason"]["rule"]) \
        == ("user-unknown", "report", "report gmail-address-not-found")
    assert_valid(record, "bounce")


def test_without_gmails_report_the_same_reply_reads_as_a_filter():
    # the reply alone names no step: a bare "User unknown" is read as a filter's refusal
    bare = GMAIL.replace(b"** Address not found **", b"").replace(SENTENCE, b"")
    (record,) = classify_message(bare)
    assert (record["reason"]["name"], record["reason"]["rule"]) == (
        "policy", "text-user-unknown step not named")


def test_the_report_never_overrides_the_replys_own_cause():
    full = GMAIL.replace(b"550 <tomas@mobile.example>: User unknown",
                         b"552 5.2.2 <tomas@mobile.example>: Mailbox full")
    (record,) = classify_message(full)
    assert record["reason"]["name"] == "mailbox-full"
    assert record["reason"]["decided_by"] in ("provider", "text")


def test_a_report_naming_another_cause_does_not_turn_user_unknown():
    # only a report that says the address was not found settles a bare "User unknown"
    other = GMAIL.replace(SENTENCE, b"Your message to tomas@mobile.example has been blocked.")
    (record,) = classify_message(other)
    assert record["reason"]["decided_by"] != "report"


def test_sendmails_subject_names_the_cause_of_a_report_without_words():
    (record,) = classify_message(SENDMAIL)
    assert (record["reason"]["name"], record["reason"]["decided_by"], record["reason"]["rule"]) \
        == ("expired", "report", "report sendmail-cannot-send-for-days")
    plain = SENDMAIL.replace(b"Returned mail: Cannot send message for 5 days",
                             b"Returned mail: see transcript for details")
    (record,) = classify_message(plain)
    assert record["reason"]["decided_by"] != "report"


def test_a_subject_names_only_the_first_failure_of_several():
    group = (b"Final-Recipient: RFC822; paula@far.example\nAction: failed\nStatus: 5.0.0\n"
             b"Remote-MTA: DNS; mx.far.example\n")
    second = group.replace(b"paula@far", b"quinn@near").replace(b"mx.far", b"mx.near")
    two = SENDMAIL.replace(group, group + b"\n" + second)
    records = classify_message(two)
    assert [r["recipient"] for r in records] == ["paula@far.example", "quinn@near.example"]
    assert all(r["reason"]["decided_by"] != "report" for r in records)


@pytest.mark.parametrize(("headers", "body", "said"), [
    # the headline alone, where no sentence follows it
    (b"Subject: x\n", b"** Address not found **\n", "Address not found"),
    # Exchange's Subject repeats the original message's: not a cause
    (b"Subject: Undeliverable: Returned mail: User unknown\n", b"hello\n", ""),
    (b"Subject: Returned mail: User unknown\n", b"hello\n", "User unknown"),
    (b"Subject: Returned mail: see transcript for details\n", b"hello\n", ""),
    # folded headline paragraph: one line
    (b"Subject: x\n", b"** Message not delivered **\n\nThere was a problem\n delivering.\n",
     "There was a problem delivering."),
    # a headline and a Subject that names the cause: both, one space apart
    (b"Subject: Returned mail: User unknown\n", b"** Address not found **\n",
     "Address not found User unknown"),
    # at most 1,000 characters (a headline's paragraph of four 500-character lines)
    (b"Subject: x\n", b"** Not delivered **\n" + b"\n".join([b"w" * 499] * 4) + b"\n",
     " ".join(["w" * 499] * 4)[:1_000]),
])
def test_report_words(headers, body, said):
    message = message_from_bytes(b"From: a@b.example\n" + headers + b"\n" + body,
                                 policy=compat32)
    assert report_words(message, body.decode()) == said


def test_the_report_is_kept_per_recipient_and_explained_in_a_note():
    (found,) = read_message(GMAIL)
    assert found.report == SENTENCE.decode()
    (item,) = explain_message(GMAIL)
    assert item["reason"]["decided_by"] == "report"
    assert any("The bounce's report says" in note and "couldn't be found" in note
               for note in item["notes"])


def test_a_hostile_report_is_escaped(tmp_path):
    hostile = GMAIL.replace(b"Your message wasn't", b"\x1b[31mYour message wasn't")
    path = tmp_path / "bounce.eml"
    path.write_bytes(hostile)
    result = run_cli("explain", str(path))
    assert result.returncode == 0, result.stderr
    assert "\x1b[31m" not in result.stdout
    assert "user-unknown" in result.stdout
