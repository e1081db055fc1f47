"""What a real Exim 4.96 (Debian's exim4-daemon-light, run from a private configuration on
loopback) answered, replayed byte for byte by scripted servers: the verdict, the step and the
cause an admin reads for each.  ``tests/interop/test_exim.py`` runs the same cases against the
real server where it can be started.

Each case misled before its fix: a sender-verify callout that quotes the called server's
refusal ("Response: 550 relay not permitted") was read as a relay refusal of our own client;
an EHLO refused for its argument was reported as a server that "speaks only basic SMTP", with a
verdict that named no reply; Exim's HELO verification read as a block list; "Unrouteable
address" for an unknown local user read as a domain that does not exist.
"""

from __future__ import annotations

import asyncio

import pytest

from smtpdiag.core.classify import classify
from smtpdiag.model import Report, Step
from smtpdiag.net.probe import ProbeOptions, probe
from tests.hostile import HostileServer, answering, close, expect, send

BANNER = b"220 mx.exim.test ESMTP Exim 4.96 Wed, 02 Dec 2026 15:37:21 +0000\r\n"
EHLO = (b"250-mx.exim.test Hello client.exim.test [127.0.0.1]\r\n250-SIZE 10485760\r\n"
        b"250-8BITMIME\r\n250-PIPELINING\r\n250-PIPECONNECT\r\n250-CHUNKING\r\n"
        b"250-STARTTLS\r\n250-SMTPUTF8\r\n250 HELP\r\n")
CALLOUT_RELAY = (b"550-Verification failed for <ghost@callout.test>\r\n"
                 b"550-Called:   127.0.0.1\r\n550-Sent:     RCPT TO:<ghost@callout.test>\r\n"
                 b"550-Response: 550 relay not permitted\r\n550 Sender verify failed\r\n")
CALLOUT_UNKNOWN = (b"550-Verification failed for <ghost@callout.test>\r\n"
                   b"550-Called:   192.0.2.25\r\n550-Sent:     RCPT TO:<ghost@callout.test>\r\n"
                   b"550-Response: 550 5.1.1 <ghost@callout.test>: Recipient address rejected: "
                   b"User unknown in local recipient table\r\n550 Sender verify failed\r\n")
CALLOUT_DEFERRED = (b"451-Could not complete sender verify callout for <ghost@callout.test>.\r\n"
                    b"451-The mail server(s) for the domain may be temporarily unreachable, or\r\n"
                    b"451-they may be permanently unreachable from this server. In the latter\r\n"
                    b"451-case, you need to change the address or create an MX record for its\r\n"
                    b"451-domain if it is supposed to be generally accessible from the "
                    b"Internet.\r\n"
                    b"451 Talk to your mail administrator for details.\r\n")


def run(replies: dict[bytes, list[bytes]], **options: object) -> Report:
    options = {"helo": "client.exim.test", "mail_from": "ghost@callout.test", "tls": "none",
               "rcpt_to": ("alice@exim.test",), "dry_run": True, "timeout": 5.0, **options}
    with HostileServer([send(BANNER), answering(replies, ehlo=EHLO)]) as server:
        return asyncio.run(probe(server.target, ProbeOptions(**options)))  # type: ignore[arg-type]


def step(report: Report, name: str) -> Step:
    return next(s for s in report.attempts[-1].steps if s.name == name)


# -- a sender-verify callout quotes the called server: its words are not about this client ------


@pytest.mark.parametrize("reply", [CALLOUT_RELAY, CALLOUT_UNKNOWN], ids=["relay", "unknown"])
def test_a_failed_sender_callout_is_about_the_sender_whatever_the_called_server_said(
        reply: bytes) -> None:
    report = run({b"RCPT": [reply]})
    note = step(report, "rcpt").annotation
    assert note is not None and note.reason is not None and note.provider is not None
    assert (note.reason.name, note.provider.id) == ("sender-rejected",
                                                     "exim-sender-verify-failed")
    assert note.description.startswith("Not about the recipient: Exim verifies the envelope "
                                       "sender")
    assert note.advice[0].startswith("Use a --from address")
    assert report.verdict == "refused"
    pasted = classify(reply.decode())["reason"]  # the same, pasted into explain
    assert (pasted["name"], pasted["rule"]) == ("sender-rejected", "exim-sender-verify-failed")


def test_a_sender_callout_that_could_not_complete_is_a_deferral_about_the_sender() -> None:
    report = run({b"RCPT": [CALLOUT_DEFERRED]})
    note = step(report, "rcpt").annotation
    assert note is not None and note.provider is not None and note.reason is not None
    assert note.provider.id == "exim-could-not-complete-sender-verify"
    assert note.reason.name == "sender-rejected" and not note.reason.permanent
    assert note.description.startswith("Not about the recipient")
    assert report.verdict == "deferred"


# -- EHLO refused for its argument: no "basic SMTP", and the verdict names the reply ------------


def test_an_ehlo_refused_for_its_syntax_names_the_reply_and_is_no_basic_smtp() -> None:
    report = run({b"EHLO": [b"501 Syntactically invalid EHLO argument(s)\r\n"]},
                 helo="bad_name.example")
    assert report.verdict == "refused"
    assert report.summary.endswith("refused at ehlo: 501 Syntactically invalid EHLO "
                                   "argument(s)"), report.summary
    said = [(f.severity, f.message) for f in report.attempts[-1].findings]
    assert said == [("critical", "ehlo refused: 501 Syntactically invalid EHLO argument(s)")]


def test_exims_helo_verification_is_about_the_name_and_address_not_a_block_list() -> None:
    report = run({b"EHLO": [b"550 EHLO argument does not match calling host\r\n"],
                  b"HELO": [b"550 HELO argument does not match calling host\r\n"]})
    assert report.verdict == "refused"
    assert "refused at helo: 550 HELO argument does not match calling host" in report.summary
    said = [(f.severity, f.message) for f in report.attempts[-1].findings]
    assert said == [("critical", "helo refused: 550 HELO argument does not match calling host")]
    for name in ("ehlo", "helo"):
        note = step(report, name).annotation
        assert note is not None and note.reason is not None and note.provider is not None
        assert note.provider.id == "exim-helo-verify-failed"
        assert note.reason.name == "requires-ptr", note.reason


def test_an_ehlo_not_recognised_then_helo_accepted_is_basic_smtp() -> None:
    report = run({b"EHLO": [b"500 unrecognized command\r\n"],
                  b"HELO": [b"250 mx.exim.test Hello client.exim.test [127.0.0.1]\r\n"]})
    assert report.verdict == "accepted"
    said = [f.message for f in report.attempts[-1].findings if f.step == "ehlo"]
    assert said == ["EHLO was refused: the server speaks only basic SMTP (no STARTTLS, AUTH "
                    "or SIZE)"]


# -- "Unrouteable address" to a client that did not log in: no such user there ------------------


def test_unrouteable_address_to_a_client_not_logged_in_is_an_unknown_recipient() -> None:
    report = run({b"RCPT": [b"250 Accepted\r\n", b"550 Unrouteable address\r\n"]},
                 rcpt_to=("alice@exim.test", "nobody@exim.test"))
    refused = next(s for s in report.attempts[-1].steps
                   if s.name == "rcpt" and s.reply and s.reply.code == 550)
    assert refused.annotation is not None and refused.annotation.reason is not None
    assert refused.annotation.reason.name == "user-unknown"
    assert "no such user" in refused.annotation.description
    assert report.verdict == "partial"
    assert report.summary.endswith("accepted the recipients for 1 of 2 recipients; the others "
                                   "were refused at rcpt: 550 Unrouteable address (dry run: no "
                                   "DATA sent)"), report.summary


def test_several_different_refusals_are_not_summed_up_as_the_last_one() -> None:
    report = run({b"RCPT": [b"250 Accepted\r\n", b"550 Unrouteable address\r\n",
                            b"550 relay not permitted\r\n"]},
                 rcpt_to=("alice@exim.test", "nobody@exim.test", "someone@elsewhere.test"))
    assert report.verdict == "partial"
    assert "; the others were refused for 2 different reasons, the last at rcpt: 550 relay not "\
        "permitted" in report.summary, report.summary


# -- AUTH only after STARTTLS, and --tls none with --auth-user ----------------------------------


def test_tls_none_with_a_login_where_auth_comes_only_after_starttls_says_so() -> None:
    report = run({}, auth_user="alice@exim.test", auth_password="exim-secret",
                 mail_from="alice@exim.test")
    error = report.attempts[-1].error
    assert error is not None and error.step == "auth"
    assert error.message == (
        "the server offers no AUTH before TLS, and it offers STARTTLS: it takes logins only "
        "over TLS (Exim: auth_advertise_hosts, Postfix: smtpd_tls_auth_only). Probe with "
        "--tls starttls")
    assert report.verdict == "failed"


def test_starttls_refused_where_it_is_required_names_the_reply_in_the_verdict() -> None:
    # Exim answers so when it cannot read its certificate or key (a key only root may read)
    report = run({b"STAR": [b"454 TLS currently unavailable\r\n"]}, tls="starttls")
    assert report.verdict == "deferred"
    assert "deferred at starttls: 454 TLS currently unavailable" in report.summary


def test_a_connect_acl_refusal_at_the_greeting_is_about_this_client() -> None:
    # Exim's acl_smtp_connect "deny": 550 at the greeting, where RFC 5321 has 554
    refusing = [send(b"550 Administrative prohibition\r\n"), answering({}, ehlo=EHLO)]
    with HostileServer(refusing) as server:
        report = asyncio.run(probe(server.target, ProbeOptions(
            helo="client.exim.test", tls="none", dry_run=True, timeout=5.0)))
    greeting = step(report, "greeting")
    note = greeting.annotation
    assert note is not None and note.provider is not None
    assert note.description.startswith("The server refuses this client at the greeting")
    assert "mailbox" not in note.description
    assert note.advice[0].startswith("The server refuses this client outright")
    assert note.provider.id == "exim-administrative-prohibition"
    assert report.verdict == "refused"


def test_too_much_load_at_the_greeting_is_the_servers_load_not_greylisting() -> None:
    # Exim's smtp_load_reserve; "please try again later" alone would read as greylisting
    banner = b"421 mx.exim.test: Too much load; please try again later\r\n"
    with HostileServer([send(banner)]) as server:
        report = asyncio.run(probe(server.target, ProbeOptions(
            helo="client.exim.test", tls="none", dry_run=True, timeout=5.0)))
    note = step(report, "greeting").annotation
    assert note is not None and note.provider is not None and note.reason is not None
    assert (note.provider.id, note.reason.name) == ("exim-too-much-load", "system-error")
    assert report.verdict == "deferred"


# -- an ACL's own words: the client named after "Mail from", TLS wanted at MAIL -----------------


def test_a_client_refused_in_the_admins_words_is_not_a_sender_refusal() -> None:
    # deny message = 5.7.1 Mail from $sender_host_address refused by local policy
    report = run({b"RCPT": [b"550 5.7.1 Mail from 127.0.0.1 refused by local policy\r\n"]})
    note = step(report, "rcpt").annotation
    assert note is not None and note.reason is not None
    assert note.reason.name == "blocked"  # an address after "Mail from" is the client's
    assert report.verdict == "refused"
    assert classify("550 5.7.1 Mail from <ghost@callout.test> refused")["reason"]["name"] == \
        "sender-rejected"  # an envelope address there is still the sender's


def test_a_mail_acl_wanting_tls_is_advice_about_tls_not_the_sender() -> None:
    # deny !encrypted = * message = STARTTLS required before MAIL
    report = run({b"MAIL": [b"550 STARTTLS required before MAIL\r\n"]})
    note = step(report, "mail").annotation
    assert note is not None and note.reason is not None and note.reason.name == "tls-required"
    assert "STARTTLS" in note.advice[0] and "--from" not in note.advice[0]


# -- an ACL's "drop": its 550, then the connection closed on purpose ---------------------------


def _dropped(*recipients: str) -> Report:
    script = [send(BANNER), expect(b"EHLO"), send(EHLO), expect(b"MAIL"), send(b"250 OK\r\n"),
              expect(b"RCPT"), send(b"550 Administrative prohibition\r\n"), close()]
    with HostileServer(script) as server:
        return asyncio.run(probe(server.target, ProbeOptions(
            helo="client.exim.test", tls="none", dry_run=True, timeout=5.0,
            rcpt_to=recipients)))


def test_quit_unanswered_after_a_drop_is_a_note_not_a_server_fault() -> None:
    report = _dropped("alice@exim.test")
    assert report.verdict == "refused"
    found = report.attempts[-1].findings
    assert not any(f.severity == "warning" and f.step == "quit" for f in found), found
    (note,) = [f for f in found if f.step == "quit"]
    assert note.severity == "info" and "after the server's 550 at rcpt" in note.message


def test_a_drop_before_the_next_recipient_is_a_refusal_not_a_failed_walk() -> None:
    report = _dropped("alice@exim.test", "bob@exim.test")
    assert report.verdict == "refused", report.summary
    assert "refused at rcpt: 550 Administrative prohibition" in report.summary
    attempt = report.attempts[-1]
    assert attempt.error is None
    (note,) = [f for f in attempt.findings if "closed the connection after its 550" in f.message]
    assert note.severity == "info" and note.step == "rcpt"
