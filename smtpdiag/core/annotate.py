"""Give each reply its meaning in the context of the step it answered: pure, no I/O.

A reply becomes an ``Annotation``: the catalogue entry for its code (the per-command meaning
when the code means something else after this command), the enhanced code read from the
registry or by its parts, a provider pattern if one matches, and advice specific to this step
(from ``catalogue/data/advice.json``, so that it can be corrected without touching code).

Some advice depends on the session, not on the reply alone: a submission server that offered
AUTH refuses a client that did not log in with words ("Client host rejected: Access denied")
that would otherwise read as an access table or reverse DNS problem.  ``session_facts`` reads
those facts from the attempt; a rule with a ``session`` key applies only when its fact holds,
may name its own ``meaning`` and, with ``decides``, the reason (``decided_by: session``) in
place of a provider pattern that would mislead there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from functools import cache
from typing import Any

from .. import catalogue
from ..model import Annotation, Attempt, EnhancedNote, ProviderNote, ReasonNote, Reply, Step
from .conduct import speaks_lmtp
from .explain import basic_view, enhanced_view, reply_match_text
from .text import size

__all__ = ["STEP_VERBS", "annotate_attempt", "annotate_reply", "session_facts"]

STEP_VERBS = {
    "greeting": "CONNECT", "ehlo": "EHLO", "ehlo-tls": "EHLO", "helo": "HELO",
    "lhlo": "LHLO",
    "starttls": "STARTTLS", "auth": "AUTH", "mail": "MAIL", "rcpt": "RCPT", "rset": "RSET",
    "data": "DATA", "message": "DATA-END", "quit": "QUIT",
}


@cache
def _advice() -> dict[str, Any]:
    with open(catalogue.DATA_DIR / "advice.json", encoding="utf-8") as handle:
        advice: dict[str, Any] = json.load(handle)
    return advice


def _rules() -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = _advice()["rules"]
    return rules


@cache
def _client_reasons() -> frozenset[str]:
    """Causes about the client itself (a block list, its reverse DNS, its reputation, its lack
    of TLS): a refusal whose words name one is not about the address it follows."""
    return frozenset(_advice()["client_reasons"])


def _enhanced_fits(enhanced: str, prefix: str) -> bool:
    """``5.1.`` covers a whole subject; ``5.7.1`` is one code, so it does not cover 5.7.13."""
    return enhanced.startswith(prefix) if prefix.endswith(".") else enhanced == prefix


def _rule(step: str, reply: Reply, port: int, text: str,
          facts: Mapping[str, str]) -> dict[str, Any] | None:
    """The first rule (file order: specific before general) that fits this step and reply."""
    for rule in _rules():
        steps = rule["step"] if isinstance(rule["step"], list) else (rule["step"],)
        if (step not in steps and "any" not in steps) or reply.code not in rule["codes"]:
            continue
        if "session" in rule and rule["session"] not in facts:
            continue
        if "port" in rule and rule["port"] != port:
            continue
        prefix = rule.get("enhanced_prefix")
        if prefix and not _enhanced_fits(reply.enhanced or "", prefix):
            continue
        if "pattern" in rule and not re.search(rule["pattern"], text, re.IGNORECASE):
            continue
        return rule
    return None


def _general(rule: dict[str, Any]) -> bool:
    """A rule for a step and code only: no wording, session fact or meaning of its own."""
    return not {"pattern", "session", "meaning"} & rule.keys()


def session_facts(attempt: Attempt) -> dict[str, str]:
    """What the session showed that changes how a refusal reads, and the values its advice
    names: ``{auth}`` (the mechanisms offered), ``{declared}`` and ``{limit}`` (sizes).
    ``not-logged-in``: no AUTH was tried, so a server following the usual relay rules took
    (or refused) each recipient as one of its own domains'; ``logged-in``: a login was taken,
    so a relay refusal is the server's relay rule, not a missing login.  ``lmtp``: the port
    answered LHLO, so its EHLO and HELO refusals are LMTP's, not an old server's."""
    facts: dict[str, str] = {}
    caps = attempt.capabilities
    logged_in = any(step.name == "auth" for step in attempt.steps)
    if not logged_in:  # such a client may relay nowhere, as a rule: a refusal is about here
        facts["not-logged-in"] = ""
    elif any(step.name == "auth" and step.reply is not None and step.reply.positive
             for step in attempt.steps):  # a login taken: a relay refusal is the server's rule
        facts["logged-in"] = ""
    if speaks_lmtp(attempt):  # EHLO and HELO unknown, LHLO taken: an LMTP port
        facts["lmtp"] = ""
    if caps is not None and caps.auth and not logged_in:
        facts["auth-unused"], facts["auth"] = "", " ".join(caps.auth)
    if caps is not None and not caps.auth and caps.starttls and attempt.tls_mode == "none" \
            and not logged_in:
        facts["auth-after-starttls"] = ""
    mail = next((step for step in attempt.steps if step.name == "mail"), None)
    declared = re.search(r" SIZE=([0-9]{1,20})", mail.sent or "") if mail else None
    if declared and caps is not None and caps.size:
        number = int(declared.group(1))
        facts["size-over-limit" if number > caps.size else "size-within-limit"] = ""
        facts["declared"], facts["limit"] = size(number), size(caps.size)
    return facts


def annotate_reply(reply: Reply, step: str, port: int = 25,
                   facts: Mapping[str, str] | None = None) -> Annotation:
    """What ``reply`` means as the answer to ``step`` (in a session that showed ``facts``)."""
    basic = basic_view(reply.code)
    name, description, fix = basic["name"], basic["description"], basic["fix"]
    per_command = basic["per_command"].get(STEP_VERBS.get(step, ""))
    if per_command:  # e.g. 454 after RCPT is Postfix's relay refusal, not a TLS failure
        name = per_command.get("name", name)
        description, fix = per_command["meaning"], per_command["fix"]
    enhanced = None
    if reply.enhanced:
        view = enhanced_view(reply.enhanced)
        enhanced = EnhancedNote(reply.enhanced, view["name"], view["description"], view["fix"],
                                view["registered"])
    provider = None
    advice: tuple[str, ...] = ()
    # Provider patterns and advice are about refusals only; a yes needs neither.
    text = "" if reply.positive else reply_match_text(reply)
    entry = catalogue.match_provider(reply.code, reply.enhanced, text) if text else None
    rule = None if reply.positive else _rule(step, reply, port, text, facts or {})
    if rule is not None:
        # Only a session rule names values ({auth}, {limit}): other texts are kept as written.
        fill = (lambda said: said.format_map(facts)) if "session" in rule and facts else str
        advice = (fill(rule["text"]),)
        description = fill(rule.get("meaning", description))
    reason = None
    if rule is not None and "decides" in rule:
        from .reason import reason_for

        entry = None  # the session says more than the words: a provider note would mislead
        reason = ReasonNote(**reason_for(rule["decides"], decided_by="session",
                                         rule=rule["session"], klass=reply.klass))
    elif not reply.positive:
        from .reason import decide

        reason = ReasonNote(**decide(code=reply.code, enhanced=reply.enhanced, text=text,
                                     command=STEP_VERBS.get(step), entry=entry))
    if entry is not None and entry.kind == "text" and (rule is None or _general(rule)) \
            and reason is not None and reason.name == entry.reason \
            and reason.name in _client_reasons():
        # The words name the client ("listed at" a block list) and decided the cause, told at
        # MAIL or RCPT: a step's advice for its code alone ("the sender address is refused")
        # would contradict them.
        advice = (entry.fix,)
    if rule is not None and reason is not None and "reasons" in rule \
            and reason.name not in rule["reasons"] and reason.decided_by != "basic":
        # a step's advice for its code alone names a likely cause ("greylisting is likely")
        # that the reply's own words ruled out: its other text names the cause decided
        advice = (rule["otherwise"].format(summary=reason.summary),)
    if entry is not None and entry.kind == "text":
        entry = None  # a wording decides the reason; it is no provider's reply
    if entry is not None:
        provider = ProviderNote(entry.id, entry.provider, entry.name, entry.description,
                                entry.fix, entry.overrides_registry, entry.registry_note)
    return Annotation(
        code=reply.code, name=name, class_name=basic["class_name"],
        description=description, fix=fix, known=basic["known"], enhanced=enhanced,
        provider=provider, advice=advice, reason=reason,
    )


def annotate_attempt(attempt: Attempt) -> Attempt:
    """Every reply of the attempt annotated; positive replies to routine steps stay terse."""
    facts = session_facts(attempt)
    steps: list[Step] = []
    for step in attempt.steps:
        if step.reply is not None:
            step = replace(step, annotation=annotate_reply(step.reply, step.name, attempt.port,
                                                           facts))
        steps.append(step)
    return replace(attempt, steps=tuple(steps))
