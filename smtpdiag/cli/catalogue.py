"""The catalogue commands ``explain``, ``compare`` and ``codes``: parsing and output only.

They never touch the network, so they import no I/O library: ``tests/test_startup.py`` checks
that, ``bench/bench_startup.py`` measures what it buys.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .common import choose_lang, emit_doc, emit_json, guarded

__all__ = ["COMMANDS"]

LangOption = Annotated[
    str | None,
    typer.Option("--lang", help="Headings language: en, id, vi, zh, tr (default from LANG)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (versioned schema).")]


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
        from ..core.explain import explain as run_explain

        text = sys.stdin.read(1_000_000) if query == "-" else query
        result = run_explain(text, choose_lang(lang))
        if json_output:
            emit_json(result)
        else:
            from ..render.catalogue_view import explain_doc

            emit_doc(explain_doc(result))


def compare(
    first: Annotated[str, typer.Argument(metavar="A", help="A code: 211, 550 or 5.7.1.")],
    second: Annotated[str, typer.Argument(metavar="B", help="Another code.")],
    lang: LangOption = None,
    json_output: JsonOption = False,
) -> None:
    """Compare two codes side by side: meaning, when you see them, how to fix, differences."""
    with guarded():
        from ..core.compare import compare as run_compare

        result = run_compare(first, second, choose_lang(lang))
        if json_output:
            emit_json(result)
        else:
            from ..render.catalogue_view import compare_doc

            emit_doc(compare_doc(result))


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
        from ..core.codes import list_codes

        result = list_codes(klass=klass, enhanced=enhanced, providers=providers,
                            lang=choose_lang(lang))
        if json_output:
            emit_json(result)
        else:
            from ..render.catalogue_view import codes_doc

            emit_doc(codes_doc(result))


COMMANDS = {"explain": explain, "compare": compare, "codes": codes}
