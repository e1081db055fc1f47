"""``check``'s writers: the same output as rendering the whole run, from results in any order.

The writers hold a compact record per target (on disk for nagios and text, in order for
junit) instead of the results; these tests hold their output equal, byte for byte, to the
whole-run renderers given the same results, whatever order the results arrive in, from real
probes of real loopback servers.  The pieces (``Spool``, ``InOrder``) are tested on their own.
"""

from __future__ import annotations

import asyncio
import io
import random
import socket
from collections.abc import Iterator

import pytest

from smtpdiag.cli import check_writers
from smtpdiag.cli.check_spool import Spool
from smtpdiag.cli.check_writers import InOrder, writer_for
from smtpdiag.core.health import STATES, CheckResult, CheckRun, judge
from smtpdiag.core.thresholds import build_thresholds
from smtpdiag.fakeserver import Certs, FakeServer
from smtpdiag.net.fleet import probe_many
from smtpdiag.net.probe import ProbeOptions
from smtpdiag.render.check_formats import CheckFormat, jsonl_line, render, write_rendered
from smtpdiag.render.check_totals import RunTotals

HELO = "writers.smtpdiag.test"


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[CheckResult]]:
    """Thirty results of seven kinds (TLS, refusals, a greylist, a dead port), judged."""
    servers = [FakeServer("healthy", tls="starttls",
                          certs=Certs.create(str(tmp_path_factory.mktemp("tls")))).start()]
    servers += [FakeServer(scenario, tls="none").start()
                for scenario in ("healthy", "greylist", "mail-refused", "unknown-user")]
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    dead = sock.getsockname()[1]
    sock.close()
    try:
        kinds = [f"127.0.0.1:{s.port}" for s in servers]
        kinds += [f"127.0.0.1:{dead}", "127.0.0.1:x"]  # refused; not a target (UNKNOWN)
        targets = [kinds[i % len(kinds)] for i in range(30)]
        options = ProbeOptions(timeout=3, deadline=3, helo=HELO, dry_run=True, explain=False,
                               ca_file=servers[0].certs.ca_file if servers[0].certs else None)

        async def run() -> list[CheckResult]:
            limits = build_thresholds(cert_warn_days=400_000)
            found = [judge(report, limits, index=i)
                     async for i, report in probe_many(targets, options, concurrency=30)]
            return sorted(found, key=lambda result: result.index)

        yield asyncio.run(run())
    finally:
        for server in servers:
            server.stop()


def _through_writer(results: list[CheckResult], fmt: CheckFormat, order: list[int], *,
                    color: bool = False, width: int | None = None) -> str:
    stream = io.StringIO()
    thresholds = build_thresholds(cert_warn_days=400_000)
    writer = writer_for(fmt, stream, size=len(results), thresholds=thresholds, full=False,
                        watched=False, color=color, fit=width, wrap=width)
    counts = dict.fromkeys(STATES, 0)
    try:
        for i in order:
            counts[results[i].state] += 1
            writer.add(i, results[i].state, writer.piece(results[i]))
        writer.finish(RunTotals(counts, "2026-12-02T00:00:00+00:00", 1234.5,
                                targets=len(results)))
    finally:
        writer.close()
    return stream.getvalue()


def _whole(results: list[CheckResult], fmt: CheckFormat, *, color: bool = False,
           width: int | None = None) -> str:
    run = CheckRun(tuple(results), build_thresholds(cert_warn_days=400_000),
                   started_at="2026-12-02T00:00:00+00:00", elapsed_ms=1234.5)
    stream = io.StringIO()
    write_rendered(render(run, fmt, width), stream, color=color, width=width)
    return stream.getvalue()


@pytest.mark.parametrize("fmt", [CheckFormat.nagios, CheckFormat.junit, CheckFormat.text,
                                 CheckFormat.json])
@pytest.mark.parametrize("size", [1, 2, 30])
def test_a_writer_writes_what_the_whole_run_renders_in_any_order(results, fmt, size, monkeypatch):
    # A tiny allowance makes junit's waiting suites go to disk too.
    monkeypatch.setattr(check_writers, "WAITING_CHARS", 3000)
    chosen = results[:size]
    whole = _whole(chosen, fmt)
    assert {r.state for r in results} == {"OK", "WARNING", "CRITICAL", "UNKNOWN"}
    for seed in range(3):
        order = list(range(size))
        random.Random(seed).shuffle(order)
        assert _through_writer(chosen, fmt, order) == whole, (fmt, order)


@pytest.mark.parametrize("width", [60, 120])
def test_the_text_writer_styles_and_fits_as_the_whole_table_does(results, width):
    order = list(reversed(range(len(results))))
    assert _through_writer(results, CheckFormat.text, order, color=True, width=width) == \
        _whole(results, CheckFormat.text, color=True, width=width)


def test_jsonl_lines_are_written_as_they_come(results):
    order = list(reversed(range(len(results))))
    assert _through_writer(results, CheckFormat.jsonl, order) == "".join(
        jsonl_line(results[i]) for i in order)


# -- the pieces ---------------------------------------------------------------------------------


def test_a_spool_gives_its_records_back_in_index_order_as_often_as_asked():
    spool = Spool(6)
    for index in (4, 1, 5, 0):
        spool.add(index, ("record", index, "x" * index))
    try:
        assert len(spool) == 4 and spool.has(4) and not spool.has(2)
        twice = [list(spool), list(spool)]
        assert twice[0] == twice[1] == [("record", i, "x" * i) for i in (0, 1, 4, 5)]
        assert spool.pop(4) == ("record", 4, "xxxx")
        assert not spool.has(4) and len(spool) == 3
        assert [r[1] for r in spool] == [0, 1, 5]
    finally:
        spool.close()


@pytest.mark.parametrize("limit", [0, 10, 10_000])
def test_in_order_hands_on_by_index_whatever_the_arrival(limit, monkeypatch):
    monkeypatch.setattr(check_writers, "WAITING_CHARS", limit)
    for seed in range(20):
        order = list(range(50))
        random.Random(seed).shuffle(order)
        emitted: list[str] = []
        buffer = InOrder(50, emitted.append)
        try:
            for step, index in enumerate(order):
                buffer.add(index, f"t{index}")
                # Everything before the first missing index is out; nothing after it is.
                arrived = set(order[:step + 1])
                first_missing = next(i for i in range(51) if i not in arrived)
                assert emitted == [f"t{i}" for i in range(first_missing)]
            assert buffer.held == 0 and not buffer.waiting
        finally:
            buffer.close()


def test_in_order_gives_what_waits_behind_a_missing_index(monkeypatch):
    monkeypatch.setattr(check_writers, "WAITING_CHARS", 4)
    emitted: list[str] = []
    buffer = InOrder(8, emitted.append)
    for index in (0, 3, 6, 2, 5):
        buffer.add(index, f"t{index}")
    assert emitted == ["t0"]
    assert list(buffer.rest()) == ["t2", "t3", "t5", "t6"]  # 1, 4 and 7 never came
    assert list(buffer.rest()) == []
    buffer.close()
