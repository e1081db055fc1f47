"""Advice that depends on what the session showed, the default recipient, sizes for people, and
the catalogue's entries for the replies real Postfix servers gave (issue 9, points 3, 7, 8, 11).

Pure: attempts are built by hand, with the reply texts Postfix 3.7 really sent on loopback
(tests/interop runs the same cases against the real server).
"""

from __future__ import annotations

import pytest

from smtpdiag.core.annotate import annotate_attempt, annotate_reply, session_facts
from smtpdiag.core.findings import recipient_findings, refused_recipient, with_findings
from smtpdiag.core.replies import parse_reply_text
from smtpdiag.core.targets import default_recipient, parse_target
from smtpdiag.core.text import size
from smtpdiag.model import Attempt, Capabilities, Finding, Reply, Step

SUBMISSION_CAPS = Capabilities(size=10240000, starttls=True, auth=("PLAIN", "LOGIN"))
NOT_LOGGED_IN = "553 5.7.1 <alice@interop.test>: Sender address rejected: not logged in"
ACCESS_DENIED = "554 5.7.1 <unknown[127.0.0.1]>: Client host rejected: Access denied"
STARTTLS_FIRST = "530 5.7.0 Must issue a STARTTLS command first"
RELAY = "554 5.7.1 <postmaster@mx.interop.test>: Relay access denied"
RBL = ("554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using rbl.interop.test; "
       "listed for the interop tests")


def reply(text: str) -> Reply:
    return parse_reply_text(text)[0]


def attempt(*steps: Step, caps: Capabilities | None = SUBMISSION_CAPS, tls_mode: str = "none",
            port: int = 587) -> Attempt:
    return Attempt("mx.test", "127.0.0.1", port, tls_mode, steps=steps, capabilities=caps)


def refused_at(step: str, text: str, *, sent: str = "", **kwargs: object) -> Step:
    return annotate_attempt(attempt(Step("mail", "MAIL FROM:<a@b.test> SIZE=445",
                                         reply("250 2.1.0 Ok")),
                                    Step(step, sent or "RCPT TO:<c@d.test>", reply(text)),
                                    **kwargs)).steps[-1]  # type: ignore[arg-type]


# point 3: AUTH offered and not used


@pytest.mark.parametrize(("step", "text"), [
    ("rcpt", NOT_LOGGED_IN), ("mail", NOT_LOGGED_IN), ("rcpt", ACCESS_DENIED),
    ("mail", ACCESS_DENIED), ("rcpt", STARTTLS_FIRST.replace("Must issue a STARTTLS command "
                                                             "first", "Authentication required")),
])
def test_a_refusal_after_auth_was_offered_and_not_used_says_log_in(step: str, text: str) -> None:
    note = refused_at(step, text).annotation
    assert note is not None and note.reason is not None
    assert "--auth-user" in note.advice[0], note.advice
    assert "PLAIN LOGIN" in note.description  # the mechanisms the server offered
    assert (note.reason.name, note.reason.decided_by) == ("auth-required", "session")
    assert note.reason.rule == "auth-unused"
    assert note.provider is None  # an access table or reverse DNS note would mislead here
    assert "reverse" not in note.advice[0].lower()


def test_the_same_refusal_without_auth_offered_reads_as_before() -> None:
    logged_in = refused_at("rcpt", ACCESS_DENIED, caps=Capabilities(auth=("PLAIN",)))
    assert logged_in.annotation is not None and logged_in.annotation.reason is not None
    assert logged_in.annotation.reason.decided_by == "session"
    plain_mx = refused_at("rcpt", ACCESS_DENIED, caps=Capabilities(), port=25)
    note = plain_mx.annotation
    assert note is not None and note.reason is not None and note.provider is not None
    assert note.provider.id == "postfix-access-denied" and note.reason.decided_by == "provider"
    assert "--auth-user" not in " ".join(note.advice)


def test_a_session_that_logged_in_gets_no_login_advice() -> None:
    steps = (Step("auth", "AUTH PLAIN ***", reply("235 2.7.0 Authentication successful")),
             Step("rcpt", "RCPT TO:<c@d.test>", reply(NOT_LOGGED_IN)))
    note = annotate_attempt(attempt(*steps)).steps[-1].annotation
    assert note is not None and note.reason is not None
    assert note.reason.decided_by == "provider" and note.provider is not None
    assert session_facts(attempt(*steps)) == {"logged-in": ""}


def test_relay_denied_after_a_login_names_the_relay_rule_and_before_one_the_login() -> None:
    login = Step("auth", "AUTH PLAIN ***", reply("235 2.7.0 Authentication successful"))
    after = annotate_attempt(attempt(login, Step("rcpt", "RCPT TO:<c@d.test>", reply(RELAY)),
                                     port=25)).steps[-1].annotation
    assert after is not None and after.reason is not None
    assert after.reason.name == "relay-denied" and "permit_sasl_authenticated" in after.advice[0]
    before = refused_at("rcpt", RELAY, port=25).annotation  # AUTH offered, not used
    assert before is not None and before.reason is not None
    assert before.reason.name == "relay-denied" and "--auth-user" in before.advice[0]
    plain_mx = refused_at("rcpt", RELAY, caps=Capabilities(), port=25).annotation
    assert plain_mx is not None and "--auth-user" in plain_mx.advice[0]  # port 25's own rule


def test_relay_denial_is_never_read_as_a_missing_login() -> None:
    for caps, tls in ((SUBMISSION_CAPS, "starttls"), (Capabilities(starttls=True), "none")):
        note = refused_at("rcpt", RELAY, caps=caps, tls_mode=tls, port=25).annotation
        assert note is not None and note.reason is not None
        assert note.reason.name == "relay-denied", (caps, note.reason)


@pytest.mark.parametrize("text", [STARTTLS_FIRST, ACCESS_DENIED])
def test_tls_none_against_auth_only_after_starttls_says_so(text: str) -> None:
    caps = Capabilities(size=10240000, starttls=True)  # no AUTH in plaintext
    note = refused_at("mail", text, caps=caps, tls_mode="none").annotation
    assert note is not None and note.reason is not None
    assert "--tls none" in note.description and "only over TLS" in note.description
    assert "--tls starttls --auth-user" in note.advice[0]
    assert note.reason.rule == "auth-after-starttls"
    assert note.reason.name == ("tls-required" if text.startswith("530") else "auth-required")
    with_tls = refused_at("mail", text, caps=caps, tls_mode="starttls").annotation
    assert with_tls is not None and "--tls none" not in with_tls.description


def test_session_facts() -> None:
    anonymous = {"not-logged-in": ""}  # no AUTH step
    assert session_facts(attempt()) == {"auth-unused": "", "auth": "PLAIN LOGIN", **anonymous}
    assert session_facts(attempt(caps=Capabilities(starttls=True))) == {
        "auth-after-starttls": "", **anonymous}
    assert session_facts(attempt(caps=Capabilities(starttls=True), tls_mode="starttls")) == \
        anonymous
    assert session_facts(attempt(caps=None)) == anonymous
    mail = Step("mail", "MAIL FROM:<a@b.test> SIZE=445", reply("552 5.3.4 too big"))
    assert session_facts(attempt(mail, caps=Capabilities(size=300))) == {
        "size-over-limit": "", "declared": "445 bytes", "limit": "300 bytes", **anonymous}
    assert session_facts(attempt(mail, caps=Capabilities(size=445))) == {
        "size-within-limit": "", "declared": "445 bytes", "limit": "445 bytes", **anonymous}
    assert session_facts(attempt(mail, caps=Capabilities(size=0))) == anonymous  # 0: no limit
    unsized = Step("mail", "MAIL FROM:<a@b.test>", reply("552 5.3.4 too big"))
    assert session_facts(attempt(unsized, caps=Capabilities(size=300))) == anonymous
    logged_in = Step("auth", "AUTH PLAIN <redacted>", reply("235 2.7.0 ok"))
    assert session_facts(attempt(logged_in)) == {"logged-in": ""}
    refused = Step("auth", "AUTH PLAIN <redacted>", reply("535 5.7.8 no"))
    assert session_facts(attempt(refused)) == {}  # tried, not taken: neither fact


# point 8: sizes for people, a 552 at MAIL compared with the limit


@pytest.mark.parametrize(("value", "shown"), [
    (0, "0 bytes"), (1, "1 byte"), (300, "300 bytes"), (1023, "1023 bytes"), (1024, "1 KiB"),
    (1536, "1.5 KiB"), (1_000_000, "976.6 KiB"), (1_048_575, "1 MiB"), (10_240_000, "9.8 MiB"),
    (52_428_800, "50 MiB"), (5 * 2**30, "5 GiB"), (2**50, "1048576 GiB"),
])
def test_size(value: int, shown: str) -> None:
    assert size(value) == shown


def test_a_552_at_mail_compares_the_declared_size_with_the_limit() -> None:
    caps = Capabilities(size=300)
    over = annotate_attempt(attempt(Step("mail", "MAIL FROM:<a@b.test> SIZE=445",
                                         reply("552 5.3.4 Message size exceeds fixed limit")),
                                    caps=caps, port=25)).steps[0].annotation
    assert over is not None
    assert "declared 445 bytes" in over.description and "limit is 300 bytes" in over.description
    assert over.advice == ("Send at most 300 bytes, or ask the receiving admin to raise the "
                           "limit (Postfix: message_size_limit).",)
    within = annotate_attempt(attempt(Step("mail", "MAIL FROM:<a@b.test> SIZE=200",
                                           reply("552 5.2.2 Mailbox full")),
                                      caps=caps, port=25)).steps[0].annotation
    assert within is not None and "within the 300 bytes" in within.description


# point 11: the replies real Postfix servers gave, each with its catalogue entry


@pytest.mark.parametrize(("step", "text", "entry", "reason"), [
    ("greeting", "521 5.5.1 Protocol error", "postscreen-pregreet", "syntax"),
    ("rcpt", "550 5.5.1 Protocol error", "postscreen-pregreet", "syntax"),
    ("rcpt", "450 4.3.2 Service currently unavailable", "postscreen-deep-protocol-tests",
     "greylisted"),
    ("greeting", "421 4.7.0 mx.interop.test Error: too many connections from 127.0.0.1",
     "postfix-too-many-connections", "rate-limited"),
    ("message", "552 5.3.4 Error: message file too big", "postfix-message-file-too-big",
     "message-too-big"),
    ("starttls", "454 4.7.0 TLS not available due to local problem",
     "postfix-tls-local-problem", "system-error"),
    ("message", "451 4.3.0 Error: queue file write error", "postfix-queue-file-write-error",
     "system-full"),
    ("mail", "503 5.5.1 Error: send HELO/EHLO first", "smtp-server-send-helo-first", "syntax"),
    ("ehlo", "502 5.5.2 Error: command not recognized", "smtp-server-command-not-recognized",
     "syntax"),
    ("rcpt", NOT_LOGGED_IN, "postfix-sender-login-mismatch", "sender-rejected"),
    ("rcpt", RBL, "postfix-rbl-client-blocked", "blocked"),
])
def test_real_postfix_replies_have_catalogue_entries(step: str, text: str, entry: str,
                                                     reason: str) -> None:
    note = annotate_reply(reply(text), step)
    assert note.provider is not None and note.provider.id == entry
    assert note.reason is not None and note.reason.name == reason


@pytest.mark.parametrize("text", [
    RBL, ACCESS_DENIED, "450 4.7.1 Client host rejected: cannot find your reverse hostname, "
    "[127.0.0.1]", "504 5.5.2 <client>: Helo command rejected: need fully-qualified hostname",
    NOT_LOGGED_IN,
])
def test_a_client_refusal_postfix_delays_to_rcpt_is_not_about_the_recipient(text: str) -> None:
    note = annotate_reply(reply(text), "rcpt")
    assert note.description.startswith("Not about the recipient"), note.description
    assert "smtpd_delay_reject" in note.advice[0]
    assert "Relay denied" not in note.advice[0]


# point 7: the default recipient, and why


@pytest.mark.parametrize(("target", "address", "words"), [
    ("192.0.2.1", "postmaster", "every SMTP server must accept"),
    ("[2001:db8::1]:25", "postmaster", "Postfix exempts it"),
    ("example.org", "postmaster@example.org", "the domain's postmaster"),
    ("mx.example.org:2525", "postmaster@mx.example.org", "host's own name"),
])
def test_the_default_recipient_and_why(target: str, address: str, words: str) -> None:
    chosen, why = default_recipient(parse_target(target))
    assert chosen == address and words in why and why.startswith("no --to was given")


def test_the_default_recipient_is_named_and_its_refusal_suggests_to() -> None:
    chosen = default_recipient(parse_target("mx.example.org:2525"))
    accepted = attempt(Step("rcpt", "RCPT TO:<postmaster@mx.example.org>", reply("250 2.1.5 Ok")))
    assert recipient_findings(accepted, chosen) == (
        Finding("info", f"recipient <postmaster@mx.example.org>: {chosen[1]}", "rcpt"),)
    refused = annotate_attempt(attempt(Step("rcpt", "RCPT TO:<postmaster@mx.example.org>",
                                            reply(RELAY)), port=25, tls_mode="starttls"))
    (finding,) = recipient_findings(refused, chosen)
    assert finding.severity == "warning" and "--to" in finding.message
    assert "was refused (554)" in finding.message
    assert with_findings(refused, recipient=chosen).findings[-1] == finding
    assert with_findings(refused).findings == with_findings(refused, recipient=None).findings
    # a client refusal delayed to RCPT is no refusal of the recipient: --to would not help
    blocked = annotate_attempt(attempt(Step("rcpt", "RCPT TO:<postmaster>", reply(RBL)),
                                       port=25, tls_mode="starttls"))
    assert refused_recipient(blocked) is None
    assert recipient_findings(blocked, chosen)[0].severity == "info"
    assert recipient_findings(attempt(), chosen) == ()  # no RCPT was sent: nothing to say


# Exim's "Unrouteable address": to a client that did not log in, no such user there


def test_unrouteable_address_without_a_login_is_an_unknown_recipient() -> None:
    note = refused_at("rcpt", "550 Unrouteable address", caps=Capabilities()).annotation
    assert note is not None and note.reason is not None
    assert (note.reason.name, note.reason.rule) == ("user-unknown", "not-logged-in")
    assert "no such user or alias there" in note.description
    assert note.advice[0].startswith("Check the address for typos.")


def test_unrouteable_address_after_a_login_may_be_the_domain() -> None:
    login = Step("auth", "AUTH PLAIN <redacted>", reply("235 Authentication succeeded"))
    steps = annotate_attempt(attempt(login, Step("rcpt", "RCPT TO:<c@d.test>",
                                                 reply("550 Unrouteable address")))).steps
    note = steps[1].annotation
    assert note is not None and note.reason is not None and note.provider is not None
    assert (note.reason.name, note.provider.id) == ("host-unknown", "exim-unrouteable-address")


def test_a_sender_verify_failure_naming_unrouteable_is_about_the_sender() -> None:
    text = ("550-Verification failed for <a@b.test>\n550-Unrouteable address\n"
            "550 Sender verify failed")
    note = refused_at("rcpt", text, caps=Capabilities()).annotation
    assert note is not None and note.reason is not None and note.provider is not None
    assert (note.reason.name, note.provider.id) == ("sender-rejected",
                                                     "exim-sender-verify-failed")


def test_tls_none_against_an_mx_that_requires_tls_says_starttls_not_login() -> None:
    # Postfix with smtpd_tls_security_level = encrypt on port 25: no AUTH is involved
    caps = Capabilities(size=10240000, starttls=True)
    note = refused_at("mail", STARTTLS_FIRST, caps=caps, tls_mode="none", port=25).annotation
    assert note is not None and note.reason is not None
    assert note.reason.name == "tls-required" and "--auth-user" not in note.advice[0]
    assert "leave out --tls none" in note.advice[0] and "only over TLS" in note.description
    assert "smtpd_tls_auth_only" not in note.description


def test_tls_none_against_tls_required_on_another_port_names_a_login_only_as_a_maybe() -> None:
    # port 587 is submission: a login is wanted; on another port it may be an MTA requiring TLS
    caps = Capabilities(size=10240000, starttls=True)
    note = refused_at("mail", STARTTLS_FIRST, caps=caps, tls_mode="none", port=2525).annotation
    assert note is not None and note.reason is not None
    assert note.reason.name == "tls-required" and "leave out --tls none" in note.advice[0]
    assert "If this is a submission port, log in too" in note.advice[0]
    assert "smtpd_tls_security_level = encrypt" in note.description
    on_587 = refused_at("mail", STARTTLS_FIRST, caps=caps, tls_mode="none").annotation
    assert on_587 is not None and on_587.advice[0].startswith("Probe with STARTTLS and a login")
