"""What a walk's outcome was, in the words an admin acts on: pure, no I/O.

A sending MTA treats a reply by its class: 2xx accepted, 4xx try again later, 5xx give up.
So the outcome of one walk is one of

    accepted   every step answered positively (the message was queued, or, in a dry run or
               with --quit-after, every step up to there was accepted)
    partial    accepted for some recipients, refused (4xx or 5xx) for others
    deferred   a temporary refusal (4xx: greylisting, postscreen, a 421) ended the walk: retry
    refused    a permanent refusal (5xx) ended the walk: retrying will not help
    failed     the walk could not complete: DNS, connect, TLS, timeout, protocol violation

and a report adds ``no-mail`` (the domain publishes a null MX).  ``VERDICTS`` lists them from
best to worst; over several attempts (``--all-mx``) the worst one is the report's verdict.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Reply

__all__ = ["OUTCOMES", "VERDICTS", "deferral_note", "outcome_of", "stopping_reply",
           "worst_outcome"]

OUTCOMES = ("accepted", "partial", "deferred", "refused", "failed")
VERDICTS = (*OUTCOMES, "no-mail")


def stopping_reply(replies: Iterable[Reply]) -> Reply | None:
    """Of several refusals where none was accepted (every RCPT refused, say), the one that
    decides: a permanent refusal outweighs a temporary one, since retrying cannot fix it."""
    refusals = [r for r in replies if not r.positive]
    permanent = [r for r in refusals if r.klass == 5]
    chosen = permanent or refusals
    return chosen[0] if chosen else None


def outcome_of(*, failed: bool, stop: Reply | None, rcpt_replies: Iterable[Reply] = ()) -> str:
    """One walk's outcome.

    ``failed``: the walk ended on an error (nothing usable came back).  ``stop``: the refusal
    that ended the walk early, if one did.  ``rcpt_replies``: every reply to RCPT, so that a
    walk that carried on with some recipients refused is ``partial``, not ``accepted``.
    """
    if failed:
        return "failed"
    if stop is not None:
        return "deferred" if stop.klass == 4 else "refused"
    for reply in rcpt_replies:  # a loop, not any() over a generator: every walk's outcome
        if not reply.positive:
            return "partial"
    return "accepted"


def worst_outcome(outcomes: Iterable[str]) -> str:
    """The worst of several outcomes (``VERDICTS`` order); ``failed`` for none."""
    return max(outcomes, key=VERDICTS.index, default="failed")


# Causes a 4xx may name that a retry does not cure by itself: the server says something lasting
# with a temporary code (Postfix's default defer_unauth_destination, soft_bounce = yes, a 450
# reject code), and a sending server retries for days before it bounces.
NOT_CURED_BY_RETRY = frozenset({"relay-denied", "user-unknown", "mailbox-disabled"})
# The enhanced codes such a cause comes with (addressing, a disabled mailbox, "not authorized");
# a reply with another one is not read against the catalogue at all.
LASTING_CAUSE_CODES = ("4.1.", "4.2.1", "4.7.1")
RETRY = " (temporary: a sending server would retry later)"


def deferral_note(step: str, reply: Reply) -> str:
    """The words a deferred verdict ends with: a sender would retry, unless the reply's own
    words name a cause a retry does not cure; then the class is kept (still deferred) and the
    cause said.  Only a deferred walk asks, so only it loads the catalogue."""
    if reply.enhanced and not reply.enhanced.startswith(LASTING_CAUSE_CODES):
        return RETRY  # greylisting's 4.2.0, 4.7.0, a full disk: no catalogue for a fleet's many
    from .annotate import annotate_reply

    reason = annotate_reply(reply, step).reason
    if reason is None or reason.name not in NOT_CURED_BY_RETRY:
        return RETRY
    return (f" (temporary by its code, but it says {reason.summary}: retrying will not help "
            "until that changes)")
