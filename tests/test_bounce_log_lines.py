"""One line pasted from an MTA's log (``explain --lines`` or ``explain "…"``): the reply the
remote server gave, the step it answered, and the cause, for each MTA's own way of logging a
failed delivery.  The lines are written for this project in the shape each MTA logs."""

from __future__ import annotations

import pytest

from smtpdiag.core.bounce import read_diagnostic
from smtpdiag.core.classify import classify

_TO = "to=<ann@example.org>, relay=mx.example.org[192.0.2.10]:25, delay=1.2"
PF = f"Dec  2 10:00:01 mx postfix/smtp[1234]: 4F2A13C0D1: {_TO}"
EX = "2026-12-02 10:00:01 1sXyZa-000abc-Ab"
QM = "Dec  2 10:00:01 mx qmail: 1733133601.123 delivery 42:"


@pytest.mark.parametrize(("line", "code", "enhanced", "step", "reason"), [
    (f"{PF}, dsn=5.1.1, status=bounced (host mx.example.org[192.0.2.10] said: 550 5.1.1 "
     "<ann@example.org>: Recipient address rejected: User unknown in virtual mailbox table "
     "(in reply to RCPT TO command))", 550, "5.1.1", "RCPT", "user-unknown"),
    (f"{PF}, dsn=4.7.1, status=deferred (host mx.example.org[192.0.2.10] said: 450 4.7.1 "
     "<ann@example.org>: Recipient address rejected: Greylisted, see "
     "http://greylist.example/help (in reply to RCPT TO command))", 450, "4.7.1", "RCPT",
     "greylisted"),
    (f"{PF}, dsn=5.4.4, status=bounced (Host or domain name not found. Name service error for "
     "name=example.invalid type=A: Host not found)", None, "5.4.4", None, "host-unknown"),
    (f"{PF}, dsn=4.4.1, status=deferred (connect to mx.example.org[192.0.2.10]:25: Connection "
     "timed out)", None, "4.4.1", None, "network"),
    (f"{EX} ** ann@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.10] "
     "X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes: SMTP error from remote mail server after "
     "RCPT TO:<ann@example.org>: 550 5.1.1 No such mailbox here", 550, "5.1.1", "RCPT",
     "user-unknown"),
    (f"{EX} ** ann@example.org <ann@example.org>: R=dnslookup T=remote_smtp: SMTP error from "
     "remote mail server after pipelined RCPT TO:<ann@example.org>: 552 5.2.2 Mailbox full",
     552, "5.2.2", "RCPT", "mailbox-full"),
    (f"{EX} == ann@example.org R=dnslookup T=remote_smtp defer (-44) H=mx.example.org "
     "[192.0.2.10]: SMTP error from remote mail server after RCPT TO:<ann@example.org>: "
     "451 4.7.1 Greylisted, try again later", 451, "4.7.1", "RCPT", "greylisted"),
    (f"{EX} ** ann@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.10]: "
     "SMTP error from remote mail server after end of data: 550 5.7.1 Message rejected as "
     "spam", 550, "5.7.1", "DATA-END", "spam"),
    (f"{EX} ** ann@example.org R=dnslookup: Unrouteable address", None, None, None,
     "host-unknown"),
    # qmail-send writes qmail-remote's report with "_" for spaces and "/" for line ends
    (f"{QM} failure: 192.0.2.10_does_not_like_recipient./Remote_host_said:_550_5.1.1_"
     "<ann@example.org>..._No_such_user/Giving_up_on_192.0.2.10./", 550, "5.1.1", "RCPT",
     "user-unknown"),
    (f"{QM} deferral: Sorry,_I_wasn't_able_to_establish_an_SMTP_connection._(#4.4.1)/", None,
     "4.4.1", None, "network"),
    ("Dec  2 10:00:01 mx sendmail[1234]: x2ABC: to=<ann@example.org>, delay=00:00:01, "
     "mailer=esmtp, relay=mx.example.org. [192.0.2.10], dsn=5.1.1, stat=User unknown", None,
     "5.1.1", None, "user-unknown"),
])
def test_a_log_line_gives_the_reply_its_step_and_cause(line, code, enhanced, step, reason):
    found = classify(line)
    assert "error" not in found
    assert (found["code"], found["enhanced"], found["step"], found["reason"]["name"]) == (
        code, enhanced, step, reason)


def test_a_qmail_log_line_is_read_with_its_spaces_and_lines_back():
    found = classify(f"{QM} failure: 192.0.2.10_does_not_like_recipient./Remote_host_said:_"
                     "550_5.1.1_<ann@example.org>..._No_such_user/Giving_up_on_192.0.2.10./")
    assert found["input"].endswith("_No_such_user/Giving_up_on_192.0.2.10./")  # as pasted
    # a line that only mentions a delivery number is read as it is, underscores and all
    kept = classify("delivery 7: failure: see_the_log 550 5.1.1 bad_mailbox")
    assert (kept["code"], kept["enhanced"]) == (550, "5.1.1")


@pytest.mark.parametrize(("line", "lines"), [
    # the report is the one word after "failure:": what follows it is the log's own, as written
    (f"{QM} failure: 192.0.2.10_does_not_like_recipient./Remote_host_said:_550_5.1.1_"
     "No_such_user/ after_3_tries", ("550 5.1.1 No such user", "after_3_tries")),
    # each "/" ends a line: qmail's "Giving up" line is not the reply's
    (f"{QM} failure: 192.0.2.10_does_not_like_recipient./Remote_host_said:_550_5.1.1_"
     "No_such_user/Giving_up_on_192.0.2.10./", ("550 5.1.1 No such user",)),
])
def test_a_qmail_log_lines_report_is_its_one_word_cut_into_lines(line, lines):
    assert read_diagnostic(line).lines == lines
