"""``core/text``: the edges of cutting at a word and of rounding, where a comparison's ``>``
against ``>=`` shows (``tests/test_text.py`` covers the ordinary cases)."""

from __future__ import annotations

import pytest

from smtpdiag.core.text import duration, seconds, shorten


@pytest.mark.parametrize(("text", "limit", "cut"), [
    ("abcde fghijklmn", 10, "abcde…"),      # the space exactly at half the room: cut there
    ("abcde fghijklmnop", 11, "abcde…"),    # half of an odd room rounds down
    ("abcdef ghijklmn", 10, "abcdef…"),
    ("abcdX efgh", 6, "abcdX…"),            # only spacing and punctuation are dropped
    ("abcd, efgh", 6, "abcd…"),
])
def test_shorten_at_half_the_room(text: str, limit: int, cut: str) -> None:
    assert shorten(text, limit) == cut


@pytest.mark.parametrize(("value", "shown"), [
    (9.95, "10"), (10.5, "10"), (9.94, "9.9"), (0.5, "0.5"), (0.0, "0"),
])
def test_seconds_at_its_edges(value: float, shown: str) -> None:
    assert seconds(value) == shown


@pytest.mark.parametrize(("value", "shown"), [
    (0.9995, "1.0 s"), (0.9994, "999 ms"), (99.95, "100 s"), (99.94, "99.9 s"),
])
def test_duration_at_its_edges(value: float, shown: str) -> None:
    assert duration(value) == shown
