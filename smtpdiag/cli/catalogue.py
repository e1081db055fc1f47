"""The catalogue commands ``explain``, ``compare`` and ``codes``: parsing and output only.

They never touch the network, so they import no I/O library: ``tests/test_startup.py`` checks
that, ``bench/bench_startup.py`` measures what it buys.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Annotated, Any

import typer

from ..errors import UsageError
from .common import choose_lang, emit_doc, emit_json, guarded, output_width

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
                                           "failed recipient of an mbox or maildir, streamed.")
    ] = False,
    lang: LangOption = None,
    json_output: JsonOption = False,
) -> None:
    """Explain a reply code, a reply, a bounce text or whole bounce messages, with the cause."""
    with guarded():
        from .explain_input import documents, line_documents

        language = choose_lang(lang)
        if lines is not None:
            if query:
                raise UsageError("give either --lines FILE or a text to explain, not both")
            stream = line_documents(lines, language)
        elif not query:
            raise UsageError("nothing to explain: give a code (550, 5.7.1), a reply text, a "
                             "message file, or --lines FILE")
        else:
            stream = documents(list(query), language, records=jsonl)
        if lines is not None and not (jsonl or json_output):
            _emit_records(stream)
        else:
            _emit_all(stream, jsonl=jsonl or lines is not None, json=json_output)


def _emit_records(stream: Iterator[dict[str, Any]]) -> None:
    """``--lines`` as text: one line per input, the cause first."""
    from ..render.catalogue_view import record_line

    write = sys.stdout.write
    for record in stream:
        write(record_line(record) + "\n")


def _emit_all(stream: Iterator[dict[str, Any]], *, jsonl: bool, json: bool) -> None:
    """Stream documents out: JSONL one per line, JSON one document (or a list), or text."""
    if jsonl:
        from ..render.doc import json_text

        write = sys.stdout.write
        for document in stream:
            write(json_text(document, indent=None) + "\n")
        return
    if json:
        collected = list(stream)
        emit_json(collected[0] if len(collected) == 1 else collected)
        return
    from ..render.catalogue_view import explain_doc

    for number, document in enumerate(stream):
        if number:
            sys.stdout.write("\n")
        emit_doc(explain_doc(document))


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

            emit_doc(codes_doc(result, output_width()))


COMMANDS = {"explain": explain, "compare": compare, "codes": codes}
