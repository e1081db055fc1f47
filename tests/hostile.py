"""A kit of hostile SMTP servers: raw asyncio servers on 127.0.0.1, scripted byte by byte.

The fake server (aiosmtpd) is a well-behaved server that changes one thing; these are not
servers at all, just scripts that say exactly the bytes a test wants, when it wants them:

    with HostileServer([send(b"HELLO I AM NOT SMTP\\r\\n"), hang()]) as server:
        run_cli("probe", server.target, "--timeout", "1")

A script is a list of actions, run in order for every connection, or one async function
``(conn) -> None``.  An action is any ``async (conn) -> None``; the ones below cover the tests:
``send``, ``trickle``, ``expect``, ``receive``, ``sleep``, ``hang``, ``close``, ``start_tls`` and
``smtp`` (a small, correct SMTP dialogue, for "misbehaves, then behaves").  Every command line
the client sends is kept in ``server.received``, so a test can prove what reached (or never
reached) the server.  A command other than the one an ``expect`` waits for fails the test when
the server stops (``AssertionError``), instead of a silent hang-up that would leave the test to
pass for the wrong reason.  The server listens on 127.0.0.1 only, on a port the kernel picks.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType

__all__ = [
    "EHLO_OK",
    "GREETING",
    "Action",
    "Conn",
    "HostileServer",
    "Script",
    "answering",
    "close",
    "expect",
    "hang",
    "receive",
    "send",
    "sleep",
    "smtp",
    "start_tls",
    "trickle",
]

GREETING = b"220 hostile.test ESMTP ready\r\n"
EHLO_OK = b"250-hostile.test greets you\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n"


class Conn:
    """One accepted connection, as a script sees it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 received: list[bytes], unexpected: list[str] | None = None) -> None:
        self.reader, self.writer, self.received = reader, writer, received
        self.unexpected = [] if unexpected is None else unexpected

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def line(self) -> bytes:
        """The next command line from the client (b"" once it hung up), recorded."""
        data = await self.reader.readline()
        if data:
            self.received.append(data)
        return data


Action = Callable[[Conn], Awaitable[None]]
Script = Sequence[Action] | Action


class _HungUp(Exception):
    """The client went away or sent something else: the script stops here."""


def send(data: bytes) -> Action:
    async def action(conn: Conn) -> None:
        await conn.send(data)
    return action


def trickle(data: bytes, interval: float) -> Action:
    """Send ``data`` one byte at a time, ``interval`` seconds apart."""
    async def action(conn: Conn) -> None:
        for index in range(len(data)):
            await conn.send(data[index:index + 1])
            await asyncio.sleep(interval)
    return action


def expect(verb: bytes) -> Action:
    """Read one command line; stop the script if the client left, and fail the test (when the
    server stops) if the client sent anything but ``verb``."""
    async def action(conn: Conn) -> None:
        line = await conn.line()
        if not line:
            raise _HungUp
        if not line.upper().startswith(verb.upper()):
            conn.unexpected.append(f"expected {verb.decode()}, got {line!r}")
            raise _HungUp
    return action


def receive() -> Action:
    """Read whatever bytes come next (a TLS ClientHello, say), without looking at them."""
    async def action(conn: Conn) -> None:
        if not await conn.reader.read(65536):
            raise _HungUp
    return action


def sleep(seconds: float) -> Action:
    async def action(conn: Conn) -> None:
        await asyncio.sleep(seconds)
    return action


def hang() -> Action:
    """Keep the connection open and say nothing, until the client leaves."""
    async def action(conn: Conn) -> None:
        while await conn.line():
            pass
    return action


def close() -> Action:
    async def action(conn: Conn) -> None:
        raise _HungUp
    return action


def start_tls(context: ssl.SSLContext) -> Action:
    """Upgrade the connection as a TLS server (after a 220 to STARTTLS, or for implicit TLS)."""
    async def action(conn: Conn) -> None:
        await conn.writer.start_tls(context)
    return action


def smtp(ehlo: bytes = EHLO_OK) -> Action:
    """A correct SMTP server from here on: EHLO, MAIL, RCPT, RSET, DATA, QUIT."""
    async def action(conn: Conn) -> None:
        while True:
            line = await conn.line()
            verb = line[:4].upper()
            if not line:
                return
            if verb in (b"EHLO", b"HELO"):
                await conn.send(ehlo)
            elif verb == b"DATA":
                await conn.send(b"354 go ahead\r\n")
                while await conn.reader.readline() not in (b".\r\n", b""):
                    pass
                await conn.send(b"250 2.0.0 queued\r\n")
            elif verb == b"QUIT":
                await conn.send(b"221 2.0.0 bye\r\n")
                return
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                await conn.send(b"250 2.0.0 ok\r\n")
            else:
                await conn.send(b"502 5.5.2 not implemented\r\n")
    return action


def answering(replies: dict[bytes, list[bytes]], dot: bytes = b"250 2.0.0 queued\r\n",
              dot_delay: float = 0.0, ehlo: bytes = EHLO_OK,
              words: dict[bytes, bytes] | None = None, other: bytes = b"250 2.0.0 ok\r\n"
              ) -> Action:
    """An SMTP server whose answers to some verbs are scripted, one reply per use, in order;
    the reply to the final dot comes after ``dot_delay`` seconds (a slow content filter).
    ``ehlo`` is the server's EHLO, ``words`` its own reply to other verbs, ``other`` to the
    rest (an MTA's extensions and wording)."""
    async def action(conn: Conn) -> None:
        left = {verb: list(answers) for verb, answers in replies.items()}
        while line := await conn.line():
            verb = line[:4].upper()
            if left.get(verb):
                await conn.send(left[verb].pop(0))
            elif verb in (b"EHLO", b"HELO"):
                await conn.send(ehlo)
            elif verb == b"DATA":
                await conn.send(b"354 go ahead\r\n")
                while await conn.reader.readline() not in (b".\r\n", b""):
                    pass
                await asyncio.sleep(dot_delay)
                await conn.send(dot)
            elif verb == b"QUIT":
                await conn.send(b"221 2.0.0 bye\r\n")
                return
            else:
                await conn.send((words or {}).get(verb, other))
    return action


class HostileServer:
    """Run ``script`` for every connection to 127.0.0.1:``port``, in a background thread."""

    def __init__(self, script: Script, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self._actions: Sequence[Action] = [script] if callable(script) else script
        self._ssl = ssl_context
        self.host = "127.0.0.1"
        self.port = 0
        self.received: list[bytes] = []
        self.unexpected: list[str] = []
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def target(self) -> str:
        return f"{self.host}:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        conn = Conn(reader, writer, self.received, self.unexpected)
        try:
            for action in self._actions:
                await action(conn)
        except (_HungUp, ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:  # the server is stopping: end quietly
            pass
        finally:
            self._tasks.discard(task)  # type: ignore[arg-type]
            writer.close()  # flushes what was sent: a reply before a close must arrive

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, 0, ssl=self._ssl)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(5)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()
        if self.unexpected and kind is None:
            raise AssertionError("the client sent a command the script did not expect: "
                                 + "; ".join(self.unexpected))
