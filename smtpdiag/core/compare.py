"""Compare two codes side by side, in the shape of the catalogue's comparison pages.

Pure: two codes in, one dict out (schema ``smtpdiag/schema/compare.schema.json``).  Headings and
class names come from the catalogue's translations; the sentences stay English for now, as the
entry text does.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from .. import catalogue
from .explain import basic_view, enhanced_view, parse_code

__all__ = ["COMPARE_SCHEMA", "compare"]

COMPARE_SCHEMA = "smtpdiag.compare/1"
_EN_CLASSES = {"2": "Positive Completion", "3": "Positive Intermediate",
               "4": "Transient Negative Completion", "5": "Permanent Negative Completion"}
_EN_ENHANCED = {"2": "Success", "4": "Persistent Transient Failure", "5": "Permanent Failure"}


def _lower_first(text: str) -> str:
    """Lower-case a leading capital so a sentence can continue into it ("After" -> "after")."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _side(text: str, lang: str) -> dict[str, Any]:
    kind, code = parse_code(text)
    if kind == "basic":
        assert isinstance(code, int)
        view = basic_view(code, lang)
        klass = str(view["class"])
        label = f"{klass}xx {_EN_CLASSES[klass]}"
        known = view["known"]
    else:
        assert isinstance(code, str)
        view = enhanced_view(code, lang)
        klass = str(view["class"])
        label = f"{klass}.X.X {_EN_ENHANCED[klass]}"
        known = view["registered"]
    return {
        "code": str(code), "kind": kind, "name": view["name"], "class": int(klass),
        "class_name": view["class_name"], "class_label": label, "known": known,
        "description": view["description"], "when": view["when"], "fix": view["fix"],
        "references": view["references"], "commands": view.get("commands", []),
        "subject_name": view.get("subject_name", ""),
    }


def _means(side: dict[str, Any]) -> str:
    """"211 is a status report …" or "250 means that the requested action …"."""
    text = side["description"]
    if text.startswith(("A ", "An ")):
        return f"{side['code']} is {_lower_first(text)}"
    return f"{side['code']} means that {_lower_first(text)}"


@cache
def _class_texts() -> dict[str, dict[str, str]]:
    """The per-class sentences (data/compare.json), so they can be corrected without code."""
    with open(catalogue.DATA_DIR / "compare.json", encoding="utf-8") as handle:
        texts: dict[str, dict[str, str]] = json.load(handle)
    return texts


def _answers(side: dict[str, Any]) -> str:
    """What a side is the reply to: its commands (basic codes) or its subject (enhanced)."""
    if side["kind"] == "enhanced":
        return f"reports {side['subject_name'].lower()} (X.{side['code'].split('.')[1]}.X)"
    commands = side.get("commands") or []
    return f"answers {', '.join(commands)}" if commands else "answers no particular command"


def _answer_difference(a: dict[str, Any], b: dict[str, Any]) -> str:
    """What each one answers, saying once what they share: "Both answer MAIL, RCPT; only 550
    answers EHLO, DATA-END."."""
    answers_a, answers_b = _answers(a), _answers(b)
    if answers_a == answers_b:
        verb, what = answers_a.split(" ", 1)
        return f"Both {verb.removesuffix('s')} {what}."  # "Both report mailbox status (X.2.X)."
    ca, cb = a.get("commands") or [], b.get("commands") or []
    shared = [c for c in ca if c in cb]
    if a["kind"] == b["kind"] == "basic" and shared:
        only = [f"only {side['code']} answers {', '.join(c for c in mine if c not in shared)}"
                for side, mine in ((a, ca), (b, cb)) if len(mine) > len(shared)]
        return f"Both answer {', '.join(shared)}; {' and '.join(only)}."
    return f"{a['code']} {answers_a}; {b['code']} {answers_b}."


def _differences(a: dict[str, Any], b: dict[str, Any], kind: str, same: bool) -> list[str]:
    """What actually differs: the class and what it means, what each one answers, and what a
    client does next.  Never the two descriptions again (they have their own sections)."""
    texts = _class_texts()
    means, after = texts["class_means"], texts["client_next"]
    ka, kb = str(a["class"]), str(b["class"])
    if same:
        lines = [f"Both are {a['class_label']} {kind}s: {means[ka]}."]
    else:
        lines = [f"{a['code']} is a {a['class_label']} {kind}: {means[ka]}; {b['code']} is a "
                 f"{b['class_label']} {kind}: {means[kb]}."]
    lines.append(_answer_difference(a, b))
    if ka == kb:
        lines.append(f"After either, a client {after[ka]}.")
    else:
        lines.append(f"After {a['code']} a client {after[ka]}; after {b['code']} it "
                     f"{after[kb]}.")
    return lines


def _which(a: dict[str, Any], b: dict[str, Any]) -> str:
    """For whoever writes the server side: which to send, by what the client should do."""
    send = _class_texts()["send_when"]
    ka, kb = str(a["class"]), str(b["class"])
    if ka == kb:
        # What each is for is in its name; the commands each answers are a difference above.
        return (f"Both are sent {send[ka]}. Send the one whose name says what happened: "
                f"{a['code']} ({a['name']}) or {b['code']} ({b['name']}).")
    return f"Send {a['code']} {send[ka]}. Send {b['code']} {send[kb]}."


def compare(first: str, second: str, lang: str = "en") -> dict[str, Any]:
    """The comparison page for two codes, basic or enhanced, in ``lang``'s headings."""
    a, b = _side(first, lang), _side(second, lang)
    kind = "response" if a["kind"] == b["kind"] == "basic" else "code"
    same_class = a["class_label"] == b["class_label"]
    if same_class:
        category = (f"Both SMTP {a['code']} ({a['name']}) and {b['code']} ({b['name']}) "
                    f"belong to the {a['class_label']} category.")
        joiner = "Meanwhile"
    else:
        category = (f"SMTP {a['code']} ({a['name']}) is a {a['class_label']} {kind}, while "
                    f"{b['code']} ({b['name']}) is a {b['class_label']} {kind}.")
        joiner = "In contrast"
    summary = f"{category} {_means(a)} {joiner}, {_means(b)}"
    differences = _differences(a, b, kind, same_class)
    which = _which(a, b)
    return {
        "schema": COMPARE_SCHEMA, "lang": lang,
        "title": f"SMTP {a['code']} {a['name']} vs {b['code']} {b['name']}",
        "category": category, "summary": summary, "same_class": same_class,
        "sides": [a, b], "differences": differences, "which": which,
    }
