"""The certificate chain an SMTP server presents after STARTTLS, as DER, leaf first.

DANE (RFC 7672) matches TLSA records against what the server *presents*, trusted or not, so
this small client verifies nothing: greeting, EHLO, STARTTLS, handshake, read the chain, hang
up.  It runs only for hosts that publish TLSA records.  Python 3.11 has no public call for the
unverified chain (3.13 adds ``get_unverified_chain``); the SSL object's own method is used when
present, and the leaf alone otherwise.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from .tlsinfo import handshake_context, sni_name

__all__ = ["presented_chain"]

DER = 2  # _ssl.ENCODING_DER


async def _reply(reader: asyncio.StreamReader) -> int:
    """Read one (multi-line) reply; its code, or 0 when it is not an SMTP reply."""
    while True:
        line = await reader.readline()
        if len(line) < 4 or not line[:3].isdigit():
            return 0
        if line[3:4] != b"-":
            return int(line[:3])


def _chain(ssl_object: Any) -> tuple[bytes, ...]:
    for holder in (ssl_object, getattr(ssl_object, "_sslobj", None)):
        method = getattr(holder, "get_unverified_chain", None)
        if method is not None:
            certs = method() or []
            return tuple(c if isinstance(c, bytes) else c.public_bytes(DER) for c in certs)
    leaf = ssl_object.getpeercert(binary_form=True)
    return (leaf,) if leaf else ()


async def presented_chain(host: str, address: str, port: int, helo: str,
                          timeout: float) -> tuple[tuple[bytes, ...], str | None]:
    """(chain, None), or ((), why) when no TLS session could be had: ``why`` is a predicate
    ("got 421 at the greeting", "failed: ..."), for "the connection ... {why}"."""
    context = handshake_context()

    def refused(code: int, where: str) -> ConnectionError:
        return ConnectionError(f"got {code} {where}" if code else f"got no SMTP reply {where}")

    async def run() -> tuple[bytes, ...]:
        reader, writer = await asyncio.open_connection(address, port)
        try:
            if (code := await _reply(reader)) != 220:
                raise refused(code, "at the greeting")
            writer.write(f"EHLO {helo}\r\n".encode())
            if (code := await _reply(reader)) != 250:
                raise refused(code, "to EHLO")
            writer.write(b"STARTTLS\r\n")
            if (code := await _reply(reader)) != 220:
                raise refused(code, "to STARTTLS")
            await writer.start_tls(context, server_hostname=sni_name(host))
            ssl_object = writer.get_extra_info("ssl_object")
            return _chain(ssl_object) if ssl_object is not None else ()
        finally:
            writer.close()

    try:
        return await asyncio.wait_for(run(), timeout), None
    except TimeoutError:
        return (), f"got no answer within {timeout:g} s"
    except ConnectionError as exc:
        return (), str(exc) or f"failed: {type(exc).__name__}"
    except (OSError, ssl.SSLError, ValueError) as exc:
        return (), f"failed: {exc or type(exc).__name__}"
