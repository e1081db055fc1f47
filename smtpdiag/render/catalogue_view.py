"""Render ``explain``, ``compare`` and ``codes`` results as a ``Doc`` in the chosen language."""

from __future__ import annotations

from typing import Any

from .. import catalogue
from ..core.text import shorten
from .doc import Doc

__all__ = ["codes_doc", "compare_doc", "explain_doc", "record_line"]

CLASS_STYLE = {2: "green", 3: "cyan", 4: "yellow", 5: "red"}


def _field(doc: Doc, label: str, text: str, indent: str = "  ") -> None:
    if text:
        doc.add(indent, (f"{label}: ", "bold"), text)


def _entry(doc: Doc, view: dict[str, Any], h: dict[str, Any], label: str, known: bool) -> None:
    """The part every catalogue entry shares: title, class, and the seed pages' fields."""
    style = CLASS_STYLE[view["class"]]
    doc.add((f"{view['code']} {view['name']}", f"bold {style}"), (f"  ({label})", style))
    if not known:
        doc.add("  ", (h["unknown"], "italic"))
    for key in ("description", "when", "fix", "fix_server"):
        _field(doc, h[key], view[key])


def _basic(doc: Doc, view: dict[str, Any], h: dict[str, Any], step: str | None = None) -> None:
    """A basic code; when the input named the step, that step's meaning first, others folded."""
    focus = view["per_command"].get(step) if step else None
    if focus is None:
        _entry(doc, view, h, f"{view['class']}xx {view['class_name']}", view["known"])
    else:
        style = CLASS_STYLE[view["class"]]
        name = focus.get("name", view["name"])
        doc.add((f"{view['code']} {name}", f"bold {style}"),
                (f"  ({view['class']}xx {view['class_name']}, after {step})", style))
        _field(doc, h["description"], focus["meaning"])
        _field(doc, h["fix"], focus["fix"])
        _field(doc, h["fix_server"], view["fix_server"])
    others = [verb for verb in view["per_command"] if verb != step]
    if focus is not None and others:
        doc.add("  ", (f"Also returned after {', '.join(others)}: smtpdiag explain "
                       f"{view['code']} shows what it means there.", "dim"))
    elif view["per_command"]:
        doc.add("  ", (f"{h['per_command']}:", "bold"))
        for verb, detail in view["per_command"].items():
            name = f" ({detail['name']})" if "name" in detail else ""
            doc.add("    ", (verb, "bold"), f"{name}: {detail['meaning']} ", ("→ ", "dim"),
                    detail["fix"])
    if focus is None:
        _field(doc, h["commands"], ", ".join(view["commands"]))
    _field(doc, "RFC", ", ".join(view["references"]))


WHO = {"sender": "the sender must act", "sender-admin": "the sending side's admin must act",
       "recipient-admin": "the receiving side's admin must act"}


def _bottom_line(doc: Doc, reason: dict[str, Any], delayed: bool = False) -> None:
    """One line first: what happened, permanent or temporary, who must act.  A temporary
    failure needs nobody at first (the sending server retries on its own, and greylisting
    wants exactly that); who must act is who can end it if it lasts.  A delay warning
    (``Action: delayed``) that names its cause says it is not a failure yet."""
    who = WHO.get(reason["who"], reason["who"])
    nature = f"permanent; {who}" if reason["permanent"] else (
        f"temporary: the sending server retries on its own; if it lasts, {who}")
    if delayed and reason["name"] != "delayed" and not reason["permanent"]:
        nature = (f"delayed, not a final failure: the sending server is still retrying; "
                  f"if it lasts, {who}")
    doc.add(("Bottom line: ", "bold"), (reason["summary"], "bold"),
            f" ({reason['name']}) — {nature}.")


def _echo(doc: Doc, item: dict[str, Any]) -> None:
    """The reply as it was pasted, continuation marks (550-) kept; or the text read."""
    if item["reply"]:
        for line in item["reply"]["raw"] or [str(item["reply"]["code"])]:
            doc.add(("> ", "dim"), (line, "dim"))
    elif item.get("text"):
        doc.add(("> ", "dim"), (item["text"], "dim"))


SHOWN_RECIPIENTS = 20  # of a group sharing one explanation; --jsonl lists every one


def _dsn(doc: Doc, dsn: dict[str, Any] | None, step: str | None,
         others: list[str] | None = None) -> None:
    if not dsn:
        return
    who: tuple[str, Any] = ("recipient", dsn["recipient"])
    if others:
        names = [dsn["recipient"] or "(none named)", *others]
        more = len(names) - SHOWN_RECIPIENTS
        listed = ", ".join(names[:SHOWN_RECIPIENTS]) + (
            f" and {more:,} more (--jsonl lists every one)" if more > 0 else "")
        who = (f"{len(names):,} recipients explained alike", f"({listed})")
    parts = [f"{label} {value}" for label, value in (
        who, ("action", dsn["action"]), ("status", dsn["status"]),
        ("remote MTA", dsn["remote_mta"]), ("at", step)) if value]
    if parts:
        doc.add(("Bounce: ", "bold"), ", ".join(parts))


def _masked(text: str, address: str | None) -> str:
    """``text`` with the recipient's own address taken out (a reply quotes it: "<ann@…>: User
    unknown"), so the replies of recipients who failed alike compare equal."""
    if not address or address.lower() not in text.lower():
        return text
    import re

    return re.sub(re.escape(address), "<recipient>", text, flags=re.I)


def _same_as(item: dict[str, Any]) -> tuple[Any, ...]:
    """What the text output shows of a bounce's item, its recipient's address masked: the
    items of a report that share it are shown once."""
    dsn = item["dsn"]
    address = dsn["recipient"]
    reply = item["reply"] or {}
    return (tuple(_masked(line, address) for line in reply.get("raw") or ()),
            reply.get("code"), _masked(item.get("text") or "", address),
            tuple(item["reason"].values()) if item.get("reason") else None,
            (item["provider"] or {}).get("id"), (item["basic"] or {}).get("code"),
            (item["enhanced"] or {}).get("code"), item.get("step"),
            tuple(_masked(note, address) for note in item["notes"]),
            dsn["action"], dsn["status"], dsn["remote_mta"])


def _grouped(items: list[dict[str, Any]]) -> list[tuple[dict[str, Any], list[str]]]:
    """A bounce's items, each with the other recipients whose explanation is the same (a
    report for 10,000 recipients refused alike is one explanation, not 10,000 copies); in
    the order each explanation first appears."""
    groups: dict[tuple[Any, ...], tuple[dict[str, Any], list[str]]] = {}
    alone: list[tuple[dict[str, Any], list[str]]] = []
    order: list[tuple[dict[str, Any], list[str]]] = []
    for item in items:
        if not item.get("dsn"):
            alone.append((item, []))
            order.append(alone[-1])
            continue
        key = _same_as(item)
        if key in groups:
            groups[key][1].append(item["dsn"]["recipient"] or "(none named)")
        else:
            groups[key] = (item, [])
            order.append(groups[key])
    return order


def _enhanced(doc: Doc, view: dict[str, Any], h: dict[str, Any]) -> None:
    label = f"{view['class']}.X.X {view['class_name']} · {view['subject_name']}"
    _entry(doc, view, h, label, view["registered"])
    _field(doc, "RFC", ", ".join(view["references"]))


def _provider(doc: Doc, view: dict[str, Any], h: dict[str, Any]) -> None:
    doc.add((f"{h['provider']}: ", "bold magenta"),
            (f"{view['provider']} — {view['name']}", "bold magenta"))
    _field(doc, h["description"], view["description"])
    _field(doc, h["fix"], view["fix"])
    _field(doc, h["learn_more"], ", ".join(view["references"]))


def explain_doc(result: dict[str, Any]) -> Doc:
    h = catalogue.headings(result["lang"])
    doc = Doc()
    if result.get("error"):
        doc.add((f"{result['input']}: ", "bold"), (result["error"], "yellow"))
    for index, (item, others) in enumerate(_grouped(result["items"])):
        if index:
            doc.blank()
        _echo(doc, item)
        reason = item.get("reason")
        # a bounce failed even where nothing says why: its bottom line says so (unknown)
        if reason and (reason["decided_by"] != "none" or item.get("dsn")) and (
                item["reply"] or item.get("text") or item.get("dsn")):
            _bottom_line(doc, reason, (item.get("dsn") or {}).get("action") == "delayed")
        _dsn(doc, item.get("dsn"), item.get("step"), others)
        # The most specific answer first: a provider's own reply, then the codes' meanings.
        if item["provider"]:
            _provider(doc, item["provider"], h)
        if item["basic"]:
            _basic(doc, item["basic"], h, item.get("step"))
        if item["enhanced"]:
            _enhanced(doc, item["enhanced"], h)
        for note in item["notes"]:
            doc.add(("Note: ", "bold yellow"), note)
    return doc


def record_line(record: dict[str, Any]) -> str:
    """One bounce record as one plain line: where, cause, nature, who, codes, the text read."""
    from .doc import clean

    source = record.get("source", {})
    where = f"{source['line']}: " if "line" in source else ""
    if "reason" not in record or record.get("error"):
        return clean(f"{where}unread — {record.get('error', '')}: {record['input'][:120]}")
    reason = record["reason"]
    nature = "permanent" if reason["permanent"] else "temporary"
    codes = " ".join(str(c) for c in (record["code"], record["enhanced"]) if c)
    step = f" at {record['step']}" if record["step"] else ""
    codes = f" {codes}" if codes else ""
    return clean(f"{where}{reason['name']} ({nature}, {reason['who']}){codes}{step} — "
                 f"{record['input'][:120]}")


def compare_doc(result: dict[str, Any]) -> Doc:
    h = catalogue.headings(result["lang"])
    doc = Doc().add((result["title"], "bold")).blank().add(result["summary"])
    for side in result["sides"]:
        style = CLASS_STYLE[side["class"]]
        doc.blank().add((f"SMTP {side['code']} {side['name']}", f"bold {style}"),
                        (f"  ({h['class']}: {side['class_name']})", style))
        for key in ("description", "when", "fix"):
            doc.add((h[key], "bold underline"))
            doc.add(side[key])
    doc.blank().add((h["differences"], "bold underline"))
    for number, line in enumerate(result["differences"], 1):
        doc.add(f"{number}. ", line)  # the marker is its own segment: wrapped lines hang
    doc.blank().add((h["which"], "bold underline")).add(result["which"])
    references = dict.fromkeys(ref for side in result["sides"] for ref in side["references"])
    if references:
        doc.blank().add((h["learn_more"], "bold underline")).add(", ".join(references))
    return doc


_NAME_FLOOR = 40  # a provider reply's name cut shorter than this no longer says which it is


def codes_doc(result: dict[str, Any], width: int | None = None) -> Doc:
    """The table, its columns as wide as their longest entry (never run together), fitted to
    ``width``: names longer than the room left beside the class column are cut at a word with
    "…"; where even names of ``_NAME_FLOOR`` characters leave no room, the class column goes."""
    h = catalogue.headings(result["lang"])
    rows = []
    for row in result["codes"]:
        klass = row["class"]
        names = h["classes"] if row["kind"] != "enhanced" else h["enhanced_classes"]
        label = names.get(str(klass), "") if klass else ""
        if not klass and row["kind"] == "provider":  # coded in several classes (421/550)
            label = " / ".join(f"{k}xx" for k in sorted(
                {c[0] for c in row["code"].split("/") if c[:1].isdigit()}))
        rows.append((row["code"], row["name"], label, CLASS_STYLE.get(klass or 0, "")))
    if not rows:
        return Doc()
    code_w = max(len(r[0]) for r in rows) + 2
    name_w = max(len(r[1]) for r in rows) + 2
    label_w = max(len(r[2]) for r in rows)
    if width is not None and code_w + name_w + label_w > width:
        # the few longest names are cut at a word before the class column is given up
        name_w = max(_NAME_FLOOR, width - code_w - label_w)
    show_label = width is None or code_w + name_w + label_w <= width
    doc = Doc()
    for code, name, label, style in rows:
        head = (code.ljust(code_w), f"bold {style}".strip())
        if show_label:
            doc.add(head, shorten(name, name_w - 2).ljust(name_w), (label, "dim"))
        else:  # too narrow for the class: the name gets the rest, cut at a word
            doc.add(head, shorten(name, max(10, (width or 0) - code_w)))
    return doc
