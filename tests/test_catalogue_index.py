"""The catalogue's index (needles + three-letter pieces) only makes matching faster: for any
text it answers exactly what trying every pattern in precedence order answers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from smtpdiag import catalogue
from smtpdiag.catalogue import index
from smtpdiag.catalogue.needles import needles
from smtpdiag.core.bounce import read_diagnostic

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def every_pattern(code: int | None, enhanced: str | None, text: str) -> str | None:
    """The reference: no index, every entry in order, a generic one only as a fallback; a
    name alone (catch_all) unless the text without every name matches another cause."""
    found = first = _every(code, enhanced, text)
    rest = text
    while found is not None and found.catch_all:
        rest = re.sub(found.pattern, " ", rest, flags=re.IGNORECASE | re.DOTALL)
        found = _every(code, enhanced, rest)
        if found is not None and found.generic:
            found = None
    if first is not None and first.catch_all and found is not None \
            and found.reason != first.reason:
        return found.id
    return None if first is None else first.id


def _every(code: int | None, enhanced: str | None, text: str) -> catalogue.ProviderEntry | None:
    fallback = None
    for kind in ("provider", "text"):
        for entry in catalogue.providers():
            if entry.kind == kind and entry.matches(code, enhanced, text):
                if not entry.generic:
                    return entry
                fallback = fallback or entry
    return fallback


def texts() -> list[str]:
    found = [entry.example for entry in catalogue.providers()]
    found += [p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "texts").glob("*.txt"))]
    # the same words in other cases, cut short, and run into other words
    found += [text.upper() for text in found[:80]] + [text[: len(text) // 2] for text in found]
    found += ["x" + text.replace(" ", "") for text in found[:60]]
    # letters that case-insensitive matching takes as others: dotless ı and dotted İ for i,
    # long ſ for s, final ς for σ, the Kelvin sign for k
    found += [text.replace("i", "ı").replace("s", "ſ") for text in found[:40]]
    found += [text.replace("I", "İ").replace("k", "\u212a") for text in found[40:80]]
    found += ["550 ΜΗΝΥΜΑ ΑΠΟΡΡΙΦΘΗΚΕ ΠΟΛΙΤΙΚΗΣ", "550 μήνυμα απορρίφθηκε πολιτικής"]
    return found


@pytest.mark.parametrize("text", texts())
def test_the_index_answers_what_every_pattern_answers(text):
    found = read_diagnostic(text)
    for code in {found.code, None}:
        entry = catalogue.match_provider(code, found.enhanced, found.message)
        assert (entry.id if entry else None) == every_pattern(code, found.enhanced,
                                                              found.message)


def test_needles_are_in_every_match():
    for entry in catalogue.providers():
        found = needles(entry.pattern)
        match = re.search(entry.pattern, read_diagnostic(entry.example).message, re.I | re.S)
        assert match, entry.id
        if found is not None:
            assert any(needle in index.fold(match.group(0)) for needle in found), entry.id


@pytest.mark.parametrize(("pattern", "want"), [
    ("mailbox full", ("mailbox full",)),
    ("(?:user|recipient) (?:is )?unknown", ("unknown",)),
    ("(?:user|recipient)[ ,:]*(?:is )?(?:unknown|gone)", ("user", "recipient")),
    ("a|bc", None),  # a branch too short to be certain
    ("(?:ab)?x", None),
    ("IB\\d{3}", ("ib",)),  # short: its entry is tested always, needle first
    ("邮箱(?:已满|容量不足)", ("邮箱已满", "邮箱容量不足")),  # spelled out
    ("(?:超出|超过)(?:邮箱)?(?:容量|配额)", ("超出容量", "超出配额", "超过容量", "超过配额",
                                   "超出邮箱容量", "超出邮箱配额", "超过邮箱容量", "超过邮箱配额")),
    ("(?:is )?(?:gone|unknown)\\b", ("gone", "unknown")),  # "is gone" holds "gone"
    ("Mailbox (?:is )?VOL\\b|ſpam", ("spam", "mailbox vol", "mailbox is vol")),  # ſ is s
])
def test_needles_of_a_pattern(pattern, want):
    """Needles are case-folded literals every match holds one of, longest first-found."""
    assert needles(pattern) == want


def test_pieces_are_every_run_of_three():
    assert index.pieces("abcd") == {"abc", "bcd"}
    assert index.pieces("ab") == set()
    assert index.pieces("") == set()
    for text in ("", "ab", "abcd", "mailbox ist voll · 邮箱已满", "x" * 5_000 + "yz"):
        assert index._grams(text) == {tuple(piece) for piece in index.pieces(text)}


def test_the_stored_needles_are_the_computed_ones() -> None:
    """needles.json spares a cold explain the parsing of every pattern; stale, it would file an
    edited pattern under needles it no longer has."""
    with open(index.NEEDLES_FILE, encoding="utf-8") as handle:
        stored = json.load(handle)["patterns"]
    assert stored == index.computed_needles(), \
        "catalogue data changed: run `python -m smtpdiag.catalogue.index` to rewrite needles.json"


def test_a_pattern_the_stored_file_does_not_know_is_parsed() -> None:
    index._entries.cache_clear()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(index, "_stored_needles", lambda: {})
            parsed = index._entries()
        index._entries.cache_clear()
        assert parsed == index._entries()
        assert any(found for _, found in parsed)
    finally:
        index._entries.cache_clear()


def test_a_stored_file_of_another_version_is_not_used(tmp_path, monkeypatch) -> None:
    """An older needles.json (needles without their pieces) is ignored, not misread."""
    old = tmp_path / "needles.json"
    old.write_text('{"version": 1, "patterns": {"mailbox full": ["mailbox full"]}}')
    monkeypatch.setattr(index, "NEEDLES_FILE", old)
    assert index._stored_needles() == {}
    old.write_text("{not json")
    assert index._stored_needles() == {}
    index.write_needles()
    assert index._stored_needles() == index.computed_needles()
