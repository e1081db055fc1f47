"""``net/stepclock.py``: one timer per walk enforces each step's limit as ``asyncio.timeout``
would, on a real event loop (no network needed)."""

from __future__ import annotations

import asyncio
import time

import pytest

from smtpdiag.net.stepclock import StepClock


async def _step(clock: StepClock, limit: float, takes: float) -> str:
    clock.start(limit)
    try:
        await asyncio.sleep(takes)
    except asyncio.CancelledError:
        if clock.stop():
            return "timeout"
        raise
    clock.stop()
    return "done"


def test_a_step_within_its_limit_is_left_alone_and_one_timer_serves_every_step() -> None:
    async def main() -> list[object]:
        clock = StepClock()
        seen = [await _step(clock, 5, 0)]
        handle = clock._handle
        seen += [await _step(clock, 5, 0.01), await _step(clock, 6, 0)]
        seen.append(clock._handle is handle)  # later, longer limits keep the one timer
        clock.close()
        seen.append(clock._handle)
        return seen

    assert asyncio.run(main()) == ["done", "done", "done", True, None]


def test_a_step_that_overruns_is_cancelled_and_told_it_was_the_clock() -> None:
    async def main() -> tuple[str, str, int]:
        clock = StepClock()
        first = await _step(clock, 0.05, 5)
        task = asyncio.current_task()
        assert task is not None
        second = await _step(clock, 5, 0)  # the task carries on, uncancelled
        clock.close()
        return first, second, task.cancelling()

    assert asyncio.run(main()) == ("timeout", "done", 0)


def test_the_timer_moves_on_to_the_step_under_way() -> None:
    # Ordered, not timed: the first step ends at once and leaves the timer set for its 0.1 s;
    # the second may take 30 s and sleeps 0.3 s, so that timer fires during it, however slow
    # the machine (a sleep only ever runs late), and must move on to the second step's end.
    async def main() -> tuple[list[str], float, float]:
        clock = StepClock()
        results = [await _step(clock, 0.1, 0)]
        assert clock._handle is not None
        first_end = clock._handle.when()
        results.append(await _step(clock, 30, 0.3))
        assert clock._handle is not None, "the timer was dropped, not moved on"
        moved_to = clock._handle.when()
        clock.close()
        return results, first_end, moved_to

    results, first_end, moved_to = asyncio.run(main())
    assert results == ["done", "done"]
    assert moved_to > first_end + 29  # re-set for the second step's end (30 s after it began)


def test_a_shorter_limit_than_the_timer_gets_its_own() -> None:
    async def main() -> list[str]:
        clock = StepClock()
        results = [await _step(clock, 30, 0)]
        results.append(await _step(clock, 0.05, 5))  # not 30 s: its own, earlier, limit
        clock.close()
        return results

    assert asyncio.run(main()) == ["done", "timeout"]


def test_a_cancellation_from_elsewhere_is_not_taken_for_a_timeout() -> None:
    async def walk() -> str:
        clock = StepClock()
        try:
            return await _step(clock, 5, 5)
        finally:
            clock.close()

    async def main() -> None:
        task = asyncio.ensure_future(walk())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


def test_both_at_once_the_outer_cancellation_wins() -> None:
    clocks: list[StepClock] = []

    async def walk() -> str:
        clock = StepClock()
        clocks.append(clock)
        try:
            return await _step(clock, 0.01, 5)
        finally:
            clock.close()

    async def main() -> None:
        task = asyncio.ensure_future(walk())
        await asyncio.sleep(0)  # the walk starts its step and waits
        time.sleep(0.02)  # the step's time runs out while the loop is held here
        clock = clocks[0]
        assert clock._handle is not None
        clock._handle.cancel()
        clock._check()  # the clock's timer fires (run by hand, so the order is known) ...
        assert clock._fired
        task.cancel()  # ... and in the same pass someone else cancels the walk
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


async def _walk_in_probe(outer: StepClock, outer_limit: float, inner_limit: float,
                         takes: float) -> str:
    """A fleet worker's clock (outer, one per worker) around a walk's clock (inner, one per
    walk) on the same task, as ``fleet._one`` runs ``probe``."""
    outer.start(outer_limit)
    try:
        inner = StepClock()
        try:
            result = "walk " + await _step(inner, inner_limit, takes)
        finally:
            inner.close()
    except asyncio.CancelledError:
        if outer.stop():
            return "fleet timeout"
        raise
    outer.stop()
    return result


@pytest.mark.parametrize(("outer", "inner", "expected"), [
    (5, 0.05, "walk timeout"),  # the walk's own step limit comes first: the walk says so
    (0.05, 5, "fleet timeout"),  # the fleet's limit comes first: the walk re-raises, fleet says
    (5, 5, "walk done"),
])
def test_a_fleet_clock_and_a_walk_clock_on_one_task_each_know_their_own_cancellation(
        outer: float, inner: float, expected: str) -> None:
    async def main() -> tuple[str, str, int]:
        clock = StepClock()
        first = await _walk_in_probe(clock, outer, inner, 0.5)
        second = await _walk_in_probe(clock, 5, 5, 0)  # the next probe runs uncut
        clock.close()
        task = asyncio.current_task()
        assert task is not None
        return first, second, task.cancelling()

    assert asyncio.run(main()) == (expected, "walk done", 0)


def test_an_outside_cancellation_still_wins_over_both_clocks() -> None:
    async def worker() -> str:
        return await _walk_in_probe(StepClock(), 5, 5, 5)  # the clocks of the worker's task

    async def main() -> str:
        task = asyncio.create_task(worker())
        await asyncio.sleep(0.05)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            return "cancelled"
        return "not cancelled"

    assert asyncio.run(main()) == "cancelled"


def test_a_lent_clock_serves_walk_after_walk_with_one_timer_and_still_times_them() -> None:
    """A fleet worker lends one clock to its walks (``lend_to_walks``): each walk borrows it
    (``for_walk``) and gives it back (``close``) with its timer still set for the next; a step
    that overruns is still its walk's timeout."""

    async def main() -> list[object]:
        lender = StepClock()
        lender.lend_to_walks()
        first = StepClock.for_walk()
        seen: list[object] = [first is lender, await _step(first, 5, 0)]
        handle = lender._handle
        nested = StepClock.for_walk()  # lent already: a walk within a walk gets its own
        seen.append(nested is lender)
        nested.close()
        first.close()
        second = StepClock.for_walk()
        seen += [second is lender, lender._handle is handle, await _step(second, 0.02, 5)]
        second.close()
        lender.close()
        seen.append(lender._handle)
        return seen

    assert asyncio.run(main()) == [True, "done", False, True, True, "timeout", None]


def test_a_task_started_by_the_lender_does_not_borrow_its_clock() -> None:
    async def main() -> bool:
        lender = StepClock()
        lender.lend_to_walks()

        async def other() -> StepClock:
            return StepClock.for_walk()  # the context is copied, the task is not the lender's

        borrowed = await asyncio.ensure_future(other())
        borrowed.close()
        lender.close()
        return borrowed is lender

    assert asyncio.run(main()) is False
