"""Ctrl-C at any moment of a run ends it with one line, ``smtpdiag: interrupted``, exit 130.

Python turns SIGINT into ``KeyboardInterrupt`` wherever the main thread happens to be: in the
middle of an import, inside click's parsing (which typer turns into a silent exit 130), or in
the collector.  Only inside a command (``cli.common.guarded``) is there code to catch it and
tidy up (erase the status line, close the event loop).  So outside a command a SIGINT ends the
process at once, quietly, from a signal handler; a command switches back to Python's
``KeyboardInterrupt`` for its duration (``cli.common.catchable``).

The handler goes in as early as smtpdiag's code runs: from the package's ``__init__`` when the
process *is* smtpdiag (``python -m smtpdiag`` or the console script), never when a program
imports smtpdiag as a library.  This module imports nothing that is not loaded already (not
even ``typing``).
"""

from __future__ import annotations

import os
import signal
import sys

__all__ = ["EXIT_INTERRUPTED", "MESSAGE", "install", "install_if_program", "started_as_program"]

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a process Ctrl-C ended
MESSAGE = "smtpdiag: interrupted\n"
_PROGRAM_NAMES = ("smtpdiag", "smtpdiag.exe", "smtpdiag-script.py")


def _quit_now(signum: int, frame: object) -> None:
    """Between commands: say so and leave (what was already printed is flushed first)."""
    try:  # noqa: SIM105  (contextlib is not imported yet at start-up)
        sys.stdout.flush()
    except Exception:  # a write was under way, or the reader is gone: nothing more to save
        pass
    os.write(2, MESSAGE.encode())
    os._exit(EXIT_INTERRUPTED)


def install() -> None:
    """Make SIGINT quit quietly from now on (main thread only; elsewhere this does nothing)."""
    try:  # noqa: SIM105
        signal.signal(signal.SIGINT, _quit_now)
    except ValueError:  # not the main thread: the embedding program owns its signals
        pass


def started_as_program() -> bool:
    """This process is smtpdiag itself: ``python -m smtpdiag …`` (while the package is being
    imported ``sys.argv[0]`` is "-m") or the ``smtpdiag`` console script."""
    argv0 = sys.argv[0] if sys.argv else ""
    if argv0 == "-m":
        original = list(getattr(sys, "orig_argv", ()))
        return "-m" in original and original.index("-m") + 1 < len(original) and \
            original[original.index("-m") + 1] in ("smtpdiag", "smtpdiag.__main__")
    return os.path.basename(argv0) in _PROGRAM_NAMES


def install_if_program() -> None:
    if started_as_program():
        install()
