"""``core/annotate.py``: the whole annotation over step × code × enhanced code × port.

The expected annotation is built here from the catalogue's own views (``basic_view``,
``enhanced_view``, ``match_provider``), so that a corrected catalogue text does not break these
tests while every choice ``annotate`` makes (which per-command meaning, which advice rule, when a
provider note applies) is pinned row by row.  A few literal names keep the oracle honest.
"""

from __future__ import annotations

import json

import pytest

from smtpdiag import catalogue
from smtpdiag.core.annotate import STEP_VERBS, annotate_attempt, annotate_reply
from smtpdiag.core.explain import basic_view, enhanced_view, reply_match_text
from smtpdiag.model import Annotation, Attempt, EnhancedNote, ProviderNote, Reply, Step

RULES = json.loads((catalogue.DATA_DIR / "advice.json").read_text(encoding="utf-8"))["rules"]
# ... or, where the reply's words name a cause about the client (a block list, reverse DNS), the
# fix of the wording that names it: the step's advice for the code alone would contradict it.
ADVICE = [rule["text"] for rule in RULES] + sorted(
    {entry.fix for entry in catalogue.providers() if entry.kind == "text"})
# A rule may say what the reply means in its case (Postfix's client refusals delayed to RCPT).
MEANING = {rule["text"]: rule["meaning"] for rule in RULES if "meaning" in rule}


def advice(start: str) -> str:
    """The one advice text that begins with ``start`` (a test fails if it is not unique)."""
    found = list(dict.fromkeys(text for text in ADVICE if text.startswith(start)))
    assert len(found) == 1, (start, found)
    return found[0]


def expected(reply: Reply, step: str, advice_start: str | None) -> Annotation:
    basic = basic_view(reply.code)
    name, description, fix = basic["name"], basic["description"], basic["fix"]
    per = basic["per_command"].get(STEP_VERBS.get(step, ""))
    if per:
        name, description, fix = per.get("name", name), per["meaning"], per["fix"]
    enhanced = None
    if reply.enhanced:
        view = enhanced_view(reply.enhanced)
        enhanced = EnhancedNote(reply.enhanced, view["name"], view["description"], view["fix"],
                                view["registered"])
    provider = None
    reason = None
    if not reply.positive:
        from smtpdiag.core.reason import decide
        from smtpdiag.model import ReasonNote

        entry = catalogue.match_provider(reply.code, reply.enhanced, reply_match_text(reply))
        reason = ReasonNote(**decide(code=reply.code, enhanced=reply.enhanced,
                                     text=reply_match_text(reply),
                                     command=STEP_VERBS.get(step), entry=entry))
        if entry is not None and entry.kind != "text":
            provider = ProviderNote(entry.id, entry.provider, entry.name, entry.description,
                                    entry.fix, entry.overrides_registry, entry.registry_note)
    if advice_start:
        description = MEANING.get(advice(advice_start), description)
    return Annotation(reply.code, name, basic["class_name"], description, fix, basic["known"],
                      enhanced, provider, (advice(advice_start),) if advice_start else (),
                      reason)


def reply(code: int, text: str = "", enhanced: str | None = None) -> Reply:
    line = f"{enhanced} {text}".strip() if enhanced else text
    return Reply(code, (line,), enhanced, (f"{code} {line}",))


def test_step_verbs() -> None:
    assert STEP_VERBS == {
        "greeting": "CONNECT", "ehlo": "EHLO", "ehlo-tls": "EHLO", "helo": "HELO",
        "lhlo": "LHLO", "starttls": "STARTTLS", "auth": "AUTH", "mail": "MAIL", "rcpt": "RCPT",
        "rset": "RSET", "data": "DATA", "message": "DATA-END", "quit": "QUIT",
    }


RELAY_25 = "Relay denied: this server does not accept mail for that domain"
RELAY_ANY = "Relay denied: the server is not responsible"
POSTFIX_DELAYED = "Postfix checks the client"
MAILBOX = "The recipient mailbox does not exist here"
CLOSING = "The server is closing the connection"
ACCESS_REJECT = "The receiving admin's own rule refuses this address"
ACCESS_DEFER = "The receiving admin's own rule defers this address for now"

# step, reply, port, advice (start of its text) or None
MATRIX = [
    # the greeting
    ("greeting", reply(220, "mx ESMTP"), 25, None),
    ("greeting", reply(554, "no service"), 25, "The server refuses this client outright"),
    ("greeting", reply(421, "busy"), 25, "The server is not taking connections right now"),
    ("greeting", reply(521, "no mail"), 25, "This host says it does not accept mail at all"),
    # EHLO
    ("ehlo", reply(250, "mx"), 25, None),
    ("ehlo", reply(502, "no"), 25, "The server does not understand EHLO"),
    ("ehlo", reply(500, "no"), 587, "The server does not understand EHLO"),
    ("ehlo", reply(504, "no"), 25, "The server does not understand EHLO"),
    ("ehlo", reply(501, "bad name"), 25, "The server dislikes the name given in EHLO"),
    ("ehlo", reply(550, "bad name"), 25, "The server dislikes the name given in EHLO"),
    ("ehlo-tls", reply(502, "no"), 25, None),  # advice is for the first EHLO only
    ("helo", reply(250, "mx"), 25, None),
    # STARTTLS and AUTH
    ("starttls", reply(220, "go ahead"), 25, None),
    ("starttls", reply(454, "TLS not available", "4.7.0"), 25,
     "TLS is offered but not available right now"),
    ("auth", reply(535, "bad", "5.7.8"), 587, "The user name or password was not accepted"),
    ("auth", reply(535, "Username and Password not accepted", "5.7.8"), 587,
     "The user name or password was not accepted"),
    ("auth", reply(535, "Username and Password not accepted", "5.7.0"), 587,
     "The user name or password was not accepted"),  # Gmail's note needs its own 5.7.8
    ("auth", reply(534, "weak"), 587, "The server wants a stronger mechanism"),
    ("auth", reply(538, "encrypt"), 587, "The server wants a stronger mechanism"),
    ("auth", reply(454, "temp", "4.7.0"), 587, "A temporary authentication failure"),
    ("auth", reply(503, "already"), 587, "AUTH was not expected here"),
    ("auth", reply(235, "ok", "2.7.0"), 587, None),
    # MAIL
    ("mail", reply(250, "ok", "2.1.0"), 25, None),
    ("mail", reply(530, "auth first", "5.7.0"), 587, "The server wants STARTTLS or AUTH"),
    ("mail", reply(552, "too big"), 25, "The declared message size is above"),
    ("mail", reply(553, "not yours"), 25, "The sender address is refused"),
    ("mail", reply(550, "no", "5.1.8"), 25, "The sender address is refused"),
    ("mail", reply(451, "later"), 25, "A temporary refusal of the sender"),
    ("mail", reply(421, "closing"), 25, "A temporary refusal of the sender"),
    # RCPT: the rules in their file order, port and enhanced code and text deciding
    ("rcpt", reply(250, "ok"), 25, None),
    ("rcpt", reply(554, "Client host rejected: cannot find your hostname", "5.7.1"), 25,
     POSTFIX_DELAYED),
    ("rcpt", reply(450, "Helo command rejected: Host not found", "4.7.1"), 25, POSTFIX_DELAYED),
    ("rcpt", reply(504, "SENDER ADDRESS REJECTED: need fully-qualified", "5.5.2"), 25,
     POSTFIX_DELAYED),
    ("rcpt", reply(450, "greylisted", "4.2.0"), 25, "A temporary refusal of the recipient"),
    # Postfix's check_recipient_access REJECT / DEFER with the admin's words: not relaying (even
    # on port 25), not greylisting; postgrey's own words stay greylisting
    ("rcpt", reply(554, "<b@x.test>: Recipient address rejected: Not accepted here", "5.7.1"), 25,
     ACCESS_REJECT),
    ("rcpt", reply(550, "<b@x.test>: Recipient address rejected: closed", "5.7.1"), 2525,
     ACCESS_REJECT),
    ("rcpt", reply(450, "<b@x.test>: Recipient address rejected: Move in progress", "4.7.1"), 25,
     ACCESS_DEFER),
    ("rcpt", reply(450, "<b@x.test>: Recipient address rejected: Greylisted", "4.7.1"), 25,
     "A temporary refusal of the recipient"),
    # a 4xx whose words say the address does not exist (Postfix's soft_bounce = yes)
    ("rcpt", reply(450, "<n@x.test>: Recipient address rejected: User unknown in local "
                   "recipient table", "4.1.1"), 25, "Check the address. A retry helps only"),
    ("rcpt", reply(450, "<n@x.test>: Recipient address rejected: undeliverable address: host "
                   "h[10.0.0.1] said: 550 5.1.1 User unknown", "4.1.1"), 25,
     "The server asked its next hop"),
    ("rcpt", reply(451, "later"), 25, "A temporary refusal of the recipient"),
    ("rcpt", reply(452, "too many"), 25, "Too many recipients"),
    ("rcpt", reply(550, "no such user", "5.1.1"), 25, MAILBOX),
    ("rcpt", reply(553, "bad", "5.1.3"), 587, MAILBOX),
    ("rcpt", reply(551, "not here", "5.1.6"), 25, MAILBOX),
    ("rcpt", reply(550, "no such user"), 25, None),  # no enhanced code: no mailbox advice
    ("rcpt", reply(550, "denied", "5.7.1"), 25, RELAY_25),
    ("rcpt", reply(554, "denied", "5.7.1"), 25, RELAY_25),
    ("rcpt", reply(550, "denied", "5.7.10"), 25, None),  # "5.7.1" is that code, not 5.7.1x
    ("rcpt", reply(550, "account disabled", "5.7.13"), 25, None),
    ("rcpt", reply(550, "no such user", "5.1.10"), 25, MAILBOX),  # "5.1." covers the subject
    ("rcpt", reply(550, "denied", "5.7.1"), 587, None),  # the port-25 rule: not on 587
    ("rcpt", reply(550, "Relay access denied", "5.7.1"), 587, RELAY_ANY),
    ("rcpt", reply(550, "RELAY not permitted", "5.7.1"), 2525, RELAY_ANY),
    ("rcpt", reply(454, "Relay access denied", "4.7.1"), 25, RELAY_ANY),
    ("rcpt", reply(554, "relaying denied"), 587, RELAY_ANY),
    ("rcpt", reply(553, "relaying denied"), 587, None),  # 553 is not among that rule's codes
    ("rcpt", reply(530, "auth first"), 25, "The server wants authentication"),
    ("rcpt", reply(421, "bye"), 25, CLOSING),  # an "any" rule
    # DATA and the end of data
    ("data", reply(354, "go ahead"), 25, None),
    ("data", reply(554, "no valid recipients"), 25, "DATA was refused"),
    ("data", reply(503, "need RCPT"), 25, "DATA was refused"),
    ("message", reply(250, "queued as X"), 25, None),
    ("message", reply(550, "spam", "5.7.1"), 25, "The message itself was refused"),
    ("message", reply(554, "rejected"), 587, "The message itself was refused"),
    ("message", reply(552, "too big"), 25, "The message is larger"),
    ("message", reply(451, "local error"), 25, "The server could not take the message"),
    ("message", reply(452, "no space"), 25, "The server could not take the message"),
    ("message", reply(421, "closing"), 25, CLOSING),
    ("message", reply(432, "store busy"), 25, None),
    # "any" rules and steps without rules of their own
    ("rset", reply(421, "bye"), 25, CLOSING),
    ("quit", reply(421, "bye"), 25, CLOSING),
    ("quit", reply(221, "bye"), 25, None),
    ("no-such-step", reply(421, "bye"), 25, CLOSING),
    ("no-such-step", reply(550, "no"), 25, None),
    # unknown codes, unregistered enhanced codes, classes that do not fit
    ("rcpt", reply(559, "odd"), 25, None),
    ("rcpt", reply(550, "odd", "5.7.999"), 25, None),
    ("rcpt", reply(550, "odd", "5.9.1"), 25, None),
    ("mail", reply(250, "odd", "2.0.0"), 25, None),
    # provider overrides and provider notes
    ("message", reply(550, "This message is blocked because it didn't pass SPF", "5.7.27"), 25,
     "The message itself was refused"),
    ("message", reply(451, "Our system has detected an unusual rate of unsolicited mail "
                           "originating from your IP address. rate limited because PTR record",
                      "4.7.23"), 25, "Give the sending IP a PTR record"),  # no local error
    ("rcpt", reply(450, "Greylisted, see http://postgrey.schweikert.ch/", "4.2.0"), 25,
     "A temporary refusal of the recipient"),
]


@pytest.mark.parametrize(("step", "the_reply", "port", "advice_start"), MATRIX)
def test_annotation_matrix(step: str, the_reply: Reply, port: int,
                           advice_start: str | None) -> None:
    assert annotate_reply(the_reply, step, port) == expected(the_reply, step, advice_start)


def test_the_oracle_agrees_with_literal_names() -> None:
    """Names chosen per command, spelled out, so the matrix's oracle cannot drift unseen."""
    assert annotate_reply(reply(454, "relay"), "rcpt", 25).name == "Relay Access Deferred"
    assert annotate_reply(reply(454, "tls"), "starttls", 25).name == \
        "Temporary TLS Or Authentication Failure"
    assert annotate_reply(reply(554, "go away"), "greeting", 25).name == "No SMTP Service Here"
    assert annotate_reply(reply(554, "no"), "rcpt", 25).name == "Transaction Failed"
    assert annotate_reply(reply(432, "busy"), "message", 25).name == \
        "Mailbox Store Busy (Exchange)"
    assert annotate_reply(reply(432, "x"), "auth", 25).name == "Password Transition Needed"
    unknown = annotate_reply(reply(559, "odd"), "rcpt", 25)
    assert (unknown.name, unknown.known) == ("Unassigned 5xx reply", False)
    assert unknown.class_name == "Permanent Negative Completion"
    note = annotate_reply(reply(550, "odd", "5.9.1"), "rcpt", 25).enhanced
    assert note is not None and note.code == "5.9.1" and note.registered is False
    note = annotate_reply(reply(550, "x", "5.1.1"), "rcpt", 25).enhanced
    assert note is not None and note.registered is True


def test_per_command_meaning_replaces_description_and_fix() -> None:
    generic = annotate_reply(reply(550, "no"), "no-such-step", 25)
    at_rcpt = annotate_reply(reply(550, "no"), "rcpt", 25)
    assert generic.name == at_rcpt.name == "Mailbox Unavailable"
    assert generic.description != at_rcpt.description
    assert generic.fix != at_rcpt.fix
    rcpt_view = basic_view(550)["per_command"]["RCPT"]
    assert (at_rcpt.description, at_rcpt.fix) == (rcpt_view["meaning"], rcpt_view["fix"])


def test_a_provider_note_and_its_override() -> None:
    the_reply = reply(550, "This message is blocked because it didn't pass SPF", "5.7.27")
    note = annotate_reply(the_reply, "message", 25).provider
    assert note is not None
    assert (note.id, note.provider, note.overrides_registry) == ("gmail-spf-blocked", "Gmail",
                                                                 True)
    assert note.registry_note
    gmail = annotate_reply(reply(535, "Username and Password not accepted", "5.7.8"), "auth", 587)
    assert gmail.provider is not None and gmail.provider.id == "gmail-bad-credentials"
    other = annotate_reply(reply(535, "Username and Password not accepted", "5.7.0"), "auth", 587)
    assert other.provider is None or other.provider.id != "gmail-bad-credentials"
    plain = annotate_reply(reply(550, "Relay access denied", "5.7.1"), "rcpt", 25).provider
    assert plain is not None and plain.id == "postfix-relay-access-denied"
    assert plain.overrides_registry is False


def test_positive_replies_carry_no_provider_or_advice() -> None:
    note = annotate_reply(reply(250, "relay access denied greylisted"), "rcpt", 25)
    assert (note.provider, note.advice) == (None, ())


def test_port_defaults_to_25() -> None:
    the_reply = reply(550, "denied", "5.7.1")
    assert annotate_reply(the_reply, "rcpt").advice == (advice(RELAY_25),)


def test_annotate_attempt_uses_the_attempt_port_and_keeps_reply_less_steps() -> None:
    relay = reply(550, "denied", "5.7.1")
    steps = (Step("connect", elapsed_ms=2.0), Step("greeting", "", reply(220, "hi")),
             Step("rcpt", "RCPT TO:<a@b>", relay, elapsed_ms=5.0))
    on_25 = annotate_attempt(Attempt("mx", "192.0.2.1", 25, "starttls", steps=steps))
    on_587 = annotate_attempt(Attempt("mx", "192.0.2.1", 587, "starttls", steps=steps))
    assert on_25.steps[0] == steps[0]
    assert on_25.steps[1].annotation == annotate_reply(reply(220, "hi"), "greeting", 25)
    assert on_25.steps[2].annotation == annotate_reply(relay, "rcpt", 25)
    assert on_25.steps[2].annotation.advice == (advice(RELAY_25),)
    assert on_587.steps[2].annotation is not None
    assert on_587.steps[2].annotation.advice == ()
    assert [s.name for s in on_25.steps] == ["connect", "greeting", "rcpt"]
    assert on_25.steps[2].elapsed_ms == 5.0 and on_25.steps[2].sent == "RCPT TO:<a@b>"
    assert on_25.port == 25 and on_25.host == "mx"
