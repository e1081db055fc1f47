"""One SMTP session walk over one connection: the I/O layer, and the only one.

connect → (implicit TLS) → greeting → EHLO (HELO fallback) → STARTTLS → EHLO → AUTH → MAIL →
RCPT… → DATA (or RSET in a dry run) → QUIT, each step timed, its raw reply kept.  Every library
and OS exception is converted as it happens, by ``wire.convert_error``, into the most specific
smtpdiag error, named after the step it happened in.  The walk returns an ``Attempt`` with raw
steps; meaning is added later by the pure annotator.

The walk is built in layers, each in its own module: ``walkoptions`` (what it is asked to do),
``steps`` (each exchange a timed, recorded step), ``greeting`` (how a session opens, and the
implicit-TLS sniff), ``dialogue`` (the steps in order).  This module runs it: one attempt, a
second connection for implicit TLS or to diagnose a refused handshake, and the ``Attempt``.
"""

from __future__ import annotations

import time
from dataclasses import replace

from ..core.targets import QUIT_POINTS
from ..core.tlsgrade import refusal_message
from ..core.verdicts import outcome_of
from ..errors import SmtpdiagError, TlsError
from ..model import Attempt, ErrorInfo, Step, TlsInfo
from .dialogue import Walk
from .steps import Declined, Done, ImplicitTls, Unsendable, WrongReply
from .walkoptions import WalkOptions
from .wire import refused_handshake

__all__ = ["QUIT_POINTS", "WalkOptions", "walk"]


async def _attempt(host: str, address: str, port: int, opts: WalkOptions, deadline: float,
                   legacy: bool = False) -> tuple[Walk, SmtpdiagError | None]:
    walk_ = Walk(host, address, port, opts, deadline, legacy)
    error: SmtpdiagError | None = None
    try:
        await walk_.run()
        await walk_.quit()
    except Done:
        await walk_.quit()
    except (Unsendable, WrongReply, Declined) as exc:
        error = exc
        await walk_.quit()
    except SmtpdiagError as exc:
        error = exc
    finally:
        walk_.close()
    return walk_, error


async def _diagnose_tls(host: str, address: str, port: int, opts: WalkOptions, limit: float,
                        error: SmtpdiagError) -> tuple[TlsInfo | None, SmtpdiagError]:
    """The handshake failed for want of a common version or cipher, and the alert does not say
    what the server does offer.  So one more connection, labelled as a diagnosis in what it
    reports, walks to the handshake with a permissive context (``legacy_context``), notes the
    version and cipher the server picks, and stops: no command is sent over it."""
    probe, _ = await _attempt(host, address, port, replace(opts, quit_after="tls"), limit,
                              legacy=True)
    if probe.tls is None or probe.tls.version is None:
        return None, error
    info = replace(probe.tls, verified=False,
                   verify_error="not checked: seen only in a diagnostic handshake")
    return info, TlsError(refusal_message(probe.tls.version, probe.tls.cipher), step="tls")


def _falls_back(opts: WalkOptions, error: SmtpdiagError) -> bool:
    """Whether a failed STARTTLS handshake leads to a plaintext walk: where STARTTLS is used
    when offered (port 25) and no password is to be sent, as sending servers retry in the
    clear; never where TLS is required (587, 465, ``--tls starttls``), nor when the walk was
    to stop at TLS anyway."""
    return (opts.tls == "starttls" and opts.plaintext_retry and not opts.auth_user
            and opts.quit_after != "tls"
            and error.step == "tls" and error.kind in ("tls", "connect"))


async def walk(host: str, address: str, port: int, opts: WalkOptions,
               deadline: float | None = None) -> Attempt:
    """Probe one address over one connection (a second one only to diagnose a handshake that
    found no common TLS version or cipher); never raises for anything the server or the network
    does."""
    started = time.perf_counter()
    limit = deadline if deadline is not None else time.monotonic() + opts.timeout * 4
    walk_, error = await _attempt(host, address, port, opts, limit)
    silent: tuple[Step, ...] = ()
    if isinstance(error, ImplicitTls):  # the silent plaintext steps stay, then the TLS walk
        silent, opts = tuple(walk_.steps), replace(opts, tls="implicit", sniff_tls=False)
        walk_, error = await _attempt(host, address, port, opts, limit)
    tls = walk_.tls
    if error is not None and refused_handshake(error):
        tls, error = await _diagnose_tls(host, address, port, opts, limit, error)
    if error is not None and _falls_back(opts, error):
        # As a sending server does on port 25 (Postfix's "may" level, Exim's
        # tls_tempfail_tryclear): the walk again, in plaintext.  The failed handshake stays as
        # its step, saying what the diagnosis learned; the findings and check say the rest.
        failed = [*silent, *walk_.steps]
        if failed and failed[-1].name == "tls" and failed[-1].error is not None:
            said = failed[-1].error
            if said.message != error.message:
                said = replace(said, message=f"{error.message}; the handshake: {said.message}")
            failed[-1] = replace(failed[-1], error=said)
        walk_, error = await _attempt(host, address, port, replace(opts, tls="none"), limit)
        silent, tls = tuple(failed), None
    outcome = outcome_of(failed=error is not None, stop=walk_.stop,
                         rcpt_replies=walk_.rcpt_replies)
    return Attempt(
        host=host, address=address, port=port, tls_mode=opts.tls,
        steps=(*silent, *walk_.steps),
        tls=tls, capabilities=walk_.caps, capabilities_before_tls=walk_.caps_before_tls,
        error=ErrorInfo(error.kind, error.message, error.step) if error else None,
        outcome=outcome, elapsed_ms=(time.perf_counter() - started) * 1000,
    )
