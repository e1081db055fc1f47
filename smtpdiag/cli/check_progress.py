"""What ``check`` shows on stderr while it waits: a progress bar, or for one target a status line.

The bar names the targets still being waited for and the time elapsed, also when ``--workers``
shares the targets over processes.  Nobody reports which targets have started, but it follows
from how they are taken: in input order (by the one process, or from the counter the workers
share), with ``--concurrency`` of them under way, so the ones under way are the unfinished
among the first ``finished + concurrency``.  A single target on a terminal gets ``probe``'s
status line instead (the step under way and where), which says more than a bar of one.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Lane", "Progress", "lanes_for"]


@dataclass
class Lane:
    """Targets (input indices, in the order they are taken) and how many run at once.

    Memory is the same for any number of targets: the indices are a ``range``, and only the
    targets under way (and any that finished before the count reached them) are remembered.
    """

    indices: range
    running: int
    finished: int = 0
    reached: int = 0  # how many of ``indices`` have been taken so far
    open: dict[int, None] = field(default_factory=dict)  # taken, unfinished, in input order
    early: set[int] = field(default_factory=set)  # finished before the count reached them

    def finish(self, index: int) -> None:
        self.finished += 1
        if self.open.pop(index, 0) is None:
            return
        if self.indices.index(index) >= self.reached:
            self.early.add(index)

    def under_way(self) -> list[int]:
        started = min(len(self.indices), self.finished + self.running)
        while self.reached < started:
            index = self.indices[self.reached]
            if index in self.early:
                self.early.discard(index)
            else:
                self.open[index] = None
            self.reached += 1
        return list(self.open)


def lanes_for(total: int, concurrency: int) -> list[Lane]:
    """One lane: the targets in input order, ``concurrency`` under way, with any number of
    workers (each takes the next target from one shared counter when a probe comes free)."""
    return [Lane(range(total), max(1, concurrency))]


class Progress:
    """A rich progress bar on stderr while results come in; nothing when it is not wanted."""

    SHOWN = 3

    def __init__(self, total: int, enabled: bool, names: Iterable[str] = (),
                 lanes: Sequence[Lane] = ()) -> None:
        self.bar: Any = None
        # Names are taken from ``names`` (in input order) as they are needed, and forgotten
        # once their target is done: a run of any size keeps a few, never all of them.
        self.names: Iterator[str] | None = iter(names) if names else None
        self.known: dict[int, str] = {}
        self.read = 0  # names taken from the iterator so far
        self.lanes = list(lanes)
        self.bad = 0
        if enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as Bar
            from rich.table import Column

            # The names of the hosts waited for take what is left, cut with … (never the count).
            waiting = Column(ratio=1, no_wrap=True, overflow="ellipsis")
            self.bar = Bar(TextColumn("smtpdiag check"), BarColumn(bar_width=20),
                           MofNCompleteColumn(), TimeElapsedColumn(),
                           TextColumn("{task.fields[bad]}"),
                           TextColumn("{task.fields[waiting]}", table_column=waiting,
                                      markup=False),  # target names: "[...]" is no style
                           expand=True, console=Console(file=sys.stderr), transient=True,
                           redirect_stdout=False, redirect_stderr=False)
            self.task = self.bar.add_task("check", total=total, bad="", waiting=self.waiting())
            self.bar.start()

    def waiting(self) -> str:
        """"waiting for a, b, c +4": the targets under way, in input order."""
        from ..render.doc import clean

        left = sorted(i for lane in self.lanes for i in lane.under_way())
        if not left or self.names is None:
            return ""
        more = f" +{len(left) - self.SHOWN}" if len(left) > self.SHOWN else ""
        return "waiting for " + clean(", ".join(self._name(i) for i in left[:self.SHOWN])) + more

    def _name(self, index: int) -> str:
        assert self.names is not None
        while self.read <= index:
            self.known[self.read] = next(self.names, "")
            self.read += 1
        return self.known[index]

    @property
    def shows(self) -> bool:
        """Whether ``advance`` does anything: a bar, or names of targets waited for."""
        return self.bar is not None or self.names is not None

    def advance(self, state: str, index: int | None = None) -> None:
        if index is not None and self.names is not None:  # no names, none waited for shown
            self.known.pop(index, None)
            lane = next((lane for lane in self.lanes if index in lane.indices), None)
            if lane is not None:
                lane.finish(index)
        if self.bar is not None:
            self.bad += state != "OK"
            self.bar.update(self.task, advance=1, bad=f"{self.bad} not OK" if self.bad else "",
                            waiting=self.waiting())

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
