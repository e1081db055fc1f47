"""Where ``check``'s results go while a run is under way, and what an interruption leaves behind.

Streamed results (``--format jsonl``) are written as whole lines, in batches: a write and a
flush per line cost more than the JSON itself at fleet scale, so lines are gathered and written
every 64 KiB or 0.2 s, and at once when a person watches the terminal.  Every write is a run of
complete lines, and whatever is gathered is written when the run ends, fails or is stopped
(SIGINT, SIGTERM), so a stopped run keeps every result it had: whole lines, never half of one.
"""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import IO

__all__ = ["BATCH_BYTES", "BATCH_SECONDS", "Interrupted", "Lines", "stop_on_sigterm"]

BATCH_BYTES = 64 * 1024
BATCH_SECONDS = 0.2
_STOPS = {signal.SIGINT, signal.SIGTERM}


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal; ``exit_code`` is the shell's 128 + its number."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _raise_interrupted(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(signum)


def stop_on_sigterm() -> None:
    """SIGTERM (``kill``, a CI job's timeout) stops a run the way Ctrl-C does, output kept."""
    signal.signal(signal.SIGTERM, _raise_interrupted)


class Lines:
    """Whole lines to ``stream``, in batches (or one by one when ``eager``)."""

    def __init__(self, stream: IO[str], *, eager: bool = False) -> None:
        self.stream = stream
        self.eager = eager
        self.parts: list[str] = []
        self.size = 0
        self.waiting = 0  # lines in parts
        self.written = 0  # lines
        self.last = time.monotonic()

    def add(self, line: str, count: int = 1) -> None:
        """``line``, or ``count`` whole lines in one text (a ``--workers`` batch)."""
        self.parts.append(line)
        self.size += len(line)
        self.waiting += count
        if self.eager or self.size >= BATCH_BYTES or time.monotonic() - self.last >= BATCH_SECONDS:
            self.flush()

    def tick(self) -> None:
        """Write what waits, if it has waited long enough (called while waiting for results)."""
        if self.parts and time.monotonic() - self.last >= BATCH_SECONDS:
            self.flush()

    def flush(self) -> None:
        self.last = time.monotonic()
        if not self.parts:
            return
        # A signal between writing and forgetting the batch would write it twice at the end:
        # hold SIGINT and SIGTERM for these few microseconds.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
        try:
            self.stream.write("".join(self.parts))
            self.stream.flush()
            self.written += self.waiting
            self.parts, self.size, self.waiting = [], 0, 0
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
