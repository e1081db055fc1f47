"""Literal words a pattern cannot match without, so most patterns are skipped by a substring test.

Matching several hundred regular expressions against every text, one after the other, costs
about a millisecond a text; ``--lines`` must read thousands a second.  Every pattern here is
compiled case-insensitively, so the literal runs that any match must contain are found once (from
the regex's parse tree) and lower-cased; a text is only searched with a pattern when one of its
runs is a substring of the lower-cased text.  A pattern with no such run is always tried.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

__all__ = ["needles"]

# The regex parser is private (``re._parser`` since 3.11); its tree format has been stable
# since Python 2.  Should it ever change, ``needles`` answers None and every pattern is tried.
_p: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

MIN_NEEDLE = 3


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
            current.append(chr(arg).lower())
            continue
        close()
        if op is _c.SUBPATTERN:
            runs.extend(_runs(arg[-1]))
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and arg[0] >= 1:
            runs.extend(_runs(arg[2]))
    close()
    return runs


def _alternatives(items: Any) -> list[str] | None:
    """The needle set of a sequence: one run it must contain, else the alternatives of one of
    its groups (``(?:user|recipient) unknown``: each branch a needle of its own); ``None``
    when nothing is certain."""
    runs = [run for run in _runs(items) if len(run.strip()) >= MIN_NEEDLE]
    if runs:
        return [max(runs, key=len)]
    best: list[str] | None = None
    for op, arg in items:
        found = None
        if op is _c.SUBPATTERN:
            found = _alternatives(arg[-1])
        elif op is _c.BRANCH:
            found = _branches(arg[1])
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and arg[0] >= 1:
            found = _alternatives(arg[2])
        if found and (best is None or min(map(len, found)) > min(map(len, best))):
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
    """Lower-cased literals of which a match contains at least one; ``None``: try always."""
    try:
        tree = _p.parse(pattern, re.IGNORECASE)
    except Exception:  # a private parser that may change between Pythons: then scan always
        return None
    found = _alternatives(list(tree))
    return None if found is None else tuple(found)
