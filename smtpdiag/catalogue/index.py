"""Which pattern entries can match a text: indexed by code, filtered by literal needles.

Built once per process from ``providers()``; ``candidates`` yields entries in precedence order
(``provider`` kind before ``text``, then file order), skipping every entry whose needles are
all absent from the text, so a text that names no product costs a few hundred substring tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from . import ProviderEntry, providers
from .needles import needles

__all__ = ["candidates"]

_Indexed = tuple[tuple[ProviderEntry, tuple[str, ...] | None], ...]


@cache
def _by_code() -> dict[int | None, dict[str, _Indexed]]:
    """code -> kind -> entries with their needles; key ``None``: entries for any code."""
    index: dict[int | None, dict[str, list[tuple[ProviderEntry, tuple[str, ...] | None]]]] = {}
    for entry in providers():
        item = (entry, needles(entry.pattern))
        for code in entry.codes or (None,):
            index.setdefault(code, {}).setdefault(entry.kind, []).append(item)
    return {code: {kind: tuple(items) for kind, items in kinds.items()}
            for code, kinds in index.items()}


@cache
def _merged(code: int | None, kind: str) -> _Indexed:
    """Entries for this code and for any code, in file order."""
    index = _by_code()
    own = index.get(code, {}).get(kind, ()) if code is not None else ()
    anyc = index.get(None, {}).get(kind, ())
    order = {id(entry): n for n, entry in enumerate(providers())}
    return tuple(sorted(own + anyc, key=lambda item: order[id(item[0])]))


def candidates(code: int | None, text: str, kind: str | None = None) -> Iterator[ProviderEntry]:
    lowered = text.lower()
    for each in (kind,) if kind else ("provider", "text"):
        for entry, words in _merged(code, each):
            if words is None or any(word in lowered for word in words):
                yield entry
