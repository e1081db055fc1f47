"""What ``explain``, ``compare`` and ``codes`` do once their arguments are known, without typer.

``catalogue.py`` declares their arguments and options for typer and calls these functions with
all of them; ``smtpdiag.cli.main`` calls ``explain`` and ``compare`` directly for a command line
of plain words, leaving every option at the default written here (a test checks that these
defaults are typer's).  They never touch the network, so they import no I/O library:
``tests/test_startup.py`` checks that, ``bench/bench_startup.py`` measures what it buys.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from ..errors import UsageError
from .common import choose_lang, emit_doc, emit_json, guarded, output_width

__all__ = ["codes", "compare", "explain"]


def explain(query: list[str] | None, lines: str | None = None, jsonl: bool = False,
            lang: str | None = None, json_output: bool = False) -> None:
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


def compare(first: str, second: str, lang: str | None = None,
            json_output: bool = False) -> None:
    """Compare two codes side by side: meaning, when you see them, how to fix, differences."""
    with guarded():
        from ..core.compare import compare as run_compare

        result = run_compare(first, second, choose_lang(lang))
        if json_output:
            emit_json(result)
        else:
            from ..render.catalogue_view import compare_doc

            emit_doc(compare_doc(result))


def codes(klass: int | None = None, enhanced: bool = False, providers: bool = False,
          lang: str | None = None, json_output: bool = False) -> None:
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
