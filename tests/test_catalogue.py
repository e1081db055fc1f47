"""The catalogue's data: complete, consistent, and loadable by the one loader."""

from __future__ import annotations

import json
import re

import pytest

from smtpdiag import catalogue
from smtpdiag.core.annotate import annotate_reply
from smtpdiag.model import Reply

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
BASIC_KEYS = {"code", "name", "commands", "description", "when", "fix", "fix_server",
              "per_command", "references"}
ENHANCED_KEYS = {"code", "name", "basic_codes", "classes", "description", "when", "fix",
                 "fix_server", "references"}
PROVIDER_KEYS = {"id", "provider", "codes", "enhanced", "pattern", "name", "description", "fix",
                 "overrides_registry", "registry_note", "references", "example", "reason", "kind",
                 "who", "generic", "catch_all"}
PATTERN_REQUIRED = {"id", "provider", "pattern", "name", "description", "fix", "reason",
                    "example"}
# RFC 5321 and the extensions the catalogue must cover.
REQUIRED_BASIC = {211, 214, 220, 221, 235, 250, 251, 252, 334, 354, 421, 432, 450, 451, 452,
                  454, 455, 500, 501, 502, 503, 504, 521, 530, 534, 535, 538, 550, 551, 552,
                  553, 554, 555, 556, 458, 459}
# The IANA registry of enhanced status codes, through X.7.30.
REGISTRY = (
    ["X.0.0"] + [f"X.1.{d}" for d in range(0, 11)] + [f"X.2.{d}" for d in range(0, 5)]
    + [f"X.3.{d}" for d in range(0, 7)] + [f"X.4.{d}" for d in range(0, 8)]
    + [f"X.5.{d}" for d in range(0, 7)] + [f"X.6.{d}" for d in range(0, 11)]
    + [f"X.7.{d}" for d in range(0, 31)]
)


def raw(name: str) -> dict:
    return json.loads((catalogue.DATA_DIR / name).read_text(encoding="utf-8"))


def text_fields(entry: dict) -> list[str]:
    return [v for v in entry.values() if isinstance(v, str)]


def test_every_basic_entry_has_every_field_and_class_matches_first_digit():
    entries = raw("basic.json")["codes"]
    codes = [e["code"] for e in entries]
    assert len(codes) == len(set(codes)), "duplicate basic codes"
    for entry in entries:
        assert set(entry) == BASIC_KEYS, entry["code"]
        for key in ("name", "description", "when", "fix"):
            assert entry[key].strip(), (entry["code"], key)
        assert entry["references"], entry["code"]
        assert 2 <= entry["code"] // 100 <= 5
        assert 0 <= entry["code"] // 10 % 10 <= 5
        for verb, detail in entry["per_command"].items():
            assert verb.isupper() or "-" in verb
            assert detail["meaning"].strip() and detail["fix"].strip()
        assert not any(CONTROL.search(t) for t in text_fields(entry))
    assert set(codes) >= REQUIRED_BASIC


def test_codes_that_change_meaning_by_command_say_so():
    basics = catalogue.basic_codes()
    assert {"STARTTLS", "AUTH"} <= set(basics[454].per_command)
    assert {"MAIL", "DATA-END"} <= set(basics[552].per_command)
    assert len(basics[530].per_command) >= 1



@pytest.mark.parametrize(("code", "enhanced", "step", "name"), [
    (454, "4.7.1", "rcpt", "Relay Access Deferred"),
    (454, "4.7.0", "starttls", "Temporary TLS Or Authentication Failure"),
    (554, None, "greeting", "No SMTP Service Here"),
    (554, "5.7.1", "rcpt", "Transaction Failed"),
])
def test_a_reply_is_named_for_the_command_it_answers(code, enhanced, step, name):
    reply = Reply(code, (f"{enhanced or ''} refused".strip(),), enhanced)
    assert annotate_reply(reply, step).name == name

def test_every_registry_code_is_present_once_with_every_field():
    data = raw("enhanced.json")
    codes = [e["code"] for e in data["codes"]]
    assert len(codes) == len(set(codes))
    assert set(REGISTRY) <= set(codes), sorted(set(REGISTRY) - set(codes))
    for entry in data["codes"]:
        assert set(entry) == ENHANCED_KEYS, entry["code"]
        assert re.fullmatch(r"X\.[0-7]\.\d{1,3}", entry["code"])
        assert set(entry["classes"]) <= {2, 4, 5} and entry["classes"]
        for key in ("name", "description", "when", "fix"):
            assert entry[key].strip(), (entry["code"], key)
        assert not any(CONTROL.search(t) for t in text_fields(entry))
    assert set(data["classes"]) == {"2", "4", "5"}
    assert set(data["subjects"]) == {str(n) for n in range(8)}


def test_provider_entries_are_complete_and_each_matches_its_own_example():
    from smtpdiag.core.bounce import read_diagnostic

    entries = [entry for path in catalogue.pattern_files()
               for entry in json.loads(path.read_text(encoding="utf-8"))["providers"]]
    assert len(entries) >= 60
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    for entry in entries:
        assert PATTERN_REQUIRED <= set(entry) <= PROVIDER_KEYS, entry["id"]
        assert all(400 <= c <= 559 for c in entry.get("codes", [])), entry["id"]
        assert entry.get("kind", "provider") in ("provider", "text"), entry["id"]
        found = read_diagnostic(entry["example"])
        if entry.get("codes"):
            assert found.code in entry["codes"], entry["id"]
        assert re.search(entry["pattern"], found.message, re.I | re.S), entry["id"]
        if entry.get("overrides_registry"):
            assert entry["registry_note"].strip(), entry["id"]


def test_every_pattern_has_a_reason_from_the_vocabulary():
    vocabulary = set(raw("reasons.json")["reasons"])
    for entry in catalogue.providers():
        assert entry.reason in vocabulary, entry.id
    for key, name in raw("reasons.json")["enhanced"].items():
        assert name is None or name in vocabulary, key
    for code, row in raw("reasons.json")["basic"].items():
        assert set(row.values()) <= vocabulary, code


def test_providers_cover_the_big_names():
    names = {e.provider for e in catalogue.providers()}
    for wanted in ("Gmail", "Microsoft 365", "Yahoo", "Postfix", "Exim"):
        assert any(wanted.lower() in n.lower() for n in names), wanted


@pytest.mark.parametrize("lang", catalogue.LANGUAGES)
def test_every_language_has_every_heading(lang):
    english = catalogue.headings("en")
    table = catalogue.headings(lang)
    assert set(table) == set(english)
    assert set(table["classes"]) == {"2", "3", "4", "5"}
    assert all(table[key] for key in english if isinstance(english[key], str))


def test_seed_headings_are_the_catalogue_headings():
    # The seeds in ../shared/seeds use these exact headings.
    assert catalogue.headings("id")["description"] == "Deskripsi"
    assert catalogue.headings("vi")["fix"] == "Cách khắc phục"
    assert catalogue.headings("zh")["differences"] == "主要区别"
    assert catalogue.headings("tr")["which"] == "Hangisini Ne Zaman Kullanmalı"


def test_unknown_language_falls_back_to_english():
    assert catalogue.headings("xx") == catalogue.headings("en")


@pytest.mark.parametrize(("code", "text", "words"), [
    (504, "5.5.2 <foo>: Helo command rejected: need fully-qualified hostname",
     "smtpd_delay_reject"),
    (450, "4.7.25 Client host rejected: cannot find your hostname, [192.0.2.1]",
     "smtpd_delay_reject"),
    (454, "4.7.1 <a@example.org>: Relay access denied", "Relay denied"),
    (450, "4.2.0 <a@example.org>: Recipient address rejected: Greylisted", "greylisting"),
])
def test_rcpt_advice_reads_what_postfix_really_refused(code, text, words):
    reply = Reply(code, (text,), text.split()[0])
    assert any(words in line for line in annotate_reply(reply, "rcpt").advice)


def test_the_languages_the_cli_offers_are_the_ones_the_data_carries():
    import json

    from smtpdiag.languages import LANGUAGES

    table = json.loads((catalogue.DATA_DIR / "i18n.json").read_text(encoding="utf-8"))
    assert set(LANGUAGES) == {"en", *table["languages"]} and LANGUAGES[0] == "en"
