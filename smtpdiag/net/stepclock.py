"""One timer for a whole session walk, instead of one per step.

Every step of a walk has a limit (the step timeout, or what is left of the probe's deadline).
``asyncio.timeout`` around each step would set and cancel a timer handle each time, about
10 µs a step: at fleet scale, eight steps a probe and 100,000 probes, more than the reply
parser costs.  A ``StepClock`` keeps one timer per walk.  ``start`` says when the step now
beginning must end, ``stop`` that it ended; the timer stays set for the earliest end still
ahead and, when it fires, is moved on to the step under way, unless that step has overrun:
then the walk's task is cancelled, and ``stop`` (called as the step unwinds) says the
cancellation was the clock's, so the step turns it into a timeout.  That is what leaving an
``asyncio.timeout`` block does (``uncancel``, and a cancellation from elsewhere still wins).
"""

from __future__ import annotations

import asyncio

__all__ = ["StepClock"]


class StepClock:
    """The step limits of one walk, enforced by one timer on the walk's task."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        if task is None:  # pragma: no cover - a walk always runs in a task
            raise RuntimeError("StepClock needs a running task")
        self._task = task
        self._handle: asyncio.TimerHandle | None = None
        self._due: float | None = None  # loop time when the step under way must end
        self._cancelling = 0
        self._fired = False

    def start(self, seconds: float) -> None:
        """A step begins that may take ``seconds``."""
        due = self._loop.time() + seconds
        self._due = due
        self._cancelling = self._task.cancelling()
        handle = self._handle
        if handle is None or handle.when() > due:
            if handle is not None:
                handle.cancel()
            self._handle = self._loop.call_at(due, self._check)

    def stop(self) -> bool:
        """The step is over: True when its time ran out and the task's cancellation was the
        clock's (to be turned into a timeout); False otherwise."""
        self._due = None
        if not self._fired:
            return False
        self._fired = False
        return self._task.uncancel() <= self._cancelling

    def close(self) -> None:
        """The walk is over: no timer is left behind holding it."""
        self._due = None
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _check(self) -> None:
        self._handle = None
        due = self._due
        if due is None:  # between steps: the next one sets the timer again
            return
        if self._loop.time() < due:  # a later step is under way: wait for its end
            self._handle = self._loop.call_at(due, self._check)
            return
        self._fired = True
        self._task.cancel()
