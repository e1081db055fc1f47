"""JSON's sentences carry server text as it is shown; its reply lines carry the exact text.

A ``summary`` or a ``message`` is a sentence for a person: a monitor puts it in an alert, a CI
job prints it with ``jq -r``, a chat webhook posts it.  So a server's ESC, NUL, bidi override
or byte that is not UTF-8 quoted in one is written escaped, exactly as the terminal, nagios and
junit show it (``\\x1b``, ``\\x00``, ``\\u202e``, ``\\xff``, a backslash as ``\\\\``).  The data
fields (a reply's ``lines`` and ``raw``, ``unasked``) keep the exact text for programs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from smtpdiag.render.doc import clean

from .conftest import assert_no_traceback, run_cli
from .hostile import GREETING, HostileServer, answering, send

# ESC, NUL, a bidi override, a byte that is not UTF-8, and a backslash spelling an escape
SAID = b"5.1.1 \x1b[31mred \x00nul \xe2\x80\xae rtl \xff byte \\x1b spelled"
EXACT = SAID.decode("utf-8", "surrogateescape")
SHOWN = "5.1.1 \\x1b[31mred \\x00nul \\u202e rtl \\xff byte \\\\x1b spelled"
RAW = re.compile("[\x00-\x1f\x7f-\x9f\u202e\ud800-\udfff]")
SCRIPT = [send(GREETING), answering({b"RCPT": [b"550 " + SAID + b"\r\n"]})]


def _sentences(data: Any, key: str = "") -> Iterator[str]:
    """Every ``summary`` and ``message`` string, outside the annotations' catalogue text."""
    if isinstance(data, dict):
        for name, value in data.items():
            if name != "annotation":
                yield from _sentences(value, name)
    elif isinstance(data, list):
        for item in data:
            yield from _sentences(item, key)
    elif isinstance(data, str) and key in ("summary", "message"):
        yield data


def _documents(target: str) -> dict[str, list[Any]]:
    runs = {"probe --json": ("probe", target, "--dry-run", "--json"),
            "check json": ("check", target, "--no-mx", "--format", "json"),
            "check jsonl": ("check", target, "--no-mx", "--format", "jsonl"),
            "check jsonl --full": ("check", target, "--no-mx", "--format", "jsonl", "--full")}
    found = {}
    for name, args in runs.items():
        result = run_cli(*args, "--timeout", "5", "--to", "a@b.test")
        assert_no_traceback(result)
        found[name] = [json.loads(line) for line in result.stdout.splitlines() if line] \
            if "jsonl" in name else [json.loads(result.stdout)]
    return found


def test_clean_shows_the_server_text_as_the_test_expects() -> None:
    assert clean(EXACT) == SHOWN


@pytest.fixture(scope="module")
def documents() -> dict[str, list[Any]]:
    with HostileServer(SCRIPT) as server:
        return _documents(server.target)


@pytest.mark.parametrize("name", ["probe --json", "check json", "check jsonl",
                                  "check jsonl --full"])
def test_every_summary_and_message_quotes_the_server_as_shown(
        documents: dict[str, list[Any]], name: str) -> None:
    sentences = [s for document in documents[name] for s in _sentences(document)]
    quoting = [s for s in sentences if "red" in s]
    assert quoting, sentences  # the refusal is quoted somewhere
    for sentence in sentences:
        assert not RAW.search(sentence), (name, sentence)
    assert all(SHOWN in s for s in quoting), quoting


@pytest.mark.parametrize("name", ["probe --json", "check json", "check jsonl --full"])
def test_the_reply_lines_keep_the_exact_text(documents: dict[str, list[Any]], name: str) -> None:
    report = documents[name][0]
    report = report.get("report", report)
    if "targets" in report:
        report = report["targets"][0]["report"]
    rcpt = next(s for s in report["attempts"][0]["steps"] if s["name"] == "rcpt")
    # a byte that is not UTF-8 as the text \xNN (README); everything else exactly as sent
    assert rcpt["reply"]["lines"] == [EXACT.replace("\udcff", "\\xff")]
