"""A fleet leaves no garbage cycle per probe: each closed connection is freed by reference
counting at once, so the cyclic collector (whose every pass walks all the sessions under way)
seldom runs and finds nothing.  Real probes of a real server on loopback, on asyncio's loop
(uvloop's transports are not Python objects and have no such cycle)."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
from collections.abc import Iterator

import pytest

from smtpdiag.fakeserver import FakeServer
from smtpdiag.net import implicit
from smtpdiag.net.fleet import probe_many
from smtpdiag.net.probe import ProbeOptions

OPTIONS = ProbeOptions(timeout=5, helo="garbage.smtpdiag.test", dry_run=True, explain=False)


@pytest.fixture(scope="module", params=["none", "starttls"])
def server(request: pytest.FixtureRequest) -> Iterator[FakeServer]:
    with FakeServer("healthy", tls=request.param) as running:
        yield running


def _client_transports(port: int) -> int:
    """asyncio socket transports still alive whose peer is the server's port: ours."""
    from asyncio.selector_events import _SelectorSocketTransport

    return sum(1 for o in gc.get_objects() if isinstance(o, _SelectorSocketTransport)
               and (o.get_extra_info("peername") or ("", 0))[1] == port)


def test_probes_leave_no_transport_for_the_cyclic_collector(server: FakeServer) -> None:
    targets = [f"127.0.0.1:{server.port}"] * 12
    ca_file = server.certs.ca_file if server.certs is not None else None
    options = dataclasses.replace(OPTIONS, tls=server.tls, ca_file=ca_file)

    async def run() -> tuple[list[str], int]:
        verdicts = [r.verdict async for _, r in probe_many(targets, options, concurrency=4)]
        await asyncio.sleep(0.05)  # every connection_lost has run
        return verdicts, _client_transports(server.port)

    gc.collect()
    gc.disable()
    try:
        verdicts, alive = asyncio.run(run())
        left = _client_transports(server.port)
    finally:
        gc.enable()
    assert verdicts == ["accepted"] * len(targets)
    assert (alive, left) == (0, 0)


def _alive(kind: type) -> int:
    return sum(1 for o in gc.get_objects() if type(o) is kind)


def test_finished_walks_are_not_held_by_the_greeting_silence(server: FakeServer) -> None:
    """A walk waits out the greeting's silence (``--tls auto``) among the loop's waits
    (``net.loopwaits``): once its greeting is read it leaves, and nothing there keeps it, its
    connection or its replies alive for the rest of the silence (2 s), in which a fleet on
    asyncio's loop finishes thousands of probes more."""
    from smtpdiag.net.dialogue import Walk
    from smtpdiag.net.wire import RecordingProtocol

    targets = [f"127.0.0.1:{server.port}"] * 12
    ca_file = server.certs.ca_file if server.certs is not None else None
    options = dataclasses.replace(OPTIONS, tls="auto", ca_file=ca_file)
    assert implicit.silence_for(options.timeout) is not None  # each walk waits among them

    async def run() -> tuple[list[str], int, int]:
        verdicts = [r.verdict async for _, r in probe_many(targets, options, concurrency=4)]
        await asyncio.sleep(0.05)  # every connection_lost has run
        gc.collect()
        return verdicts, _alive(Walk), _alive(RecordingProtocol)

    verdicts, walks, protocols = asyncio.run(run())
    assert verdicts == ["accepted"] * len(targets)
    assert (walks, protocols) == (0, 0)
