"""Server text that spells an escape: the four characters ``\\x1b`` are not an ESC.

Every output that escapes server text shows a control as ``\\x1b`` and a byte that is not
UTF-8 as ``\\xff``; a server that sends those very characters must not look the same.  So a
backslash the server sent is shown as ``\\\\`` wherever text is escaped (terminal, colour,
transcript, error messages, ``check``'s text, Nagios and JUnit), and ``--json`` keeps the exact
text, which JSON's own escaping already tells apart.  A byte that is not UTF-8 is kept as the
byte (so it is ``\\xff``, never ``\\\\xff``) and written to JSON as the text ``\\xff``, never as
a lone-surrogate escape that strict JSON readers refuse.
"""

from __future__ import annotations

import json
import re

import pytest

from smtpdiag.core.replies import excerpt
from smtpdiag.render.doc import clean, json_text

from .conftest import assert_no_traceback, run_cli
from .hostile import HostileServer, Script, expect, hang, send, smtp

# A real ESC and the text "\x1b"; a byte 0xff that is not UTF-8 and the text "\xff".
GREETING = b"220 hostile.test real \x1b[31m spelt \\x1b[31m\r\n"
REFUSAL = b"550 5.1.1 byte \xff text \\xff C:\\mail\r\n"
SHOWN_GREETING = "220 hostile.test real \\x1b[31m spelt \\\\x1b[31m"
SHOWN_REFUSAL = "550 5.1.1 byte \\xff text \\\\xff C:\\\\mail"
SCRIPT: Script = [send(GREETING), expect(b"EHLO"), send(b"250 hostile.test\r\n"),
                  expect(b"MAIL"), send(b"250 2.1.0 ok\r\n"), expect(b"RCPT"), send(REFUSAL),
                  smtp()]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_clean_and_excerpt_tell_a_spelt_escape_from_a_real_one() -> None:
    assert clean("\x1b") == "\\x1b"
    assert clean("\\x1b") == "\\\\x1b"
    assert clean("\udcff") == "\\xff"  # a byte that was not UTF-8
    assert clean("C:\\x") != clean("C:\x0cx")
    assert clean(excerpt(b"\x1b \\x1b \xff")) == "'\\x1b \\\\x1b \\xff'"  # once, where shown
    text = json_text({"t": "a\udcffb\\"})
    assert "\\udc" not in text
    assert json.loads(text) == {"t": "a\\xffb\\"}


def test_probe_shows_a_spelt_escape_apart_from_a_real_one_in_every_output(tmp_path) -> None:
    transcript = tmp_path / "transcript.txt"
    with HostileServer(SCRIPT) as server:
        plain = run_cli("probe", server.target, "--timeout", "10", "--dry-run",
                        "--transcript", str(transcript))
        coloured = run_cli("probe", server.target, "--timeout", "10", "--dry-run",
                           env={"FORCE_COLOR": "1", "COLUMNS": "300"})
        as_json = run_cli("probe", server.target, "--timeout", "10", "--dry-run", "--json")
    assert_no_traceback(plain)
    assert plain.returncode == 1, plain.stdout + plain.stderr
    for text in (plain.stdout, ANSI.sub("", coloured.stdout)):
        assert SHOWN_GREETING in text
        assert SHOWN_REFUSAL in text
    kept = transcript.read_text(encoding="utf-8")
    assert "S: " + SHOWN_GREETING in kept.splitlines()
    assert "S: " + SHOWN_REFUSAL in kept.splitlines()
    assert "\\udc" not in as_json.stdout  # strict JSON readers refuse a lone surrogate
    steps = {s["name"]: s for s in json.loads(as_json.stdout)["attempts"][0]["steps"]}
    assert steps["greeting"]["reply"]["raw"] == ["220 hostile.test real \x1b[31m spelt \\x1b[31m"]
    assert steps["rcpt"]["reply"]["lines"] == ["5.1.1 byte \\xff text \\xff C:\\mail"]


def _strings(value: object) -> list[str]:
    """Every string in a JSON document."""
    if isinstance(value, str):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) \
        else ()
    return [text for item in items for text in _strings(item)]


@pytest.mark.parametrize("form", ["text", "nagios", "junit", "jsonl", "json"])
def test_check_shows_a_spelt_escape_apart_in_every_format(form: str) -> None:
    with HostileServer(SCRIPT) as server:
        result = run_cli("check", server.target, "--timeout", "10", "--format", form,
                         *(["--full"] if form == "jsonl" else []), env={"COLUMNS": "400"})
    assert_no_traceback(result)
    assert result.returncode == 2, result.stdout + result.stderr  # the 550: CRITICAL
    assert "\\udc" not in result.stdout
    if form in ("text", "nagios", "junit"):
        assert "byte \\xff text \\\\xff C:\\\\mail" in result.stdout
        if form != "junit":  # the first line, which quotes one target's summary, too
            assert "byte \\xff text \\\\xff C:\\\\mail" in result.stdout.splitlines()[0]
    else:
        texts = _strings(json.loads(result.stdout))
        assert any("byte \\xff text \\xff C:\\mail" in text for text in texts)


def test_an_error_message_quotes_a_spelt_escape_apart_from_a_real_one() -> None:
    with HostileServer([send(b"220-hostile.test \x1b \\x1b \xff \\xff"), hang()]) as server:
        result = run_cli("probe", server.target, "--timeout", "1", "--dry-run")
    assert_no_traceback(result)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "\\x1b \\\\x1b \\xff \\\\xff" in result.stdout + result.stderr
