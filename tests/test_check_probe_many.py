"""``probe_many``, the fleet under ``check``: a slow host holds back no other, the overall
deadline reports the targets it never let start, and each target has its own timeout.
Real fake servers and a port that never greets, on loopback.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from smtpdiag.core.health import judge
from smtpdiag.core.thresholds import Thresholds
from smtpdiag.fakeserver import FakeServer
from smtpdiag.model import Report
from smtpdiag.net.fleet import probe_many
from smtpdiag.net.probe import ProbeOptions

from .check_servers import FAST, running_servers, where

# The fleet's deadline where healthy hosts must finish inside it: a loaded 2-core machine took
# 0.8 s for three loopback probes at once (a 0.8-s deadline then cut one of them).  What is
# asserted is the order and the verdicts, which a fleet that held the others back would get
# wrong whatever the deadline; a longer one only spends the silent host's wait.
ROOMY = 2.5
SLACK = 1.0  # the brief: a deadline is honoured within one second


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, FakeServer]]:
    """The two servers, each probed once before any test times a fleet: a process's first
    probe loads what every later one reuses, 1.8 s of a loaded machine's wall clock."""
    for running in running_servers(tmp_path_factory, ("healthy", "greylist")):
        fleet([where(server) for server in running.values()], FAST)
        yield running


def fleet(targets: list[str], opts: ProbeOptions, **kwargs: Any
          ) -> list[tuple[float, int, Report]]:
    async def run() -> list[tuple[float, int, Report]]:
        started = time.monotonic()
        return [(time.monotonic() - started, index, report)
                async for index, report in probe_many(targets, opts, **kwargs)]

    return asyncio.run(run())


def test_fleet_a_slow_host_does_not_hold_back_the_others(servers, silent_port, closed_port):
    targets = [f"127.0.0.1:{silent_port}", where(servers["healthy"]),
               f"127.0.0.1:{closed_port}", where(servers["greylist"])]
    got = fleet(targets, replace(FAST, timeout=10, deadline=10), deadline=ROOMY)
    assert sorted(index for _, index, _ in got) == [0, 1, 2, 3]
    by_index = {index: (at, report) for at, index, report in got}
    assert got[-1][1] == 0  # the silent host comes last, the others as they finish
    at, silent = by_index[0]
    assert ROOMY - 0.1 < at < ROOMY + SLACK
    assert silent.verdict == "failed"
    assert silent.error is not None and f"overall deadline of {ROOMY:g} s" in silent.error.message
    assert judge(silent, Thresholds()).state == "CRITICAL"
    assert judge(by_index[1][1], Thresholds()).state == "OK"
    assert judge(by_index[2][1], Thresholds()).state == "CRITICAL"
    assert judge(by_index[3][1], Thresholds()).state == "WARNING"


def test_fleet_reports_targets_the_deadline_never_let_start(servers, silent_port):
    targets = [f"127.0.0.1:{silent_port}", where(servers["healthy"])]
    got = fleet(targets, FAST, concurrency=1, deadline=0.5)
    reports = {index: report for _, index, report in got}
    assert reports[1].verdict == "failed" and reports[1].error is not None
    assert reports[1].error.kind == "timeout"
    assert "not started" in reports[1].error.message
    assert judge(reports[0], Thresholds()).state == "CRITICAL"


def test_fleet_per_target_timeout_and_concurrency(servers, silent_port):
    """The silent host is cut by its own step timeout (1 s), long before its probe's deadline
    (10 s), in a fleet that has no deadline of its own; three at a time."""
    targets = [where(servers["healthy"])] * 6 + [f"127.0.0.1:{silent_port}"]
    started = time.monotonic()
    got = fleet(targets, replace(FAST, timeout=1, deadline=10), concurrency=3)
    assert time.monotonic() - started < 1 + 5 * SLACK  # well under the probe's 10 s
    reports = [report for _, _, report in sorted(got, key=lambda item: item[1])]
    assert [judge(report, Thresholds()).state for report in reports] == ["OK"] * 6 + [
        "CRITICAL"]
    silent = reports[-1].attempts[-1].error
    assert silent is not None and silent.kind == "timeout" and silent.step == "greeting"


def test_delivered_reports_are_the_ones_the_iterator_gives(servers, silent_port, closed_port):
    """``deliver`` takes each report from its probe's task; the iterator then gives only what
    the deadline left.  The same targets, verdicts and errors either way."""
    targets = [where(servers["healthy"]), f"127.0.0.1:{silent_port}",
               f"127.0.0.1:{closed_port}", where(servers["greylist"])] * 3
    opts = replace(FAST, timeout=10, deadline=10)

    async def delivered() -> list[tuple[int, Report]]:
        got: list[tuple[int, Report]] = []
        left = [item async for item in probe_many(
            targets, opts, concurrency=4, deadline=ROOMY,
            deliver=lambda index, report: got.append((index, report)))]
        assert all(report.error is not None for _, report in left)  # only what was cut off
        return got + left

    def facts(items: list[tuple[int, Report]]) -> list[tuple[int, str, str | None]]:
        return sorted((i, r.verdict, r.error.kind if r.error else None) for i, r in items)

    iterated = [(index, report) for _, index, report in fleet(
        targets, opts, concurrency=4, deadline=ROOMY)]
    assert facts(asyncio.run(delivered())) == facts(iterated)
    assert [i for i, _, _ in facts(iterated)] == list(range(len(targets)))
    assert {i for i, _, kind in facts(iterated) if kind == "timeout"} == {1, 5, 9}


def test_an_error_in_deliver_ends_the_run_and_is_raised(servers):
    targets = [where(servers["healthy"])] * 6

    async def run() -> None:
        def deliver(index: int, report: Report) -> None:
            raise BrokenPipeError("the output went away")

        async for _ in probe_many(targets, FAST, concurrency=2, deliver=deliver):
            pass

    with pytest.raises(BrokenPipeError, match="output went away"):
        asyncio.run(run())
