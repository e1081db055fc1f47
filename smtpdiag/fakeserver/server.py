"""Run a scenario on loopback in a background thread: ``FakeServer`` and ``serve_forever``.

aiosmtpd's ``Controller`` supplies the thread and event loop.  Two of its habits are changed:
it binds by host and port (so "find a free port, then bind it" would race with other tests) —
here it is handed a socket we bound ourselves, port 0 included, so there is no race to retry;
and it checks readiness by connecting and reading the greeting, which costs a TLS handshake in
implicit mode and 1.5 s in the slow-greeting scenario — here it only connects and closes, which
is enough to make asyncio build the protocol object the Controller waits for.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import ssl
import tempfile
import threading
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Literal

from aiosmtpd.controller import Controller

from ..errors import UsageError
from .certs import Certs
from .protocol import ScenarioSMTP
from .recorded import Recorded
from .scenarios import DEMO_PASSWORD, DEMO_USER, scenario_class

__all__ = ["TLS_MODES", "FakeServer", "ListenError", "TlsMode", "serve_forever"]

TlsMode = Literal["starttls", "implicit", "none"]
TLS_MODES: tuple[TlsMode, ...] = ("starttls", "implicit", "none")
DEFAULT_HOSTNAME = "fake.smtpdiag.test"


class ListenError(UsageError):
    """The port cannot be listened on (in use, privileged, or the address is not here)."""

    def __init__(self, host: str, port: int, exc: OSError) -> None:
        super().__init__(f"cannot listen on {_where(host, port)}: "
                         f"{(exc.strerror or str(exc)).lower()}")
        self.errno: int = exc.errno or 0


def _loopback_host(host: str) -> str:
    """``host`` as a loopback IP literal; "localhost" means 127.0.0.1 and is never looked up.

    The fake server never listens beyond loopback, whatever a caller or a hosts file says.
    """
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"the fake server binds to a loopback IP address, not {host!r}") from None
    if not address.is_loopback:
        raise ValueError(f"the fake server only listens on loopback, not on {host}")
    return host


def _loopback_socket(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``, already checked by ``_loopback_host``."""
    address = ipaddress.ip_address(host)
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name == "posix":  # a restarted `smtpdiag serve` may rebind despite TIME_WAIT
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(100)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


class _Controller(Controller):
    """aiosmtpd's threaded controller, serving on a socket bound beforehand."""

    def __init__(
        self,
        make_protocol: Callable[[asyncio.AbstractEventLoop], ScenarioSMTP],
        sock: socket.socket,
        ssl_context: ssl.SSLContext | None,
    ) -> None:
        host, port = sock.getsockname()[:2]
        super().__init__(None, hostname=host, port=port, ssl_context=ssl_context)
        self._make_protocol = make_protocol
        self._sock = sock

    def factory(self) -> ScenarioSMTP:
        return self._make_protocol(self.loop)

    def _create_server(self) -> Awaitable[asyncio.AbstractServer]:
        return self.loop.create_server(self._factory_invoker, sock=self._sock, ssl=self.ssl_context)

    def _trigger_server(self) -> None:
        with socket.create_connection((self.hostname, self.port), timeout=1.0):
            pass


class FakeServer:
    """A scripted SMTP server on loopback; a context manager that starts and stops it.

    ``tls`` is "starttls" (offered after EHLO, unless the scenario says otherwise), "implicit"
    (TLS from the first byte, like port 465) or "none".  Without ``certs``, good ones are made in
    a temporary directory that lives as long as the server runs.  ``port`` 0 picks a free port;
    the one in use is in ``port`` once started.
    """

    def __init__(
        self,
        scenario: str = "healthy",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: TlsMode = "starttls",
        certs: Certs | None = None,
        hostname: str = DEFAULT_HOSTNAME,
        log: Callable[[str], None] | None = None,
    ) -> None:
        if tls not in TLS_MODES:
            raise ValueError(f"unknown TLS mode {tls!r}; known: {', '.join(TLS_MODES)}")
        self._scenario_class = scenario_class(scenario)
        self.scenario = scenario
        self.host = _loopback_host(host)
        self.port = port
        self.tls: TlsMode = tls
        self.certs = certs
        self.hostname = hostname
        self.log = log  # told each session's commands and replies, one line each
        self.recorded = Recorded()
        self._controller: _Controller | None = None
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        self._connections: set[ScenarioSMTP] = set()  # touched only in the server's loop

    @property
    def starttls_offered(self) -> bool:
        """Whether EHLO lists STARTTLS (the no-starttls scenario withholds it)."""
        return self.tls == "starttls" and self._scenario_class.offers_starttls

    def start(self) -> FakeServer:
        if self._controller is not None:
            raise RuntimeError("the fake server is already running")
        context = None
        if self.tls != "none":
            if self.certs is None:
                self._tempdir = tempfile.TemporaryDirectory(prefix="smtpdiag-fake-")
                self.certs = Certs.create(self._tempdir.name)
            context = self.certs.server_context()
        handler = self._scenario_class(self.recorded)

        def make_protocol(loop: asyncio.AbstractEventLoop) -> ScenarioSMTP:
            return ScenarioSMTP(
                handler,
                hostname=self.hostname,
                tls_context=context if self.tls == "starttls" else None,
                connections=self._connections,
                loop=loop,
                # Not the controller's own test connection while it starts: no client's.
                log=self.log if self._controller is not None else None,
            )

        try:
            sock = _loopback_socket(self.host, self.port)
        except OSError as exc:
            self._cleanup()
            raise ListenError(self.host, self.port, exc) from None
        self.port = sock.getsockname()[1]
        controller = _Controller(make_protocol, sock, context if self.tls == "implicit" else None)
        try:
            controller.start()
        except BaseException:
            controller.stop(no_assert=True)
            sock.close()
            self._cleanup()
            raise
        self._controller = controller
        return self

    def stop(self) -> None:
        """Drop open connections, stop the loop and its thread; safe to call twice."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.loop.call_soon_threadsafe(self._abort_connections)
            controller.stop()
        self._cleanup()

    def _abort_connections(self) -> None:
        # Newer Pythons' Server.wait_closed() waits for every connection, and the Controller
        # waits for that; a client left connected must not hold the shutdown up.
        for connection in list(self._connections):
            connection.abort()

    def _cleanup(self) -> None:
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _where(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


_TLS_PHRASES: dict[TlsMode, str] = {
    "starttls": "STARTTLS offered",
    "implicit": "implicit TLS",
    "none": "no TLS",
}


def serve_forever(
    scenario: str,
    *,
    host: str = "127.0.0.1",
    port: int = 2525,
    tls: TlsMode = "starttls",
    announce: Callable[[str], None] = print,
    stop: threading.Event | None = None,
    log: Callable[[str], None] | None = None,
    certs: Certs | None = None,
) -> None:
    """Serve ``scenario`` until Ctrl-C (KeyboardInterrupt) or until ``stop`` is set.

    Announces, one line per fact, where it listens, the CA file to pass as --ca-file and the
    AUTH test credentials.  Returns normally after an interrupt, with the server stopped.
    """
    stop = stop if stop is not None else threading.Event()
    server = FakeServer(scenario, host=host, port=port, tls=tls, log=log, certs=certs)
    try:
        server.start()
        phrase = _TLS_PHRASES[tls]
        if tls == "starttls" and not server.starttls_offered:
            phrase = "STARTTLS not offered"
        announce(f"listening on {_where(server.host, server.port)} (scenario {scenario}, {phrase})")
        if server.certs is not None:
            announce(f"CA file (pass as --ca-file): {server.certs.ca_file}")
        announce(f"AUTH test credentials: user {DEMO_USER}, password {DEMO_PASSWORD}")
        # A timed wait, so that Ctrl-C is noticed promptly on every platform.
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
