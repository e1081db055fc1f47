"""Literal words a pattern cannot match without, so most patterns are skipped by a substring test.

Matching several hundred regular expressions against every text, one after the other, costs
about a millisecond a text; ``--lines`` must read thousands a second.  Every pattern here is
compiled case-insensitively, so the literal runs that any match must contain are found once (from
the regex's parse tree) and case-folded as ``index.fold`` folds a text; a text is only searched
with a pattern when one of its needles is a substring of the folded text.  A pattern with no
such needle is always tried.

Where no single run is long enough, a short stretch of groups, alternatives and optional parts
is spelled out (``邮箱(?:已满|容量不足)``: 邮箱已满, 邮箱容量不足): words in scripts without spaces
are short, and a pattern tried for every text costs far more than a few substring tests.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

from .index import fold

__all__ = ["needles"]

# The regex parser is private (``re._parser`` since 3.11); its tree format has been stable
# since Python 2.  Should it ever change, ``needles`` answers None and every pattern is tried.
_p: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

MIN_NEEDLE = 3  # characters (spaces aside) of a needle the index can file under a piece
MIN_SHORT = 2  # shorter needles still spare a regex search; their entries are tested always
MAX_SPELLED = 32  # strings a stretch of groups and alternatives may spell out


def _runs(items: Any) -> list[str]:
    """Literal runs of one sequence; only what every match must contain."""
    runs: list[str] = []
    current: list[str] = []

    def close() -> None:
        if current:
            runs.append("".join(current))
            current.clear()

    for op, arg in items:
        if op is _c.LITERAL:
            current.append(fold(chr(arg)))
            continue
        close()
        if op is _c.SUBPATTERN:
            runs.extend(_runs(arg[-1]))
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and arg[0] >= 1:
            runs.extend(_runs(arg[2]))
    close()
    return runs


def _spelled(items: Any) -> list[str] | None:
    """Every string a sequence can match, when that is a few literal strings (groups,
    alternatives and optional parts of literals); None otherwise."""
    found = [""]
    for op, arg in items:
        options: list[str] | None
        if op is _c.LITERAL:
            options = [fold(chr(arg))]
        elif op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            continue  # zero-width: what stands on either side is still contiguous
        elif op is _c.IN:  # [ab], or what the parser makes of 超出|超过: 超 then [出过]
            if not all(kind is _c.LITERAL for kind, _ in arg):
                return None
            options = sorted({fold(chr(code)) for _, code in arg})
        elif op is _c.SUBPATTERN:
            options = _spelled(arg[-1])
        elif op is _c.BRANCH:
            options = []
            for branch in arg[1]:
                spelled = _spelled(branch)
                if spelled is None:
                    return None
                options.extend(spelled)
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and (arg[0], arg[1]) == (0, 1):
            options = _spelled(arg[2])
            options = None if options is None else ["", *options]
        else:
            return None
        if options is None:
            return None
        found = [head + tail for head in found for tail in options]
        if len(found) > MAX_SPELLED:
            return None
    return found


def _stretches(items: Any) -> list[list[str]]:
    """The needle sets of a sequence's stretches that can be spelled out, the shortest
    strings of each dropped where a longer one contains them (``is gone`` holds ``gone``)."""
    found: list[list[str]] = []
    start = 0
    for end in range(len(items) + 1):
        if end < len(items) and _spelled([items[end]]) is not None:
            continue
        if end > start:
            spelled = _spelled(items[start:end])
            if spelled:
                unique = sorted(set(spelled), key=lambda text: (len(text), text))
                found.append([s for n, s in enumerate(unique)
                              if not any(other in s for other in unique[:n])])
        start = end + 1
    return found


def _shortest(found: list[str]) -> int:
    return min(len(needle.strip()) for needle in found)


def _alternatives(items: Any) -> list[str] | None:
    """The needle set of a sequence: one run it must contain, else the alternatives of a
    stretch or of one of its groups (``(?:user|recipient) unknown``: each branch a needle of
    its own); ``None`` when nothing is certain."""
    runs = [run for run in _runs(items) if len(run.strip()) >= MIN_NEEDLE]
    if runs:
        return [max(runs, key=len)]
    best: list[str] | None = None
    candidates = list(_stretches(items))
    for op, arg in items:
        if op is _c.SUBPATTERN:
            candidates.append(_alternatives(arg[-1]) or [])
        elif op is _c.BRANCH:
            candidates.append(_branches(arg[1]) or [])
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and arg[0] >= 1:
            candidates.append(_alternatives(arg[2]) or [])
    for found in candidates:
        if found and _shortest(found) >= MIN_SHORT and (
                best is None or _shortest(found) > _shortest(best)):
            best = found
    return best


def _branches(branches: Any) -> list[str] | None:
    found: list[str] = []
    for branch in branches:
        sub = _alternatives(branch)
        if sub is None:
            return None
        found.extend(sub)
    return found


def needles(pattern: str) -> tuple[str, ...] | None:
    """Case-folded literals of which a match contains at least one; ``None``: try always."""
    try:
        tree = _p.parse(pattern, re.IGNORECASE)
    except Exception:  # a private parser that may change between Pythons: then scan always
        return None
    found = _alternatives(list(tree))
    return None if found is None else tuple(dict.fromkeys(found))
