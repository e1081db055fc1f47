"""A minimal, fast SMTP responder for benchmarks: the target that is never the bottleneck.

    python bench/responder.py [--listeners 8] [--processes 1] [--loop auto|asyncio|uvloop]

Prints its ports as one JSON line, then serves until stdin closes.  It answers a dry-run
session (greeting, EHLO/HELO, MAIL, RCPT, RSET, NOOP, QUIT) with canned replies from a bare
``asyncio.Protocol``: no parsing beyond the verb, no per-session objects beyond the protocol,
so a client that talks to it is limited by its own CPU, not by the server's.  ``--processes``
forks that many copies sharing the listening sockets (the kernel spreads the connections).
``--loop auto`` runs the protocol on uvloop when it is installed (``pip install uvloop``): the
same ``asyncio.Protocol`` on an event loop written in C, which costs the shared cores about
half as much per session, so that a benchmark on a machine with few cores sees more of the
client.  The loop in use is printed on standard error.  Loopback only (127.0.0.1).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import sys
from typing import cast

GREETING = b"220 bench.responder.test ESMTP ready\r\n"
EHLO = b"250-bench.responder.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 10240000\r\n"
REPLIES = {
    b"EHLO": EHLO, b"HELO": b"250 bench.responder.test\r\n", b"MAIL": b"250 2.1.0 Ok\r\n",
    b"RCPT": b"250 2.1.5 Ok\r\n", b"RSET": b"250 2.0.0 Ok\r\n", b"NOOP": b"250 2.0.0 Ok\r\n",
}
BYE = b"221 2.0.0 Bye\r\n"
UNKNOWN = b"502 5.5.2 Command not implemented\r\n"


class Responder(asyncio.Protocol):
    """Canned replies, one per command line; a session ends at QUIT or when the client goes."""

    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.transport.write(GREETING)

    def data_received(self, data: bytes) -> None:
        transport = self.transport
        assert transport is not None
        if not self.buffer and data.endswith(b"\n") and data.count(b"\n") == 1:
            verb = data[:4].upper()  # one whole command line: as a client nearly always sends
            if verb == b"QUIT":
                transport.write(BYE)
                transport.close()
            else:
                transport.write(REPLIES.get(verb, UNKNOWN))
            return
        self.buffer += data
        out = []
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            verb = line[:4].upper()
            if verb == b"QUIT":
                out.append(BYE)
                transport.write(b"".join(out))
                transport.close()
                return
            out.append(REPLIES.get(verb, UNKNOWN))
        if out:
            transport.write(b"".join(out))


def listeners(count: int) -> list[socket.socket]:
    socks = []
    for _ in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(4096)
        sock.setblocking(False)
        socks.append(sock)
    return socks


async def serve(socks: list[socket.socket]) -> None:
    loop = asyncio.get_running_loop()
    servers = [await loop.create_server(Responder, sock=sock, backlog=4096) for sock in socks]
    stop = asyncio.Event()
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not os.read(0, 4096) else None)
    await stop.wait()
    for server in servers:
        server.close()


def _loop_factory(choice: str) -> tuple[str, type[asyncio.AbstractEventLoopPolicy] | None]:
    if choice == "asyncio":
        return "asyncio", None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise SystemExit("responder: --loop uvloop, but uvloop is not installed") from None
        return "asyncio (uvloop is not installed)", None
    return f"uvloop {getattr(uvloop, '__version__', '')}".rstrip(), uvloop.EventLoopPolicy


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--listeners", type=int, default=8)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--loop", choices=("auto", "asyncio", "uvloop"), default="auto")
    args = parser.parse_args()
    name, policy = _loop_factory(args.loop)
    if policy is not None:
        asyncio.set_event_loop_policy(policy())
    print(f"responder: event loop {name}", file=sys.stderr, flush=True)
    socks = listeners(args.listeners)
    print(json.dumps([s.getsockname()[1] for s in socks]), flush=True)
    children = []
    for _ in range(args.processes - 1):
        pid = os.fork()
        if pid == 0:
            asyncio.run(serve(socks))
            os._exit(0)
        children.append(pid)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(socks))
    for pid in children:
        os.waitpid(pid, 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
