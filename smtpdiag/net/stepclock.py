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

A fleet worker runs one walk after another on its task, so it lends one clock to all of them
(``lend_to_walks``, ``for_walk``): its timer, once set, serves walk after walk and is moved on
only when it fires, instead of a timer set and cancelled for every walk (about 10k instructions
a probe on uvloop, callgrind).
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar

__all__ = ["StepClock"]

# The clock the walks of this task borrow (see the module's doc); a task the walk's own task
# started copies it, so ``for_walk`` lends it only on the task it belongs to.
_LENT: ContextVar[StepClock | None] = ContextVar("smtpdiag_walk_clock", default=None)
_NEVER = float("inf")


class StepClock:
    """The step limits of one walk, enforced by one timer on the walk's task."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        if task is None:  # pragma: no cover - a walk always runs in a task
            raise RuntimeError("StepClock needs a running task")
        self._task = task
        self._handle: asyncio.TimerHandle | None = None
        self._armed = _NEVER  # when the timer is set for (a float, not a call to its when())
        self._due: float | None = None  # loop time when the step under way must end
        self._cancelling = 0
        self._fired = False
        self._lent = False  # a walk has it (for_walk) and has not given it back

    @classmethod
    def for_walk(cls) -> StepClock:
        """The clock for a walk's steps: the one its task lends when it is free, else a new
        one.  The walk gives it back with ``close``."""
        lent = _LENT.get()
        if lent is not None and not lent._lent and lent._task is asyncio.current_task():
            lent._lent = True
            return lent
        return cls()

    def lend_to_walks(self) -> None:
        """Lend this clock to the walks this task runs from now on, one at a time (a fleet
        worker's); the lender closes it when they are done."""
        _LENT.set(self)

    def start(self, seconds: float) -> None:
        """A step begins that may take ``seconds``."""
        due = self._loop.time() + seconds
        self._due = due
        self._cancelling = self._task.cancelling()
        if self._armed > due:  # no timer, or one set for later
            if self._handle is not None:
                self._handle.cancel()
            self._handle = self._loop.call_at(due, self._check)
            self._armed = due

    def stop(self) -> bool:
        """The step is over: True when its time ran out and the task's cancellation was the
        clock's (to be turned into a timeout); False otherwise."""
        self._due = None
        if not self._fired:
            return False
        self._fired = False
        return self._task.uncancel() <= self._cancelling

    def close(self) -> None:
        """The walk is over: no timer is left behind holding it (a lent clock is given back,
        its timer kept for the next walk)."""
        self._due = None
        if self._lent:
            self._lent = False
            return
        if self._handle is not None:
            self._handle.cancel()
            self._handle, self._armed = None, _NEVER

    def _check(self) -> None:
        self._handle, self._armed = None, _NEVER
        due = self._due
        if due is None:  # between steps: the next one sets the timer again
            return
        if self._loop.time() < due:  # a later step is under way: wait for its end
            self._handle, self._armed = self._loop.call_at(due, self._check), due
            return
        self._fired = True
        self._task.cancel()
