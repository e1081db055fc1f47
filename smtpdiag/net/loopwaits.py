"""Many waits of the same length under way at once, ended by one timer per event loop.

A fleet has hundreds of walks each waiting a fixed time for something that nearly always comes
first: a greeting before the silence that makes us try implicit TLS, a server hanging up after
QUIT.  A timer set and cancelled for every such wait cost about 10k instructions a probe on
uvloop (callgrind); here a wait is a deque entry, and one timer, set for the oldest entry, is
moved on to the next each time it fires.  Waits of one ``LoopWaits`` end in the order they
began, so every caller of one gives the same length (a shorter one would end no earlier than
those before it).
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["LoopWaits", "loop_waits"]


class LoopWaits:
    """Entries ``[due, fire, arg]``: ``fire(arg)`` runs once ``due`` has passed, unless
    ``drop`` took the entry back first.  ``slack`` lets the timer fire that much late, so that
    one firing serves the waits that end just after the oldest."""

    def __init__(self, loop: asyncio.AbstractEventLoop, slack: float = 0.0) -> None:
        self.loop = loop
        self.slack = slack
        self.waiting: deque[list[Any]] = deque()
        self.timer: asyncio.TimerHandle | None = None

    def add(self, wait: float, fire: Callable[[Any], object], arg: object) -> list[Any]:
        due = self.loop.time() + wait
        entry = [due, fire, arg]
        self.waiting.append(entry)
        if self.timer is None:
            self.timer = self.loop.call_at(due + self.slack, self._expire)
        return entry

    @staticmethod
    def drop(entry: list[Any]) -> None:
        """No longer waiting: the entry stays in line, but firing it does nothing, and it
        lets go of ``arg`` at once.  (An entry that kept its ``arg`` kept a finished walk, its
        connection and its replies alive until its wait was due: two seconds of a fleet's
        probes, thousands on asyncio's loop, where most greetings are awaited.)"""
        entry[1] = entry[2] = None

    def _expire(self) -> None:
        now, waiting = self.loop.time(), self.waiting
        while waiting and waiting[0][0] <= now:
            _, fire, arg = waiting.popleft()
            if fire is not None:
                fire(arg)
        self.timer = self.loop.call_at(waiting[0][0] + self.slack, self._expire) \
            if waiting else None


_kept = threading.local()  # one event loop runs in a thread at a time


def loop_waits(name: str, loop: asyncio.AbstractEventLoop, slack: float = 0.0) -> LoopWaits:
    """The running loop's ``LoopWaits`` called ``name`` (one per kind of wait)."""
    kept: LoopWaits | None = getattr(_kept, name, None)
    if kept is None or kept.loop is not loop:
        kept = LoopWaits(loop, slack)
        setattr(_kept, name, kept)
    return kept
