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
from typing import Annotated

import typer

from .cli_common import choose_lang, emit_doc, emit_json, guarded

EPILOG = (
    "Exit codes: 0 OK · 1 refused by the server (or domain accepts no mail) · 2 usage error · "
    "3 could not complete (DNS, connect, TLS, timeout, protocol) · 70 internal error. "
    "check: 0 OK · 1 WARNING · 2 CRITICAL · 3 UNKNOWN."
)

app = typer.Typer(
    name="smtpdiag",
    help="Live SMTP session diagnostics: every reply annotated with its meaning and a fix.",
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

LangOption = Annotated[
    str | None,
    typer.Option("--lang", help="Headings language: en, id, vi, zh, tr (default from LANG)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (versioned schema).")]


@app.command()
def explain(
    query: Annotated[
        str,
        typer.Argument(
            help="A code (550), an enhanced code (5.7.1), a reply text, or - for stdin."),
    ],
    lang: LangOption = None,
    json_output: JsonOption = False,
) -> None:
    """Explain a reply code, an enhanced status code, or a reply pasted from a bounce."""
    with guarded():
        from .explain import explain as run_explain

        text = sys.stdin.read(1_000_000) if query == "-" else query
        result = run_explain(text, choose_lang(lang))
        if json_output:
            emit_json(result)
        else:
            from .render.catalogue_view import explain_doc

            emit_doc(explain_doc(result))


@app.command()
def compare(
    first: Annotated[str, typer.Argument(help="A code: 211, 550 or 5.7.1.")],
    second: Annotated[str, typer.Argument(help="Another code.")],
    lang: LangOption = None,
    json_output: JsonOption = False,
) -> None:
    """Compare two codes side by side: meaning, when you see them, how to fix, differences."""
    with guarded():
        from .compare import compare as run_compare

        result = run_compare(first, second, choose_lang(lang))
        if json_output:
            emit_json(result)
        else:
            from .render.catalogue_view import compare_doc

            emit_doc(compare_doc(result))


@app.command()
def codes(
    klass: Annotated[
        int | None, typer.Option("--class", help="Only this class: 2, 3, 4 or 5.")
    ] = None,
    enhanced: Annotated[
        bool, typer.Option("--enhanced", help="List enhanced status codes (X.Y.Z) instead.")
    ] = False,
    providers: Annotated[
        bool, typer.Option("--providers", help="List provider-specific replies instead.")
    ] = False,
    lang: LangOption = None,
    json_output: JsonOption = False,
) -> None:
    """The catalogue as a table."""
    with guarded():
        from .codes import list_codes

        result = list_codes(klass=klass, enhanced=enhanced, providers=providers,
                            lang=choose_lang(lang))
        if json_output:
            emit_json(result)
        else:
            from .render.catalogue_view import codes_doc

            emit_doc(codes_doc(result))


# The session commands live in their own modules, registered on demand: building the typer
# options of every command costs ~15 ms at each start (bench/bench_probe.py), so a run
# registers only the command it runs; help and unknown commands get all of them.
SESSION_COMMANDS = {"probe": "cli_probe", "demo": "cli_probe", "serve": "cli_probe",
                    "check": "cli_check"}
CATALOGUE_COMMANDS = ("explain", "compare", "codes")


def register_commands(argv: list[str] | None = None) -> typer.Typer:
    """Register the session commands that ``argv`` needs (all of them when it is None)."""
    import importlib

    name = next((a for a in argv if not a.startswith("-")), None) if argv is not None else None
    if name in CATALOGUE_COMMANDS:
        modules: list[str] = []
    elif name in SESSION_COMMANDS:
        modules = [SESSION_COMMANDS[name]]
    else:
        modules = list(dict.fromkeys(SESSION_COMMANDS.values()))
    for module in modules:
        importlib.import_module(f".{module}", __package__).register(app)
    return app


def main() -> None:
    """Console-script entry point: never lets a traceback through."""
    try:
        register_commands(sys.argv[1:])
        if next((a for a in sys.argv[1:] if not a.startswith("-")), None) == "check":
            from .cli_check import run_standalone  # monitoring exit codes: usage error is 3

            raise SystemExit(run_standalone(app))
        app()
    except SystemExit:
        raise
    except BaseException as exc:
        sys.stderr.write(f"smtpdiag: internal error ({type(exc).__name__}) — please report this\n")
        raise SystemExit(70) from None
