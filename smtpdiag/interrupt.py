"""Ctrl-C at any moment of a run ends it with one line, ``smtpdiag: interrupted``, exit 130.

Python turns SIGINT into ``KeyboardInterrupt`` wherever the main thread happens to be: in the
middle of an import, inside click's parsing (which typer turns into a silent exit 130), or in
the collector.  Only inside a command (``common.guarded``) is there code to catch it and tidy
up (erase the status line, close the event loop).  So outside a command a SIGINT ends the
process at once, quietly, from a signal handler; a command switches back to Python's
``KeyboardInterrupt`` for its duration with ``catchable()``.  This module imports nothing
heavy: it is installed before anything else is imported.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["EXIT_INTERRUPTED", "MESSAGE", "catchable", "install"]

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a process Ctrl-C ended
MESSAGE = "smtpdiag: interrupted\n"


def _quit_now(signum: int, frame: FrameType | None) -> None:
    """Between commands: say so and leave (what was already printed is flushed first)."""
    # A write may be under way, or the reader gone: then there is nothing more to save.
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    os.write(2, MESSAGE.encode())
    os._exit(EXIT_INTERRUPTED)


def install() -> None:
    """Make SIGINT quit quietly from now on (main thread only; elsewhere this does nothing)."""
    with contextlib.suppress(ValueError):  # not the main thread: its owner decides
        signal.signal(signal.SIGINT, _quit_now)


@contextmanager
def catchable() -> Iterator[None]:
    """Inside: SIGINT raises ``KeyboardInterrupt`` as usual (asyncio.run cancels its tasks on
    it), so the command can clean up and report it; after: back to what it was before."""
    try:
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None
                      else signal.default_int_handler)
