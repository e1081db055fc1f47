"""What every command shares: exit codes, language and colour choice, output, error handling.

Domain errors become one printed line and a documented exit code here, at the edge, and
nowhere else.  An unexpected exception is a bug: it is still reported in one line, never as a
traceback.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

from ..errors import SmtpdiagError, UsageError, quoted
from ..interrupt import EXIT_INTERRUPTED
from ..languages import LANGUAGES
from ..render.doc import Doc, clean, json_text, write_doc

__all__ = [
    "EXIT_DEFERRED",
    "EXIT_FAILED",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_PIPE",
    "EXIT_REFUSED",
    "EXIT_USAGE",
    "choose_lang",
    "emit_doc",
    "emit_json",
    "fail",
    "guarded",
    "output_width",
    "say",
    "use_color",
    "wrap_width",
]

EXIT_OK = 0  # accepted: every step answered positively / the command did what was asked
EXIT_REFUSED = 1  # refused for good (5xx) at some step (or the domain accepts no mail)
EXIT_USAGE = 2  # bad input: nothing was sent
EXIT_FAILED = 3  # the probe could not complete: DNS, connect, TLS, timeout, protocol violation
EXIT_DEFERRED = 4  # refused for now (4xx: greylisting, postscreen, 421): retry later
EXIT_PARTIAL = 5  # accepted for some recipients, refused for others
EXIT_INTERNAL = 70  # a bug in smtpdiag (reported in one line, never as a traceback)
EXIT_PIPE = 141  # stdout was closed early (``| head``): 128 + SIGPIPE, as shells report it


def choose_lang(option: str | None) -> str:
    """``--lang`` wins; else ``LC_ALL``, ``LC_MESSAGES``, ``LANG``; else English."""
    if option:
        lang = option.lower().replace("-", "_").split("_")[0]
        if lang not in LANGUAGES:
            raise UsageError(f"unknown language {quoted(option, 40)}; choose one of "
                             f"{', '.join(LANGUAGES)}")
        return lang
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            lang = value.lower().split(".")[0].split("_")[0]
            return lang if lang in LANGUAGES else "en"
    return "en"


def person_watches(stream: Any) -> bool:
    """A person is watching ``stream``: a real terminal that is not TERM=dumb.

    NO_COLOR is not part of this: it turns off colour, and nothing else (wrapping and the
    status line stay, see https://no-color.org).
    """
    return (os.environ.get("TERM") != "dumb"
            and bool(getattr(stream, "isatty", lambda: False)()))


def use_color(stream: Any = None) -> bool:
    """Colour only on a real terminal, honouring NO_COLOR, FORCE_COLOR and TERM=dumb."""
    if os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or person_watches(stream or sys.stdout)


def output_width(stream: Any = None) -> int | None:
    """How wide output to ``stream`` may be: the terminal's width (``COLUMNS`` wins) when a
    person is watching, else ``COLUMNS`` when set, else None (no limit: logs and pipes)."""
    stream = stream or sys.stdout
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if person_watches(stream):
        try:
            return os.get_terminal_size(stream.fileno()).columns or 80
        except (AttributeError, ValueError, OSError):
            return 80
    return None


def wrap_width(stream: Any = None) -> int | None:
    """The width a ``Doc`` is wrapped at: only for a terminal or forced colour, never a pipe."""
    stream = stream or sys.stdout
    if person_watches(stream) or use_color(stream):
        return output_width(stream) or 80
    return None


@contextmanager
def step_status(target: str) -> Iterator[Callable[[str, str], None] | None]:
    """On an interactive stderr, one transient line naming the step under way and where.

    A probe renders its report when it ends, which against a slow or silent server can be a
    whole timeout away; this line shows what it is waiting for meanwhile and is erased after.
    Yields the progress callback for ``ProbeOptions``, or None when stderr is not a terminal
    (pipes, CI, FORCE_COLOR included: the line is for people only).
    """
    if not person_watches(sys.stderr):
        yield None
        return
    from rich.console import Console
    from rich.text import Text

    status = Console(stderr=True).status(Text(f"{clean(target)}: starting"), spinner="dots")

    def progress(step: str, where: str) -> None:
        status.update(Text(f"{clean(where)}: {step} …"))

    status.start()
    try:
        yield progress
    finally:
        status.stop()


def emit_doc(doc: Doc) -> None:
    write_doc(doc, sys.stdout, color=use_color(), width=wrap_width())


def emit_json(data: Any) -> None:
    sys.stdout.write(json_text(data) + "\n")


MAX_MESSAGE = 2_000  # characters: a message that repeats more than this was built wrong


def say(message: str) -> None:
    """One message for people on stderr: made safe, and on a terminal wrapped at a word (the
    terminal itself would split words); piped, it stays one line for logs and grep."""
    text = clean(message)
    if len(text) > MAX_MESSAGE:
        text = f"{text[:MAX_MESSAGE]}… ({len(text) - MAX_MESSAGE} more characters)"
    text = f"smtpdiag: {text}"
    width = output_width(sys.stderr) if person_watches(sys.stderr) else None
    if width is not None and len(text) > width:
        import textwrap

        text = "\n".join(textwrap.wrap(text, width, subsequent_indent="  ",
                                        break_on_hyphens=False))
    sys.stderr.write(text + "\n")


def fail(message: str, code: int) -> NoReturn:
    """One clean message on stderr, then the exit code."""
    say(message)
    raise SystemExit(code)


def os_error_text(exc: OSError) -> str:
    """An OS error as a user reads it: what failed on which file (``errno`` names are shells')."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return f"{reason}: {quoted(str(exc.filename))}" if exc.filename is not None else reason


@contextmanager
def catchable() -> Iterator[None]:
    """Inside: SIGINT raises ``KeyboardInterrupt`` as usual (asyncio.run cancels its tasks on
    it), so a command can wind down and report it; after: back to the quiet handler of
    ``smtpdiag.interrupt`` (or whatever was there before)."""
    try:
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None
                      else signal.default_int_handler)


@contextmanager
def guarded(
    usage_code: int = EXIT_USAGE, failure_code: int = EXIT_FAILED,
    internal_code: int = EXIT_INTERNAL, status: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Turn every error raised inside into a message and an exit code (no traceback, ever);
    ``check`` makes every code of its own UNKNOWN (3), as monitoring reads them, and with
    ``status`` also writes the message as its output's status line (nagios reads stdout).

    Ctrl-C inside is a ``KeyboardInterrupt`` (``catchable``), so what is under way is wound
    down (status line erased, event loop closed) before the one line "interrupted".
    """
    def stop(message: str, code: int) -> NoReturn:
        if status is not None:
            status(message)
        fail(message, code)

    with catchable():
        try:
            yield
        except SystemExit:
            raise
        except KeyboardInterrupt:
            stop("interrupted", EXIT_INTERRUPTED)
        except BrokenPipeError:
            # The reader went away (``| head``): nothing is wrong, and nothing more can be said.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(EXIT_PIPE) from None
        except UsageError as exc:
            stop(f"error: {exc}", usage_code)
        except SmtpdiagError as exc:
            stop(f"error: {exc}", failure_code)
        except OSError as exc:
            # Files, sockets and devices a user named or an environment lacks (a full disk, no
            # temporary directory): their fault is the system's, not a bug of smtpdiag.  Each
            # path a user gives is checked where it is read, with a better message; this is
            # the net under those checks.
            stop(f"error: {os_error_text(exc)}", failure_code)
        except Exception as exc:  # a bug: still one line, never a traceback
            stop(f"internal error ({type(exc).__name__}): {exc} — please report this",
                 internal_code)
