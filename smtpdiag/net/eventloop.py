"""Which event loop runs ``check``: uvloop when it is installed, else asyncio's own.

At fleet scale about half of ``check``'s CPU is the event loop itself (sockets, transports,
callbacks), not smtpdiag; uvloop runs the same asyncio protocols and tasks on libuv, in C, for
about a third of that.  It is optional (``pip install 'smtpdiag[fast]'``): nothing changes in
what a run reports, only what it costs (``bench/bench_check.py`` measures both loops, and the
bare aiosmtplib script on both).  A single target keeps asyncio's loop: the import (about 7 ms)
would cost a one-host check more than the loop saves it.  ``SMTPDIAG_LOOP`` chooses:
``auto`` (the default), ``asyncio`` or ``uvloop`` (an error when it is not installed).
"""

from __future__ import annotations

import asyncio
import importlib
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from ..errors import UsageError

__all__ = ["CHOICES", "ENV", "loop_factory", "run"]

ENV = "SMTPDIAG_LOOP"
CHOICES = ("auto", "asyncio", "uvloop")
T = TypeVar("T")


def loop_factory(targets: int) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's ``new_event_loop`` when it is chosen and installed; None for asyncio's."""
    choice = os.environ.get(ENV, "auto").strip().lower() or "auto"
    if choice not in CHOICES:
        raise UsageError(f"{ENV}={choice!r}: it must be one of {', '.join(CHOICES)}")
    if choice == "asyncio" or (choice == "auto" and targets < 2):
        return None
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        if choice == "uvloop":
            raise UsageError(f"{ENV}=uvloop, but uvloop is not installed: "
                             "pip install 'smtpdiag[fast]'") from None
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run(main: Coroutine[Any, Any, T], targets: int) -> T:
    """``asyncio.run(main)`` on the loop ``loop_factory`` picks for a run of ``targets``."""
    try:
        factory = loop_factory(targets)
    except BaseException:
        main.close()  # never awaited: say nothing about it
        raise
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)
