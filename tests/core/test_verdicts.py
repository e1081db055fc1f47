"""``core/verdicts.py``: which refusal decides a walk, the walk's outcome, the worst of several.

``tests/test_real_verdicts.py`` meets these words through real servers; here every rule is
pinned on its own, with the inputs that tell a rule from its near miss (a 4xx before a 5xx,
a positive reply among refusals, ``no-mail`` against ``failed``).
"""

from __future__ import annotations

import pytest

from smtpdiag.core.verdicts import (
    OUTCOMES,
    VERDICTS,
    deferral_note,
    outcome_of,
    stopping_reply,
    worst_outcome,
)
from smtpdiag.model import Reply


def r(code: int, text: str = "x") -> Reply:
    return Reply(code, (text,))


def test_the_vocabulary_best_to_worst() -> None:
    assert OUTCOMES == ("accepted", "partial", "deferred", "refused", "failed")
    assert VERDICTS == ("accepted", "partial", "deferred", "refused", "failed", "no-mail")


@pytest.mark.parametrize(("replies", "chosen"), [
    ((), None),
    ((r(250), r(251)), None),                        # nothing refused
    ((r(354),), None),                               # 3xx is a yes too
    ((r(450, "a"),), 0),
    ((r(450, "a"), r(451, "b")), 0),                 # the first of equals
    ((r(450, "a"), r(550, "b")), 1),                 # permanent outweighs temporary
    ((r(450, "a"), r(550, "b"), r(553, "c")), 1),    # the first permanent one
    ((r(250), r(451, "b"), r(250)), 1),              # positives are skipped
    ((r(552, "a"), r(421, "b")), 0),
])
def test_stopping_reply(replies: tuple[Reply, ...], chosen: int | None) -> None:
    got = stopping_reply(iter(replies))  # any iterable, read once
    assert got is (None if chosen is None else replies[chosen])


@pytest.mark.parametrize(("failed", "stop", "rcpts", "outcome"), [
    (True, None, (), "failed"),
    (True, r(550), (), "failed"),                    # an error wins over what was refused
    (True, None, (r(550),), "failed"),
    (False, r(421), (), "deferred"),
    (False, r(450), (r(250),), "deferred"),
    (False, r(554), (), "refused"),
    (False, r(550), (r(250),), "refused"),
    (False, None, (), "accepted"),
    (False, None, (r(250), r(251)), "accepted"),
    (False, None, (r(250), r(550)), "partial"),
    (False, None, (r(451), r(250)), "partial"),
])
def test_outcome_of(failed: bool, stop: Reply | None, rcpts: tuple[Reply, ...],
                    outcome: str) -> None:
    assert outcome_of(failed=failed, stop=stop, rcpt_replies=iter(rcpts)) == outcome


def test_outcome_of_without_recipients_is_accepted() -> None:
    assert outcome_of(failed=False, stop=None) == "accepted"


@pytest.mark.parametrize(("outcomes", "worst"), [
    ((), "failed"),
    (("accepted",), "accepted"),
    (("accepted", "partial"), "partial"),
    (("deferred", "partial", "accepted"), "deferred"),
    (("refused", "deferred"), "refused"),
    (("accepted", "failed", "refused"), "failed"),
    (("failed", "no-mail"), "no-mail"),
])
def test_worst_outcome(outcomes: tuple[str, ...], worst: str) -> None:
    assert worst_outcome(iter(outcomes)) == worst



RETRY = " (temporary: a sending server would retry later)"
LASTING = " (temporary by its code, but it says {}: retrying will not help until that changes)"


@pytest.mark.parametrize(("step", "code", "enhanced", "text", "note"), [
    # Postfix's default relay rule (defer_unauth_destination) and soft_bounce = yes
    ("rcpt", 454, "4.7.1", "4.7.1 <a@x.test>: Relay access denied",
     LASTING.format("the server will not relay for that domain from this client")),
    ("rcpt", 450, "4.1.1", "4.1.1 <a@x.test>: Recipient address rejected: User unknown in "
     "local recipient table", LASTING.format("the recipient address does not exist there")),
    ("rcpt", 450, "4.2.1", "4.2.1 mailbox disabled, not accepting messages",
     LASTING.format("the recipient's mailbox exists but is disabled, suspended or inactive")),
    ("rcpt", 450, None, "Relay access denied",   # no enhanced code: its words are read
     LASTING.format("the server will not relay for that domain from this client")),
    # greylisting, a full disk: a retry is what cures them
    ("rcpt", 450, "4.2.0", "4.2.0 <a@x.test>: Recipient address rejected: Greylisted", RETRY),
    ("rcpt", 451, "4.7.1", "4.7.1 Please try again later", RETRY),
    ("rcpt", 451, None, "Try again later", RETRY),
    ("data", 452, "4.3.1", "4.3.1 Insufficient system storage", RETRY),
])
def test_a_deferral_says_whether_a_retry_would_help(step: str, code: int, enhanced: str | None,
                                                    text: str, note: str) -> None:
    assert deferral_note(step, Reply(code, (text,), enhanced)) == note


def test_a_deferral_is_read_at_its_step() -> None:
    # Postfix's reject_unlisted_sender under soft_bounce: at MAIL the unknown user is the
    # sender, not a recipient that does not exist
    reply = Reply(450, ("4.1.1 <bo@x.test>: Sender address rejected: User unknown in local "
                        "recipient table",), "4.1.1")
    assert "recipient" not in deferral_note("mail", reply)
    assert "recipient address does not exist" in deferral_note("rcpt", reply)
