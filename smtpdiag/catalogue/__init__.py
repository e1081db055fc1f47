"""The reply-code catalogue: data files in ``data/`` and the one loader that reads them.

The text lives in JSON so that a user can correct it without touching code; this module only
loads, indexes and looks up.  Each file is read on first use (``explain 550`` never pays for the
provider patterns), and compiled patterns are cached.  Nothing here knows about sockets,
terminals or the command line.
"""

from __future__ import annotations

import json
import re
from dataclasses import field
from functools import cache
from pathlib import Path
from typing import Any, cast

from ..languages import LANGUAGES
from ..record import record

__all__ = [
    "DATA_DIR",
    "LANGUAGES",
    "BasicEntry",
    "EnhancedEntry",
    "ProviderEntry",
    "basic_codes",
    "digits",
    "enhanced_codes",
    "enhanced_parts",
    "headings",
    "lookup_basic",
    "lookup_enhanced",
    "match_provider",
    "providers",
    "reasons",
    "registry_key",
    "unassigned_enhanced_class",
]

DATA_DIR = Path(__file__).with_name("data")


@record
class BasicEntry:
    """One three-digit reply code and what it means, per command where that differs."""

    code: int
    name: str
    commands: tuple[str, ...]
    description: str
    when: str
    fix: str
    fix_server: str
    per_command: dict[str, dict[str, str]]
    references: tuple[str, ...]

    @property
    def klass(self) -> int:
        return self.code // 100


@record
class EnhancedEntry:
    """One registry entry of the enhanced status codes, in its ``X.S.D`` form."""

    code: str
    name: str
    basic_codes: tuple[int, ...]
    classes: tuple[int, ...]
    description: str
    when: str
    fix: str
    fix_server: str
    references: tuple[str, ...]


@record
class ProviderEntry:
    """A provider's, MTA's, filter's or block list's reply, or a wording any server uses,
    recognised by a text pattern (and by basic codes, when ``codes`` is not empty).

    ``kind`` is ``provider`` (a provider, MTA, filter or block list: the most specific rule)
    or ``text`` (wording not tied to one product); ``reason`` is a name from ``reasons.json``.
    ``generic`` marks a wording that names a consequence or no cause ("try again later", "retry
    timeout exceeded"): any other entry matching the same text names the cause and wins.
    ``catch_all`` marks a pattern that is a product's or block list's name alone ("websense",
    "spamhaus"): it says who answered, not why, so an entry whose words name another cause
    ("user unknown" in a reply that also names the filter) wins over it, the name's own words
    aside; words that name its own cause ("blocked using") leave it the answer (its fix is the
    more specific), and it wins over a ``generic`` wording.
    """

    id: str
    provider: str
    codes: tuple[int, ...]
    enhanced: str | None
    pattern: str
    name: str
    description: str
    fix: str
    overrides_registry: bool
    registry_note: str
    references: tuple[str, ...]
    example: str
    reason: str = "unknown"
    kind: str = "provider"
    who: str = ""  # who must act, when not the reason's usual party (a receiver's false block)
    generic: bool = False
    catch_all: bool = False
    _compiled: list[re.Pattern[str]] = field(default_factory=list, compare=False, repr=False)

    def matches(self, code: int | None, enhanced: str | None, text: str) -> bool:
        if self.codes and code not in self.codes:
            return False
        if self.enhanced and enhanced and self.enhanced != enhanced:
            return False
        return self._regex().search(text) is not None

    def without_match(self, text: str) -> str:
        """``text`` with what this pattern matches taken out (a name, to read the rest)."""
        return self._regex().sub(" ", text)

    def _regex(self) -> re.Pattern[str]:
        if not self._compiled:
            self._compiled.append(re.compile(self.pattern, re.IGNORECASE | re.DOTALL))
        return self._compiled[0]


def _read(name: str) -> dict[str, Any]:
    with open(DATA_DIR / name, encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


# A probe looks up a few codes, not the catalogue: each entry is made on first use from its
# file's item (making all of them, some 160 records, cost a probe ~2.6 M instructions).
@cache
def _basic_items() -> dict[int, dict[str, Any]]:
    return {item["code"]: item for item in _read("basic.json")["codes"]}


@cache
def _basic_entry(code: int) -> BasicEntry:
    item = _basic_items()[code]
    return BasicEntry(**dict(item, commands=tuple(item["commands"]),
                             references=tuple(item["references"])))


def basic_codes() -> dict[int, BasicEntry]:
    return {code: _basic_entry(code) for code in _basic_items()}


@cache
def _enhanced_file() -> dict[str, Any]:
    return _read("enhanced.json")


@cache
def _enhanced_items() -> dict[str, dict[str, Any]]:
    return {item["code"]: item for item in _enhanced_file()["codes"]}


@cache
def _enhanced_entry(code: str) -> EnhancedEntry:
    item = _enhanced_items()[code]
    return EnhancedEntry(**dict(
        item,
        basic_codes=tuple(item["basic_codes"]),
        classes=tuple(item["classes"]),
        references=tuple(item["references"]),
    ))


def enhanced_codes() -> dict[str, EnhancedEntry]:
    return {code: _enhanced_entry(code) for code in _enhanced_items()}


def enhanced_parts() -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """The class and subject meanings, so an unregistered code is still read by its parts."""
    data = _enhanced_file()
    return data["classes"], data["subjects"]


def unassigned_enhanced_class() -> dict[str, str]:
    """What an enhanced code whose class RFC 3463 does not define (``3.1.1``) can still say."""
    return cast(dict[str, str], _enhanced_file()["unassigned_class"])


PATTERN_DEFAULTS: dict[str, Any] = {
    "codes": [], "enhanced": None, "overrides_registry": False, "registry_note": "",
    "references": [], "example": "", "kind": "provider", "generic": False,
    "catch_all": False,
}


def pattern_files() -> list[Path]:
    """``providers.json`` first, then ``patterns/*.json`` by name: the order of precedence."""
    return [DATA_DIR / "providers.json", *sorted((DATA_DIR / "patterns").glob("*.json"))]


@cache
def providers() -> tuple[ProviderEntry, ...]:
    """Every pattern entry of every pattern file, in file order."""
    entries = []
    for path in pattern_files():
        with open(path, encoding="utf-8") as handle:
            items = json.load(handle)["providers"]
        for item in items:
            item = dict(PATTERN_DEFAULTS, **item)
            entries.append(ProviderEntry(
                **dict(item, codes=tuple(item["codes"]), references=tuple(item["references"]))))
    return tuple(entries)


@cache
def reasons() -> dict[str, Any]:
    """The reason vocabulary and the code-to-reason tables (``reasons.json``)."""
    return _read("reasons.json")


@cache
def digits() -> dict[str, dict[str, str]]:
    return _read("digits.json")


@cache
def _i18n() -> dict[str, dict[str, Any]]:
    languages: dict[str, dict[str, Any]] = _read("i18n.json")["languages"]
    return languages


def headings(lang: str) -> dict[str, Any]:
    """Localized headings and class names; unknown languages fall back to English."""
    table = _i18n()
    return table.get(lang, table["en"])


def registry_key(enhanced: str) -> str:
    """``5.7.1`` -> ``X.7.1``: the registry lists codes without their class."""
    return "X." + enhanced.split(".", 1)[1]


def lookup_basic(code: int) -> BasicEntry | None:
    return _basic_entry(code) if code in _basic_items() else None


def lookup_enhanced(enhanced: str) -> EnhancedEntry | None:
    key = registry_key(enhanced)
    return _enhanced_entry(key) if key in _enhanced_items() else None


def match_provider(code: int | None, enhanced: str | None, text: str,
                   kind: str | None = None) -> ProviderEntry | None:
    """The first entry (``provider`` kind before ``text``, then file order: specific before
    generic) matching this reply; ``kind`` limits the search to one kind.  An entry marked
    ``catch_all`` (a name alone) yields to an entry that names another cause, and one marked
    ``generic`` answers only when no other entry matches."""
    from .index import first_match

    return first_match(code, enhanced, text, kind)
