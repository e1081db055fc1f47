"""454 answering STARTTLS or AUTH: that step's temporary failure on the server, whatever code or
words come with it.

RFC 3207 §4 and RFC 4954 §6 give 454 to a server that cannot start TLS or check a password just
now (a missing or unreadable certificate, a lost link to its password store).  The 4.7.0 most
servers send with it reads "blocked" on its own (``enhanced_with_class``: Gmail's 421 4.7.0
throttling), Sendmail's 4.3.3 reads "content", and "Temporary authentication failure" reads as
a login wanted: each put the blame on the client, and the probe's bottom line contradicted its
own advice ("the password itself is probably fine").  Pure.
"""

from __future__ import annotations

import pytest

from smtpdiag.core.annotate import annotate_reply
from smtpdiag.core.reason import decide
from smtpdiag.core.replies import parse_reply_text


@pytest.mark.parametrize(("step", "text"), [
    ("starttls", "454 4.7.0 TLS not available due to temporary reason"),
    ("starttls", "454 4.7.0 TLS not available"),
    ("starttls", "454 4.3.3 TLS not available after start"),
    ("starttls", "454 TLS not available"),
    ("auth", "454 4.7.0 Temporary authentication failure"),
    ("auth", "454 4.7.0 Temporary authentication failure: Connection lost to authentication "
     "server"),
])
def test_454_at_starttls_or_auth_is_the_servers_temporary_failure(step: str, text: str) -> None:
    note = annotate_reply(parse_reply_text(text)[0], step)
    assert note.reason is not None and note.reason.name == "system-error", note.reason


@pytest.mark.parametrize(("command", "text", "name"), [
    ("RCPT", "454 4.7.1 Relay access denied", "relay-denied"),  # 454 elsewhere: unchanged
    (None, "454 4.7.0 TLS not available", "blocked"),  # no step named: the codes decide
    ("STARTTLS", "454 4.7.0 TLS not available due to local problem", "system-error"),
])
def test_the_rule_needs_the_step(command: str | None, text: str, name: str) -> None:
    reply = parse_reply_text(text)[0]
    found = decide(code=reply.code, enhanced=reply.enhanced, text=reply.text, command=command)
    assert found["name"] == name, found


def test_the_rule_is_said() -> None:
    found = decide(code=454, enhanced="4.7.0", text="TLS not available", command="STARTTLS")
    assert (found["decided_by"], found["rule"], found["permanent"]) == (
        "basic", "454 at STARTTLS", False), found
