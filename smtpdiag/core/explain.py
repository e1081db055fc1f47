"""Explain a code or a pasted reply from the catalogue: pure functions returning plain dicts.

``explain``'s result is what ``smtpdiag explain`` shows and what ``--json`` prints (schema
``smtpdiag/schema/explain.schema.json``).  A well-formed code that the catalogue lacks is still
explained by its digits (RFC 5321 §4.2.1: a client reads an unknown code by its first digit) and
flagged ``known: false``; malformed input raises ``UsageError``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .. import catalogue
from ..errors import ProtocolError, UsageError, quoted

if TYPE_CHECKING:
    from ..model import Reply

__all__ = [
    "EXPLAIN_SCHEMA",
    "basic_view",
    "enhanced_view",
    "explain",
    "explain_reply",
    "parse_code",
    "provider_view",
    "reply_match_text",
]

EXPLAIN_SCHEMA = "smtpdiag.explain/1"
_BASIC = re.compile(r"[0-9]{3}")  # ASCII: \d would also take "٥٥٠"
_ENHANCED = re.compile(r"([0-9])\.([0-9]{1,3})\.([0-9]{1,3})")


def parse_code(text: str) -> tuple[str, int | str]:
    """``("basic", 550)`` or ``("enhanced", "5.7.1")`` for a bare code; ``UsageError`` when it
    looks like a code but cannot be one."""
    value = text.strip()
    if _BASIC.fullmatch(value):
        if value[0] not in "2345" or value[1] not in "012345":
            raise UsageError(
                f"{value} is not a valid SMTP reply code: the first digit must be 2-5 "
                "and the second 0-5 (RFC 5321 §4.2)"
            )
        return "basic", int(value)
    match = _ENHANCED.fullmatch(value)
    if match:
        if match.group(1) not in "245":
            raise UsageError(
                f"{value} is not a valid enhanced status code: the class must be 2, 4 or 5 "
                "(RFC 3463)"
            )
        return "enhanced", ".".join(str(int(part)) for part in match.groups())
    raise UsageError(
        f"{quoted(text)} is neither a reply code (550), an enhanced code (5.7.1) nor a reply")


def basic_view(code: int, lang: str = "en") -> dict[str, Any]:
    names = catalogue.headings(lang)["classes"]
    entry = catalogue.lookup_basic(code)
    klass = str(code // 100)
    view: dict[str, Any] = {"code": code, "class": int(klass), "class_name": names[klass]}
    if entry is not None:
        view.update(
            name=entry.name, known=True, description=entry.description, when=entry.when,
            fix=entry.fix, fix_server=entry.fix_server, commands=list(entry.commands),
            per_command=entry.per_command, references=list(entry.references),
        )
        return view
    parts = catalogue.digits()
    view.update(
        name=f"Unassigned {klass}xx reply", known=False,
        description=f"{parts['first'][klass]} {parts['second'][str(code // 10 % 10)]}",
        when="When a server uses a code that no RFC known to this catalogue defines; "
        "RFC 5321 tells a client to read such a code by its first digit.",
        fix=parts["fix"][klass], fix_server="", commands=[], per_command={},
        references=["RFC 5321 §4.2.1"],
    )
    return view


def enhanced_view(code: str, lang: str = "en") -> dict[str, Any]:
    klass, subject, detail = code.split(".")
    classes, subjects = catalogue.enhanced_parts()
    names = catalogue.headings(lang)["enhanced_classes"]
    entry = catalogue.lookup_enhanced(code)
    view: dict[str, Any] = {
        "code": code, "registry_code": catalogue.registry_key(code), "class": int(klass),
        "class_name": names[klass],
        "subject_name": subjects.get(subject, {}).get("name", f"Unassigned subject {subject}"),
    }
    if entry is not None:
        view.update(
            name=entry.name, registered=True,
            usual_class=int(klass) in entry.classes,
            description=entry.description, when=entry.when, fix=entry.fix,
            fix_server=entry.fix_server, references=list(entry.references),
        )
        return view
    subject_text = subjects.get(subject, {}).get(
        "description", "This subject number is not assigned by the registry."
    )
    view.update(
        name=f"{view['subject_name']} (detail {detail} is not registered)", registered=False,
        usual_class=False,
        description=f"{classes[klass]['description']} {subject_text}",
        when="When a server uses a detail number of its own; the class and subject still "
        "say what kind of problem it is.",
        fix=catalogue.digits()["fix"][klass], fix_server="",
        references=["RFC 3463 §2", "IANA SMTP Enhanced Status Codes registry"],
    )
    return view


def provider_view(entry: catalogue.ProviderEntry) -> dict[str, Any]:
    return {
        "id": entry.id, "provider": entry.provider, "name": entry.name,
        "description": entry.description, "fix": entry.fix,
        "overrides_registry": entry.overrides_registry, "registry_note": entry.registry_note,
        "references": list(entry.references),
    }


def reply_match_text(reply: Reply) -> str:
    """The text provider patterns are matched against: lines joined, enhanced prefixes gone."""
    from .replies import parse_enhanced

    parts = []
    for line in reply.lines:
        enhanced = parse_enhanced(line, reply.code)
        parts.append(line.lstrip()[len(enhanced):].strip() if enhanced else line.strip())
    return " ".join(part for part in parts if part)


def _notes(basic: dict[str, Any] | None, enhanced: dict[str, Any] | None) -> list[str]:
    """What a reader should know about how a code was read."""
    notes = []
    if basic is not None and not basic["known"]:
        notes.append(f"{basic['code']} is not in the catalogue; read by its digits.")
    if enhanced is not None and not enhanced["registered"]:
        notes.append(f"{enhanced['code']} is not in the registry; read by its class and subject.")
    elif enhanced is not None and not enhanced["usual_class"]:
        notes.append(f"The registry does not expect {enhanced['registry_code']} with class "
                     f"{enhanced['class']}; it is read as a {enhanced['class_name'].lower()}.")
    return notes


def _item(*, reply: Reply | None = None, basic: dict[str, Any] | None = None,
          enhanced: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "reply": None if reply is None else {
            "code": reply.code, "enhanced": reply.enhanced, "lines": list(reply.lines)},
        "basic": basic, "enhanced": enhanced, "provider": None, "notes": _notes(basic, enhanced),
    }


def explain_reply(reply: Reply, lang: str = "en") -> dict[str, Any]:
    item = _item(reply=reply, basic=basic_view(reply.code, lang),
                 enhanced=enhanced_view(reply.enhanced, lang) if reply.enhanced else None)
    entry = catalogue.match_provider(reply.code, reply.enhanced, reply_match_text(reply))
    if entry is not None:
        item["provider"] = provider_view(entry)
        if entry.overrides_registry and reply.enhanced:
            item["notes"].insert(0,
                f"{entry.provider} uses {reply.enhanced} differently from the registry: "
                f"{entry.registry_note} The provider's meaning applies here.")
    return item


def explain(text: str, lang: str = "en") -> dict[str, Any]:
    """Explain a basic code, an enhanced code, or one or more pasted replies."""
    stripped = text.strip()
    if not stripped:
        raise UsageError("nothing to explain: give a code (550, 5.7.1) or a reply text")
    items: list[dict[str, Any]]
    if _BASIC.fullmatch(stripped) or _ENHANCED.fullmatch(stripped):
        code = parse_code(stripped)[1]
        if isinstance(code, int):
            items = [_item(basic=basic_view(code, lang))]
        else:
            items = [_item(enhanced=enhanced_view(code, lang))]
    else:
        from .replies import parse_reply_text

        try:
            replies = parse_reply_text(stripped)
        except ProtocolError as exc:
            raise UsageError(f"cannot read that as an SMTP reply: {exc.message}") from None
        items = [explain_reply(reply, lang) for reply in replies]
    return {"schema": EXPLAIN_SCHEMA, "input": stripped, "lang": lang, "items": items}
