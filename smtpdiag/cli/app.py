"""The typer app: the one definition of the command line (options, help, usage errors).

``smtpdiag.cli.main`` runs it; each command is declared in the module ``COMMANDS`` names and
registered only when it runs (see ``register_commands``).  Exit codes are listed in
``smtpdiag.cli``'s docstring and the README.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from typer import _click as click
from typer.core import TyperCommand

from . import command_name

EPILOG = (
    "Exit codes: 0 OK · 1 refused by the server (or domain accepts no mail) · 2 usage error · "
    "3 could not complete (DNS, connect, TLS, timeout, protocol) · 4 deferred (4xx: retry "
    "later) · 5 accepted for some recipients only · 70 internal error · "
    "130 interrupted (Ctrl-C) · 141 output pipe closed early. "
    "check: 0 OK · 1 WARNING · 2 CRITICAL · 3 UNKNOWN."
)

app = typer.Typer(
    name="smtpdiag",
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    # Help uses the terminal's width up to 120 columns (click stops at 80 by default).
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120},
)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        sys.stdout.write(f"smtpdiag {__version__}\n")
        raise typer.Exit(0)


def resolve_annotations(function: Any) -> None:
    """Give typer ``function``'s annotations as objects, evaluated here once.

    The command modules postpone annotations (``from __future__ import annotations``), and
    typer evaluates every one of them four times over while building a command (``eval``
    compiles each string anew): for ``check``'s thirty options ~20 M instructions, some 4 % of
    a one-target check.  Objects it takes as they are.
    """
    import typing

    function.__annotations__ = typing.get_type_hints(function, include_extras=True)


@app.callback()
def root(
    version: Annotated[bool, typer.Option(
        "--version", "-V", is_eager=True, callback=_version,
        help="Print the version and exit.")] = False,
) -> None:
    """Live SMTP session diagnostics: every reply annotated with its meaning and a fix."""


resolve_annotations(root)


class _Command(TyperCommand):
    """A command whose usage line reads ``TARGET``, not typer's ``{TARGET}``."""

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return [piece[1:-1] if piece.startswith("{") and piece.endswith("}") else piece
                for piece in super().collect_usage_pieces(ctx)]


# One line each in the command list: written to fit, so click never cuts them with "...".
SUMMARIES = {
    "explain": "Explain a reply code, an enhanced code or a pasted bounce.",
    "compare": "Compare two codes: meaning, when sent, what a client does next.",
    "codes": "The catalogue as a table.",
    "probe": "Walk a mail server through a session and explain every reply.",
    "demo": "Probe the embedded fake server: a real, annotated session.",
    "serve": "Run the embedded fake SMTP server for testing your mail code.",
    "check": "Health-check mail servers for CI and Nagios/Icinga monitoring.",
    "audit": "Audit a mail domain: its MX hosts' SMTP, TLS and DNS.",
}


# Each command lives in the module named here and is registered on demand: typer builds the
# options of every registered command at each start (six of them: ~5.4 ms; probe alone: ~2.7 ms,
# timed around typer.main.get_command), so a run registers only the command it runs; help and
# unknown commands get all of them.  The callback above keeps the app a group with one command.
COMMANDS = {"explain": "catalogue", "compare": "catalogue", "codes": "catalogue",
            "probe": "probe", "demo": "probe", "serve": "probe",
            "check": "check", "audit": "audit", "exporter": "exporter"}


def register_commands(argv: list[str] | None = None) -> typer.Typer:
    """Register the command ``argv`` names (every command when it names none we know)."""
    import importlib

    name = command_name(argv) if argv is not None else None
    wanted = [name] if name in COMMANDS else list(COMMANDS)
    present = {info.name for info in app.registered_commands}
    for command in wanted:
        if command not in present:
            module = importlib.import_module(f".{COMMANDS[command]}", __package__)
            function = module.COMMANDS[command]
            resolve_annotations(function)
            app.command(command, cls=_Command, short_help=summary(command, function))(function)
    return app


def summary(name: str, function: object) -> str:
    """The command's line in the list: ``SUMMARIES``, else its docstring's first paragraph
    (given whole: click would cut a derived one with "...")."""
    doc = (getattr(function, "__doc__", None) or "").strip().split("\n\n")[0]
    return SUMMARIES.get(name) or " ".join(doc.split())


def run() -> None:
    """Parse the command line with typer and run the command it names (exits, as click does)."""
    register_commands(sys.argv[1:])
    if command_name(sys.argv[1:]) == "check":
        from .check import run_standalone  # monitoring exit codes: usage error is 3

        raise SystemExit(run_standalone(app))
    app()
