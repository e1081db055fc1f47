"""``core/loglines.py``: what one MTA log line says of a delivery, field by field.

tests/test_bounce_log_deliveries.py reads such lines through ``classify`` and ``explain``;
here each MTA's outcome words are pinned on their own, with the lines that tell a rule from
its near miss (Sendmail's deferral told by its word or by its 4.x.x status alone, a null
recipient, qmail's three words, a status beside words holding a code of their own)."""

from __future__ import annotations

import pytest

from smtpdiag.core.loglines import LogDelivery, is_delivery_line, log_delivery, logged_diagnostic

PF = "Dec  2 10:00:01 mx postfix/smtp[1234]: 4F2A13C0D1: to=<ann@example.org>, relay="
SM = "Dec  2 10:00:01 mx sm-mta[1234]: x2ABC: to=<ann@example.org>, delay=00:00:01, mailer=esmtp"
QM = "Dec  2 10:00:01 mx qmail: 1733133601.123 delivery 42:"
ANN = "ann@example.org"


@pytest.mark.parametrize(("line", "logged"), [
    # Sendmail: "Deferred" is delayed whatever its status; a 4.x.x status is delayed whatever
    # its words; a 5.x.x status or none, failed
    (f"{SM}, relay=mx.example.org. [192.0.2.10], dsn=4.4.1, stat=Deferred: Connection timed "
     "out with mx.example.org.",
     LogDelivery(ANN, "delayed", "4.4.1", "Deferred: Connection timed out with mx.example.org.")),
    (f"{SM}, relay=mx.example.org., stat=Deferred", LogDelivery(ANN, "delayed", None, "Deferred")),
    (f"{SM}, relay=mx.example.org., dsn=4.3.0, stat=Local configuration error",
     LogDelivery(ANN, "delayed", "4.3.0", "Local configuration error")),
    (f"{SM}, relay=mx.example.org., stat=Service unavailable",
     LogDelivery(ANN, "failed", None, "Service unavailable")),
    # Sendmail's local mailer logs its recipient without angle brackets
    ("Dec  2 10:00:01 mx sendmail[1234]: x2ABC: to=ann, ctladdr=<bo@example.net> (1/0), "
     "delay=00:00:01, mailer=local, dsn=5.1.1, stat=User unknown",
     LogDelivery("ann", "failed", "5.1.1", "User unknown")),
    # Postfix: a bounce of a bounce (the null sender) names no recipient
    ("Dec  2 10:00:01 mx postfix/smtp[1234]: 4F2A13C0D1: to=<>, relay=none, dsn=5.4.4, "
     "status=bounced (Host not found)", LogDelivery(None, "failed", "5.4.4", "Host not found")),
    (f"{PF}none, dsn=5.4.6, status=expired, returned to sender",
     LogDelivery(ANN, "failed", "5.4.6", None)),
    # OpenSMTPD in another case than Postfix's, and its delivered word
    (f"Dec  2 10:00:01 mx smtpd[99]: 1a2b mta delivery evpid=1a2b to=<{ANN}> rcpt=<-> "
     "result=Ok stat=\"250 2.0.0 queued\"",
     LogDelivery(ANN, "delivered", None, "250 2.0.0 queued")),
    # qmail: its three words, its recipient on another line
    (f"{QM} success: 192.0.2.10_accepted_message./Remote_host_said:_250_ok/",
     LogDelivery(None, "delivered", None)),
    (f"{QM} failure: 192.0.2.10_does_not_like_recipient./Remote_host_said:_550_5.1.1_No_such_"
     "user/Giving_up_on_192.0.2.10./", LogDelivery(None, "failed", None)),
    (f"{QM} deferral: Connected_to_192.0.2.10_but_connection_died._(#4.4.2)/",
     LogDelivery(None, "delayed", None)),
])
def test_a_delivery_line_gives_its_recipient_outcome_status_and_words(
        line: str, logged: LogDelivery) -> None:
    assert log_delivery(line) == logged
    assert is_delivery_line(line) == (logged.action in ("failed", "delayed"))


@pytest.mark.parametrize("line", [
    "",
    "550 5.1.1 User unknown",
    "Dec  2 10:00:00 mx postfix/smtpd[98]: connect from client.example.net[192.0.2.9]",
    f"{PF}none, dsn=5.0.0, status=weird (x)",   # a status word no MTA writes
    "delivery 42 was fine",                      # the word alone, not qmail's line
])
def test_other_lines_are_no_delivery(line: str) -> None:
    assert log_delivery(line) is None
    assert not is_delivery_line(line)


def test_the_status_is_the_replys_code_only_where_its_words_hold_none() -> None:
    # the server's words without an enhanced code: Postfix logs its own dsn=5.0.0 for them,
    # which is not the server's
    line = (f"{PF}mx.example.org[192.0.2.10]:25, dsn=5.0.0, status=bounced (host mx.example.org"
            "[192.0.2.10] said: 550 No such user here (in reply to RCPT TO command))")
    found = logged_diagnostic(line, log_delivery(line))
    assert (found.code, found.enhanced, found.message) == (550, None, "No such user here")
    # words without any code take the logged status
    line = f"{PF}none, dsn=4.4.1, status=deferred (connect to mx.example.org: Connection refused)"
    found = logged_diagnostic(line, log_delivery(line))
    assert (found.code, found.enhanced) == (None, "4.4.1")
    # words with an enhanced code and no reply code keep theirs
    line = (f"{SM}, relay=mx.example.org., dsn=4.0.0, stat=Deferred: 4.7.1 Greylisted")
    found = logged_diagnostic(line, log_delivery(line))
    assert found.enhanced == "4.7.1"
    # no words logged after the fields: the whole line is read
    line = f"{QM} deferral: Connected_to_192.0.2.10_but_connection_died._(#4.4.2)/"
    assert logged_diagnostic(line, log_delivery(line)).enhanced == "4.4.2"
    assert logged_diagnostic("550 5.1.1 User unknown", None).code == 550
