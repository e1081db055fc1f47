"""The catalogue commands ``explain``, ``compare`` and ``codes`` as typer declares them: their
arguments, options and help.  What they do is in ``catalogue_run.py`` (typer-free, so that
``smtpdiag.cli`` can call it directly for a command line of plain words).
"""

from __future__ import annotations

from typing import Annotated

import typer

from . import catalogue_run as run

__all__ = ["COMMANDS"]

LangOption = Annotated[
    str | None,
    typer.Option("--lang", help="Headings language: en, id, vi, zh, tr (default from LANG)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (versioned schema).")]


def explain(
    query: Annotated[
        list[str] | None,
        typer.Argument(
            help="A code (550), an enhanced code (5.7.1), a reply or bounce text (quoted or "
                 "not), a message file (.eml), an mbox, a maildir, or - for stdin.",
            show_default=False),
    ] = None,
    lines: Annotated[
        str | None,
        typer.Option("--lines", metavar="FILE|-",
                     help="Read one diagnostic text per line of FILE (or stdin)."),
    ] = None,
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="One JSON bounce record per line of --lines, or per "
                                           "failed recipient of a message, an mbox or a "
                                           "maildir, streamed.")
    ] = False,
    lang: LangOption = None,
    json_output: JsonOption = False,
) -> None:
    """Explain a reply code, a reply, a bounce text or whole bounce messages, with the cause."""
    run.explain(query, lines=lines, jsonl=jsonl, lang=lang, json_output=json_output)


def compare(
    first: Annotated[str, typer.Argument(metavar="A", help="A code: 211, 550 or 5.7.1.")],
    second: Annotated[str, typer.Argument(metavar="B", help="Another code.")],
    lang: LangOption = None,
    json_output: JsonOption = False,
) -> None:
    """Compare two codes side by side: meaning, when you see them, how to fix, differences."""
    run.compare(first, second, lang=lang, json_output=json_output)


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
    run.codes(klass=klass, enhanced=enhanced, providers=providers, lang=lang,
              json_output=json_output)


COMMANDS = {"explain": explain, "compare": compare, "codes": codes}
