"""Is a silent port speaking implicit TLS?  (``--tls auto`` on a port other than 465.)

An implicit-TLS port (RFC 8314: 465, or a submission port set up that way) says nothing until
the client's TLS ClientHello; a client that expected a plaintext greeting would wait its whole
step timeout and report "nothing was received".  So when the greeting has not begun after a
short silence, a second connection tries a TLS handshake, while the first goes on waiting for
a greeting (a slow plaintext server is served as before, and never sees our ClientHello: a
postscreen or a greet_pause punishes a client that talks first).  A handshake that completes
means the port speaks implicit TLS; the walk is then made that way and the report says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl

from .tlsinfo import handshake_context, sni_name

__all__ = ["SILENCE", "silence_for", "speaks_tls"]

SILENCE = 2.0  # seconds without a byte of greeting before a TLS handshake is tried


def silence_for(timeout: float) -> float | None:
    """How long to wait for a greeting's first byte before trying TLS: ``SILENCE``, when the
    step timeout leaves room for a handshake after it; None (never try) with a shorter one."""
    return SILENCE if timeout >= 2 * SILENCE else None


async def speaks_tls(host: str, address: str, port: int) -> bool:
    """Whether a TLS handshake with ``address:port`` completes (the certificate is not judged
    here: only whether TLS is spoken).  Bounded by the caller's timeout; never raises for
    anything the network or the server does."""
    context = handshake_context()
    writer = None
    try:
        _, writer = await asyncio.open_connection(address, port, ssl=context,
                                                  server_hostname=sni_name(host))
        return True
    except (OSError, ssl.SSLError, EOFError, ValueError):
        return False
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 0.5)
