"""``audit --lang``: the report's headings in every language the reply catalogue has (from
catalogue/data/i18n.json, as the seed pages' headings are), the findings' own texts English as
the catalogue's entries are, and ``--json`` the same whatever the language."""

from __future__ import annotations

import json

import pytest
from rich.cells import cell_len

from smtpdiag import catalogue
from smtpdiag.catalogue.audit import area_titles
from tests.auditkit import World
from tests.conftest import assert_no_traceback, run_cli
from tests.terminal import run_in_pty

FIX = {"en": "fix:", "id": "Cara Memperbaiki:", "vi": "Cách khắc phục:", "zh": "如何修复:",
       "tr": "Nasıl Düzeltilir:"}


@pytest.mark.parametrize("lang", catalogue.LANGUAGES)
def test_every_language_has_every_audit_heading(lang):
    english = catalogue.headings("en")["audit"]
    table = catalogue.headings(lang)["audit"]
    assert set(table) - {"areas"} == set(english) - {"areas"}
    assert all(table[key] for key in english if key != "areas")
    if lang != "en":  # English titles are the catalogue's own (audit.json)
        assert set(table["areas"]) == set(area_titles()) and all(table["areas"].values())


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(str(tmp_path_factory.mktemp("lang")))
    try:
        w.smtp("127.0.0.2", "mx.lang.test", tls="none")  # a warning with all its parts
        w.mx("lang.test", (10, "mx.lang.test", "127.0.0.2"))
        w.sender_policies("lang.test")
        yield w
    finally:
        w.close()


@pytest.mark.parametrize("lang", catalogue.LANGUAGES)
def test_the_text_report_in_each_language(world, lang):
    result = run_cli("audit", "lang.test", *world.cli_args(), "--lang", lang)
    assert_no_traceback(result)
    assert result.returncode == 1
    labels = catalogue.headings(lang)["audit"]
    titles = labels.get("areas", area_titles())
    lines = result.stdout.splitlines()
    for name in ("mx", "smtp", "submission"):
        assert any(line.startswith(f"{titles[name]} [") for line in lines), titles[name]
    assert f"      {FIX[lang]} Configure a certificate" in result.stdout  # the text: English
    assert f"      {labels['why']}: " in result.stdout
    assert any(line.startswith(f"{labels['verdict']} WARN") for line in lines)


@pytest.mark.parametrize("columns", [60, 120])
def test_a_translated_report_fits_the_terminal(world, columns):
    screen = run_in_pty("audit", "lang.test", *world.cli_args(), "--lang", "zh",
                        columns=columns)
    assert screen.returncode == 1
    assert max(cell_len(line.rstrip()) for line in screen.text.split("\n")) <= columns
    assert "如何修复:" in screen.text and "\x1b[" in screen.raw


def test_json_does_not_change_with_the_language_and_an_unknown_one_is_refused(world):
    english = json.loads(run_cli("audit", "lang.test", *world.cli_args(), "--json").stdout)
    chinese = json.loads(run_cli("audit", "lang.test", *world.cli_args(), "--json",
                                 "--lang", "zh").stdout)
    for report in (english, chinese):
        report.pop("elapsed_ms"), report.pop("started_at"), report.pop("attempts")
    assert english == chinese
    refused = run_cli("audit", "lang.test", *world.cli_args(), "--lang", "xx")
    assert refused.returncode == 2 and "unknown language" in refused.stderr
