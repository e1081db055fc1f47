"""Compare two codes side by side, in the shape of the catalogue's comparison pages.

Pure: two codes in, one dict out (schema ``smtpdiag/schema/compare.schema.json``).  Headings and
class names come from the catalogue's translations; the sentences stay English for now, as the
entry text does.
"""

from __future__ import annotations

from typing import Any

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
        "references": view["references"],
    }


_LEADS = ("after", "when", "whenever", "right", "immediately", "during", "at", "before", "on",
          "in", "while", "if", "only", "as", "once", "upon")


def _encounter(side: dict[str, Any]) -> str:
    """"You encounter 250 after …": continue the sentence into the entry's "when" text."""
    when = side["when"].strip()
    if not when:
        return ""
    lead = when.split(" ", 1)[0].lower()
    joined = _lower_first(when) if lead in _LEADS else f"when {_lower_first(when)}"
    return f"You encounter {side['code']} {joined}"


def _means(side: dict[str, Any]) -> str:
    """"211 is a status report …" or "250 means that the requested action …"."""
    text = side["description"]
    if text.startswith(("A ", "An ")):
        return f"{side['code']} is {_lower_first(text)}"
    return f"{side['code']} means that {_lower_first(text)}"


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
    differences = []
    if not same_class:
        differences.append(f"{a['code']} is a {a['class_label']} {kind}, while {b['code']} is a "
                           f"{b['class_label']} {kind}.")
    differences += [f"SMTP {side['code']}: {side['description']}" for side in (a, b)]
    differences += [line for line in (_encounter(a), _encounter(b)) if line]
    which = (f"For {a['code']} ({a['name']}): {a['fix']} "
             f"For {b['code']} ({b['name']}): {b['fix']}")
    return {
        "schema": COMPARE_SCHEMA, "lang": lang,
        "title": f"SMTP {a['code']} {a['name']} vs {b['code']} {b['name']}",
        "category": category, "summary": summary, "same_class": same_class,
        "sides": [a, b], "differences": differences, "which": which,
    }
