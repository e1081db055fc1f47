"""core/text.py: cutting at a word and rounding seconds, exactly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smtpdiag.core.text import duration, seconds, shorten

REPLY = "550 5.7.26 This mail has been blocked because the sender is unauthenticated."


@pytest.mark.parametrize(("limit", "expected"), [
    (200, REPLY),
    (len(REPLY), REPLY),
    (len(REPLY) - 1, "550 5.7.26 This mail has been blocked because the sender is…"),
    (30, "550 5.7.26 This mail has been…"),
    (31, "550 5.7.26 This mail has been…"),
    (11, "550 5.7.26…"),
    (10, "550 5.7.2…"),  # no word boundary in the second half: cut inside the word
    (2, "5…"),
    (1, "…"),
    (0, ""),
])
def test_shorten_cuts_after_a_whole_word(limit, expected):
    assert shorten(REPLY, limit) == expected


def test_shorten_drops_punctuation_before_the_mark():
    assert shorten("refused: 450 4.2.0 <a@b>: Recipient rejected", 14) == "refused: 450…"
    assert shorten("one, two, three", 10) == "one, two…"


@given(st.text(alphabet=st.sampled_from("ab ,.:"), max_size=60), st.integers(0, 70))
def test_shorten_never_exceeds_the_limit_and_marks_every_cut(text, limit):
    out = shorten(text, limit)
    assert len(out) <= limit
    if out != text:
        assert out.endswith("…") or limit == 0
        assert text.startswith(out.removesuffix("…"))


@pytest.mark.parametrize(("value", "expected"), [
    (2.99022, "3"), (1.99844, "2"), (0.98, "1"), (2.5, "2.5"), (0.5, "0.5"), (0.49, "0.49"),
    (0.25, "0.25"), (0.0391, "0.039"), (0.00001, "0"), (9.94, "9.9"), (9.96, "10"),
    (12.3, "12"), (3600.4, "3600"), (3.0, "3"),
])
def test_seconds_for_people(value, expected):
    assert seconds(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (0.0004, "0 ms"), (0.3034, "303 ms"), (0.9994, "999 ms"), (0.9996, "1.0 s"),
    (2.99, "3.0 s"), (99.94, "99.9 s"), (99.96, "100 s"), (250.2, "250 s"),
])
def test_duration_with_its_unit(value, expected):
    assert duration(value) == expected
