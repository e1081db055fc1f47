"""``basic_view`` over every number a caller may hand it: each code from 200 to 599 has a
view (a middle digit RFC 5321 leaves unused, as in ``470``, is read by its class), and any
other number is refused with a ``ValueError`` that says why, never a ``KeyError``.  Pure.
"""

from __future__ import annotations

import pytest

from smtpdiag import catalogue
from smtpdiag.core.explain import basic_view

UNUSED_MIDDLE = [470, 296, 389, 567, 599, 260, 580]


@pytest.mark.parametrize("code", UNUSED_MIDDLE)
def test_a_middle_digit_past_5_is_read_by_the_class(code: int) -> None:
    assert catalogue.lookup_basic(code) is None
    digits = catalogue.digits()
    klass = str(code)[0]
    view = basic_view(code, "tr")
    assert view == {
        "code": code, "class": int(klass), "class_name": catalogue.headings("tr")["classes"][klass],
        "name": f"Unassigned {klass}xx reply", "known": False,
        "description": f"{digits['first'][klass]} RFC 5321 allows middle digits 0 to 5 only: "
                       "this one says nothing, so only the first digit can be read.",
        "when": "When a server uses a code that no RFC known to this catalogue defines; "
                "RFC 5321 tells a client to read such a code by its first digit.",
        "fix": digits["fix"][klass], "fix_server": "", "commands": [], "per_command": {},
        "references": ["RFC 5321 §4.2.1"],
    }


def test_470_says_try_again_later() -> None:
    view = basic_view(470)
    assert view["class_name"] == "Transient Negative Completion"
    assert view["description"].startswith("The command was not accepted this time, but the "
                                          "condition is temporary")
    assert view["fix"].startswith("Retry later")


@pytest.mark.parametrize("code", [200, 599])
def test_the_first_and_last_codes_have_a_view(code: int) -> None:
    assert basic_view(code)["class"] == code // 100


@pytest.mark.parametrize("code", [199, 600, 0, 99, 170, 650, 1000, 5500, -550])
def test_a_number_outside_the_reply_classes_is_refused_by_name(code: int) -> None:
    with pytest.raises(ValueError) as refused:
        basic_view(code)
    assert str(refused.value) == (f"{code} is not an SMTP reply code: it must be 200-599 "
                                  "(RFC 5321 §4.2)")
