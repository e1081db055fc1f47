"""The thin command line: parse options, call one function, render, choose the exit code.

Exit codes (also in ``--help`` and the README):
  0  OK: every step answered positively / the command did what was asked
  1  the server refused at some step, or the domain accepts no mail (null MX)
  2  usage error: bad input, nothing was sent
  3  the probe could not complete: DNS, connect, TLS, timeout, protocol violation
  70 internal error (a bug; reported in one line)
``check`` follows the monitoring-plugins convention instead: 0 OK, 1 WARNING, 2 CRITICAL,
3 UNKNOWN.
"""

from __future__ import annotations

import sys

import typer

EPILOG = (
    "Exit codes: 0 OK · 1 refused by the server (or domain accepts no mail) · 2 usage error · "
    "3 could not complete (DNS, connect, TLS, timeout, protocol) · 70 internal error. "
    "check: 0 OK · 1 WARNING · 2 CRITICAL · 3 UNKNOWN."
)

app = typer.Typer(
    name="smtpdiag",
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root() -> None:
    """Live SMTP session diagnostics: every reply annotated with its meaning and a fix."""


# Each command lives in the module named here and is registered on demand: typer builds the
# options of every registered command at each start (six of them: ~5.4 ms; probe alone: ~2.7 ms,
# timed around typer.main.get_command), so a run registers only the command it runs; help and
# unknown commands get all of them.  The callback above keeps the app a group with one command.
COMMANDS = {"explain": "catalogue", "compare": "catalogue", "codes": "catalogue",
            "probe": "probe", "demo": "probe", "serve": "probe",
            "check": "check", "audit": "audit", "exporter": "exporter"}


def command_name(argv: list[str]) -> str | None:
    """The command ``argv`` asks for: its first word that is not an option."""
    return next((a for a in argv if not a.startswith("-")), None)


def register_commands(argv: list[str] | None = None) -> typer.Typer:
    """Register the command ``argv`` names (every command when it names none we know)."""
    import importlib

    name = command_name(argv) if argv is not None else None
    wanted = [name] if name in COMMANDS else list(COMMANDS)
    present = {info.name for info in app.registered_commands}
    for command in wanted:
        if command not in present:
            module = importlib.import_module(f".{COMMANDS[command]}", __package__)
            app.command(command)(module.COMMANDS[command])
    return app


def main() -> None:
    """The command line itself: never lets a traceback through."""
    try:
        register_commands(sys.argv[1:])
        if command_name(sys.argv[1:]) == "check":
            from .check import run_standalone  # monitoring exit codes: usage error is 3

            raise SystemExit(run_standalone(app))
        app()
    except SystemExit:
        raise
    except BaseException as exc:
        sys.stderr.write(f"smtpdiag: internal error ({type(exc).__name__}) — please report this\n")
        raise SystemExit(70) from None
