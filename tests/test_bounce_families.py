"""A whole bounce of each family of mail system, read to its recipients, replies, steps and
causes: Microsoft 365 and Exchange (HTML parts, the 2003 "<host #5.1.1 smtp;…>" line, 2010's
recipients listed twice), Gmail,
Yahoo, qmail, Exim, Sendmail, Courier, MDaemon (an arrow transcript), Lotus Domino, Postfix,
Amazon SES, bounces forwarded by people, other charsets, CRLF and CR line ends, a body without
headers and a message cut short.  Every sample is written for this project in the shape its
mail system writes; none is copied from a real bounce."""

from __future__ import annotations

import base64

import pytest

from smtpdiag.core.classify import classify_message

HEAD = "From: {sender}\nTo: bob@example.net\nSubject: {subject}\nMIME-Version: 1.0\n"


def _report(text: str, fields: str, sender: str = "MAILER-DAEMON@mx.example.net",
            subject: str = "Undelivered Mail Returned to Sender", alternative: str = "") -> str:
    """A multipart/report: the text part (and an HTML alternative), then the report."""
    human = f"Content-Type: text/plain; charset=us-ascii\n\n{text}\n"
    if alternative:
        human = ('Content-Type: multipart/alternative; boundary="A"\n\n--A\n' + human
                 + f"--A\nContent-Type: text/html\n\n{alternative}\n--A--\n")
    return (HEAD.format(sender=sender, subject=subject)
            + 'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\n\n'
            + f"--R\n{human}--R\nContent-Type: message/delivery-status\n\n"
            + f"Reporting-MTA: dns; mx.example.net\n\n{fields}\n--R\n"
            + "Content-Type: message/rfc822\n\nFrom: bob@example.net\nSubject: hi\n\nhi\n--R--\n")


def _prose(text: str, sender: str = "MAILER-DAEMON@mx.example.net",
           subject: str = "failure notice", extra: str = "") -> str:
    return HEAD.format(sender=sender, subject=subject) + extra \
        + "Content-Type: text/plain\n\n" + text


POSTFIX_TEXT = ("This is the mail system at host mx.example.net.\n\n"
                "<ann@example.org>: host mx.example.org[192.0.2.10] said: 550 5.1.1\n"
                "    <ann@example.org>: Recipient address rejected: User unknown in virtual\n"
                "    mailbox table (in reply to RCPT TO command)\n\n"
                "<cy@example.org>: host mx.example.org[192.0.2.10] said: 552 5.2.2\n"
                "    <cy@example.org>: Mailbox full (in reply to RCPT TO command)\n")
POSTFIX_FIELDS = ("Final-Recipient: rfc822; ann@example.org\nAction: failed\nStatus: 5.1.1\n"
                  "Remote-MTA: dns; mx.example.org\nDiagnostic-Code: smtp; 550 5.1.1 "
                  "<ann@example.org>: Recipient address rejected:\n    User unknown in virtual "
                  "mailbox table\n\nFinal-Recipient: rfc822; cy@example.org\nAction: failed\n"
                  "Status: 5.2.2\nRemote-MTA: dns; mx.example.org\n"
                  "Diagnostic-Code: smtp; 552 5.2.2 <cy@example.org>: Mailbox full\n")
POSTFIX = _report(POSTFIX_TEXT, POSTFIX_FIELDS)
POSTFIX_READ = [("ann@example.org", 550, "5.1.1", "RCPT", "user-unknown"),
                ("cy@example.org", 552, "5.2.2", "RCPT", "mailbox-full")]

FAMILIES = {
    "postfix": (POSTFIX, POSTFIX_READ),
    "postfix-local": (_report('<ann@mx.example.net>: unknown user: "ann"',
                              "Final-Recipient: rfc822; ann@mx.example.net\nAction: failed\n"
                              'Status: 5.1.1\nDiagnostic-Code: X-Postfix; unknown user: "ann"\n'),
                      [("ann@mx.example.net", None, "5.1.1", None, "user-unknown")]),
    "microsoft-365": (_report(
        "Your message to ann@contoso.example couldn't be delivered.\n",
        "Final-Recipient: rfc822;ann@contoso.example\nAction: failed\nStatus: 5.1.10\n"
        "Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient "
        "ann@contoso.example not found by SMTP address lookup\n",
        sender="Microsoft Outlook <postmaster@contoso.example>", subject="Undeliverable: hi",
        alternative="<p>Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound'</p>"),
        [("ann@contoso.example", 550, "5.1.10", None, "user-unknown")]),
    "microsoft-365-html-only": (
        HEAD.format(sender="postmaster@contoso.example", subject="Undeliverable: hi")
        + "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        + base64.encodebytes(b"<p>Your message to <b>ann@contoso.example</b> couldn&rsquo;t "
                             b"be delivered.</p><p>Remote Server returned '552 5.2.2 Mailbox "
                             b"full'</p>").decode(),
        [("ann@contoso.example", 552, "5.2.2", None, "mailbox-full")]),
    # Exchange 2003 quotes the reply inside the angle brackets of its own line
    "exchange-2003": (_prose(
        "Your message did not reach some or all of the intended recipients.\n\n"
        "      ann@corp.example on 12/2/2026 10:00 AM\n"
        "            The e-mail account does not exist at the organization.\n"
        "            <mail.corp.example #5.1.1 smtp;550 5.1.1 Mailbox unavailable>\n",
        subject="Undeliverable: hi"),
        [("ann@corp.example", 550, "5.1.1", None, "user-unknown")]),
    # Exchange 2010 lists each recipient for people, then again with its reply for admins
    "exchange-2010": (_prose(
        "Delivery has failed to these recipients or groups:\n\nann@corp.example\nThe e-mail "
        "address you entered couldn't be found.\n\ncy@corp.example\nThe recipient's mailbox "
        "is full.\n\nDiagnostic information for administrators:\n\nGenerating server: "
        "mail.corp.example\n\nann@corp.example\n#550 5.1.1 RESOLVER.ADR.RecipNotFound; not "
        "found ##\n\ncy@corp.example\n#550 5.2.2 STOREDRV.Deliver; mailbox full ##\n",
        sender="Microsoft Exchange <postmaster@corp.example>", subject="Undeliverable: hi"),
        [("ann@corp.example", 550, "5.1.1", None, "user-unknown"),
         ("cy@corp.example", 550, "5.2.2", None, "mailbox-full")]),
    "gmail": (_report(
        "** Address not found **\n\nYour message wasn't delivered to ann@example.org because "
        "the address couldn't be found, or is unable to receive mail.\n",
        "Final-Recipient: rfc822; ann@example.org\nAction: failed\nStatus: 5.1.1\n"
        "Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not\n"
        " 550-5.1.1 exist. Please try double-checking the recipient's email\n"
        " 550 5.1.1 address for typos. x1si123 - gsmtp\n",
        sender="Mail Delivery Subsystem <mailer-daemon@googlemail.com>"),
        [("ann@example.org", 550, "5.1.1", None, "user-unknown")]),
    "yahoo": (_prose("Sorry, we were unable to deliver your message to the following "
                     "address.\n\n<ann@example.org>:\nRemote host said: 552 1 Requested mail "
                     "action aborted, mailbox not found [RCPT_TO]\n\n--- Below this line is "
                     "a copy of the message.\n"),
              [("ann@example.org", 552, None, "RCPT", "user-unknown")]),
    "qmail": (_prose("Hi. This is the qmail-send program at mail.example.net.\n\n"
                     "<ann@example.org>:\n192.0.2.10 does not like recipient.\nRemote host "
                     "said: 550 5.1.1 <ann@example.org>: No such user\nGiving up on "
                     "192.0.2.10.\n\n<cy@example.org>:\nSorry, I couldn't find any host named "
                     "example.org. (#5.1.2)\n\n--- Below this line is a copy of the message.\n"),
              [("ann@example.org", 550, "5.1.1", "RCPT", "user-unknown"),
               ("cy@example.org", None, "5.1.2", None, "host-unknown")]),
    "exim": (_prose("A message that you sent could not be delivered to one or more of its\n"
                    "recipients. This is a permanent error. The following address(es) failed:"
                    "\n\n  ann@example.org\n    host mx.example.org [192.0.2.10]\n"
                    "    SMTP error from remote mail server after RCPT TO:<ann@example.org>:\n"
                    "    550 5.7.1 <ann@example.org>: Relay access denied\n  cy@example.org\n"
                    "    Unrouteable address\n",
                    sender="Mail Delivery System <Mailer-Daemon@mx.example.net>",
                    extra="X-Failed-Recipients: ann@example.org, cy@example.org\n"),
             [("ann@example.org", 550, "5.7.1", "RCPT", "relay-denied"),
              ("cy@example.org", None, None, None, "host-unknown")]),
    "courier": (_report("Your message to the following recipients cannot be delivered:\n\n"
                        "<ann@example.org>:\n    mx.example.org [192.0.2.10]:\n"
                        ">>> RCPT TO:<ann@example.org>\n<<< 550 5.1.1 <ann@example.org>: No "
                        "such user\n",
                        "Final-Recipient: rfc822; ann@example.org\nAction: failed\n"
                        "Status: 5.0.0\nDiagnostic-Code: smtp; 550 5.1.1 <ann@example.org>: "
                        "No such user\n", sender='"Courier mail server" <@>'),
                [("ann@example.org", 550, "5.1.1", "RCPT", "user-unknown")]),
    # MDaemon's transcript: "-->" for what it sent, "<--" for what it read, a date on each line
    "mdaemon": (_prose("The attached message had PERMANENT fatal delivery errors!\n\n"
                       "--- Session Transcript ---\n"
                       " Wed 2026-12-02 10:00:00: --> MAIL From:<bob@example.net>\n"
                       " Wed 2026-12-02 10:00:00: <-- 250 2.1.0 Ok\n"
                       " Wed 2026-12-02 10:00:00: --> RCPT To:<ann@example.org>\n"
                       " Wed 2026-12-02 10:00:00: <-- 550 5.1.1 <ann@example.org>: no mailbox\n"
                       " Wed 2026-12-02 10:00:00: --> QUIT\n--- End Transcript ---\n",
                       sender="MDaemon@mail.example.net", subject="Permanent Delivery Failure"),
                [("ann@example.org", 550, "5.1.1", "RCPT", "user-unknown")]),
    "domino": (_report("Your message was not delivered to:\n\n  ann@example.org\n\nbecause:\n\n"
                       "  User ann (ann@example.org) not listed in Domino Directory\n",
                       "Final-Recipient: rfc822;ann@example.org\nAction: failed\n"
                       "Status: 5.0.0\nDiagnostic-Code: X-Notes; User ann (ann@example.org) "
                       "not listed in Domino Directory\n", sender="Postmaster@domino.example"),
               [("ann@example.org", None, "5.0.0", None, "user-unknown")]),
    "amazon-ses": (_report("An error occurred while trying to deliver the mail to the following "
                           "recipients:\nann@example.org",
                           "Action: failed\nFinal-Recipient: rfc822; ann@example.org\n"
                           "Diagnostic-Code: smtp; 550 5.1.1 user unknown\nStatus: 5.1.1\n",
                           sender="MAILER-DAEMON@amazonses.com"),
                   [("ann@example.org", 550, "5.1.1", None, "user-unknown")]),
    "forwarded-inline": (_prose(
        "Can you check why this bounced?\n\n---------- Forwarded message ---------\nFrom: "
        "Mail Delivery System <MAILER-DAEMON@mx.example.net>\nSubject: Undelivered Mail\n\n"
        + POSTFIX_TEXT.split("\n\n<cy")[0] + "\n", sender="Carol <carol@example.net>",
        subject="Fwd: Undelivered Mail Returned to Sender"), POSTFIX_READ[:1]),
    "forwarded-quoted": (_prose(
        "See below.\n\n> Hi. This is the qmail-send program at mail.example.net.\n>\n"
        "> <ann@example.org>:\n> Remote host said: 552 5.2.2 Over quota\n",
        sender="Carol <carol@example.net>", subject="Fw: failure notice"),
        [("ann@example.org", 552, "5.2.2", None, "mailbox-full")]),
    "body-without-headers": (POSTFIX.split("\n\n", 1)[1], POSTFIX_READ),
    "crlf": (POSTFIX.replace("\n", "\r\n"), POSTFIX_READ),
    "bare-cr": (POSTFIX.replace("\n", "\r"), POSTFIX_READ),
    # cut short inside the second recipient's reply: what is there is read
    "cut-short": (POSTFIX[:POSTFIX.index("Diagnostic-Code: smtp; 552") + 40],
                  [POSTFIX_READ[0], ("cy@example.org", 552, "5.2.2", "RCPT", "mailbox-full")]),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_each_family_of_bounce_is_read_to_its_recipients_and_causes(family: str) -> None:
    message, expected = FAMILIES[family]
    records = classify_message(message.encode())
    assert [(r["recipient"], r["code"], r["enhanced"], r["step"], r["reason"]["name"])
            for r in records] == expected
    assert not any("error" in record for record in records)


@pytest.mark.parametrize(("charset", "transfer"), [
    ("iso-8859-1", "quoted-printable"), ("koi8-r", "8bit"), ("shift_jis", "8bit"),
    ("utf-16", "base64"), ("iso-2022-jp", "7bit")])
def test_a_bounce_in_another_charset_is_read_in_it(charset: str, transfer: str) -> None:
    words = {"iso-8859-1": "Empfänger unbekannt", "koi8-r": "Пользователь не найден",
             "shift_jis": "ユーザーが存在しません", "utf-16": "User unknown",
             "iso-2022-jp": "ユーザーが存在しません"}[charset]
    text = f"<ann@example.org>:\n550 5.1.1 {words}\n".encode(charset)
    body = {"quoted-printable": __import__("quopri").encodestring(text),
            "base64": base64.encodebytes(text)}.get(transfer, text)
    data = (HEAD.format(sender="MAILER-DAEMON@mx.example.net",
                        subject="=?iso-8859-1?Q?Unzustellbar:_Gr=FC=DFe?=").encode()
            + f"Content-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: "
              f"{transfer}\n\n".encode() + body)
    (record,) = classify_message(data)
    assert (record["recipient"], record["code"], record["enhanced"]) == (
        "ann@example.org", 550, "5.1.1")
    assert words in record["input"] and record["reason"]["name"] == "user-unknown"


def test_a_reply_quoted_inside_angle_brackets_leaves_the_closing_one_behind() -> None:
    (record,) = classify_message(FAMILIES["exchange-2003"][0].encode())
    assert record["input"] == "Mailbox unavailable"  # not "Mailbox unavailable>"
    (mdaemon,) = classify_message(FAMILIES["mdaemon"][0].encode())
    assert mdaemon["input"] == "<ann@example.org>: no mailbox"  # not the transcript's end


def test_a_bounce_body_without_headers_gives_records_with_jsonl(tmp_path) -> None:
    """Saved without its headers (as pasted from a mail client), a bounce still lists its
    recipients: ``--jsonl`` gives a record each, as for the whole message; one reply pasted
    alone is still explained as a reply."""
    from tests.conftest import run_cli

    path = tmp_path / "body.txt"
    path.write_text(POSTFIX_TEXT)
    result = run_cli("explain", str(path), "--jsonl")
    assert result.returncode == 0, result.stderr
    records = [__import__("json").loads(line) for line in result.stdout.splitlines()]
    assert [(r["schema"], r["recipient"], r["reason"]["name"]) for r in records] == [
        ("smtpdiag.bounce/1", "ann@example.org", "user-unknown"),
        ("smtpdiag.bounce/1", "cy@example.org", "mailbox-full")]
    reply = run_cli("explain", "-", "--jsonl", stdin="550-5.1.1 No such\n550 5.1.1 user\n")
    assert '"schema": "smtpdiag.explain/1"' in reply.stdout


EXIM = FAMILIES["exim"][0]


def _forward(part_headers: str, body: bytes) -> bytes:
    return (HEAD.format(sender="Carol <carol@example.net>", subject="Fwd: bounce").encode()
            + b'Content-Type: multipart/mixed; boundary="F"\n\n--F\nContent-Type: text/plain\n'
            b"\nsee attached\n--F\n" + part_headers.encode() + b"\n" + body + b"\n--F--\n")


@pytest.mark.parametrize(("headers", "body"), [
    ("Content-Type: message/rfc822\n", EXIM.encode()),
    ("Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n",
     base64.encodebytes(EXIM.encode())),
    ('Content-Type: application/octet-stream; name="bounce.eml"\n'
     "Content-Transfer-Encoding: base64\n", base64.encodebytes(EXIM.encode())),
    ('Content-Type: application/octet-stream\nContent-Disposition: attachment; '
     'filename="Mail delivery failed.eml"\n', EXIM.encode()),
])
def test_a_bounce_forwarded_as_an_attachment_in_any_form_is_read(headers, body) -> None:
    # sent base64, or as a saved .eml file, it was "see attached": no recipient, no reply
    records = classify_message(_forward(headers, body))
    assert [(r["recipient"], r["code"], r["reason"]["name"]) for r in records] == [
        ("ann@example.org", 550, "relay-denied"), ("cy@example.org", None, "host-unknown")]


def test_a_subject_in_encoded_words_is_read_for_the_cause_it_names() -> None:
    from email import message_from_string

    from smtpdiag.core.dsn import report_words

    message = message_from_string(
        "Subject: =?UTF-8?Q?Returned_mail:_Cannot_send_message_for_5_days?=\n\nText.\n")
    assert report_words(message, "Text.") == "Cannot send message for 5 days"
    broken = message_from_string("Subject: =?x-no-such?Q?Returned_mail:_Host_unknown?=\n\n")
    assert report_words(broken, "") == ""  # undecodable: read as it is, and names nothing
