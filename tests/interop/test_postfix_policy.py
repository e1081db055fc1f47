"""smtpdiag against the real Postfix tier: refusals worded by the receiving admin, and what a
refusal's class promises.  (The listeners are in ``servers.LISTENERS``; the fixture is the
session's one Postfix, as in ``test_postfix.py``.)"""

from __future__ import annotations

from tests.interop.servers import Postfix
from tests.interop.test_postfix import run, step

# check_recipient_access with the admin's own text: a rule of theirs, not relaying, not a block


def test_an_access_table_reject_in_the_admins_words_is_their_policy_not_relaying(
        postfix: Postfix) -> None:
    report = run(postfix, "access", rcpt_to=("bob@interop.test",), dry_run=True)
    rcpt = step(report, "rcpt")
    assert (rcpt.reply.code, rcpt.reply.enhanced) == (554, "5.7.1"), rcpt.reply.text
    assert "Recipient address rejected: Not accepted here" in rcpt.reply.text
    note = rcpt.annotation
    assert (note.reason.name, note.reason.who) == ("policy", "recipient-admin"), note.reason
    assert "access table" in note.description and "Not a relay refusal" in note.description
    assert note.advice and "relay" not in note.advice[0].lower(), note.advice
    assert "access table" in note.advice[0]
    assert report.verdict == "refused"


def test_an_access_table_defer_in_the_admins_words_is_not_greylisting_or_a_block(
        postfix: Postfix) -> None:
    report = run(postfix, "access", rcpt_to=("postmaster@interop.test",), dry_run=True)
    rcpt = step(report, "rcpt")
    assert (rcpt.reply.code, rcpt.reply.enhanced) == (450, "4.7.1"), rcpt.reply.text
    note = rcpt.annotation
    assert note.reason.name == "policy" and not note.reason.permanent, note.reason
    assert note.advice and "greylisting" not in note.advice[0], note.advice
    assert "access table" in note.advice[0]
    assert report.verdict == "deferred"
    assert run(postfix, "access", dry_run=True).verdict == "accepted"  # alice: no entry
