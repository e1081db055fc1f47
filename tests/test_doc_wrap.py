"""Wrapping a line for a terminal keeps a number with its unit and gives back every word."""

from __future__ import annotations

import io
import re

import pytest

from smtpdiag.render.doc import Doc, write_doc

LINE = ("smtpdiag check: CRITICAL — 3 targets: 1 CRITICAL, 2 OK  (51 ms, dry run) "
        "took 1.5 s for 300 bytes, 12 days left, 9.8 KiB")


@pytest.mark.parametrize("width", range(20, 61, 3))
@pytest.mark.parametrize("color", [False, True])
@pytest.mark.parametrize("indent", ["", "  "])
def test_a_number_and_its_unit_never_part(width, color, indent):
    stream = io.StringIO()
    write_doc(Doc().add(indent, LINE), stream, color=color, width=width)
    text = re.sub(r"\x1b\[[0-9;]*m", "", stream.getvalue())
    lines = text.splitlines()
    assert len(lines) > 1  # it did wrap
    assert all(len(line.rstrip()) <= width for line in lines)
    assert not any(re.match(r"\s*(ms|s|bytes|days|KiB)\b", line) for line in lines[1:])
    assert " ".join(text.split()) == " ".join(LINE.split())
    assert "\ue000" not in text


@pytest.mark.parametrize("marker", ["1. ", "12. ", "• ", "  - "])
def test_a_list_item_hangs_past_its_marker(marker):
    stream = io.StringIO()
    item = "Both answer RCPT and DATA-END; only 421 answers CONNECT, EHLO, HELO, MAIL and DATA."
    write_doc(Doc().add(marker, item), stream, color=False, width=40)
    first, *rest = stream.getvalue().splitlines()
    assert first.startswith(marker) and rest
    assert all(line.startswith(" " * len(marker)) and line[len(marker)] != " " for line in rest)
    assert " ".join(stream.getvalue().split()) == " ".join((marker + item).split())


def test_text_that_only_looks_like_a_marker_does_not_hang():
    stream = io.StringIO()
    write_doc(Doc().add("1. " + "word " * 20), stream, color=False, width=40)
    assert all(not line.startswith(" ") for line in stream.getvalue().splitlines())
