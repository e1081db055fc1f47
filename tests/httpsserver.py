"""A small real HTTPS server on loopback serving one fixed answer, for the MTA-STS fetch.

Each instance answers every GET with the status, headers and body it was given, over TLS with
the certificate it was given; so a test can serve a good policy, a redirect, a wrong content
type, a huge body, or present a certificate for the wrong name.
"""

from __future__ import annotations

import contextlib
import http.server
import socket
import ssl
import threading
from types import TracebackType

__all__ = ["HttpsServer"]


class HttpsServer:
    """Serve one answer over HTTPS on ``host``:``port`` (0: a free port) in a thread."""

    def __init__(self, host: str, cert_file: str, key_file: str, *, port: int = 0,
                 status: int = 200, body: bytes | str = b"",
                 headers: dict[str, str] | None = None) -> None:
        self.host, self.port = host, port
        self.status = status
        self.body = body.encode() if isinstance(body, str) else body
        self.headers = {"Content-Type": "text/plain"} if headers is None else headers
        self.requests: list[tuple[str, str]] = []  # (path, Host header)
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._context.load_cert_chain(cert_file, key_file)
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> HttpsServer:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append((self.path, self.headers.get("Host", "")))
                self.send_response(owner.status)
                for key, value in owner.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(owner.body)))
                self.end_headers()
                with contextlib.suppress(OSError):  # a client that stops reading: expected
                    self.wfile.write(owner.body)

            def log_message(self, format: str, *args: object) -> None:
                return

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            address_family = socket.AF_INET6 if ":" in self.host else socket.AF_INET

            def get_request(self) -> tuple[object, object]:
                sock, address = super().get_request()
                return owner._context.wrap_socket(sock, server_side=True,
                                                  do_handshake_on_connect=False), address

        self._server = Server((self.host, self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=2)

    def __enter__(self) -> HttpsServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
