"""What the fake server's test files share: a smtplib client and a raw line client (``Wire``)
connected to a ``FakeServer`` on loopback, a client context that verifies against its trustme CA,
and the envelope they send."""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager

from smtpdiag.fakeserver import Certs, FakeServer

SENDER = "sender@example.test"
RCPT = "postmaster@example.test"
BODY = b"Subject: test\r\n\r\nHello.\r\n"


@contextmanager
def connected(server: FakeServer) -> Iterator[smtplib.SMTP]:
    smtp = smtplib.SMTP(server.host, server.port, local_hostname="client.test", timeout=5)
    try:
        yield smtp
    finally:
        smtp.close()


def verifying(certs: Certs | None) -> ssl.SSLContext:
    assert certs is not None
    return ssl.create_default_context(cafile=certs.ca_file)


def send_body(smtp: smtplib.SMTP, body: bytes = BODY) -> tuple[int, bytes]:
    try:
        return smtp.data(body)
    except smtplib.SMTPDataError as error:
        assert isinstance(error.smtp_error, bytes)
        return error.smtp_code, error.smtp_error


class Wire:
    """A raw line client, for checking exact reply lines and when the server hangs up."""

    def __init__(self, server: FakeServer) -> None:
        self.sock = socket.create_connection((server.host, server.port), timeout=5)
        self.file = self.sock.makefile("rb")

    def reply(self) -> list[str]:
        lines: list[str] = []
        while True:
            line = self.file.readline()
            if not line:
                raise EOFError(f"connection closed after {lines!r}")
            lines.append(line.decode().rstrip("\r\n"))
            if line[3:4] != b"-":
                return lines

    def command(self, line: str) -> list[str]:
        self.sock.sendall(line.encode() + b"\r\n")
        return self.reply()

    def at_eof(self) -> bool:
        return self.file.read() == b""

    def close(self) -> None:
        self.file.close()
        self.sock.close()


@contextmanager
def wire(server: FakeServer) -> Iterator[Wire]:
    client = Wire(server)
    try:
        yield client
    finally:
        client.close()
