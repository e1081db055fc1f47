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

from ..errors import UsageError, quoted

__all__ = ["CHOICES", "ENV", "loop_factory", "run"]

ENV = "SMTPDIAG_LOOP"
CHOICES = ("auto", "asyncio", "uvloop")
T = TypeVar("T")


def loop_factory(targets: int) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's ``new_event_loop`` when it is chosen and installed; None for asyncio's."""
    choice = os.environ.get(ENV, "auto").strip().lower() or "auto"
    if choice not in CHOICES:
        raise UsageError(f"{ENV}={quoted(choice, 40)}: it must be one of {', '.join(CHOICES)}")
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
        runner.get_loop().set_exception_handler(_abandoned_network_errors_quiet)
        return runner.run(main)


def _abandoned_network_errors_quiet(loop: asyncio.AbstractEventLoop,
                                    context: dict[str, Any]) -> None:
    """A connection the run gave up on (an implicit-TLS sniff cancelled as the greeting came,
    a probe the deadline cut) can still fail inside the loop, on a future no one awaits any
    more; uvloop's TLS handshake does (MagicStack/uvloop#437).  Its report is a traceback on
    the user's terminal about a connection the run's own result already accounts for, so a
    network error (``OSError``, which ``ssl.SSLError`` is) there is dropped.  Anything else
    is still reported by the loop's default handler: it would be our bug."""
    if isinstance(context.get("exception"), OSError):
        return
    loop.default_exception_handler(context)
