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

from collections import Counter
from collections.abc import Iterator
from functools import cache

from . import ProviderEntry, providers
from .needles import needles

__all__ = ["candidates"]

PIECE = 3  # characters of a piece; every needle has at least this many
_Filed = tuple[dict[str, tuple[int, ...]], tuple[int, ...]]


def pieces(lowered: str) -> set[str]:
    """Every run of ``PIECE`` characters of a (lower-cased) text."""
    return {lowered[i:i + PIECE] for i in range(len(lowered) - PIECE + 1)}


@cache
def _entries() -> tuple[tuple[ProviderEntry, tuple[str, ...] | None], ...]:
    return tuple((entry, needles(entry.pattern)) for entry in providers())


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
