"""smtpdiag against the real Postfix tier: refusals worded by the receiving admin, and what a
refusal's class promises.  (The listeners are in ``servers.LISTENERS``; the fixture is the
session's one Postfix, as in ``test_postfix.py``.)"""

from __future__ import annotations

from tests.interop.servers import SASL_PASSWORD, SASL_USER, Postfix
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


# smtpd_tls_security_level = encrypt on an MTA: STARTTLS is what is missing, not a login


def test_tls_none_against_an_mta_requiring_tls_says_starttls_and_a_login_only_maybe(
        postfix: Postfix) -> None:
    report = run(postfix, "encrypt", tls="none", dry_run=True)
    mail = step(report, "mail")
    assert mail.reply.code == 530 and "STARTTLS" in mail.reply.text, mail.reply.text
    note = mail.annotation
    assert note.reason.name == "tls-required", note.reason
    assert "leave out --tls none" in note.advice[0], note.advice
    assert not note.advice[0].startswith("Probe with STARTTLS and a login"), note.advice
    assert "if this is a submission port" in note.advice[0].lower(), note.advice
    assert "encrypt" in note.description, note.description
    assert report.verdict == "refused"
    assert run(postfix, "encrypt", dry_run=True).verdict == "accepted"  # STARTTLS, no login


# soft_bounce = yes: refusals come as 4xx; deferred it is, and the words are not greylisting


def test_soft_bounce_keeps_a_deferral_deferred_and_says_why_it_is_temporary(
        postfix: Postfix) -> None:
    report = run(postfix, "soft-bounce", rcpt_to=("nobody@interop.test",), dry_run=True)
    rcpt = step(report, "rcpt")
    assert (rcpt.reply.code, rcpt.reply.enhanced) == (450, "4.1.1"), rcpt.reply.text
    note = rcpt.annotation
    assert (note.reason.name, note.reason.permanent) == ("user-unknown", False), note.reason
    assert "soft_bounce" in note.description and "greylisting" not in note.description
    assert report.verdict == "deferred" and "temporary by its code" in report.summary
    assert "retrying will not help" in report.summary, report.summary
    relay = run(postfix, "soft-bounce", rcpt_to=("someone@elsewhere.example",), dry_run=True)
    rcpt = step(relay, "rcpt")
    assert (rcpt.reply.code, rcpt.reply.enhanced) == (454, "4.7.1"), rcpt.reply.text
    assert rcpt.annotation.reason.name == "relay-denied" and relay.verdict == "deferred"


# Relay access denied: without a login where AUTH is offered, log in; after one, the admin's rule


def test_relay_denied_where_auth_was_offered_and_not_used_says_log_in(postfix: Postfix) -> None:
    report = run(postfix, "relay-login", tls="none", mail_from=SASL_USER,
                 rcpt_to=("someone@elsewhere.example",), dry_run=True)
    rcpt = step(report, "rcpt")
    assert "Relay access denied" in rcpt.reply.text, rcpt.reply.text
    note = rcpt.annotation
    assert note.reason.name == "relay-denied" and "--auth-user" in note.advice[0], note.advice
    assert "PLAIN LOGIN" in note.description, note.description
    assert report.verdict == "refused"


def test_relay_denied_after_a_login_is_the_admins_relay_rule_not_a_missing_login(
        postfix: Postfix) -> None:
    report = run(postfix, "relay-login", tls="none", auth_user=SASL_USER,
                 auth_password=SASL_PASSWORD, mail_from=SASL_USER,
                 rcpt_to=("someone@elsewhere.example",), dry_run=True)
    assert step(report, "auth").reply.code == 235
    rcpt = step(report, "rcpt")
    assert "Relay access denied" in rcpt.reply.text, rcpt.reply.text
    note = rcpt.annotation
    assert note.reason.name == "relay-denied", note.reason
    assert "permit_sasl_authenticated" in note.advice[0], note.advice
    assert "Authenticate" not in note.advice[0] and "--auth-user" not in note.advice[0]
    assert "logged in" in note.description, note.description
    assert report.verdict == "refused"
