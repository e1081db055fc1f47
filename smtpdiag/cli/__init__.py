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
default (tests/test_cli_direct.py runs such lines both ways and compares everything).  Typer and
its command are also a quarter of a dry-run probe, so ``probe`` with options it can read without
doubt is called directly too (``probe_run.py`` says which; tests/test_cli_direct_options.py),
and so is ``check`` (``check_run.py``; tests/test_cli_direct_check.py).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

__all__ = ["command_name", "direct_arguments", "direct_call", "main"]

# command -> (module, function, how many words it takes: None for any number, at least one).
# Each function is the body its typer command calls with every option at its default.
DIRECT = {"explain": ("catalogue_run", "explain", None),
          "compare": ("catalogue_run", "compare", 2)}


# command -> (module, function, many targets): the options the module's ``OPTIONS`` spells and
# one positional argument (or a list of any number of them); the function returns the exit code.
DIRECT_OPTIONS = {"probe": ("probe_run", "run_probe", False),
                  "check": ("check_run", "run_check_command", True)}


def command_name(argv: list[str]) -> str | None:
    """The command ``argv`` asks for: its first word that is not an option."""
    return next((a for a in argv if not a.startswith("-")), None)


def direct_call(argv: list[str]) -> Callable[[], int | None] | None:
    """The command ``argv`` runs, when typer has nothing to do for it: a quick command followed
    only by plain words (no option, no ``-`` or ``--``), as many as it takes, or ``probe`` /
    ``check`` with options ``direct_arguments`` reads; else None.  Called, it returns the
    exit code (None: 0).

    Typer also answers shell-completion requests (an ``_…_COMPLETE`` variable) and expands
    wildcards on Windows; such runs are left to it.
    """
    if not argv or argv[0] not in (*DIRECT, *DIRECT_OPTIONS) or os.name != "posix":
        return None
    if any(name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ):
        return None
    import importlib

    if argv[0] in DIRECT_OPTIONS:
        module_name, function_name, many = DIRECT_OPTIONS[argv[0]]
        module = importlib.import_module(f".{module_name}", __package__)
        read = direct_arguments(argv[1:], module.OPTIONS)
        if read is None or (not many and len(read[0]) != 1):
            return None
        targets, options = read
        return lambda: getattr(module, function_name)(targets if many else targets[0], **options)
    words = argv[1:]
    module_name, function_name, count = DIRECT[argv[0]]
    if any(word.startswith("-") for word in words) or not words or (
            count is not None and len(words) != count):
        return None
    function = getattr(importlib.import_module(f".{module_name}", __package__), function_name)
    if count is None:
        return lambda: function(words)
    return lambda: function(*words)


def direct_arguments(words: list[str], table: dict[str, tuple[str, object]]
                     ) -> tuple[list[str], dict[str, object]] | None:
    """The positional arguments and the options ``table`` spells (see ``probe_run.OPTIONS``),
    read as click would read them, or None wherever click might read them otherwise or refuse
    them: an option not in the table, one given twice (or both halves of a ``--x/--no-x``
    pair), ``-x`` or ``--``, a value missing, empty or starting with ``-``, a number ``int()``
    or ``float()`` refuses, a choice not spelt as its value, a path that is there but not
    readable (typer's Path checks that), a flag with ``=``, an empty positional argument."""
    targets: list[str] = []
    options: dict[str, object] = {}
    rest = iter(words)
    for word in rest:
        if not word.startswith("-"):
            if not word:
                return None
            targets.append(word)
            continue
        name, equals, value = word.partition("=")
        if name not in table:
            return None
        parameter, kind = table[name]
        if kind == "flag" or kind == "off":
            if equals or parameter in options:
                return None
            options[parameter] = kind == "flag"
            continue
        if not equals:
            value = next(rest, "")
        if not value or value.startswith("-"):
            return None
        if kind == "many":
            many = options.setdefault(parameter, [])
            assert isinstance(many, list)
            many.append(value)
            continue
        if parameter in options:
            return None
        try:
            options[parameter] = _converted(value, kind)
        except (ValueError, OSError):
            return None
    return targets, options


def _converted(value: str, kind: object) -> object:
    """``value`` as typer converts it for an option of type ``kind`` (ValueError where typer
    would refuse it, or might)."""
    if kind is int or kind is float:
        return kind(value)
    if isinstance(kind, type) and issubclass(kind, str):  # str, or a choice (a StrEnum)
        return kind(value)
    # a path: click.Path (typer's, readable=True) refuses one that is there but not readable
    if os.path.exists(value) and not os.access(value, os.R_OK):
        raise ValueError(value)
    assert callable(kind)
    return kind(value)


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
            raise SystemExit(call() or 0)  # as click ends a command (typer.Exit's code)
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
