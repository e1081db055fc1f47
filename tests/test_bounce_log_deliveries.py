"""A delivery line of an MTA's log names whom it was about and what became of it: the record
of the line gives them (recipient, action, status) as a bounce's report would, the reply is read
from the MTA's words about the outcome (not from the fields before them), and a whole mail log
given to ``explain`` is read line by line, its failed and deferred deliveries only.  The lines
are written for this project in the shape each MTA logs."""

from __future__ import annotations

import json

import pytest

from smtpdiag.core.classify import classify
from smtpdiag.core.explain import explain
from smtpdiag.core.loglines import is_delivery_line, log_delivery
from tests.conftest import assert_valid, run_cli

PF = "Dec  2 10:00:01 mx postfix/smtp[1234]: 4F2A13C0D1: to=<ann@example.org>, relay="
EX = "2026-12-02 10:00:01 1sXyZa-000abc-Ab"
SM = "Dec  2 10:00:01 mx sm-mta[1234]: x2ABC: to=<ann@example.org>, delay=00:00:01, mailer=esmtp"
OS = ("Dec  2 10:00:01 mx smtpd[99]: 1a2b3c4d mta delivery evpid=1a2b3c4d5e6f7a8b "
      "from=<bo@example.net> to=<ann@example.org> rcpt=<-> source=\"192.0.2.9\" "
      "relay=\"192.0.2.10 (mx.example.org)\" delay=1s")


@pytest.mark.parametrize(("line", "recipient", "action", "status", "reason"), [
    (f"{PF}mx.example.org[192.0.2.10]:25, dsn=5.1.1, status=bounced (host mx.example.org"
     "[192.0.2.10] said: 550 5.1.1 <ann@example.org>: Recipient address rejected: User "
     "unknown in virtual mailbox table (in reply to RCPT TO command))",
     "ann@example.org", "failed", "5.1.1", "user-unknown"),
    (f"{PF}none, dsn=4.4.1, status=deferred (connect to mx.example.org[192.0.2.10]:25: "
     "Connection timed out)", "ann@example.org", "delayed", "4.4.1", "network"),
    (f"{PF}none, dsn=5.4.4, status=bounced (Host or domain name not found. Name service "
     "error for name=example.org type=MX: Host not found)",
     "ann@example.org", "failed", "5.4.4", "host-unknown"),
    (f"{EX} ** ann@example.org <ann@example.org>: R=dnslookup T=remote_smtp: SMTP error from "
     "remote mail server after RCPT TO:<ann@example.org>: 552 5.2.2 Mailbox full",
     "ann@example.org", "failed", None, "mailbox-full"),
    (f"{EX} == ann@example.org R=dnslookup T=remote_smtp defer (-44) H=mx.example.org "
     "[192.0.2.10]: SMTP error from remote mail server after RCPT TO:<ann@example.org>: "
     "451 4.7.1 Greylisted, try again later", "ann@example.org", "delayed", None,
     "greylisted"),
    (f"{SM}, relay=mx.example.org. [192.0.2.10], dsn=5.2.2, stat=Service unavailable",
     "ann@example.org", "failed", "5.2.2", "mailbox-full"),
    (f"{OS} result=\"PermFail\" stat=\"550 5.2.2 <ann@example.org>: Mailbox full\"",
     "ann@example.org", "failed", None, "mailbox-full"),
    (f"{OS} result=\"TempFail\" stat=\"452 4.2.2 Mailbox full\"",
     "ann@example.org", "delayed", None, "mailbox-full"),
])
def test_a_log_line_names_its_recipient_and_outcome(line, recipient, action, status, reason):
    found = classify(line)
    assert (found["recipient"], found["action"], found["status"], found["reason"]["name"]) == (
        recipient, action, status, reason)
    (item,) = explain(line)["items"]
    assert (item["dsn"]["recipient"], item["dsn"]["action"]) == (recipient, action)


def test_the_reply_is_read_from_the_outcome_not_from_the_fields_before_it():
    # a relay whose name holds a word the catalogue reads ("spam") is not the cause
    line = (f"{PF}spamfilter.example.org[192.0.2.10]:25, dsn=4.4.2, status=deferred (lost "
            "connection with spamfilter.example.org[192.0.2.10] while receiving the initial "
            "server greeting)")
    found = classify(line)
    assert found["reason"]["name"] != "spam" and found["action"] == "delayed"
    # the words after OpenSMTPD's stat= lose their closing quote
    (item,) = explain(f"{OS} result=\"PermFail\" stat=\"550 5.1.1 No such user\"")["items"]
    assert item["reply"]["raw"] == ["550 5.1.1 No such user"]


@pytest.mark.parametrize("line", [
    f"{PF}mx.example.org[192.0.2.10]:25, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued)",
    f"{EX} => ann@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.10]",
    f"{SM}, relay=mx.example.org. [192.0.2.10], dsn=2.0.0, stat=Sent (Ok)",
    "Dec  2 10:00:01 mx postfix/qmgr[99]: 4F2A13C0D1: removed",
    "550 5.1.1 User unknown",
])
def test_delivered_and_other_lines_are_no_failed_delivery(line):
    assert not is_delivery_line(line)
    logged = log_delivery(line)
    assert logged is None or logged.action == "delivered"


def test_a_mail_log_is_read_line_by_line_its_failures_only(tmp_path):
    log = tmp_path / "mail.log"
    log.write_text("\n".join((
        "Dec  2 10:00:00 mx postfix/smtpd[98]: connect from client.example.net[192.0.2.9]",
        f"{PF}mx.example.org[192.0.2.10]:25, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
        f"{PF}mx.example.org[192.0.2.10]:25, dsn=5.1.1, status=bounced (host mx.example.org"
        "[192.0.2.10] said: 550 5.1.1 User unknown (in reply to RCPT TO command))",
        "",
        f"{EX} == bo@example.net R=dnslookup T=remote_smtp defer (-44) H=mx.example.net "
        "[192.0.2.11]: SMTP error from remote mail server after RCPT TO:<bo@example.net>: "
        "451 4.7.1 Greylisted",
    )) + "\n")
    result = run_cli("explain", str(log), "--jsonl")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["source"]["line"], r["recipient"], r["action"], r["reason"]["name"])
            for r in records] == [(3, "ann@example.org", "failed", "user-unknown"),
                                  (5, "bo@example.net", "delayed", "greylisted")]
    documents = json.loads(run_cli("explain", str(log), "--json").stdout)
    for document in documents:
        assert_valid(document, "explain")
    assert [d["items"][0]["dsn"]["recipient"] for d in documents] == [
        "ann@example.org", "bo@example.net"]
    text = run_cli("explain", str(log))
    assert text.returncode == 0 and text.stdout.count("Bottom line:") == 2
