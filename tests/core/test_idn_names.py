"""``core/targets``: an internationalized name as a person reads it (``shown_domain``: its
U-labels, then the A-labels the DNS holds), and a target whose label only poses as an
A-label (``xn--`` that IDNA does not decode) refused with a usage error naming it, with a
port or without, in any case.  Pure (audit's and probe's CLI tests of these run in a
subprocess, outside the mutation selection)."""

from __future__ import annotations

import re

import pytest

from smtpdiag.core.targets import parse_target, shown_domain
from smtpdiag.errors import TargetError


@pytest.mark.parametrize(("name", "shown"), [
    ("example.com", "example.com"),
    ("mx-1.example", "mx-1.example"),
    ("xn--bcher-kva.example", "bücher.example (xn--bcher-kva.example)"),
    ("mail.xn--bcher-kva.example", "mail.bücher.example (mail.xn--bcher-kva.example)"),
    ("XN--BCHER-KVA.example", "bücher.example (XN--BCHER-KVA.example)"),
    ("xn--zz.example", "xn--zz.example"),  # a fake A-label: shown as sent
])
def test_an_idn_is_shown_by_its_u_labels_then_its_a_labels(name: str, shown: str) -> None:
    assert shown_domain(name) == shown


@pytest.mark.parametrize(("text", "name"), [
    ("xn--zz.example", "xn--zz.example"),
    ("mx.xn--zz.example:25", "mx.xn--zz.example"),
    ("XN--ZZ.example", "xn--zz.example"),
])
def test_a_label_posing_as_an_a_label_is_refused_naming_it(text: str, name: str) -> None:
    with pytest.raises(TargetError, match="^" + re.escape(
            f"target '{text}': the name '{name}' has no IDNA A-label (Invalid A-label), so it "
            "cannot be sent to a server")):
        parse_target(text)


def test_real_a_labels_and_hyphens_pass() -> None:
    assert parse_target("xn--bcher-kva.example:2525").host == "xn--bcher-kva.example"
    assert parse_target("mx-1.example:25").host == "mx-1.example"
