"""Which words of a bounce are read for which recipient.

A DSN group without a Diagnostic-Code is read from what the prose says about that recipient;
prose that lists only other recipients is not about it, and the group's own Status comment
("4.0.0 (example.org: host name lookup failure)", RFC 3464's own example) is.  Sendmail lists a
failed address once on its own under "The following addresses had permanent fatal errors" and
writes why in the transcript below it: the transcript's line is that recipient's text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpdiag.core.classify import classify, classify_message
from smtpdiag.core.prose import html_text, segments, unquoted
from tests.conftest import run_cli

MESSAGES = Path(__file__).resolve().parent.parent / "fixtures" / "messages"


def read(name: str) -> bytes:
    return (MESSAGES / name).read_bytes()


def test_a_recipient_the_prose_does_not_list_is_read_from_its_status_comment():
    first, second = classify_message(read("dsn-status-comment.eml"))
    assert first["recipient"] == "zoe@first.example" and first["code"] == 550
    assert second["recipient"] == "abe@second.example"
    assert second["input"] == "second.example: host name lookup failure"
    assert second["enhanced"] == "4.0.0" and second["action"] == "delayed"


def test_prose_about_every_recipient_still_serves_one_it_does_not_list():
    # a report whose prose names no recipient at all: its words are about every one
    data = read("dsn-status-comment.eml").replace(
        b"<zoe@first.example>  (unrecoverable error)", b"The remote host refused the message.")
    records = classify_message(data)
    assert "remote host refused" in records[1]["input"]


def test_sendmails_transcript_line_is_the_listed_recipients_text():
    (record,) = classify_message(read("sendmail-transcript-after-list.eml"))
    assert record["recipient"] == "walt@remote.example"
    assert record["input"].startswith(
        "<walt@remote.example>... Deferred: Connection refused by mx.remote.example.")


def test_a_recipient_listed_twice_keeps_its_first_text_when_it_has_words():
    # a bounce written in two languages: the first text with words of its own is kept
    prose = ("<ann@example.org>: mailbox full\n\n<ann@example.org>: boîte pleine\n")
    assert segments(prose) == [("ann@example.org", "<ann@example.org>: mailbox full")]
    # the address alone, then a section head: the later line with words replaces it
    prose = ("<ann@example.org>\n\n   ----- Transcript of session follows -----\n"
             "<ann@example.org>... User unknown\n")
    assert segments(prose) == [("ann@example.org", "<ann@example.org>... User unknown")]


@pytest.mark.parametrize(("text", "code", "enhanced", "reason"), [
    # SES's own status ("Unknown address error") is its guess; the quoted reply is the server's
    ("smtp; 5.1.0 - Unknown address error 550-'5.7.1 <b-1@bounces.example>... Access denied' "
     "(delivery attempts: 0)", 550, "5.7.1", "blocked"),
    ("5.1.0 - Unknown address error 550-'5.2.2 <ann@example.org>... Mailbox Full' "
     "(delivery attempts: 0)", 550, "5.2.2", "mailbox-full"),
    ("5.3.0 - Other mail system problem 552-'message too large'", 552, None, "message-too-big"),
])
def test_amazon_ses_quoted_reply_is_the_servers_reply(text, code, enhanced, reason):
    record = classify(text)
    assert (record["code"], record["enhanced"], record["reason"]["name"]) == (
        code, enhanced, reason)


def test_a_bounce_forwarded_as_an_attachment_is_read():
    (record,) = classify_message(read("forwarded-qmail-bounce.eml"))
    assert record["recipient"] == "ann@example.org"
    assert (record["enhanced"], record["reason"]["name"], record["reason"]["rule"]) == (
        "5.1.1", "user-unknown", "qmail-no-mailbox")


def test_a_forwarded_report_is_read_with_its_fields():
    report = read("postfix-dsn-two-recipients.eml")
    outer = (b"From: Bob <bob@sender.example>\nTo: desk@sender.example\nSubject: FW: bounce\n"
             b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"o\"\n\n--o\n"
             b"Content-Type: text/plain\n\nplease check\n\n--o\nContent-Type: message/rfc822\n\n"
             + report.replace(b"\r\n", b"\n") + b"\n--o--\n")
    records = classify_message(outer)
    assert [r["recipient"] for r in records] == ["ana@example.net", "ben@example.com"]
    assert [r["reason"]["name"] for r in records] == ["user-unknown", "mailbox-full"]


@pytest.mark.parametrize(("sender", "subject"), [
    # a mail system's own bounce: its attachment is the returned original, whatever it says
    (b"MAILER-DAEMON@mx.example.org", b"Fwd: failure notice"),
    # a person's message that does not say it forwards: its attachment's Subject proves nothing
    (b"Bob <bob@sender.example>", b"have a look"),
])
def test_an_attachment_is_not_taken_for_the_bounce_without_cause(sender, subject):
    data = read("forwarded-qmail-bounce.eml").replace(  # the attachment: from a person
        b"From: MAILER-DAEMON@mx.example.org\n", b"From: carl@example.org\n").replace(
        b"From: Bob <bob@sender.example>", b"From: " + sender).replace(
        b"Subject: Fwd: failure notice", b"Subject: " + subject)
    records = classify_message(data)  # a person's message with nothing failed in it: none
    assert all(record["reason"]["rule"] != "qmail-no-mailbox" for record in records)


def test_each_recipient_keeps_the_step_its_own_lines_name():
    # Postfix writes "in reply to …" per recipient: the second answered the end of DATA
    first, second = classify_message(read("postfix-dsn-two-steps.eml"))
    assert (first["recipient"], first["step"], first["reason"]["name"]) == (
        "ivo@north.example", "RCPT", "user-unknown")
    assert (second["recipient"], second["step"]) == ("jan@south.example", "DATA-END")
    assert (second["reason"]["name"], second["reason"]["rule"]) == (
        "policy", "text-user-unknown after DATA")


def test_a_bounce_in_html_only_is_read_by_its_words():
    (record,) = classify_message(read("html-only-ndr.eml"))
    assert record["recipient"] == "ann@example.org"
    assert (record["code"], record["enhanced"], record["form"]) == (550, "5.1.1", "exchange")
    assert "&#39;" not in record["input"] and "font-family" not in record["input"]


def test_html_text_keeps_lines_and_drops_style_sheets():
    text = html_text("<head><style>.a { color: red }</style></head><body><p>&lt;ann@example.org"
                     "&gt;:</p><p>mailbox couldn&#39;t be found</p><script>x()</script></body>")
    assert "color" not in text and "x()" not in text
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines == ["<ann@example.org>:", "mailbox couldn't be found"]


@pytest.mark.parametrize(("name", "recipient"), [
    # the recipient only in the X-Failed-Recipients header; the sender greeted in the text
    ("groups-x-failed-recipients.eml", "team-lunch@groups.example"),
    # no recipient listed: the first address that is not the sender the bounce went back to
    ("mms-gateway-no-list.eml", "5550100@mms.example"),
])
def test_the_failed_recipient_is_never_the_sender(name, recipient):
    (record,) = classify_message(read(name))
    assert record["recipient"] == recipient


def test_x_failed_recipients_gives_one_record_each():
    data = read("groups-x-failed-recipients.eml").replace(
        b"X-Failed-Recipients: team-lunch@groups.example",
        b"X-Failed-Recipients: team-lunch@groups.example,\n  team-dinner@groups.example")
    records = classify_message(data)
    assert [r["recipient"] for r in records] == ["team-lunch@groups.example",
                                                  "team-dinner@groups.example"]


def test_a_bounce_forwarded_inline_with_quoted_lines_is_read():
    (record,) = classify_message(read("quoted-forwarded-sendmail.eml"))
    assert (record["recipient"], record["code"], record["step"]) == (
        "dave@example.org", 550, "RCPT")
    assert record["reason"]["name"] == "user-unknown"


def test_unquoted_takes_one_level_only_where_most_lines_are_quoted():
    assert unquoted("> a\n> > b\n>\n> c") == "a\n> b\n\nc"
    assert unquoted("Hello,\nsee below\nthanks\n> one quoted line") == (
        "Hello,\nsee below\nthanks\n> one quoted line")
    # exactly half the lines quoted is not most of them; a quote mark after indentation counts
    assert unquoted("Hi,\n> a\nthanks\n> b") == "Hi,\n> a\nthanks\n> b"
    assert unquoted("Hi,\n  > a\n  > b") == "Hi,\na\nb"


def test_a_diagnostic_code_with_the_code_alone_takes_the_recipients_own_words():
    (record,) = classify_message(read("dsn-code-only-diagnostic.eml"))
    assert (record["recipient"], record["code"], record["step"]) == ("kim@example.org", 550,
                                                                     "RCPT")
    assert record["reason"]["name"] == "mailbox-full"


def test_postfixs_folded_reply_naming_the_recipient_again_continues_its_text():
    prose = ("<kim@example.org>: host mx.example.org[192.0.2.93] said: 550 5.2.2\n"
             "    <kim@example.org>: mailbox full (in reply to RCPT TO command)\n\n"
             "<lee@example.org>: host mx.example.org[192.0.2.93] said: 550 5.1.1\n"
             "    <lee@example.org>: unknown\n")
    assert [text.splitlines()[-1].strip() for _, text in segments(prose)] == [
        "<kim@example.org>: mailbox full (in reply to RCPT TO command)",
        "<lee@example.org>: unknown"]


def test_sendmail_v5_gives_each_recipient_only_its_own_lines():
    # Sendmail V5 writes each recipient's dialogue and its host's line *above* its summary
    # line, and a deferred host's dialogue between two failed recipients: none of it is the
    # neighbour's, and a host that was only deferred (late.example) is not a failure
    records = classify_message(read("sendmail-v5-four-recipients.eml"))
    assert [(r["recipient"], r["reason"]["name"], r["step"]) for r in records] == [
        ("ines@lost.example", "host-unknown", None),
        ("paul@firm.example", "user-unknown", "RCPT"),
        ("rosa@shop.example", "message-too-big", "DATA"),
        ("tom@nowhere.example", "host-unknown", None)]
    assert records[1]["input"] == "<paul@firm.example>... No such mailbox here"
    assert records[2]["input"] == "Message exceeds the size limit of this site"
    for record in records:
        assert "slow.example" not in record["input"] and "late.example" not in record["input"]
        assert "Unsent" not in record["input"]


def test_sendmail_v8_reads_each_recipient_s_step_from_its_own_dialogue():
    jan, mia = classify_message(read("sendmail-v8-two-hosts.eml"))
    assert (jan["recipient"], jan["reason"]["name"], jan["step"]) == (
        "jan@firm.example", "user-unknown", "RCPT")
    assert (mia["recipient"], mia["reason"]["name"], mia["step"]) == (
        "mia@shop.example", "mailbox-full", "DATA")


V5_TRANSCRIPT = """\
   ----- Transcript of session follows -----
550 lost.example (smtp)... 550 Host unknown
554 <ines@lost.example>... 550 Host unknown
While talking to mx.slow.example:
>>> QUIT
<<< 421 busy
421 slow.example (smtp)... Deferred
While talking to mail.firm.example:
>>> RCPT To:<paul@firm.example>
<<< 550 No such mailbox
550 <paul@firm.example>... User unknown
<<< 503 Need RCPT
"""


def test_a_sendmail_summary_line_takes_the_lines_above_it_up_to_its_dialogue():
    assert segments(V5_TRANSCRIPT) == [
        ("ines@lost.example", "550 lost.example (smtp)... 550 Host unknown\n"
                              "554 <ines@lost.example>... 550 Host unknown"),
        ("paul@firm.example", "While talking to mail.firm.example:\n"
                              ">>> RCPT To:<paul@firm.example>\n<<< 550 No such mailbox\n"
                              "550 <paul@firm.example>... User unknown")]
    # without a "While talking to", the answer just above is its own; an earlier one is not
    prose = ("<<< 550 first\n550 <ann@a.example>... User unknown\n"
             "<<< 552 second\n552 <bob@b.example>... Mailbox full\n")
    assert segments(prose) == [
        ("ann@a.example", "<<< 550 first\n550 <ann@a.example>... User unknown"),
        ("bob@b.example", "<<< 552 second\n552 <bob@b.example>... Mailbox full")]
    # the last line of all, with no line end
    assert segments("550 <ann@a.example>... User unknown") == [
        ("ann@a.example", "550 <ann@a.example>... User unknown")]


def test_a_recipient_listed_above_the_transcript_keeps_both_its_texts():
    prose = ("   ----- The following addresses had permanent fatal errors -----\n"
             "<ann@a.example>\n    (reason: 550 5.1.1 User unknown)\n"
             "<bob@b.example>\n    (reason: 552 5.2.2 Mailbox full)\n\n"
             "   ----- Transcript of session follows -----\n"
             "... while talking to mx.a.example.:\n>>> RCPT To:<ann@a.example>\n"
             "<<< 550 5.1.1 User unknown\n550 5.1.1 <ann@a.example>... User unknown\n")
    assert segments(prose) == [
        ("ann@a.example", "<ann@a.example>\n    (reason: 550 5.1.1 User unknown)\n"
                          "... while talking to mx.a.example.:\n>>> RCPT To:<ann@a.example>\n"
                          "<<< 550 5.1.1 User unknown\n"
                          "550 5.1.1 <ann@a.example>... User unknown"),
        # the section head ends bob's lines: the transcript below it is ann's
        ("bob@b.example", "<bob@b.example>\n    (reason: 552 5.2.2 Mailbox full)")]


def test_a_summary_line_without_a_dialogue_adds_nothing_to_a_recipient_listed_above():
    prose = ("<ann@a.example>\n    (reason: 550 5.1.1 User unknown)\n\n"
             "   ----- Transcript of session follows -----\n"
             "550 5.1.1 <ann@a.example>... User unknown\n")
    assert segments(prose) == [("ann@a.example",
                                 "<ann@a.example>\n    (reason: 550 5.1.1 User unknown)")]


def test_a_summary_line_takes_its_lines_from_a_bounded_stretch_above_it():
    # hostile text: a dialogue of 50,000 lines above one summary line is read from its end
    from smtpdiag.core.prose import MAX_DIALOGUE

    summary = "550 <ann@a.example>... User unknown"
    ((address, text),) = segments("<<< 550 no\n" * 50_000 + summary + "\n")
    assert address == "ann@a.example" and text.endswith(summary)
    assert MAX_DIALOGUE - 20 < len(text) - len(summary) <= MAX_DIALOGUE


PERSONAL = (b"From: Kim <kim@example.com>\nTo: lee@example.org\nSubject: lunch?\n"
            b"Date: Wed, 2 Dec 2026 12:00:00 +0000\nMIME-Version: 1.0\n"
            b"Content-Type: text/plain; charset=utf-8\n\n")


@pytest.mark.parametrize("body", [
    b"Shall we meet at noon? Ping ann@example.net too.\n",
    "\u306b\u3083\u30fc\u30fc\u30fc\n".encode(),  # words only, in Japanese
])
def test_a_person_s_message_is_no_bounce(body, tmp_path):
    assert classify_message(PERSONAL + body) == []
    message = tmp_path / "lunch.eml"
    message.write_bytes(PERSONAL + body)
    result = run_cli("explain", str(message))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "no failed recipient" in result.stderr


@pytest.mark.parametrize(("head", "body", "reason"), [
    # a person's headers, but a failure in its words: a bounce pasted into a mail
    (PERSONAL, b"The server said: 550 5.1.1 <ann@example.net> User unknown\n", "user-unknown"),
    (PERSONAL, b"ann@example.net: Mailbox is full\n", "mailbox-full"),
    # no known words, but written by a mail system
    (PERSONAL.replace(b"Kim <kim@example.com>", b"MAILER-DAEMON@mx.example.com"),
     b"It did not work for ann@example.net.\n", "unknown"),
    (PERSONAL.replace(b"lunch?", b"Undeliverable: lunch?"),
     b"It did not work for ann@example.net.\n", "unknown"),
    (b"Return-Path: <>\n" + PERSONAL, b"It did not work for ann@example.net.\n", "unknown"),
])
def test_a_bounce_in_prose_is_still_one(head, body, reason):
    (record,) = classify_message(head + body)
    assert record["reason"]["name"] == reason and "error" not in record


@pytest.mark.parametrize("kind", ["feedback-report", "disposition-notification"])
def test_an_abuse_report_or_a_read_receipt_is_no_bounce(kind):
    report = (b"From: abuse@isp.example\nTo: ana@sender.example\nSubject: Abuse report\n"
              b"MIME-Version: 1.0\nContent-Type: multipart/report; boundary=B; report-type="
              + kind.encode() + b"\n\n--B\nContent-Type: text/plain\n\nThis is an email abuse "
              b"report for a message from sender.example.\n\n--B\nContent-Type: "
              b"message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: isp/1.0\n"
              b"Version: 1\n\n--B--\n")
    assert classify_message(report) == []


BOUNCER = (b"From: MAILER-DAEMON@mx.example.org\nTo: ana@sender.example\n"
           b"Subject: failure notice\n\n")


@pytest.mark.parametrize("note", [
    "Este mensaje ha sido analizado con NOD32 antivirus system http://www.nod32.example",
    "This message has been scanned for viruses and dangerous content by MailScanner, and is "
    "believed to be clean.",
    "No virus found in this outgoing message. Checked by AVG.",
    # notes that do not say "virus": read as one under words that name no cause
    "This message has been checked for malware by Sophos.",
    "Scanned by ClamAV on mx.example.org",
])
def test_a_virus_scanner_s_note_under_a_bounce_is_not_a_virus(note):
    body = f"<ben@example.org>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n{note}\n"
    (record,) = classify_message(BOUNCER + body.encode())
    assert record["reason"]["name"] == "user-unknown"
    (found,) = classify_message(BOUNCER + b"<ben@example.org>:\n554 5.7.1 Virus found: "
                                b"Eicar-Test-Signature\n\n" + note.encode() + b"\n")
    assert found["reason"]["name"] == "virus"  # a scanner that found one still says so
    (bare,) = classify_message(BOUNCER + b"<ben@example.org>:\nThis message could not be "
                               b"delivered.\n\n" + note.encode() + b"\n")
    assert (bare["reason"]["name"], bare["input"]) == (
        "unknown", "<ben@example.org>: This message could not be delivered.")


def test_a_bounce_with_no_charset_is_read_as_latin_1_not_as_replacement_characters():
    body = "<ben@example.org>:\nInformación: esta casilla no existe. (#5.1.1)\n"
    (record,) = classify_message(BOUNCER + body.encode("latin-1"))
    assert "Información" in record["input"] and "\ufffd" not in record["input"]
