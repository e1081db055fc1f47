"""Server text that draws nothing: zero-width characters, tag characters and their kin.

``test_safety.py`` holds the controls, escapes, bidi overrides and markup.  These characters do
nothing to a terminal, but they show as nothing at all, so a reply can hide words in them
(text written in Unicode tag characters is invisible everywhere) or look like another reply
(``250 OK`` with a zero-width space inside is not ``250 OK``).  Every output shows each of them
as its escape; ``--json`` keeps the exact text, written as ``\\uXXXX`` escapes.
"""

from __future__ import annotations

import json
import re

import pytest

from smtpdiag.core.replies import excerpt
from smtpdiag.render.doc import clean, json_text

from .conftest import assert_no_traceback, run_cli
from .hostile import HostileServer, Script, expect, send, smtp

# Each invisible character, and how every output shows it.
INVISIBLE = {
    "\u200b": "\\u200b",  # zero-width space
    "\u200c": "\\u200c",  # zero-width non-joiner
    "\u200d": "\\u200d",  # zero-width joiner
    "\u2060": "\\u2060",  # word joiner
    "\u2062": "\\u2062",  # invisible times
    "\ufeff": "\\ufeff",  # zero-width no-break space (BOM)
    "\u00ad": "\\xad",  # soft hyphen
    "\u034f": "\\u034f",  # combining grapheme joiner
    "\u115f": "\\u115f",  # Hangul choseong filler
    "\u3164": "\\u3164",  # Hangul filler
    "\u180e": "\\u180e",  # Mongolian vowel separator
    "\ufe0f": "\\ufe0f",  # variation selector 16
    "\ufff9": "\\ufff9",  # interlinear annotation anchor
    "\U000e0041": "\\U000e0041",  # tag latin capital letter A: hidden text
    "\U000e007f": "\\U000e007f",  # cancel tag
    "\U000e0100": "\\U000e0100",  # variation selector 17
    "\U0001d173": "\\U0001d173",  # musical symbol begin beam
    "\ufdd0": "\\ufdd0",  # noncharacters: never text; U+FFFE and U+FFFF are not even XML
    "\ufffe": "\\ufffe",  # (a JUnit reader in Java or libxml2 refuses the whole file)
    "\uffff": "\\uffff",
}
HIDDEN = "".join(f"({char})" for char in INVISIBLE)
SHOWN = "".join(f"({escape})" for escape in INVISIBLE.values())
RAW = re.compile("[" + "".join(INVISIBLE) + "]")
SCRIPT: Script = [
    send(("220 hostile.test " + HIDDEN + "\r\n").encode()), expect(b"EHLO"),
    send(("250-hostile.test\r\n250 X-" + HIDDEN + "\r\n").encode()),
    expect(b"MAIL"), send(b"250 2.1.0 ok\r\n"), expect(b"RCPT"),
    send(("550 5.1.1 no such user " + HIDDEN + "\r\n").encode()), smtp(),
]


def test_clean_and_excerpt_show_every_invisible_character_escaped() -> None:
    assert clean("a" + HIDDEN + "b") == "a" + SHOWN + "b"
    assert clean(excerpt(HIDDEN, 1000)) == "'" + SHOWN + "'"
    text = json_text({"t": HIDDEN})
    assert not RAW.search(text)
    assert json.loads(text) == {"t": HIDDEN}
    assert "\\udb40\\udc41" in text  # beyond the BMP: JSON's surrogate pair


def test_probe_shows_invisible_characters_in_every_output(tmp_path) -> None:
    transcript = tmp_path / "transcript.txt"
    with HostileServer(SCRIPT) as server:
        plain = run_cli("probe", server.target, "--timeout", "10", "--dry-run",
                        "--transcript", str(transcript))
        coloured = run_cli("probe", server.target, "--timeout", "10", "--dry-run",
                           env={"FORCE_COLOR": "1"})
        as_json = run_cli("probe", server.target, "--timeout", "10", "--dry-run", "--json")
    assert_no_traceback(plain)
    assert plain.returncode == 1, plain.stdout + plain.stderr
    kept = transcript.read_text(encoding="utf-8")
    for text in (plain.stdout, coloured.stdout, kept):
        assert not RAW.search(text)
    lines = [re.sub(r"   \d+ ms$", "", line) for line in plain.stdout.splitlines()]
    assert "greeting     ← 220 hostile.test " + SHOWN in lines
    assert "             ← 250 X-" + SHOWN in lines
    assert "             ← 550 5.1.1 no such user " + SHOWN in lines
    assert "S: 550 5.1.1 no such user " + SHOWN in kept.splitlines()
    assert not RAW.search(as_json.stdout)
    steps = {s["name"]: s for s in json.loads(as_json.stdout)["attempts"][0]["steps"]}
    assert steps["rcpt"]["reply"]["lines"] == ["5.1.1 no such user " + HIDDEN]  # exact


@pytest.mark.parametrize("form", ["text", "nagios", "junit", "jsonl", "json"])
def test_check_shows_invisible_characters_escaped_in_every_format(form: str) -> None:
    with HostileServer(SCRIPT) as server:
        result = run_cli("check", server.target, "--timeout", "10", "--format", form,
                         env={"COLUMNS": "400"})
    assert_no_traceback(result)
    assert result.returncode == 2, result.stdout + result.stderr  # the 550: CRITICAL
    assert not RAW.search(result.stdout + result.stderr)
    if form == "junit":  # every character one XML 1.0 allows
        assert not re.search("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]",
                             result.stdout)
    if form in ("text", "nagios", "junit"):
        assert "no such user " + SHOWN in result.stdout
    else:  # JSON: a sentence as shown; a reply's lines (the full report) the exact text
        document = json.loads(result.stdout.splitlines()[0] if form == "jsonl"
                              else result.stdout)
        summary = document["summary"] if form == "jsonl" else document["targets"][0]["summary"]
        assert "no such user " + SHOWN in summary
        if form == "json":
            assert "no such user " + HIDDEN in json.dumps(document, ensure_ascii=False)
