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
    from ..reply import Reply
    from .bounce import Diagnostic

__all__ = [
    "EXPLAIN_SCHEMA",
    "basic_view",
    "enhanced_view",
    "explain",
    "explain_diagnostic",
    "explain_message",
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
    """A basic code as the catalogue has it, or, if it lacks it, as its digits read: any code
    from 200 to 599, a middle digit RFC 5321 leaves unused (``470``) included, read by its
    class.  ``ValueError`` for a number that is no reply code (no class 2-5)."""
    if not 200 <= code <= 599:
        raise ValueError(f"{code} is not an SMTP reply code: it must be 200-599 (RFC 5321 §4.2)")
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
    """An enhanced code as the registry has it, or, where it lacks the detail, as its class and
    subject read.  A class RFC 3463 does not define (``3.1.1``) is said to be unknown, its
    subject and detail still read; ``ValueError`` for text that is no ``class.subject.detail``
    (``parse_code`` refuses both before a user's code gets here)."""
    if not _ENHANCED.fullmatch(code):
        raise ValueError(f"{quoted(code)} is not an enhanced status code: it must be "
                         "class.subject.detail, each a number (RFC 3463 §2)")
    klass, subject, detail = code.split(".")
    classes, subjects = catalogue.enhanced_parts()
    names = catalogue.headings(lang)["enhanced_classes"]
    unknown = catalogue.unassigned_enhanced_class() if klass not in classes else None
    note = f"{unknown['description']} " if unknown else ""
    entry = catalogue.lookup_enhanced(code)
    view: dict[str, Any] = {
        "code": code, "registry_code": catalogue.registry_key(code), "class": int(klass),
        "class_name": f"Unassigned class {klass}" if unknown else names[klass],
        "subject_name": subjects.get(subject, {}).get("name", f"Unassigned subject {subject}"),
    }
    if entry is not None:
        view.update(
            name=entry.name, registered=True,
            usual_class=int(klass) in entry.classes
            or any(code // 100 == int(klass) for code in entry.basic_codes),
            description=note + entry.description, when=entry.when, fix=entry.fix,
            fix_server=entry.fix_server, references=list(entry.references),
        )
        return view
    subject_text = subjects.get(subject, {}).get(
        "description", "This subject number is not assigned by the registry."
    )
    view.update(
        name=f"{view['subject_name']} (detail {detail} is not registered)", registered=False,
        usual_class=False,
        description=note + (f"{classes[klass]['description']} " if not unknown else "")
        + subject_text,
        when="When a server uses a detail number of its own; the class and subject still "
        "say what kind of problem it is.",
        fix=unknown["fix"] if unknown else catalogue.digits()["fix"][klass], fix_server="",
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


def _class_note(enhanced: dict[str, Any]) -> str | None:
    """Whether the registry expects this enhanced code with this class: from the reply codes the
    registry associates with it (X.7.1 lists 451 and 454, so 4.7.1 is expected)."""
    entry = catalogue.lookup_enhanced(enhanced["code"])
    if entry is None or enhanced["usual_class"]:
        return None
    listed = ", ".join(map(str, entry.basic_codes)) or "none"
    return (f"The registry lists {enhanced['registry_code']} with replies {listed}, none of class "
            f"{enhanced['class']}; it is read as a {enhanced['class_name'].lower()}.")


def _notes(basic: dict[str, Any] | None, enhanced: dict[str, Any] | None) -> list[str]:
    """What a reader should know about how a code was read."""
    notes = []
    if basic is not None and not basic["known"]:
        notes.append(f"{basic['code']} is not in the catalogue; read by its digits.")
    if enhanced is not None and not enhanced["registered"]:
        notes.append(f"{enhanced['code']} is not in the registry; read by its class and subject.")
    elif enhanced is not None:
        note = _class_note(enhanced)
        if note:
            notes.append(note)
    return notes


def _item(*, reply: Reply | None = None, basic: dict[str, Any] | None = None,
          enhanced: dict[str, Any] | None = None, step: str | None = None,
          form: str = "code") -> dict[str, Any]:
    return {
        "reply": None if reply is None else {
            "code": reply.code, "enhanced": reply.enhanced, "lines": list(reply.lines),
            "raw": list(reply.raw) or [f"{reply.code} {line}".rstrip() for line in reply.lines]},
        "basic": basic, "enhanced": enhanced, "provider": None, "notes": _notes(basic, enhanced),
        "reason": None, "step": step, "form": form, "dsn": None,
    }


def _contradiction(item: dict[str, Any], enhanced: str | None) -> None:
    """Say so when the text's cause overrides what the enhanced code means in the registry."""
    reason = item["reason"]
    if not enhanced or reason["decided_by"] not in ("provider", "text"):
        return
    from .reason import by_enhanced

    registry = by_enhanced(enhanced)
    if registry and registry != reason["name"] and item["enhanced"] is not None:
        item["notes"].append(
            f"The text says {reason['name']} ({reason['summary']}); that wins over what "
            f"{enhanced} means in the registry ({item['enhanced']['name']}: {registry}).")


def explain_reply(reply: Reply, lang: str = "en", *, text: str | None = None,
                  step: str | None = None, final: bool | None = None,
                  form: str = "reply", local: bool = False, report: str = "") -> dict[str, Any]:
    """One reply explained: codes, provider pattern, reason; ``text`` is what patterns see;
    ``report`` what its bounce says to people about the failure."""
    from .reason import decide

    item = _item(reply=reply, basic=basic_view(reply.code, lang),
                 enhanced=enhanced_view(reply.enhanced, lang) if reply.enhanced else None,
                 step=step, form=form)
    match_text = reply_match_text(reply) if text is None else text
    entry = catalogue.match_provider(reply.code, reply.enhanced, match_text)
    if entry is not None and entry.kind != "text":
        item["provider"] = provider_view(entry)
        if entry.overrides_registry and reply.enhanced:
            item["notes"].insert(0,
                f"{entry.provider} uses {reply.enhanced} differently from the registry: "
                f"{entry.registry_note} The provider's meaning applies here.")
    item["reason"] = decide(code=reply.code, enhanced=reply.enhanced, text=match_text,
                            command=step, entry=entry, final=final, local=local,
                            searched=True, report=report)
    _reported(item, report)
    _contradiction(item, reply.enhanced)
    dropped = _dropped_enhanced(reply)
    if dropped:
        item["notes"].append(
            f"{dropped} was not read as the enhanced code: its class {dropped[0]} contradicts "
            f"the reply's class {reply.code // 100} (RFC 3463 §2), so the reply code decides.")
    return item


def _dropped_enhanced(reply: Reply) -> str | None:
    """An enhanced-looking code at the start of the reply that was ignored for its class."""
    if reply.enhanced or not reply.lines:
        return None
    match = _ENHANCED.match(reply.lines[0].strip())
    return match.group(0) if match and match.group(1) in "245" else None


def _code_item(stripped: str, lang: str) -> dict[str, Any]:
    from .reason import decide

    code = parse_code(stripped)[1]
    if isinstance(code, int):
        item = _item(basic=basic_view(code, lang))
        item["reason"] = decide(code=code, enhanced=None, text="")
    else:
        item = _item(enhanced=enhanced_view(code, lang))
        item["reason"] = decide(code=None, enhanced=code, text="")
    return item


def _reported(item: dict[str, Any], report: str) -> None:
    """Say so when the bounce's own words for people decided, not the reply's."""
    if item["reason"]["decided_by"] == "report":
        item["notes"].append(
            f"The bounce's report says {quoted(report[:200])}: read as {item['reason']['name']} "
            "(the reply's own words name no cause, or none that tells a missing address from "
            "a filter).")


def explain_diagnostic(found: Diagnostic, lang: str = "en", final: bool | None = None,
                       always: bool = False, report: str = "") -> dict[str, Any] | None:
    """A reply found inside other text explained; ``None`` when nothing in it is understood
    (unless ``always``: a bounce message is a failure even when its words say nothing)."""
    from .reason import decide

    if found.code is not None:
        from ..reply import Reply

        enhanced = found.enhanced if found.enhanced and found.enhanced[0] == str(
            found.code)[0] else None
        lines = (f"{found.enhanced} {found.message}".strip() if found.enhanced
                 else found.message,)
        reply = Reply(found.code, lines, enhanced, found.lines)
        return explain_reply(reply, lang, text=found.message, step=found.command, final=final,
                             form=found.form, local=found.local, report=report)
    view = enhanced_view(found.enhanced, lang) if found.enhanced else None
    item = _item(enhanced=view, step=found.command, form=found.form)
    item["reason"] = decide(code=None, enhanced=found.enhanced, text=found.message,
                            command=found.command, final=final, local=found.local, report=report)
    if item["reason"]["decided_by"] == "none" and view is None and not always:
        return None
    _reported(item, report)
    _contradiction(item, found.enhanced)
    item["text"] = found.message
    return item


def explain_message(data: bytes, lang: str = "en") -> list[dict[str, Any]]:
    """One item per failed recipient of a bounce message (DSN or prose)."""
    from .dsn import read_message

    items = []
    for record in read_message(data):
        item = explain_diagnostic(record.diagnostic, lang, final=record.final, always=True,
                                  report=record.report)
        assert item is not None
        item["dsn"] = {"recipient": record.recipient, "action": record.action,
                       "status": record.status, "remote_mta": record.remote_mta,
                       "diagnostic_code": record.diagnostic_code}
        items.append(item)
    return items


def explain(text: str, lang: str = "en") -> dict[str, Any]:
    """Explain a basic code, an enhanced code, pasted replies, or a bounce's diagnostic text."""
    stripped = text.strip()
    if not stripped:
        raise UsageError("nothing to explain: give a code (550, 5.7.1) or a reply text")
    items: list[dict[str, Any]]
    if _BASIC.fullmatch(stripped) or _ENHANCED.fullmatch(stripped):
        items = [_code_item(stripped, lang)]
    else:
        from .bounce import find_command, read_diagnostic
        from .loglines import log_delivery, logged_diagnostic
        from .replies import excerpt, parse_reply_text

        try:
            replies = parse_reply_text(stripped)
        except ProtocolError:
            logged = log_delivery(stripped)  # an MTA's log line: whom it was about, its outcome
            item = explain_diagnostic(logged_diagnostic(stripped, logged), lang)
            if item is None:
                raise UsageError(
                    "no SMTP reply code, enhanced status code or known bounce wording found in "
                    f"{excerpt(stripped)}") from None
            items = [item]
            if logged is not None:
                item["dsn"] = {"recipient": logged.recipient, "action": logged.action,
                               "status": logged.status, "remote_mta": None,
                               "diagnostic_code": None}
        else:
            step = find_command(stripped)
            items = [explain_reply(reply, lang, step=step) for reply in replies]
            if all(reply.code < 400 for reply in replies):
                # a success quoted before the refusal ("220-mx … 421 4.2.1 …"): the refusal
                found = read_diagnostic(stripped)
                refusal = explain_diagnostic(found) if (found.code or 0) >= 400 else None
                items = [refusal] if refusal is not None else items
    return {"schema": EXPLAIN_SCHEMA, "input": stripped, "lang": lang, "items": items}
