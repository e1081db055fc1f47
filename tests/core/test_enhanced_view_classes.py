"""``enhanced_view`` over every code a caller may hand it: a class RFC 3463 does not define
(``3.1.1``, ``1.0.0``, ``9.9.9``) is said to be unknown, its subject and detail still read, never
a ``KeyError``; text that is no enhanced code at all is refused with a ``ValueError`` that says
why.  Pure.
"""

from __future__ import annotations

import pytest

from smtpdiag import catalogue
from smtpdiag.core.explain import enhanced_view
from smtpdiag.errors import quoted

CLASS_NOTE = ("RFC 3463 defines classes 2 (success), 4 (persistent transient failure) and 5 "
              "(permanent failure) only: this class is none of them, so the code alone does not "
              "say whether delivery succeeded or failed.")
CLASS_FIX = ("Read the basic reply code in front of it (2xx, 4xx or 5xx) and the server's text: "
             "they say whether to retry; the class of this code says nothing.")


def test_a_registered_detail_under_an_unknown_class_keeps_its_meaning() -> None:
    entry = catalogue.lookup_enhanced("5.1.1")
    assert entry is not None
    assert enhanced_view("3.1.1", "vi") == {
        "code": "3.1.1", "registry_code": "X.1.1", "class": 3,
        "class_name": "Unassigned class 3", "subject_name": "Addressing Status",
        "name": entry.name, "registered": True, "usual_class": False,
        "description": f"{CLASS_NOTE} {entry.description}", "when": entry.when,
        "fix": entry.fix, "fix_server": entry.fix_server, "references": list(entry.references),
    }


@pytest.mark.parametrize(("code", "subject"), [
    ("1.9.999", "9"), ("0.0.99", "0"), ("9.7.300", "7"), ("6.123.4", "123")])
def test_an_unknown_class_and_detail_are_read_by_the_subject(code: str, subject: str) -> None:
    klass, _, detail = code.split(".")
    subjects = catalogue.enhanced_parts()[1]
    name = subjects.get(subject, {}).get("name", f"Unassigned subject {subject}")
    said = subjects.get(subject, {}).get("description",
                                         "This subject number is not assigned by the registry.")
    assert catalogue.lookup_enhanced(code) is None
    assert enhanced_view(code) == {
        "code": code, "registry_code": catalogue.registry_key(code), "class": int(klass),
        "class_name": f"Unassigned class {klass}", "subject_name": name,
        "name": f"{name} (detail {detail} is not registered)", "registered": False,
        "usual_class": False, "description": f"{CLASS_NOTE} {said}",
        "when": "When a server uses a detail number of its own; the class and subject still "
                "say what kind of problem it is.",
        "fix": CLASS_FIX, "fix_server": "",
        "references": ["RFC 3463 §2", "IANA SMTP Enhanced Status Codes registry"],
    }


def test_a_defined_class_still_reads_as_before() -> None:
    view = enhanced_view("4.9.1", "id")
    assert view["class_name"] == catalogue.headings("id")["enhanced_classes"]["4"]
    assert view["description"].startswith(catalogue.enhanced_parts()[0]["4"]["description"])
    assert view["fix"] == catalogue.digits()["fix"]["4"]
    assert enhanced_view("5.1.1")["description"] == catalogue.lookup_enhanced("5.1.1").description


@pytest.mark.parametrize("text", ["5.1", "5.1.1.1", "", "x", "5.a.1", "55.1.1", "5.1234.1",
                                  "5..1", " 5.1.1", "٥.1.1"])
def test_text_that_is_no_enhanced_code_is_refused_by_name(text: str) -> None:
    with pytest.raises(ValueError) as refused:
        enhanced_view(text)
    assert str(refused.value) == (
        f"{quoted(text)} is not an enhanced status code: it must be class.subject.detail, "
        "each a number (RFC 3463 §2)")
