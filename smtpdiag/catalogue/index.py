"""Which pattern entries can match a text: indexed by code and by three letters each must contain.

Every pattern's literal needles (``needles.py``) give, each, one three-character piece that any
text containing the needle contains too: the rarest of the needle's pieces, counted over the
catalogue's own examples.  A text's three-character pieces are collected once, and only the
entries filed under one of them (plus the few whose pattern has no literal at all) are tried, in
precedence order (``provider`` kind before ``text``, then file order): a text that names no
product costs a set intersection instead of a regular expression per pattern.

Parsing 450 patterns and counting the examples' pieces would cost a cold ``explain`` more than
the rest of its work, so both answers are stored in ``data/needles.json``:
``python -m smtpdiag.catalogue.index`` rewrites it after a data change, and a test fails while
it is stale.  A pattern the file does not know (edited since) is parsed anew: a stale file costs
time, never a wrong answer.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache

from . import DATA_DIR, ProviderEntry, providers

__all__ = ["computed_needles", "first_match", "pieces", "write_needles"]

PIECE = 3  # characters of a piece; every needle has at least this many
NEEDLES_FILE = DATA_DIR / "needles.json"
NEEDLES_VERSION = 3
# (needle, the piece it is filed under, or None for a needle shorter than a piece: its entry is
# tested always, needle first); None for the whole: the pattern has no literal, always tried
Filing = tuple[tuple[str, str | None], ...] | None
_Filed = tuple[dict[tuple[str, ...], tuple[int, ...]], tuple[int, ...]]


def _case_folds() -> tuple[dict[int, str], dict[int, str]]:
    """What case-insensitive matching takes as equal beyond ``str.lower``: ``re`` lower-cases
    one character at a time (İ is i, where ``str.lower`` gives i and a combining dot) and takes
    some characters as equal to others (ı and i, ſ and s, ς and σ: ``re._casefix``).  Each
    such group is folded to its first character, which for ASCII is the letter itself."""
    try:
        from re._casefix import _EXTRA_CASES
    except ImportError:  # private: without it, those few characters only miss the index
        return {}, {}
    groups: dict[int, str] = {}
    for code, others in _EXTRA_CASES.items():
        groups[code] = chr(min(code, *others))
    return {0x130: "i"}, groups


_BEFORE, _FOLDS = _case_folds()


def fold(text: str) -> str:
    """``text`` as case-insensitive matching sees it: lower-cased, and folded where ``re``
    takes other characters as equal (only a text that is not ASCII can hold any)."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    return text.translate(_BEFORE).lower().translate(_FOLDS)


def pieces(lowered: str) -> set[str]:
    """Every run of ``PIECE`` characters of a (lower-cased) text."""
    return {lowered[i:i + PIECE] for i in range(len(lowered) - PIECE + 1)}


def _grams(lowered: str) -> set[tuple[str, ...]]:
    """A text's pieces as tuples of characters, the form the index looks them up in: ``zip``
    makes them in C from characters Python keeps made, about twice as fast as slicing out
    strings (``--lines`` makes them for every text)."""
    return set(zip(lowered, lowered[1:], lowered[2:], strict=False))


@cache
def _frequency() -> Counter[str]:
    """How often each piece occurs in the catalogue's example replies: a stand-in for real
    text, so that an entry is filed under a piece that ordinary replies seldom contain."""
    counts: Counter[str] = Counter()
    for entry in providers():
        counts.update(pieces(fold(entry.example)))
    return counts


def _filing(pattern: str) -> Filing:
    """The pattern's needles, each with the piece it is filed under, worked out by parsing."""
    from .needles import needles  # only for a pattern needles.json does not know

    found = needles(pattern)
    if found is None:
        return None
    frequency = _frequency()
    return tuple((needle, min(pieces(needle), key=lambda piece: (frequency[piece], piece),
                              default=None))
                 for needle in found)


def computed_needles() -> dict[str, list[list[str | None]] | None]:
    """Every catalogue pattern's ``[needle, piece]`` pairs, as ``needles.json`` stores them."""
    return {entry.pattern: (None if (filing := _filing(entry.pattern)) is None
                            else [list(pair) for pair in filing])
            for entry in providers()}


def _stored_needles() -> dict[str, list[list[str | None]] | None]:
    """What ``needles.json`` says; a missing, unreadable or older file only costs time."""
    try:
        with open(NEEDLES_FILE, encoding="utf-8") as handle:
            data = json.load(handle)
        stored: dict[str, list[list[str | None]] | None] = data["patterns"]
        if data["version"] != NEEDLES_VERSION or not isinstance(stored, dict):
            return {}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return stored


@cache
def _entries() -> tuple[tuple[ProviderEntry, Filing], ...]:
    stored = _stored_needles()

    def filing(pattern: str) -> Filing:
        if pattern in stored:  # a pattern edited since the file was written is parsed anew
            known = stored[pattern]
            return None if known is None else tuple((str(needle), piece) for needle, piece in known)
        return _filing(pattern)

    return tuple((entry, filing(entry.pattern)) for entry in providers())


@cache
def _filed(code: int | None, kind: str) -> _Filed:
    """For the entries of one kind that may answer ``code``: piece -> entry numbers, and the
    numbers of entries that have to be tried always."""
    by_piece: dict[tuple[str, ...], list[int]] = {}
    always: list[int] = []
    for number, (entry, found) in enumerate(_entries()):
        if entry.kind != kind or (entry.codes and code not in entry.codes):
            continue
        if not found or any(piece is None for _, piece in found):
            always.append(number)
            continue
        for piece in dict.fromkeys(piece for _, piece in found if piece is not None):
            by_piece.setdefault(tuple(piece), []).append(number)
    return {piece: tuple(numbers) for piece, numbers in by_piece.items()}, tuple(always)


@cache
def _needles() -> tuple[tuple[str, ...] | None, ...]:
    """Each entry's needles alone, by entry number (what ``first_match`` tests a text for)."""
    return tuple(None if found is None else tuple(needle for needle, _ in found)
                 for _, found in _entries())


@cache
def _keys(code: int | None, kind: str) -> frozenset[tuple[str, ...]]:
    """The pieces entries are filed under, as a set: a set intersected with a dict walks the
    whole dict, with a set only the smaller of the two."""
    return frozenset(_filed(code, kind)[0])


def _numbers(code: int | None, kind: str, present: set[tuple[str, ...]]
             ) -> tuple[int, ...] | list[int]:
    """The numbers of the entries of one kind filed under a piece the text has, in order."""
    by_piece, always = _filed(code, kind)
    hits = present.intersection(_keys(code, kind))
    if not always and len(hits) <= 1:  # the usual case: no set to build, no sort
        return by_piece[hits.pop()] if hits else ()
    numbers = set(always)
    for piece in hits:
        numbers.update(by_piece[piece])
    return sorted(numbers)


def first_match(code: int | None, enhanced: str | None, text: str,
                kind: str | None = None) -> ProviderEntry | None:
    """What ``catalogue.match_provider`` answers (see there), trying only the candidates: the
    entries filed under a piece of the text, and of those only the ones whose needle the text
    contains, each in precedence order.

    A name alone (``catch_all``) that matches first answers only if the rest of the text, the
    name taken out, names no other cause: "User unknown (websense)" is a missing mailbox, and
    "blocked using Barracuda Reputation" is not read as "reputation" for the name's own word.
    """
    found, fallback = _first(code, enhanced, text, kind)
    if found is not None and found.catch_all:
        other = _beside_names(found, code, enhanced, text, kind)
        if other is not None and other.reason != found.reason:
            return other
    return found or fallback


MAX_NAMES = 8  # names alone taken out of one text before the rest is read


def _beside_names(name: ProviderEntry, code: int | None, enhanced: str | None, text: str,
                  kind: str | None) -> ProviderEntry | None:
    """The first entry that is not a name alone matching what is left of ``text`` once every
    name is taken out ("zrd.spamhaus.org Zero Reputation Domain" holds two)."""
    rest = text
    for _ in range(MAX_NAMES):
        rest = name.without_match(rest)
        found = _first(code, enhanced, rest, kind)[0]
        if found is None or not found.catch_all:
            return found
        name = found
    return None


def _first(code: int | None, enhanced: str | None, text: str, kind: str | None
           ) -> tuple[ProviderEntry | None, ProviderEntry | None]:
    """The first entry that matches and is not generic, and the first generic one before it."""
    lowered = fold(text)
    present = _grams(lowered)
    entries = _entries()
    needles_of = _needles()
    fallback = None
    for each in (kind,) if kind else ("provider", "text"):
        for number in _numbers(code, each, present):
            found = needles_of[number]
            if found is not None:
                for needle in found:
                    if needle in lowered:
                        break
                else:
                    continue
            entry = entries[number][0]
            if (fallback is None or not entry.generic) and entry.matches(code, enhanced, text):
                if not entry.generic:
                    return entry, fallback
                fallback = entry
    return None, fallback


def write_needles() -> None:
    """Rewrite ``needles.json`` from the catalogue as it is now: one pattern a line, sorted, so
    that a change reads as the lines of the patterns it touched."""
    lines = [f"{json.dumps(pattern, ensure_ascii=False)}: {json.dumps(filing, ensure_ascii=False)}"
             for pattern, filing in sorted(computed_needles().items())]
    with open(NEEDLES_FILE, "w", encoding="utf-8") as out:
        out.write(f'{{"version": {NEEDLES_VERSION}, "patterns": {{\n' + ",\n".join(lines)
                  + "\n}}\n")


if __name__ == "__main__":  # python -m smtpdiag.catalogue.index: rewrite needles.json
    write_needles()
