"""A command line with a control character in it is never sent, however the walk's step is
sent (``StepWalk.command`` skips aiosmtplib's pattern for a printable line only).  Real sockets
on loopback: what the server received is read back."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from smtpdiag.errors import UsageError
from smtpdiag.net.steps import StepWalk
from smtpdiag.net.walkoptions import WalkOptions


async def _send(lines: list[str]) -> tuple[list[object], bytes]:
    """Each line sent as one step of a walk to a server that answers 250 to anything; what
    each step gave (its reply code, or the error raised) and every byte the server read."""
    loop = asyncio.get_running_loop()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    got = bytearray()

    async def serve() -> None:
        conn, _ = await loop.sock_accept(listener)
        with conn:
            await loop.sock_sendall(conn, b"220 ready\r\n")
            while data := await loop.sock_recv(conn, 4096):
                got.extend(data)
                await loop.sock_sendall(conn, b"250 ok\r\n" * data.count(b"\n"))

    server = asyncio.ensure_future(serve())
    walk = StepWalk("127.0.0.1", "127.0.0.1", port, WalkOptions(helo="client.test"),
                    time.monotonic() + 10)
    results: list[object] = []
    try:
        await walk.connect()
        assert walk.proto is not None
        await walk.proto.receive()
        for line in lines:
            try:
                results.append((await walk.command("ehlo", line)).code)
            except UsageError as exc:
                results.append(exc)
    finally:
        walk.close()
        await asyncio.wait_for(server, 5)
        listener.close()
    return results, bytes(got)


@pytest.mark.parametrize("line", ["EHLO a\r\nRSET", "EHLO a\nb", "EHLO a\x00", "EHLO a\x7f",
                                  "EHLO a\x1b[31m", "EHLO é\rx", "EHLO \u2028x\r"])
def test_a_control_character_is_refused_and_nothing_is_sent(line: str) -> None:
    results, got = asyncio.run(_send(["EHLO first.test", line, "EHLO é.test"]))
    assert results[0] == 250 and results[2] == 250
    assert isinstance(results[1], UsageError) and "control character" in str(results[1])
    assert got == "EHLO first.test\r\nEHLO é.test\r\n".encode()
