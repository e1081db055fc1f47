"""The thin command line: parse options, call one function, render, choose the exit code.

Exit codes (also in ``--help`` and the README):
  0  OK: every step answered positively / the command did what was asked
  1  the server refused at some step, or the domain accepts no mail (null MX)
  2  usage error: bad input, nothing was sent
  3  the probe could not complete: DNS, connect, TLS, timeout, protocol violation
  70 internal error (a bug; reported in one line)
  130 interrupted (Ctrl-C) · 141 the output pipe was closed early (``| head``)
``check`` follows the monitoring-plugins convention instead: 0 OK, 1 WARNING, 2 CRITICAL,
3 UNKNOWN.

The command line is defined once, for typer, in ``app.py`` and the command modules.  Importing
typer and building a command costs a quick ``explain 550`` about a third of its time, so a
command line made only of a quick command and plain words (``smtpdiag explain 550 5.7.1 Relay
access denied``, ``smtpdiag compare 211 250``) calls that command's function directly with the
words as its arguments, exactly what typer would pass: no option to parse, every option at its
default (tests/test_cli_direct.py runs such lines both ways and compares everything).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

__all__ = ["command_name", "direct_call", "main"]

# command -> (module, function, how many words it takes: None for any number, at least one).
# Each function is the body its typer command calls with every option at its default.
DIRECT = {"explain": ("catalogue_run", "explain", None),
          "compare": ("catalogue_run", "compare", 2)}


def command_name(argv: list[str]) -> str | None:
    """The command ``argv`` asks for: its first word that is not an option."""
    return next((a for a in argv if not a.startswith("-")), None)


def direct_call(argv: list[str]) -> Callable[[], None] | None:
    """The command ``argv`` runs, when typer has nothing to do for it: a quick command followed
    only by plain words (no option, no ``-`` or ``--``), as many as it takes; else None.

    Typer also answers shell-completion requests (an ``_…_COMPLETE`` variable) and expands
    wildcards on Windows; such runs are left to it.
    """
    if not argv or argv[0] not in DIRECT or os.name != "posix":
        return None
    words = argv[1:]
    module_name, function_name, count = DIRECT[argv[0]]
    if any(word.startswith("-") for word in words) or not words or (
            count is not None and len(words) != count):
        return None
    if any(name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ):
        return None
    import importlib

    function = getattr(importlib.import_module(f".{module_name}", __package__), function_name)
    if count is None:
        return lambda: function(words)
    return lambda: function(*words)


def main(*, direct: bool = True) -> None:
    """The command line itself: never lets a traceback through.  ``direct=False``: always
    through typer (what the direct calls are compared with)."""
    from .whole_writes import whole_std_streams

    whole_std_streams()  # unbuffered (python -u), a short write would drop the rest of it
    try:
        if not sys.argv[1:]:  # help, and exit 0, like --help (click would say usage error)
            sys.argv.append("--help")
        call = direct_call(sys.argv[1:]) if direct else None
        if call is not None:
            call()
            raise SystemExit(0)  # as click ends a command that returned
        from .app import run

        run()
    except SystemExit:
        raise
    except KeyboardInterrupt:  # only where no quiet handler is installed (smtpdiag.interrupt)
        sys.stderr.write("smtpdiag: interrupted\n")
        raise SystemExit(130) from None
    except BaseException as exc:  # a bug (or a cancellation that escaped): one line
        sys.stderr.write(f"smtpdiag: internal error ({type(exc).__name__}) — please report this\n")
        raise SystemExit(70) from None
