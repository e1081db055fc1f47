"""Whole bounce messages: RFC 3464 reports, prose bounces, mboxes, maildirs, --lines."""

from __future__ import annotations

import json
import mailbox
from pathlib import Path

import pytest

from smtpdiag.core.classify import classify, classify_message
from smtpdiag.core.explain import explain_message
from tests.conftest import assert_valid, run_cli

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MESSAGES = FIXTURES / "messages"


def read(name: str) -> bytes:
    return (MESSAGES / name).read_bytes()


def test_dsn_gives_every_recipient_with_its_fields_and_command():
    items = explain_message(read("postfix-dsn-two-recipients.eml"))
    assert [i["dsn"]["recipient"] for i in items] == ["ana@example.net", "ben@example.com"]
    first, second = items
    assert first["dsn"]["action"] == "failed" and first["dsn"]["status"] == "5.1.1"
    assert first["dsn"]["remote_mta"] == "dns; mx1.example.net"
    assert "User unknown in virtual mailbox table" in first["dsn"]["diagnostic_code"]
    assert first["step"] == "RCPT"
    assert (first["reason"]["name"], second["reason"]["name"]) == ("user-unknown",
                                                                   "mailbox-full")
    assert second["reply"]["code"] == 552


def test_a_failed_report_after_a_transient_reply_is_an_expired_queue():
    (item,) = explain_message(read("postfix-dsn-expired.eml"))
    assert item["dsn"]["status"] == "4.4.1"
    assert item["reason"]["name"] == "expired"
    assert item["reason"]["decided_by"] == "action"
    assert item["reason"]["permanent"] is True


@pytest.mark.parametrize(("name", "recipient", "code", "reason", "step"), [
    ("qmail-prose.eml", "dan@example.org", 550, "user-unknown", "RCPT"),
    ("exim-prose.eml", "eve@example.com", 552, "message-too-big", "DATA-END"),
])
def test_prose_bounces_are_read_without_the_returned_copy(name, recipient, code, reason, step):
    (item,) = explain_message(read(name))
    assert item["dsn"]["recipient"] == recipient
    assert item["reply"]["code"] == code
    assert item["reason"]["name"] == reason
    assert item["step"] == step


def test_records_match_their_schema():
    for name in sorted(p.name for p in MESSAGES.glob("*.eml")):
        for record in classify_message(read(name)):
            assert_valid(record, "bounce")
    assert_valid(classify("Host unknown"), "bounce")
    assert "error" in classify("nothing to see here")


def test_cli_reads_a_message_file(tmp_path):
    result = run_cli("explain", str(MESSAGES / "postfix-dsn-two-recipients.eml"), "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert_valid(document, "explain")
    assert len(document["items"]) == 2


@pytest.mark.parametrize("via_stdin", [False, True])
def test_cli_gives_one_record_per_recipient_of_a_single_message_with_jsonl(via_stdin):
    path = MESSAGES / "postfix-dsn-two-recipients.eml"
    result = (run_cli("explain", "-", "--jsonl", stdin=path.read_text()) if via_stdin
              else run_cli("explain", str(path), "--jsonl"))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["recipient"], r["reason"]["name"]) for r in records] == [
        ("ana@example.net", "user-unknown"), ("ben@example.com", "mailbox-full")]
    assert {r["source"]["path"] for r in records} == {"-" if via_stdin else str(path)}
    for record in records:
        assert_valid(record, "bounce")


def test_cli_streams_an_mbox_as_records():
    result = run_cli("explain", str(FIXTURES / "bounces.mbox"), "--jsonl")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["recipient"] for r in records] == ["ana@example.net", "ben@example.com",
                                                 "dan@example.org", "eve@example.com"]
    assert [r["source"]["message"] for r in records] == [1, 1, 2, 3]
    for record in records:
        assert_valid(record, "bounce")


@pytest.mark.parametrize("ending", [b"\r\n", b"\r"], ids=["dos", "mac"])
def test_cli_reads_an_mbox_the_same_whatever_its_line_endings(tmp_path, ending):
    # an old Mac mailer's bare CR makes the whole file one "line" to line-based mbox readers
    unix = (FIXTURES / "bounces.mbox").read_bytes().replace(b"\r\n", b"\n")
    twin = tmp_path / "bounces.mbox"
    twin.write_bytes(unix.replace(b"\n", ending))

    def reading(path: Path) -> list[tuple[object, ...]]:
        result = run_cli("explain", str(path), "--jsonl")
        assert result.returncode == 0, result.stderr
        return [(r["recipient"], r["code"], r["reason"]["name"], r["source"]["message"])
                for r in map(json.loads, result.stdout.splitlines())]

    want = reading(FIXTURES / "bounces.mbox")
    assert [item[3] for item in want] == [1, 1, 2, 3]
    assert reading(twin) == want


def test_split_mbox_finds_messages_by_their_separator_lines_only():
    from smtpdiag.core.dsn import split_mbox

    one = b"From: ann@example.org\nSubject: hi\n\nbody\n"
    assert split_mbox(one) == [one]  # not an mbox: the message itself
    two = (b"From MAILER-DAEMON  Thu Jul  2 12:05:05 2026\rSubject: a\r\rFrom here on, text\r"
           b"From double-bounce@example.org Thu Jul  2 12:05:06 2026\rSubject: b\r\rx\r")
    assert split_mbox(two) == [b"Subject: a\n\nFrom here on, text\n", b"Subject: b\n\nx\n"]
    # a first line that is no ctime separator is still dropped as the mbox's own
    assert split_mbox(b"From someone\nSubject: c\n\ny") == [b"Subject: c\n\ny"]
    assert split_mbox(b"From x Mon ") == [b""]


def test_cli_reads_a_maildir(tmp_path):
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    for name in ("qmail-prose.eml", "exim-prose.eml"):
        box.add(read(name))
    result = run_cli("explain", str(tmp_path / "Maildir"), "--jsonl")
    assert result.returncode == 0, result.stderr
    reasons = sorted(json.loads(line)["reason"]["name"] for line in result.stdout.splitlines())
    assert reasons == ["message-too-big", "user-unknown"]
    text = run_cli("explain", str(tmp_path / "Maildir"))
    assert text.returncode == 0 and text.stdout.count("Bottom line:") == 2


def test_cli_lines_streams_one_record_per_line_and_never_stops_at_a_bad_one():
    lines = "550 5.1.1 user unknown\n\nnot a bounce at all\n421 4.7.0 Try again later\n"
    result = run_cli("explain", "--lines", "-", "--jsonl", stdin=lines)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["source"]["line"] for r in records] == [1, 3, 4]
    assert "error" in records[1] and records[0]["reason"]["name"] == "user-unknown"
    plain = run_cli("explain", "--lines", "-", stdin=lines)
    assert plain.stdout.splitlines()[0].startswith("1: user-unknown (permanent, sender)")


def test_cli_unquoted_words_are_one_reply():
    result = run_cli("explain", "421", "4.7.0", "--json")
    assert result.returncode == 0, result.stderr
    (item,) = json.loads(result.stdout)["items"]
    assert (item["reply"]["code"], item["reply"]["enhanced"]) == (421, "4.7.0")


def test_cli_pasted_multiline_reply_keeps_its_continuation_marks_and_bottom_line_first():
    text = ("550-5.1.1 The email account that you tried to reach does not exist.\n"
            "550 5.1.1 Please check the address. gsmtp")
    out = run_cli("explain", text).stdout.splitlines()
    assert out[0] == "> 550-5.1.1 The email account that you tried to reach does not exist."
    assert out[1].startswith("> 550 5.1.1")
    assert out[2].startswith("Bottom line: the recipient address does not exist there "
                             "(user-unknown) — permanent; the sender must act.")


def test_cli_named_step_comes_first_and_other_steps_are_folded():
    text = ("host mx.example.org[192.0.2.1] said: 550 5.7.1 <a@example.org>: Recipient "
            "address rejected: Access denied (in reply to RCPT TO command)")
    out = run_cli("explain", text).stdout
    assert "after RCPT)" in out
    assert "Also returned after" in out
    assert "DATA-END:" not in out


def test_cli_missing_file_for_lines_is_a_usage_error():
    result = run_cli("explain", "--lines", "/nonexistent/file")
    assert result.returncode == 2
    assert "cannot read /nonexistent/file" in result.stderr


def _delay_warning(status: str, diagnostic: str) -> bytes:
    """A Postfix-shaped delay warning (``Action: delayed``) for one recipient."""
    return (b"From: MAILER-DAEMON@mail.sender.example\nTo: ana@sender.example\n"
            b"Subject: Delayed Mail (still being retried)\nMIME-Version: 1.0\n"
            b"Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n"
            b"--B\nContent-Type: text/plain\n\nTHIS IS A WARNING ONLY.  YOU DO NOT NEED TO "
            b"RESEND YOUR MESSAGE.\n\n--B\nContent-Type: message/delivery-status\n\n"
            b"Reporting-MTA: dns; mail.sender.example\n\n"
            b"Final-Recipient: rfc822; bob@slow.example\nAction: delayed\n"
            + f"Status: {status}\nDiagnostic-Code: {diagnostic}\n\n--B--\n".encode())


def test_a_delay_warning_is_read_as_delayed_not_as_a_final_failure(tmp_path):
    warning = tmp_path / "delayed.eml"
    warning.write_bytes(_delay_warning(
        "4.4.1", "X-Postfix; connect to mx.slow.example[192.0.2.7]:25: Connection timed out"))
    (record,) = classify_message(warning.read_bytes())
    assert record["action"] == "delayed"
    assert (record["reason"]["name"], record["reason"]["permanent"]) == ("delayed", False)
    assert_valid(record, "bounce")
    out = run_cli("explain", str(warning)).stdout
    assert "Bottom line: delivery is delayed: the sending server is still retrying" in out
    assert "gave up" not in out


def test_a_delay_warning_that_names_its_cause_keeps_it_and_says_it_is_not_final(tmp_path):
    warning = tmp_path / "delayed.eml"
    warning.write_bytes(_delay_warning("4.2.2", "smtp; 452 4.2.2 Mailbox full"))
    out = run_cli("explain", str(warning)).stdout
    assert ("Bottom line: the recipient's mailbox is over its quota (mailbox-full) — delayed, "
            "not a final failure: the sending server is still retrying") in out


def _report(recipients: list[tuple[str, str, str]]) -> bytes:
    """A delivery report for many recipients: (address, status, reply) each."""
    groups = "".join(f"Final-Recipient: rfc822; {address}\nAction: failed\nStatus: {status}\n"
                     f"Diagnostic-Code: smtp; {reply}\n\n" for address, status, reply in recipients)
    return (b"From: MAILER-DAEMON@mail.sender.example\nTo: ana@sender.example\n"
            b"Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
            b"Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n"
            b"--B\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
            b"--B\nContent-Type: message/delivery-status\n\n"
            b"Reporting-MTA: dns; mail.sender.example\n\n" + groups.encode() + b"--B--\n")


def test_recipients_refused_alike_are_explained_once_each_one_still_named(tmp_path):
    report = tmp_path / "many.eml"
    unknown = [(f"u{n}@far.example", "5.1.1", f"550 5.1.1 <u{n}@far.example>: User unknown")
               for n in range(500)]
    report.write_bytes(_report([*unknown[:2], ("full@far.example", "5.2.2",
                                               "552 5.2.2 Mailbox full"), *unknown[2:]]))
    out = run_cli("explain", str(report)).stdout
    assert out.count("Bottom line:") == 2  # one explanation per reply, not 501
    assert out.count("Description:") < 10
    assert ("Bounce: 500 recipients explained alike (u0@far.example, u1@far.example, "
            "u2@far.example,") in out
    assert "u19@far.example and 480 more (--jsonl lists every one)), action failed" in out
    assert "Bounce: recipient full@far.example, action failed, status 5.2.2" in out
    lines = run_cli("explain", str(report), "--jsonl").stdout.splitlines()
    assert len(lines) == 501  # records stay one per recipient


def test_recipients_refused_for_different_reasons_are_not_merged(tmp_path):
    report = tmp_path / "two.eml"
    report.write_bytes(_report([
        ("a@far.example", "5.1.1", "550 5.1.1 <a@far.example>: User unknown"),
        ("b@far.example", "5.1.1", "550 5.1.1 <b@far.example>: User unknown; over quota")]))
    out = run_cli("explain", str(report)).stdout
    assert out.count("Bottom line:") == 2 and "explained alike" not in out


def test_a_bounce_that_does_not_say_why_still_has_a_bottom_line(tmp_path):
    bounce = tmp_path / "why.eml"
    bounce.write_bytes(b"From: MAILER-DAEMON@mx.example.org\nTo: ana@sender.example\n"
                       b"Subject: Returned mail\n\nThe following recipients did not receive "
                       b"your message:\n\n<ben@far.example>\n")
    out = run_cli("explain", str(bounce)).stdout
    assert "Bottom line: the text does not say why" in out and "(unknown) — permanent" in out
    assert "Bounce: recipient ben@far.example" in out


def test_a_report_larger_than_2_mb_is_read_to_its_last_recipient(tmp_path):
    # a report for 10,000 recipients is about 2 MB; it was cut there, losing the last ones
    padding = [(f"pad{n}@far.example", "5.1.1", "550 5.1.1 User unknown " + "x" * 900)
               for n in range(2_500)]
    report = tmp_path / "big.eml"
    report.write_bytes(_report([*padding, ("last@far.example", "5.2.2",
                                           "552 5.2.2 Mailbox full")]))
    assert report.stat().st_size > 2_300_000
    lines = run_cli("explain", str(report), "--jsonl").stdout.splitlines()
    assert len(lines) == 2_501
    last = json.loads(lines[-1])
    assert (last["recipient"], last["reason"]["name"]) == ("last@far.example", "mailbox-full")
