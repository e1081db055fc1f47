"""``net/wire.py`` reads through one reused buffer (``BufferedProtocol``): the replies are what
the bytes say, however they arrive (in pieces, larger than the buffer, several connections at
once), on asyncio's loop and on uvloop.  Real sockets on loopback; the reference is the pure
parser fed the same bytes at once."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import pytest

from smtpdiag.core.replies import parse_reply
from smtpdiag.net.wire import _RECEIVE_BYTES, RecordingProtocol

LONG = b"".join(b"250-" + bytes([65 + i % 26]) * 1990 + b"\r\n" for i in range(199)) + \
    b"250 last\r\n"  # about 400 KB: more than one read of the buffer


def _loops() -> list[Callable[[], asyncio.AbstractEventLoop]]:
    factories: list[Callable[[], asyncio.AbstractEventLoop]] = [asyncio.new_event_loop]
    try:
        import uvloop
    except ImportError:
        return factories
    return [*factories, uvloop.new_event_loop]


async def _exchange(pieces: list[bytes]) -> tuple[list[object], bool]:
    """Connect a RecordingProtocol to a loopback server that sends ``pieces`` (a pause between
    each) as its greeting and then answers one command with LONG; return what was read."""
    loop = asyncio.get_running_loop()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    port = listener.getsockname()[1]

    async def serve() -> None:
        conn, _ = await loop.sock_accept(listener)
        with conn:
            for piece in pieces:
                await loop.sock_sendall(conn, piece)
                await asyncio.sleep(0.02)
            await loop.sock_recv(conn, 100)
            await loop.sock_sendall(conn, LONG)
            await asyncio.sleep(0.05)

    server = asyncio.ensure_future(serve())
    proto = RecordingProtocol(loop)
    transport, _ = await loop.create_connection(lambda: proto, "127.0.0.1", port)
    try:
        await proto.read_response()
        greeting = proto.take_reply()
        long = await proto.exchange(b"EHLO x")
        await server
    finally:
        transport.close()
        listener.close()
    return [greeting, long], isinstance(proto, asyncio.BufferedProtocol)


@pytest.mark.parametrize("factory", _loops(), ids=lambda f: f.__module__.split(".")[0])
@pytest.mark.parametrize("pieces", [
    [b"220 ready\r\n"],
    [b"220-first\r", b"\n220-sec", b"ond\r\n220 last\r\n"],
    [b"2", b"20 split in the code\r\n"],
])
def test_replies_read_through_the_buffer_are_what_the_bytes_say(
        factory: Callable[[], asyncio.AbstractEventLoop], pieces: list[bytes]) -> None:
    assert len(LONG) > _RECEIVE_BYTES
    with asyncio.Runner(loop_factory=factory) as runner:
        (greeting, long), buffered = runner.run(_exchange(pieces))
    assert buffered
    assert greeting == parse_reply(b"".join(pieces))
    assert long == parse_reply(LONG)


def test_many_connections_at_once_share_the_buffer_without_mixing() -> None:
    async def many() -> list[tuple[list[object], bool]]:
        return await asyncio.gather(*(_exchange([b"220 n%d\r\n" % i]) for i in range(20)))

    results = asyncio.run(many())
    assert [greeting for (greeting, _), _ in results] == [
        parse_reply(b"220 n%d\r\n" % i) for i in range(20)]
    assert all(long == parse_reply(LONG) for (_, long), _ in results)
