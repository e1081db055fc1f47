"""Which command a refusal answered, as each MTA writes it.

The step decides between causes that share words ("User unknown" at RCPT is a missing mailbox,
in answer to DATA a recipient's filter; "Access denied" at MAIL is about the sender), so every
MTA's way of naming it is read: Postfix's "in reply to", Exim's "after", transcripts, qmail-remote
and DragonFly's own sentences, Gmail's numbered states, and a step the reply names itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpdiag.core.bounce import command_in_reply, find_command, read_diagnostic
from smtpdiag.core.classify import classify, classify_message

MESSAGES = Path(__file__).resolve().parent.parent / "fixtures" / "messages"


@pytest.mark.parametrize(("text", "step"), [
    # Postfix, the phrase folded across lines as bounce prose wraps it
    ("host mx[192.0.2.1] said: 550 nope (in reply to\n    RCPT TO command)", "RCPT"),
    ("said: 550 nope (in\n reply to end of\n DATA command)", "DATA-END"),
    # Exim and GMX: "after RCPT TO:<…>" and "after RCPT command"
    ("SMTP error from remote server after RCPT command:\nhost mx: 550 nope", "RCPT"),
    ("SMTP error from remote mail server after MAIL FROM:<a@b.example>: 550 nope", "MAIL"),
    # a transcript: the last command sent before the refusal, not the first
    (">>> MAIL From:<a@b.example>\n<<< 250 ok\n>>> RCPT To:<c@d.example>\n<<< 550 nope",
     "RCPT"),
    ("   >>> DATA\n   <<< 554 no thanks", "DATA"),
    ("Sent <<< RCPT TO:<c@d.example>\nReceived >>> 550 nope", "RCPT"),
    # an indented transcript, as bounce prose quotes it (and unfolding joins it into a line)
    ("Each recipient was rejected by a remote mail server.\n    >>> RCPT TO:<c@d.example>\n"
     "    <<< 550 <c@d.example>: User unknown", "RCPT"),
    # an MTA's log form
    ("SMTP:RCPT host 192.0.2.8: 553 5.3.0 <c@d.example>... No such user here", "RCPT"),
    # Sendmail: refused straight after connecting, before any command was sent
    ("... while talking to mx.d.example.:\n<<< 554 go away\n554 5.0.0 Service unavailable",
     "CONNECT"),
    # DragonFly Mail Agent
    ("mx.d.example [192.0.2.9] did not like our RCPT TO:\n550 nope", "RCPT"),
    ("mx.d.example [192.0.2.9] did not like our final DATA:\n554 nope", "DATA-END"),
    # qmail-remote's own sentence per step
    ("192.0.2.9 does not like recipient.\nRemote host said: 550 nope", "RCPT"),
    ("Connected to 192.0.2.9 but sender was rejected.\nRemote host said: 553 nope", "MAIL"),
    ("Connected to 192.0.2.9 but my name was rejected.\nRemote host said: 501 nope", "HELO"),
    ("Connected to 192.0.2.9 but greeting failed.\nRemote host said: 421 busy", "CONNECT"),
    ("192.0.2.9 failed on DATA command.\nRemote host said: 554 nope", "DATA"),
    ("192.0.2.9 failed after I sent the message.\nRemote host said: 554 nope", "DATA-END"),
    ("Sorry, no SMTP connection got far enough; most progress was RCPT TO response.", "RCPT"),
    # Postfix about the connection itself
    ("host mx.d.example[192.0.2.9] refused to talk to me: 554 go away", "CONNECT"),
    ("lost connection with mx.d.example[192.0.2.9] while performing the HELO handshake",
     "HELO"),
    ("conversation with mx.d.example[192.0.2.9] timed out while sending end of data -- "
     "message may be sent more than once", "DATA-END"),
    # Gmail's older reports number their steps
    ("The error that the other server returned was: 550 550 5.1.1 nope (state 14).", "RCPT"),
    ("The error that the other server returned was: 554 554 5.7.1 go away (state 13).",
     "EHLO"),
    ("The error that the other server returned was: 554 554 5.7.0 bad header (state 18).",
     "DATA-END"),
    # Coremail (163.com) and Ipswitch IMail quote the reply after naming the step
    ("SMTP error, RCPT TO: Host d.example(192.0.2.9) RCPT TO said 550 No such user here",
     "RCPT"),
    ("RCPT TO generated following response:\n553 5.3.0 <c@d.example>... Addressee unknown",
     "RCPT"),
    ("MAIL FROM said 553 sender refused", "MAIL"),
    # the first phrase counts, except in a transcript
    ("said: 550 no (in reply to MAIL FROM command)\nsaid: 550 no (in reply to RCPT TO command)",
     "MAIL"),
    # a report's Remote-MTA-Command, and one naming no command read on past
    ("Remote-MTA-Command: rcpt\n", "RCPT"),
    ("Remote-MTA-Command: XFOO\nfailed in RCPT TO", "RCPT"),
    ("Remote-MTA-Command: XFOO\n", None),
    # nothing names a step
    ("550 5.1.1 no such user here", None),
    ("Your message could not be delivered to the recipient; please check the address.", None),
    ("The state 14 of the art", None),
])
def test_each_mta_way_of_naming_the_step(text, step):
    assert find_command(text) == step


@pytest.mark.parametrize(("message", "step"), [
    ("<c@d.example>... User Unknown [RCPT_TO]", "RCPT"),
    ("rejected at MAIL FROM, then at RCPT TO", "RCPT"),  # the last one named
    ("Need a RCPT first", "RCPT"),
    ("DATA rejected by content filter", "DATA"),
    ("sender refused [MAIL_FROM]", "MAIL"),
    ("EHLO argument does not match the host name", "EHLO"),
    ("HELO command rejected: need a fully-qualified host name", "HELO"),
    ("EHLO, HELO, MAIL FROM and RCPT TO were fine; DATA was not", "DATA"),  # all five named
    # words in capitals that only contain a verb, or a verb in lower case, are not one
    ("METADATA mismatch; please retry", None),
    ("the data could not be stored", None),
    ("MAILBOX FULL", None),
])
def test_a_step_named_in_capitals_inside_the_reply(message, step):
    assert command_in_reply(message) == step


def test_the_step_named_in_the_reply_is_used_when_nothing_else_names_one():
    found = read_diagnostic("Remote host said: 550 5.1.1 <c@d.example>... User Unknown [RCPT_TO]")
    assert found.command == "RCPT"
    # what the surrounding text says comes first
    found = read_diagnostic("said: 550 Need RCPT (in reply to DATA command)")
    assert found.command == "DATA"


def test_dragonfly_bounce_names_the_step_and_the_recipient():
    (record,) = classify_message((MESSAGES / "dragonfly-rcpt.eml").read_bytes())
    assert (record["recipient"], record["code"], record["enhanced"], record["step"]) == (
        "olga@example.net", 550, "5.1.1", "RCPT")
    assert record["reason"]["name"] == "user-unknown"


@pytest.mark.parametrize(("text", "reason"), [
    # access denied answering MAIL: the sender address was denied (Sendmail's access database)
    ("Connected to 192.0.2.9 but sender was rejected.\nRemote host said: 550 5.7.1 "
     "<a@b.example>... Access denied", "sender-rejected"),
    (">>> MAIL From:<a@b.example>\n<<< 550 5.7.1 <a@b.example>... Access denied",
     "sender-rejected"),
    # answering the greeting it is about the client
    ("... while talking to mx.d.example.:\n<<< 550 5.7.1 Access denied", "blocked"),
])
def test_access_denied_is_about_what_the_step_offered(text, reason):
    assert classify(text)["reason"]["name"] == reason


@pytest.mark.parametrize(("text", "code", "enhanced", "message"), [
    # Yahoo's prose writes the code with a colon
    ("550: 5.2.2 <c@d.example>... Mailbox Full", 550, "5.2.2", "<c@d.example>... Mailbox Full"),
    ("<c@d.example>:\n550: <c@d.example>: User unknown", 550, None, "<c@d.example>: User unknown"),
    # a time of day is no reply
    ("at 10:30: 250: fine", None, None, "at 10:30: 250: fine"),
])
def test_a_code_followed_by_a_colon_is_a_reply(text, code, enhanced, message):
    found = read_diagnostic(text)
    assert (found.code, found.enhanced, found.message) == (code, enhanced, message)


@pytest.mark.parametrize(("field", "code", "step", "message"), [
    # Coremail's report: its own words, then the reply it was given (before: no code, and a
    # bare "No such user here" with no step read as a filter's refusal)
    ("SMTP; SMTP error, RCPT TO: Host d.example(192.0.2.9) RCPT TO said 550 No such user here",
     550, "RCPT", "No such user here"),
    ("smtp; delivery failed: mx.d.example replied 552 5.2.2 over quota", 552, None,
     "over quota"),
    # a port, or a number the words do not introduce as a reply, stays in the words
    ("X-Postfix; connect to mx.d.example[192.0.2.9]:465: Connection refused", None, None,
     "connect to mx.d.example[192.0.2.9]:465: Connection refused"),
    ("X-Postfix; delivery temporarily suspended: server refused to talk to me: 421 Service "
     "not available", None, "CONNECT",
     "delivery temporarily suspended: server refused to talk to me: 421 Service not available"),
])
def test_a_reply_quoted_after_the_reporting_mta_own_words(field, code, step, message):
    found = read_diagnostic(f"Diagnostic-Code: {field}")
    assert (found.code, found.command, found.message) == (code, step, message)


def test_coremail_bounce_reads_the_quoted_refusal_at_rcpt():
    report = ("Reporting-MTA: dns; mail.example.com\n\nFinal-Recipient: rfc822; c@d.example\n"
              "Action: failed\nStatus: 5.0.0\nDiagnostic-Code: SMTP; SMTP error, RCPT TO: "
              "Host d.example(192.0.2.9) RCPT TO said 550 No such user here\n")
    record = classify(report)
    assert (record["code"], record["step"], record["reason"]["name"]) == (
        550, "RCPT", "user-unknown")
