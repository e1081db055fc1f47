"""Read-only checks of the submission ports.  On 587, the STARTTLS posture: is AUTH
advertised, or MAIL accepted, before STARTTLS; and STARTTLS command injection (RFC 3207 §4.2;
the class of CVE-2011-0411): a command sent in the same packet as STARTTLS must be discarded,
never answered inside the TLS session.  On 465, implicit TLS (RFC 8314).  On both, the chain the
server sent is verified for the host name, as a mail client does.  Nothing is authenticated and
nothing is sent: the walk ends with RSET and QUIT.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import replace

from ..core.policy.records import SubmissionFacts
from ..errors import quoted
from .tlsinfo import handshake_context, sni_name

__all__ = ["INJECTION_WAIT", "check_submission"]

INJECTION_WAIT = 1.0  # seconds to wait, after the handshake, for an answer to the injected RSET


async def _reply(reader: asyncio.StreamReader) -> tuple[int, list[str]]:
    lines: list[str] = []
    while True:
        raw = await reader.readline()
        if not raw:
            raise ConnectionError("the server closed the connection")
        line = raw.decode("utf-8", "surrogateescape").rstrip("\r\n")
        lines.append(line)
        if len(line) < 4 or not (line[:3].isascii() and line[:3].isdigit()):  # "²⁵⁰" too
            raise ConnectionError(f"not an SMTP reply: {quoted(line[:80])}")
        if line[3:4] != "-":
            return int(line[:3]), lines


async def _command(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                   line: str) -> tuple[int, list[str]]:
    writer.write(f"{line}\r\n".encode())
    return await _reply(reader)


def _auth(lines: list[str]) -> tuple[str, ...]:
    for line in lines[1:]:
        words = line[4:].upper().replace("=", " ").split()
        if words and words[0] == "AUTH":
            return tuple(words[1:]) or ("(no mechanism)",)
    return ()


async def _walk(host: str, address: str, port: int, helo: str, ca_file: str | None,
                timeout: float) -> SubmissionFacts:
    reader, writer = await asyncio.wait_for(asyncio.open_connection(address, port), timeout)
    facts = SubmissionFacts(host, address, port)
    try:
        code, _ = await asyncio.wait_for(_reply(reader), timeout)
        if code != 220:
            return SubmissionFacts(host, address, port, error=f"greeting {code}")
        code, ehlo = await asyncio.wait_for(_command(reader, writer, f"EHLO {helo}"), timeout)
        if code != 250:
            return SubmissionFacts(host, address, port, error=f"EHLO answered {code}")
        starttls = any(line[4:].strip().upper() == "STARTTLS" for line in ehlo[1:])
        mail, _ = await asyncio.wait_for(
            _command(reader, writer, f"MAIL FROM:<postmaster@{helo}>"), timeout)
        await asyncio.wait_for(_command(reader, writer, "RSET"), timeout)
        facts = SubmissionFacts(host, address, port, starttls=starttls,
                                auth_before_tls=_auth(ehlo), mail_before_tls=mail)
        if not starttls:
            return facts
        # STARTTLS and RSET in one packet: a safe server answers only STARTTLS, and discards
        # the RSET it read in plain text when the handshake starts.
        writer.write(b"STARTTLS\r\nRSET\r\n")
        code, _ = await asyncio.wait_for(_reply(reader), timeout)
        if code != 220:
            return replace(facts, tls_error=f"STARTTLS answered {code}")
        try:
            await asyncio.wait_for(
                writer.start_tls(handshake_context(), server_hostname=sni_name(host)), timeout)
        except (ssl.SSLError, OSError) as exc:
            return replace(facts, tls_error=str(exc)[:200])
        facts = _with_tls(facts, writer, ca_file)
        try:
            await asyncio.wait_for(_reply(reader), INJECTION_WAIT)
            injected = True
        except TimeoutError:
            injected = False
        except ConnectionError:
            injected = False
        return replace(facts, injection=injected)
    finally:
        _quit(writer)


def _quit(writer: asyncio.StreamWriter) -> None:
    """Say QUIT and close, whatever state the connection is in (a refused or broken one too)."""
    try:
        writer.write(b"QUIT\r\n")
        writer.close()
    except (OSError, RuntimeError):
        pass


def _with_tls(facts: SubmissionFacts, writer: asyncio.StreamWriter, ca_file: str | None
              ) -> SubmissionFacts:
    """The version and the certificate's verdict, for the host name a mail client uses."""
    from .tlsverify import peer_chain, verify_chain

    ssl_object = writer.get_extra_info("ssl_object")
    if ssl_object is None:
        return facts
    return replace(facts, tls_version=ssl_object.version(),
                   cert_error=verify_chain(peer_chain(ssl_object), facts.host, ca_file))


async def _walk_implicit(host: str, address: str, port: int, helo: str, ca_file: str | None,
                         timeout: float) -> SubmissionFacts:
    """Port 465 (RFC 8314): TLS from the first byte, then the greeting and EHLO inside it."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(address, port), timeout)
    facts = SubmissionFacts(host, address, port, implicit=True)
    try:
        try:
            await asyncio.wait_for(
                writer.start_tls(handshake_context(), server_hostname=sni_name(host)), timeout)
        except (ssl.SSLError, OSError, TimeoutError) as exc:
            reason = str(exc) or type(exc).__name__
            if "WRONG_VERSION_NUMBER" in reason or "record layer" in reason.lower():
                reason = f"the server speaks plain SMTP here, not TLS ({reason[:120]})"
            elif isinstance(exc, TimeoutError):
                reason = f"no TLS handshake within {timeout:g} s"
            return replace(facts, tls_error=reason[:200])
        facts = _with_tls(facts, writer, ca_file)
        code, _ = await asyncio.wait_for(_reply(reader), timeout)
        if code != 220:
            return replace(facts, error=f"greeting {code} inside TLS")
        await asyncio.wait_for(_command(reader, writer, f"EHLO {helo}"), timeout)
        return facts
    finally:
        _quit(writer)


async def check_submission(host: str, address: str, port: int, *, helo: str,
                           ca_file: str | None, timeout: float,
                           implicit: bool = False) -> SubmissionFacts:
    """Never raises for anything the network or the server does."""
    try:
        if implicit:
            return await _walk_implicit(host, address, port, helo, ca_file, timeout)
        return await _walk(host, address, port, helo, ca_file, timeout)
    except TimeoutError:
        return SubmissionFacts(host, address, port, error=f"no answer within {timeout:g} s",
                               implicit=implicit)
    except ConnectionRefusedError:
        return SubmissionFacts(host, address, port, error="connection refused",
                               implicit=implicit)
    except (OSError, ConnectionError, ssl.SSLError, ValueError) as exc:
        return SubmissionFacts(host, address, port, error=str(exc)[:200] or type(exc).__name__,
                               implicit=implicit)
