"""A tiny raw SMTP submission server on loopback whose STARTTLS handling a test picks, for
the posture checks: AUTH advertised before TLS, MAIL accepted before TLS, and — what no
maintained library will do any more — keeping plaintext read before the handshake and answering
it inside TLS (the CVE-2011-0411 class of STARTTLS command injection)."""

from __future__ import annotations

import asyncio
import ssl
import threading
from types import TracebackType

__all__ = ["RawSubmission"]


class RawSubmission:
    def __init__(self, host: str, cert_file: str, key_file: str, *, port: int = 0,
                 starttls: bool = True, auth_before_tls: bool = False,
                 mail_before_tls: bool = False, vulnerable: bool = False,
                 implicit: bool = False) -> None:
        self.host, self.port = host, port
        self.implicit = implicit  # TLS from the first byte, as on port 465 (RFC 8314)
        self.starttls, self.auth_before_tls = starttls, auth_before_tls
        self.mail_before_tls, self.vulnerable = mail_before_tls, vulnerable
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert_file, key_file)
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tls = self.implicit
        writer.write(b"220 sub.test ESMTP raw\r\n")
        pending = b""
        try:
            while True:
                if pending:
                    line, _, pending = pending.partition(b"\r\n")
                else:
                    raw = await reader.readline()
                    if not raw:
                        return
                    line = raw.rstrip(b"\r\n")
                verb = line.split(b" ")[0].upper()
                if verb == b"EHLO":
                    caps = [b"250-sub.test", b"250-SIZE 1000000"]
                    if self.starttls and not tls:
                        caps.append(b"250-STARTTLS")
                    if tls or self.auth_before_tls:
                        caps.append(b"250-AUTH PLAIN LOGIN")
                    caps.append(b"250 8BITMIME")
                    writer.write(b"\r\n".join(caps) + b"\r\n")
                elif verb == b"STARTTLS" and self.starttls and not tls:
                    # A vulnerable server keeps what it already read; a safe one drops it.
                    leftover = reader._buffer[:] if self.vulnerable else b""  # type: ignore[attr-defined]
                    reader._buffer.clear()  # type: ignore[attr-defined]
                    writer.write(b"220 2.0.0 Ready to start TLS\r\n")
                    await writer.drain()
                    await writer.start_tls(self.context)
                    tls = True
                    pending = bytes(leftover)
                elif verb == b"MAIL":
                    ok = tls or self.mail_before_tls
                    writer.write(b"250 2.1.0 Ok\r\n" if ok else
                                 b"530 5.7.0 Must issue a STARTTLS command first\r\n")
                elif verb == b"RSET":
                    writer.write(b"250 2.0.0 Ok\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 2.0.0 Bye\r\n")
                    return
                else:
                    writer.write(b"502 5.5.2 Error: command not recognized\r\n")
                await writer.drain()
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    def start(self) -> RawSubmission:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._session, self.host, self.port,
                                 ssl=self.context if self.implicit else None), self._loop)
        self._server = future.result(5)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=2)

    def __enter__(self) -> RawSubmission:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
