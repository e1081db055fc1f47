"""An internationalized domain in ``audit``: the DNS holds its A-labels, a person reads its
U-labels, so the heading and the summary (text, JSON, check's audit line) show both."""

from __future__ import annotations

import json

import pytest

from smtpdiag.core.targets import shown_domain
from tests.auditkit import World
from tests.conftest import assert_no_traceback, run_cli


@pytest.mark.parametrize(("name", "shown"), [
    ("xn--bcher-kva.example", "bücher.example (xn--bcher-kva.example)"),
    ("mx.XN--BCHER-KVA.example", "mx.bücher.example (mx.XN--BCHER-KVA.example)"),
    ("example.com", "example.com"),
    ("xn--zz.example", "xn--zz.example"),  # no A-label at all: shown as it is
])
def test_shown_domain(name: str, shown: str) -> None:
    assert shown_domain(name) == shown


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(str(tmp_path_factory.mktemp("idn")))
    w.add("xn--bcher-kva.test", "MX", "0 .")
    try:
        yield w
    finally:
        w.close()


@pytest.mark.parametrize("typed", ["bücher.test", "xn--bcher-kva.test"])
def test_audit_names_an_idn_by_both_labels(world, typed: str) -> None:
    result = run_cli("audit", typed, *world.cli_args())
    assert_no_traceback(result)
    lines = result.stdout.splitlines()
    assert lines[0] == "smtpdiag audit bücher.test (xn--bcher-kva.test)", result.stdout
    assert " bücher.test (xn--bcher-kva.test): " in lines[-1], lines[-1]
    document = json.loads(run_cli("audit", typed, "--json", *world.cli_args()).stdout)
    assert document["domain"] == "xn--bcher-kva.test"
    assert document["summary"].startswith("bücher.test (xn--bcher-kva.test): ")
