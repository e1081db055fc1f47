"""``json_text``: the one way JSON is written, safe for a terminal and exact for a parser."""

from __future__ import annotations

import json

import pytest

from smtpdiag.render.doc import json_text


@pytest.mark.parametrize("text", [
    "550 5.1.1 plain ASCII",
    "550 DEL\x7f in ASCII",  # the one ASCII character json.dumps leaves raw
    "550 bidi \u202eevil\u202c and C1 \x85",
    "550 中文 ü and \u2028 a line separator",
])
@pytest.mark.parametrize("indent", [None, 2])
def test_json_text_escapes_what_a_terminal_acts_on_and_parses_back(text, indent):
    data = {"input": text, "reason": {"name": "x", "n": [1, None, True]}}
    out = json_text(data, indent=indent)
    assert json.loads(out) == data
    assert not any(0x7f <= ord(c) <= 0x9f or c in "\u061c\u200e\u200f" or 0x2028 <= ord(c) <= 0x202e
                   or 0x2066 <= ord(c) <= 0x2069 for c in out)
    if text.isascii() and "\x7f" not in text:  # nothing to escape: json's own text
        assert out == json.dumps(data, ensure_ascii=False, indent=indent)
    else:
        assert "\\u" in out
