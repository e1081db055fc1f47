"""Give each reply its meaning in the context of the step it answered: pure, no I/O.

A reply becomes an ``Annotation``: the catalogue entry for its code (the per-command meaning
when the code means something else after this command), the enhanced code read from the
registry or by its parts, a provider pattern if one matches, and advice specific to this step
(from ``catalogue/data/advice.json``, so that it can be corrected without touching code).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import cache
from typing import Any

from .. import catalogue
from ..model import Annotation, Attempt, EnhancedNote, ProviderNote, ReasonNote, Reply, Step
from .explain import basic_view, enhanced_view, reply_match_text

__all__ = ["STEP_VERBS", "annotate_attempt", "annotate_reply"]

STEP_VERBS = {
    "greeting": "CONNECT", "ehlo": "EHLO", "ehlo-tls": "EHLO", "helo": "HELO",
    "starttls": "STARTTLS", "auth": "AUTH", "mail": "MAIL", "rcpt": "RCPT", "rset": "RSET",
    "data": "DATA", "message": "DATA-END", "quit": "QUIT",
}


@cache
def _rules() -> list[dict[str, Any]]:
    with open(catalogue.DATA_DIR / "advice.json", encoding="utf-8") as handle:
        rules: list[dict[str, Any]] = json.load(handle)["rules"]
    return rules


def _advice(step: str, reply: Reply, port: int, text: str) -> tuple[str, ...]:
    """The first rule (file order: specific before general) that fits this step and reply."""
    for rule in _rules():
        if rule["step"] not in (step, "any") or reply.code not in rule["codes"]:
            continue
        if "port" in rule and rule["port"] != port:
            continue
        prefix = rule.get("enhanced_prefix")
        if prefix and not (reply.enhanced or "").startswith(prefix):
            continue
        if "pattern" in rule and not re.search(rule["pattern"], text, re.IGNORECASE):
            continue
        return (rule["text"],)
    return ()


def annotate_reply(reply: Reply, step: str, port: int = 25) -> Annotation:
    """What ``reply`` means as the answer to ``step``."""
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
    if not reply.positive:
        advice = _advice(step, reply, port, text)
    reason = None
    if not reply.positive:
        from .reason import decide

        reason = ReasonNote(**decide(code=reply.code, enhanced=reply.enhanced, text=text,
                                     command=STEP_VERBS.get(step), entry=entry))
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
    steps: list[Step] = []
    for step in attempt.steps:
        if step.reply is not None:
            step = replace(step, annotation=annotate_reply(step.reply, step.name, attempt.port))
        steps.append(step)
    return replace(attempt, steps=tuple(steps))
