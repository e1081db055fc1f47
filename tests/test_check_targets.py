"""``check``'s targets are read twice from the file and never held; the progress bar's
bookkeeping stays the size of what is under way.  Pure file reading: no sockets."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from smtpdiag.cli.check_progress import Lane, Progress, lanes_for
from smtpdiag.cli.check_targets import read_targets
from smtpdiag.core.targets import Target
from smtpdiag.errors import UsageError

LISTING = ("\ufeff# fleet\nmx1.example.com:25\n\n  192.0.2.1  # a literal\r\n"
           "[2001:db8::1]:587\nlast.example")


def texts(items: object) -> list[str]:
    return [t.text if isinstance(t, Target) else str(t) for t in items]  # type: ignore[attr-defined]


def test_the_file_is_read_again_on_every_walk_and_gives_the_same_targets(tmp_path: Path) -> None:
    listing = tmp_path / "targets.txt"
    listing.write_text(LISTING, encoding="utf-8")
    targets = read_targets(["first.example:2525"], listing, port=None, no_mx=False)
    try:
        expected = ["first.example:2525", "mx1.example.com:25", "192.0.2.1",
                    "[2001:db8::1]:587", "last.example"]
        assert len(targets) == 5
        assert texts(targets) == expected
        assert texts(targets) == expected  # a second walk: the same, from the start
        walks = iter(targets), iter(targets)  # two at once (the bar and the probes) do not mix
        assert [texts([next(walks[0])]), texts([next(walks[1])])] == [expected[:1]] * 2
        assert texts(walks[1]) == expected[1:] and texts(walks[0]) == expected[1:]
        last = list(targets)[-1]
        assert isinstance(last, Target) and last.mail_domain and last.host == "last.example"
        assert [(i, t.text) for i, t in targets.pick(iter([1, 3]))] == [  # type: ignore[union-attr]
            (1, "mx1.example.com:25"), (3, "[2001:db8::1]:587")]
        assert [i for i, _ in targets.pick(iter([0, 4, 5, 9]))] == [0, 4]  # none past the end
        assert targets.first().text == "first.example:2525"
        assert "192.0.2.1" not in targets and list(targets)[2] in targets
    finally:
        targets.close()


def test_a_file_replaced_during_the_run_changes_nothing(tmp_path: Path) -> None:
    listing = tmp_path / "targets.txt"
    listing.write_text("a.example:25\nb.example:25\n")
    targets = read_targets([], listing, port=None, no_mx=False)
    replacement = tmp_path / "new.txt"
    replacement.write_text("c.example:25\n")
    replacement.replace(listing)  # as an editor saves
    assert texts(targets) == ["a.example:25", "b.example:25"]
    targets.close()


def test_a_line_that_no_longer_parses_is_handed_on_as_text(tmp_path: Path) -> None:
    listing = tmp_path / "targets.txt"
    listing.write_text("a.example:25\nb.example:25\n")
    targets = read_targets([], listing, port=None, no_mx=False)
    with open(listing, "r+") as handle:  # rewritten in place, same length
        handle.write("a.example:25\nb.example:xx\n")
    assert texts(targets) == ["a.example:25", "b.example:xx"]
    assert isinstance(list(targets)[1], str)
    listing.write_text("a.example:25\nb.exa mple:2\n")
    assert texts(targets) == ["a.example:25", "b.exa mple:2"]  # the probe reports it
    targets.close()


def test_standard_input_is_spooled_and_read_like_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("\ufeffx.example:25\r\n# c\ny.example\n"))
    targets = read_targets([], Path("-"), port=None, no_mx=True)
    assert texts(targets) == texts(targets) == ["x.example:25", "y.example"]
    assert not list(targets)[1].mail_domain  # type: ignore[union-attr]
    targets.close()


def test_a_bad_line_is_named_by_its_number_before_anything_is_probed(tmp_path: Path) -> None:
    listing = tmp_path / "targets.txt"
    listing.write_text("ok.example:25\n" * 70000 + "bad target\n")  # past one read's chunk
    with pytest.raises(UsageError, match=r"targets.txt:70001: target 'bad target'"):
        read_targets([], listing, port=None, no_mx=False)
    with pytest.raises(UsageError, match="no targets"):
        read_targets([], _empty(tmp_path), port=None, no_mx=False)


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.txt"
    path.write_text("# nothing\n\n")
    return path


def test_a_lane_remembers_only_what_is_under_way() -> None:
    lane = Lane(range(0, 100_000, 2), running=3)
    assert lane.under_way() == [0, 2, 4]
    lane.finish(8)  # finished before the count reached it (a faster slot)
    assert lane.under_way() == [0, 2, 4, 6]
    for index in range(0, 100_000, 2):
        if index != 8:
            lane.finish(index)
        lane.under_way()
    assert lane.under_way() == [] and not lane.open and not lane.early
    progress = Progress(5, False, (f"h{i}" for i in range(5)), lanes_for(5, 2))
    assert progress.waiting() == "waiting for h0, h1"
    for index in range(5):
        progress.advance("OK", index)
    assert progress.waiting() == "" and not progress.known
