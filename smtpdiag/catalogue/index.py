"""Which pattern entries can match a text: indexed by code and by a word each must contain.

Built once per process from ``providers()``.  Every pattern's literal needles (``needles.py``)
give one whole word that any match contains (a word inside the needle, bounded on both sides);
an entry is filed under those words.  A text's words are collected once, and only the entries
filed under one of them (plus the few with no such word) are tried, in precedence order
(``provider`` kind before ``text``, then file order): a text that names no product costs a set
lookup per word instead of a substring test per pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from . import ProviderEntry, providers
from .needles import needles

__all__ = ["candidates"]

_WORD = re.compile(r"\w+")
PART = 3  # letters of a partial word used as a key
_Filed = tuple[dict[str, tuple[int, ...]], tuple[int, ...]]


def _key(needle: str) -> str | None:
    """A key that the words of any text containing ``needle`` produce (see ``_text_keys``):
    a word inside the needle (``w:``), else the start of its last word (``p:``) or the end of
    its first (``s:``), which a text's word begins or ends with."""
    parts: list[str] = _WORD.findall(needle)
    if not parts:
        return None
    starts_inside = needle[0].isalnum() or needle[0] == "_"
    ends_inside = needle[-1].isalnum() or needle[-1] == "_"
    whole = parts[1:-1] if len(parts) > 2 else []
    if not starts_inside and len(parts) > 1:
        whole.append(parts[0])
    if not ends_inside and len(parts) > 1:
        whole.append(parts[-1])
    if len(parts) == 1 and not starts_inside and not ends_inside:
        whole.append(parts[0])
    if whole:
        return "w:" + max(whole, key=len)
    if len(parts) > 1 and len(parts[-1]) >= PART:
        return "p:" + parts[-1][:PART]
    if len(parts) > 1 and len(parts[0]) >= PART:
        return "s:" + parts[0][-PART:]
    return None


def _text_keys(lowered: str) -> set[str]:
    keys = set()
    for word in _WORD.findall(lowered):
        keys.add("w:" + word)
        if len(word) >= PART:
            keys.add("p:" + word[:PART])
            keys.add("s:" + word[-PART:])
    return keys


@cache
def _entries() -> tuple[tuple[ProviderEntry, tuple[str, ...] | None], ...]:
    return tuple((entry, needles(entry.pattern)) for entry in providers())


@cache
def _filed(code: int | None, kind: str) -> _Filed:
    """For the entries of one kind that may answer ``code``: word -> entry numbers, and the
    numbers of entries that have to be tried always."""
    by_word: dict[str, list[int]] = {}
    always: list[int] = []
    for number, (entry, words) in enumerate(_entries()):
        if entry.kind != kind or (entry.codes and code not in entry.codes):
            continue
        keys = [_key(word) for word in words] if words else [None]
        if None in keys:
            always.append(number)
            continue
        for key in dict.fromkeys(keys):
            by_word.setdefault(str(key), []).append(number)
    return {word: tuple(numbers) for word, numbers in by_word.items()}, tuple(always)


def candidates(code: int | None, text: str, kind: str | None = None) -> Iterator[ProviderEntry]:
    lowered = text.lower()
    words = _text_keys(lowered)
    entries = _entries()
    for each in (kind,) if kind else ("provider", "text"):
        by_word, always = _filed(code, each)
        numbers = set(always)
        for word in words & by_word.keys():
            numbers.update(by_word[word])
        for number in sorted(numbers):
            entry, found = entries[number]
            if found is None or any(needle in lowered for needle in found):
                yield entry
