"""After QUIT, the server closes the connection first (RFC 5321 §4.1.1.10), so that it, not us,
keeps the connection's TIME_WAIT; a server that does not close still ends the walk at once."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

from smtpdiag.net.probe import ProbeOptions, probe

REPLIES = {b"EHLO": b"250-quiet.test\r\n250 SIZE 1000\r\n", b"MAIL": b"250 2.1.0 Ok\r\n",
           b"RCPT": b"250 2.1.5 Ok\r\n", b"RSET": b"250 2.0.0 Ok\r\n"}


class OneSession(threading.Thread):
    """One SMTP session on a real socket.  After its 221 it waits ``linger`` seconds before
    closing, and notes whether the client hung up in that time (``client_closed_first``)."""

    def __init__(self, linger: float) -> None:
        super().__init__(daemon=True)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.linger = linger
        self.client_closed_first: bool | None = None

    def run(self) -> None:
        conn, _ = self.listener.accept()
        with conn, self.listener:
            conn.sendall(b"220 quiet.test ESMTP\r\n")
            reader = conn.makefile("rb")
            for line in reader:
                verb = line[:4].upper()
                if verb == b"QUIT":
                    conn.sendall(b"221 2.0.0 Bye\r\n")
                    conn.settimeout(self.linger)
                    try:
                        self.client_closed_first = conn.recv(1) == b""
                    except TimeoutError:
                        self.client_closed_first = False
                    return
                conn.sendall(REPLIES.get(verb, b"502 5.5.2 no\r\n"))


def _walk(server: OneSession) -> tuple[float, object]:
    server.start()
    opts = ProbeOptions(helo="client.test", timeout=10, dry_run=True, explain=False)
    began = time.monotonic()
    report = asyncio.run(probe(f"127.0.0.1:{server.port}", opts))
    server.join(5)
    return time.monotonic() - began, report


def test_the_client_lets_the_server_close_first_after_its_221() -> None:
    server = OneSession(linger=0.05)  # closes well within the client's wait
    _, report = _walk(server)
    assert report.verdict == "accepted"  # type: ignore[attr-defined]
    assert [s.name for s in report.attempts[0].steps][-1] == "quit"  # type: ignore[attr-defined]
    assert server.client_closed_first is False


@pytest.mark.parametrize("linger", [3.0])
def test_a_server_that_stays_open_after_221_does_not_hold_the_walk(linger: float) -> None:
    server = OneSession(linger=linger)
    took, report = _walk(server)
    assert report.verdict == "accepted"  # type: ignore[attr-defined]
    assert took < 1.5  # the walk closed ours instead of waiting for the server
    assert server.client_closed_first is True


def test_walks_waiting_at_once_each_end_on_their_own_hang_up_or_wait() -> None:
    """One timer ends every walk's wait (``net.loopwaits``): a server that closes ends its walk's
    wait; the walks whose servers stay open are each closed by the client, soon."""
    servers = [OneSession(linger=3.0), OneSession(linger=0.05), OneSession(linger=3.0)]
    for server in servers:
        server.start()
    opts = ProbeOptions(helo="client.test", timeout=10, dry_run=True, explain=False)

    async def every() -> list[object]:
        return list(await asyncio.gather(*(probe(f"127.0.0.1:{s.port}", opts) for s in servers)))

    began = time.monotonic()
    reports = asyncio.run(every())
    took = time.monotonic() - began
    for server in servers:
        server.join(5)
    assert [r.verdict for r in reports] == ["accepted"] * 3  # type: ignore[attr-defined]
    assert took < 1.5
    assert [s.client_closed_first for s in servers] == [True, False, True]
