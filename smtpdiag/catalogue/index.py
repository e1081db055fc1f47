"""Which pattern entries can match a text: indexed by code and by three letters each must contain.

Built once per process from ``providers()``.  Every pattern's literal needles (``needles.py``)
give, each, one three-character piece that any text containing the needle contains too; the
rarest such piece (counted over the catalogue's own examples) files the entry.  A text's
three-character pieces are collected once, and only the entries filed under one of them (plus
the few whose pattern has no literal at all) are tried, in precedence order (``provider`` kind
before ``text``, then file order): a text that names no product costs a dictionary lookup per
piece instead of a regular expression per pattern.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from functools import cache

from . import DATA_DIR, ProviderEntry, providers
from .needles import needles

__all__ = ["candidates"]

PIECE = 3  # characters of a piece; every needle has at least this many
_Filed = tuple[dict[str, tuple[int, ...]], tuple[int, ...]]


def pieces(lowered: str) -> set[str]:
    """Every run of ``PIECE`` characters of a (lower-cased) text."""
    return {lowered[i:i + PIECE] for i in range(len(lowered) - PIECE + 1)}


NEEDLES_FILE = DATA_DIR / "needles.json"


def computed_needles() -> dict[str, list[str] | None]:
    """Every catalogue pattern's needles, worked out by parsing it (what ``needles.json``
    stores; ``python -m smtpdiag.catalogue.index`` rewrites that file after a data change)."""
    return {entry.pattern: (None if (found := needles(entry.pattern)) is None else list(found))
            for entry in providers()}


def _stored_needles() -> dict[str, list[str] | None]:
    """The needles stored beside the data: parsing 450 patterns costs a cold ``explain`` about
    0.2 s, three times the rest of its work.  A missing or unreadable file only costs time."""
    try:
        with open(NEEDLES_FILE, encoding="utf-8") as handle:
            stored: dict[str, list[str] | None] = json.load(handle)["patterns"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return stored if isinstance(stored, dict) else {}


@cache
def _entries() -> tuple[tuple[ProviderEntry, tuple[str, ...] | None], ...]:
    stored = _stored_needles()

    def found(pattern: str) -> tuple[str, ...] | None:
        if pattern in stored:  # a pattern edited since the file was written is parsed anew
            known = stored[pattern]
            return None if known is None else tuple(known)
        return needles(pattern)

    return tuple((entry, found(entry.pattern)) for entry in providers())


@cache
def _frequency() -> Counter[str]:
    """How often each piece occurs in the catalogue's example replies: a stand-in for real
    text, so that an entry is filed under a piece that ordinary replies seldom contain."""
    counts: Counter[str] = Counter()
    for entry, _ in _entries():
        counts.update(pieces(entry.example.lower()))
    return counts


@cache
def _piece(needle: str) -> str:
    frequency = _frequency()
    return min(pieces(needle), key=lambda piece: (frequency[piece], piece))


@cache
def _filed(code: int | None, kind: str) -> _Filed:
    """For the entries of one kind that may answer ``code``: piece -> entry numbers, and the
    numbers of entries that have to be tried always."""
    by_piece: dict[str, list[int]] = {}
    always: list[int] = []
    for number, (entry, found) in enumerate(_entries()):
        if entry.kind != kind or (entry.codes and code not in entry.codes):
            continue
        if not found:
            always.append(number)
            continue
        for piece in dict.fromkeys(_piece(needle) for needle in found):
            by_piece.setdefault(piece, []).append(number)
    return {piece: tuple(numbers) for piece, numbers in by_piece.items()}, tuple(always)


def candidates(code: int | None, text: str, kind: str | None = None) -> Iterator[ProviderEntry]:
    lowered = text.lower()
    present = pieces(lowered)
    entries = _entries()
    for each in (kind,) if kind else ("provider", "text"):
        by_piece, always = _filed(code, each)
        numbers = set(always)
        for piece in present & by_piece.keys():
            numbers.update(by_piece[piece])
        for number in sorted(numbers):
            entry, found = entries[number]
            if found is None or any(needle in lowered for needle in found):
                yield entry


if __name__ == "__main__":  # python -m smtpdiag.catalogue.index: rewrite needles.json
    with open(NEEDLES_FILE, "w", encoding="utf-8") as out:
        json.dump({"version": 1, "patterns": computed_needles()}, out, ensure_ascii=False,
                  indent=0, sort_keys=True)
        out.write("\n")
