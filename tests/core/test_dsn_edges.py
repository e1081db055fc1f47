"""``core/dsn.py`` at its edges, where the fixture bounces never go: what counts as a message,
an mbox's separators and line endings, the prose kept before a report's fields, Microsoft
365's opening paragraph, a recipient's own lines that hold only its address, and when a
Diagnostic-Code's one line yields to the prose's whole reply.  Pure.
"""

from __future__ import annotations

import base64
import quopri
from email import message_from_string
from email.message import Message
from email.policy import compat32

import pytest

from smtpdiag.core.bounce import read_diagnostic
from smtpdiag.core.dsn import (
    _before_fields,
    _cut_short,
    _from_prose,
    _own,
    is_message,
    read_message,
    split_mbox,
)
from smtpdiag.core.dsn_fields import per_recipient as _per_recipient
from smtpdiag.core.prose import opening as _opening
from smtpdiag.core.transfer import part_text

ANN = "ann@example.org"


@pytest.mark.parametrize(("data", "message"), [
    (b"From someone Mon Jun  1 10:00:00 2026\nx", True),  # an mbox
    (b"  \n\nFrom someone", True),  # leading blank lines are no content
    (b"Subject: hi\n\nbody", True),
    (b"Subject: hi\r\n\r\nbody", True),  # CRLF line ends
    (b"Subject: hi\nno blank line ends the headers", False),
    (b"550 5.1.1 <ann@example.org>: User unknown", False),  # a pasted reply
    (b"Subject hi\n\nbody", False),  # no colon: no header
])
def test_a_message_starts_with_headers_and_has_a_blank_line(data: bytes, message: bool) -> None:
    assert is_message(data) is message


def test_the_blank_line_is_looked_for_in_the_first_200000_bytes_only() -> None:
    head = b"Subject: a\n"
    at = 200_000 - 1  # the blank line's first "\n" is the last byte looked at
    inside = head + b"x" * (at - len(head) - 1) + b"\n\nbody"
    assert inside.index(b"\n\n") == at - 1
    assert is_message(inside)
    past = head + b"x" * (at - len(head)) + b"\n\nbody"
    assert past.index(b"\n\n") == at
    assert not is_message(past)


def test_headers_are_looked_for_in_the_first_2000_bytes_only() -> None:
    assert is_message(b"X" * 1_999 + b": v\n\nbody")
    assert not is_message(b"X" * 2_000 + b": v\n\nbody")


def test_an_mbox_with_crlf_line_ends_splits_into_lf_messages() -> None:
    data = (b"From a Mon Jun  1 10:00:00 2026\r\nSubject: a\r\n\r\nx\r\n"
            b"From b Tue Jun  2 10:00:00 2026\r\nSubject: b\r\n\r\ny\r\n")
    assert split_mbox(data) == [b"Subject: a\n\nx\n", b"Subject: b\n\ny\n"]


def test_text_before_the_first_separator_is_a_message_of_its_own() -> None:
    # "From " without a date is no separator: the first message runs to the real one
    data = b"From someone\nSubject: a\n\nx\nFrom b Mon Jun  1 10:00:00 2026\nSubject: b\n\ny\n"
    assert split_mbox(data) == [b"Subject: a\n\nx\n", b"Subject: b\n\ny\n"]


def test_prose_read_from_a_raw_body_ends_at_the_reports_fields() -> None:
    text = "Sorry, it failed.\n\nReporting-MTA: dns; mx.example\nFinal-Recipient: rfc822; a@b.c\n"
    assert _before_fields(text) == "Sorry, it failed.\n\n"
    assert _before_fields("No fields here.\n") == "No fields here.\n"


def test_prose_read_from_a_raw_body_ends_where_the_returned_message_starts() -> None:
    text = "It failed.\n----- Original message -----\nSubject: hi\n"
    assert _before_fields(text) == "It failed.\n"
    # the returned copy is looked for after the first character: a text that starts with
    # its marker keeps it, one whose second line does is cut there
    assert _before_fields("----- Original message -----\nx") == "----- Original message -----\nx"
    assert _before_fields("\n----- Original message -----\nx") == "\n"


def test_the_opening_paragraph_skips_links_and_the_blank_lines_after_them() -> None:
    prose = ("https://aka.ms/EXOSmtpErrors\n\nYour message to ann@example.org couldn't be "
             "delivered.\n[https://aka.ms/x]\nann wasn't found at example.org.\n\nStatus code: 550")
    assert _opening(prose) == ("Your message to ann@example.org couldn't be delivered. "
                               "ann wasn't found at example.org.")


def test_the_opening_paragraph_is_cut_at_1000_characters() -> None:
    assert _opening("word " * 400) == ("word " * 200)[:1_000]
    assert len(_opening("word " * 400)) == 1_000


@pytest.mark.parametrize(("text", "bare"), [
    (f"<{ANN}>:", True),
    (f"{ANN}:  ab", True),  # the address and 4 characters more: nothing said
    (f"{ANN}: abc", False),  # 5 more: words of its own
    (f"550 {ANN}", False),  # a reply code is something said
    (f"5.1.1 {ANN}", False),  # and so is an enhanced code
    ("", True),
])
def test_a_recipients_own_lines_count_only_when_they_say_more_than_the_address(
        text: str, bare: bool) -> None:
    own = _own(text, ANN)
    assert (own is None) is bare
    if own is not None:
        assert own == read_diagnostic(text)


def test_a_cut_short_diagnostic_code_is_a_first_line_ending_in_a_dash() -> None:
    cut = read_diagnostic("550-5.1.1 The email account that you tried to reach does not exist.")
    whole = read_diagnostic("550-5.1.1 The email account that you tried to reach does not "
                            "exist.\n550 5.1.1 Please try double-checking the address.")
    assert _cut_short(cut, whole)
    assert not _cut_short(cut, read_diagnostic("451-4.3.0 " + whole.message))  # another code
    # the whole reply must be longer, and start with the first line's first 40 characters
    same = read_diagnostic("550 5.1.1 The email account that you tried to reach does not "
                           "exist.")
    assert not _cut_short(cut, same)
    differs_at_41 = read_diagnostic("550 5.1.1 The email account that you tried to reacH "
                                    "someone else, who does not exist at all.")
    assert differs_at_41.message[:41] != cut.message[:41]
    assert differs_at_41.message[:40] == cut.message[:40]
    assert _cut_short(cut, differs_at_41)


def test_a_diagnostic_code_without_the_dash_or_a_code_is_not_cut_short() -> None:
    whole = read_diagnostic("550 User unknown, and more words after it")
    assert not _cut_short(read_diagnostic("550 User unknown"), whole)  # a one-line reply
    assert not _cut_short(read_diagnostic("User unknown"), whole)  # no code at all


_STATUS = ("Reporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; jösé@example.org\n"
           "Action: failed\nStatus: 5.1.1\nRemote-MTA: dns; mx.example.org\n"
           "Diagnostic-Code: smtp; 550 5.1.1 User unknown\n").encode()


def _report(kind: str, encoding: str) -> bytes:
    body = {"": _STATUS, "base64": base64.encodebytes(_STATUS),
            "quoted-printable": quopri.encodestring(_STATUS)}[encoding]
    cte = f"Content-Transfer-Encoding: {encoding}\n".encode() if encoding else b""
    return (b"From: MAILER-DAEMON@mx.example\nMIME-Version: 1.0\nContent-Type: multipart/report;"
            b" report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\n"
            b"Your message could not be delivered.\n\n--B\nContent-Type: " + kind.encode()
            + b"\n" + cte + b"\n" + body + b"\n--B--\n")


@pytest.mark.parametrize(("kind", "encoding"), [
    ("message/delivery-status", ""),  # UTF-8 in a plain report: read as UTF-8
    ("message/global-delivery-status", ""),
    ("message/global-delivery-status", "base64"),
    ("message/global-delivery-status", "quoted-printable"),
    ("message/delivery-status", "base64"),
    ("message/delivery-status", "quoted-printable"),
])
def test_a_global_or_encoded_report_gives_every_field(kind: str, encoding: str) -> None:
    # RFC 6533's global report (SMTPUTF8 mail) and a report sent base64 or quoted-printable
    # were read as one group, or as encoded text: no recipient, action, status or reply
    (found,) = read_message(_report(kind, encoding))
    assert (found.recipient, found.action, found.status, found.remote_mta) == (
        "jösé@example.org", "failed", "5.1.1", "dns; mx.example.org")
    assert (found.diagnostic.code, found.diagnostic.enhanced, found.diagnostic.message) == (
        550, "5.1.1", "User unknown")
    assert found.diagnostic.form == "dsn" and found.final


@pytest.mark.parametrize("encoding", ["base64", "quoted-printable"])
def test_a_report_marked_encoded_but_written_as_text_is_read_as_text(encoding: str) -> None:
    # decoded as labelled, plain fields became junk bytes: no recipient, no reply
    data = _report("message/delivery-status", encoding).replace(
        {"base64": base64.encodebytes, "quoted-printable": quopri.encodestring}[encoding](
            _STATUS), _STATUS.replace(b"User unknown", b"User unknown (id=F0A1)"))
    (found,) = read_message(data)
    assert (found.recipient, found.action, found.status) == ("jösé@example.org", "failed",
                                                            "5.1.1")
    assert found.diagnostic.message == "User unknown (id=F0A1)"


_PLAIN = b"Delivery failed.\n\n<ann@example.org>: 550 5.1.1 no such user (ref=E9AB)\n"


@pytest.mark.parametrize(("encoding", "body", "words"), [
    ("base64", _PLAIN, "no such user (ref=E9AB)"),  # plain text marked base64
    ("quoted-printable", _PLAIN, "no such user (ref=E9AB)"),  # "=E9" that is no escape
    ("base64", base64.encodebytes(_PLAIN.replace(b"user", "usér".encode())), "usér"),
    ("quoted-printable", quopri.encodestring(_PLAIN.replace(b"user", "usér".encode())), "usér"),
])
def test_a_text_part_is_decoded_only_where_it_is_encoded(encoding: str, body: bytes,
                                                         words: str) -> None:
    data = (b"From: MAILER-DAEMON@mx.example\nMIME-Version: 1.0\nContent-Type: text/plain; "
            b"charset=utf-8\nContent-Transfer-Encoding: " + encoding.encode() + b"\n\n" + body)
    (found,) = read_message(data)
    assert (found.recipient, found.diagnostic.code) == ("ann@example.org", 550)
    assert words in found.diagnostic.message


def test_a_report_whose_base64_is_broken_is_read_from_its_prose() -> None:
    broken = _report("message/delivery-status", "base64").replace(
        base64.encodebytes(_STATUS), b"UmVwb3J0aW5nLU1UQT")  # cut short: bad padding
    (found,) = read_message(broken)
    assert (found.action, found.status, found.diagnostic.code) == (None, None, None)
    assert found.diagnostic.message.startswith("Your message could not be delivered.")


def test_a_report_with_bytes_that_are_not_utf8_and_crlf_line_ends_is_read() -> None:
    status = _STATUS.replace("jösé".encode(), b"j\xf6s\xe9").replace(b"\n", b"\r\n")
    data = _report("message/delivery-status", "base64").replace(
        base64.encodebytes(_STATUS), base64.encodebytes(status))
    (found,) = read_message(data)
    assert (found.recipient, found.action, found.status) == (
        "j\ufffds\ufffd@example.org", "failed", "5.1.1")
    assert found.diagnostic.message == "User unknown"


def _group(*fields: str) -> Message:
    return message_from_string("\n".join(fields) + "\n", policy=compat32)


def test_recipients_written_without_blank_lines_between_them_are_split_apart() -> None:
    runs = _per_recipient(_group("Final-Recipient: rfc822; a@x.org", "Action: failed",
                                 "Final-Recipient: rfc822; b@x.org", "Action: delayed"))
    assert [run.items() for run in runs] == [
        [("Final-Recipient", "rfc822; a@x.org"), ("Action", "failed")],
        [("Final-Recipient", "rfc822; b@x.org"), ("Action", "delayed")]]


def test_one_recipient_with_two_original_recipient_fields_stays_one_group() -> None:
    group = _group("Final-Recipient: rfc822; a@x.org", "Original-Recipient: rfc822; b@x.org",
                   "Original-Recipient: rfc822; c@x.org", "Action: failed", "Status: 5.0.0")
    assert _per_recipient(group) == [group]


@pytest.mark.parametrize("words", [
    "Will keep trying for 5 days.", "The message is still being retried.",
    "Delivery attempts will continue.", "Your message HAS BEEN DELAYED."])
def test_a_prose_bounce_that_says_it_will_try_again_is_not_final(words: str) -> None:
    (found,) = _from_prose(f"<{ANN}>:\n451 4.4.1 Connection timed out\n{words}\n", None)
    assert not found.final
    (final,) = _from_prose(f"<{ANN}>:\n451 4.4.1 Connection timed out\n", None)
    assert final.final


def test_a_status_code_section_does_not_replace_words_the_reply_has() -> None:
    prose = (f"Your message to {ANN} couldn't be delivered.\n\nRemote Server returned '550 "
             "5.1.1 User unknown'\n\nStatus code: 550\n")
    (found,) = _from_prose(prose, None)
    assert found.diagnostic.message == "User unknown"


def test_the_sender_on_a_line_of_its_own_is_not_a_recipient() -> None:
    prose = f"<{ANN}>:\n550 5.1.1 User unknown\n\nsender@example.com\nwrote the message\n"
    assert [r.recipient for r in _from_prose(prose, "sender@example.com")] == [ANN]
    assert len(_from_prose(prose, None)) == 2


def _fields_only(*fields: str) -> bytes:
    """A report with no words for people: its delivery-status part alone."""
    status = "Reporting-MTA: dns; mx.example\n\n" + "\n".join(fields) + "\n"
    return (b"From: MAILER-DAEMON@mx.example\nMIME-Version: 1.0\nContent-Type: multipart/report;"
            b" report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: "
            b"message/delivery-status\n\n" + status.encode() + b"\n--B--\n")


def test_without_prose_or_a_diagnostic_code_the_status_and_its_comment_are_read() -> None:
    (found,) = read_message(_fields_only("Final-Recipient: rfc822; ann@example.org",
                                         "Action: failed",
                                         "Status: 5.1.1 (bad destination mailbox address)"))
    assert (found.status, found.diagnostic.enhanced) == ("5.1.1", "5.1.1")
    assert found.diagnostic.message == "bad destination mailbox address"


def test_a_recipient_named_only_by_its_original_recipient_field() -> None:
    (found,) = read_message(_fields_only("Original-Recipient: rfc822; ann@example.org",
                                         "Action: failed", "Status: 5.1.1"))
    assert found.recipient == ANN


@pytest.mark.parametrize(("status", "enhanced"), [
    ("5.1.1", "5.1.1"), ("4.4.7", "4.4.7"), ("9.1.1", None), ("5.1", None)])
def test_the_status_field_gives_the_enhanced_code_a_reply_lacks(status: str,
                                                                enhanced: str | None) -> None:
    (found,) = read_message(_fields_only("Final-Recipient: rfc822; ann@example.org",
                                         "Action: failed", f"Status: {status}",
                                         "Diagnostic-Code: smtp; 550 User unknown"))
    assert (found.diagnostic.code, found.diagnostic.enhanced) == (550, enhanced)
    assert found.diagnostic.message == "User unknown"


def _part(charset: str, body: bytes) -> Message:
    from email import message_from_bytes

    return message_from_bytes(f"Content-Type: text/plain; charset={charset}\n\n".encode() + body,
                              policy=compat32)


@pytest.mark.parametrize(("charset", "body", "text"), [
    # labelled ASCII but 8-bit: UTF-8 where it is valid UTF-8, else Windows-1252
    ("ascii", "Benutzer unbekannt: é".encode(), "Benutzer unbekannt: é"),
    ("ascii", b"Benutzer unbekannt: \xe9", "Benutzer unbekannt: é"),
    ("x-no-such-charset", "usuário".encode(), "usuário"),  # unknown: read as UTF-8
    ("x-no-such-charset", b"usu\xe1rio", "usuário"),  # and what is not UTF-8 as Latin-1
    ("iso-8859-1", b"usu\xe1rio", "usuário"),
    ("shift_jis", b"\x82\xa0\x85\x40", "\u3042\ufffd@"),  # named: replaced where broken
    # labels Python lacks or reads too narrowly: the vendors' code pages
    ("x-sjis", "宛先不明".encode("cp932"), "宛先不明"),
    ("ks_c_5601-1987", "똠 사용자 없음".encode("cp949"), "똠 사용자 없음"),  # 똠: cp949 only
    ("gb2312", "用户不存在 镕".encode("gb18030"), "用户不存在 镕"),  # 镕: not in GB 2312
    ("windows-874", "ผู้ใช้".encode("cp874"), "ผู้ใช้"),
])
def test_a_text_part_is_read_in_its_charset_and_never_raises(charset: str, body: bytes,
                                                             text: str) -> None:
    assert part_text(_part(charset, body)) == text
