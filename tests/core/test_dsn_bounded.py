"""``core/dsn.py`` on what no mail system writes but anyone can paste or send: a message that
nests parts hundreds deep, a line of 100,000 characters, ten thousand recipients.  Each is read
to an answer (pytest-timeout ends a run that would take minutes), never a traceback.  Pure.
"""

from __future__ import annotations

import pytest

from smtpdiag.core.classify import classify_message
from smtpdiag.core.dsn import read_message
from smtpdiag.core.transfer import MAX_CONTAINERS, parsed_message
from tests.conftest import run_cli

HEAD = b"From: MAILER-DAEMON@mx.example.net\nTo: bob@example.net\nSubject: failure\n"
REPLY = b"550 5.1.1 <ann@example.org>: User unknown\n"


def _nested(depth: int) -> bytes:
    """A multipart inside a multipart ``depth`` times, the reply in the innermost part."""
    opened = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (n, n)
                      for n in range(depth))
    closed = b"".join(b"\n--b%d--\n" % n for n in reversed(range(depth)))
    return HEAD + b"MIME-Version: 1.0\n" + opened + b"Content-Type: text/plain\n\n" + REPLY \
        + closed


@pytest.mark.parametrize("depth", [3, MAX_CONTAINERS, MAX_CONTAINERS + 1, 2_000])
def test_parts_nested_any_depth_give_the_reply_inside(depth: int) -> None:
    # 2,000 deep ended in RecursionError inside the email package's parser: exit 70
    (found,) = read_message(_nested(depth))
    assert (found.recipient, found.diagnostic.code, found.diagnostic.message) == (
        "ann@example.org", 550, "<ann@example.org>: User unknown")


def test_past_the_container_limit_the_body_is_one_text_part_without_mime_lines() -> None:
    deep = parsed_message(_nested(MAX_CONTAINERS + 1))
    assert not deep.is_multipart() and deep["Subject"] == "failure"
    assert str(deep.get_payload()).strip() == REPLY.decode().strip()
    assert parsed_message(_nested(MAX_CONTAINERS)).is_multipart()


def test_a_message_nesting_parts_thousands_deep_is_explained_not_an_internal_error(tmp_path):
    path = tmp_path / "deep.eml"
    path.write_bytes(_nested(2_000))
    result = run_cli("explain", str(path), "--jsonl")
    assert result.returncode == 0, result.stderr
    assert '"recipient": "ann@example.org"' in result.stdout and result.stderr == ""


@pytest.mark.parametrize("run", ["x", "5", "a.", "a+", "-", "=", "'", "#"])
def test_a_line_of_100000_address_characters_is_read_in_one_pass(run: str) -> None:
    # every character of the run was tried as an address's start: minutes for one message
    body = b"550 5.1.1 " + run.encode() * (100_000 // len(run)) + b"\n"
    (found,) = read_message(HEAD + b"\n" + body)
    assert (found.recipient, found.diagnostic.code) == (None, 550)


def test_ten_thousand_recipients_of_a_report_each_get_their_record() -> None:
    groups = b"".join(b"Final-Recipient: rfc822; u%d@example.org\nAction: failed\n"
                      b"Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n\n" % n
                      for n in range(10_000))
    data = (HEAD + b'MIME-Version: 1.0\nContent-Type: multipart/report; '
            b'report-type=delivery-status; boundary="B"\n\n--B\nContent-Type: text/plain\n\n'
            b"Delivery failed.\n--B\nContent-Type: message/delivery-status\n\n"
            b"Reporting-MTA: dns; mx.example.net\n\n" + groups + b"--B--\n")
    records = classify_message(data)
    assert len(records) == 10_000
    assert records[-1]["recipient"] == "u9999@example.org"
    assert {record["reason"]["name"] for record in records} == {"user-unknown"}
