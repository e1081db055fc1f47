"""What the heading of a ``check`` run says, kept as counts, so no result is held to write it.

The streamed formats (jsonl, junit) and the spooled ones (nagios, text) write their first or
last line from a ``RunTotals``: the count of each state, the run's times, and, for a run of
one target, that target's summary.  ``RunTotals.of`` gives the same for a whole ``CheckRun``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..core.health import CheckRun

__all__ = ["RunTotals", "run_summary", "totals_summary"]


@dataclass(slots=True)
class RunTotals:
    """A run's counts and times; ``first`` is the one result's (target, summary, seconds)
    while there is only one; ``stopped`` says what stopped a run early ("SIGINT")."""

    counts: dict[str, int]
    started_at: str = ""
    elapsed_ms: float = 0.0
    deadline_reached: bool = False
    dry_run: bool = True
    first: tuple[str, str, float] | None = None
    targets: int = 0  # how many the run was given
    stopped: str | None = None
    done: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.done = sum(self.counts.values())

    @property
    def state(self) -> str:
        from ..core.health import worst

        return worst(s for s, n in self.counts.items() if n)

    @classmethod
    def of(cls, run: CheckRun) -> RunTotals:
        one = run.results[0] if len(run.results) == 1 else None
        return cls(run.counts(), run.started_at, run.elapsed_ms, run.deadline_reached,
                   run.dry_run, None if one is None else (
                       one.target, one.summary, one.metrics.total), len(run.results))


def totals_summary(totals: RunTotals) -> str:
    """``N targets: 2 CRITICAL, 5 OK``, or for a run of one target ``target: its summary``."""
    stopped = (f"; stopped by {totals.stopped} after {totals.done} of {totals.targets} targets"
               if totals.stopped else "")
    if totals.done == 1 and totals.first is not None:
        return f"{totals.first[0]}: {totals.first[1]}{stopped}"
    counts = totals.counts
    parts = [f"{counts[s]} {s}" for s in ("CRITICAL", "WARNING", "UNKNOWN", "OK") if counts[s]]
    extra = "; the overall deadline was reached" if totals.deadline_reached else ""
    return f"{totals.done} targets: {', '.join(parts)}{extra}{stopped}"


def run_summary(run: CheckRun) -> str:
    return totals_summary(RunTotals.of(run))
