"""aiosmtpd's SMTP protocol, taught the three things the scenarios need that it has no hook for.

1. Recording and screening every command: aiosmtpd looks each verb up in ``_smtp_methods``; we
   put a wrapper there that records the (redacted) line, lets the scenario answer first
   (``Healthy.before``), and only then runs aiosmtpd's own handler.  Unknown verbs are recorded
   too.  Lines aiosmtpd rejects before the lookup (empty, too long, not ASCII) are not recorded.
2. The greeting: aiosmtpd's first ``push`` is always its 220 line, so that one is replaced by
   the scenario's greeting (after its delay), which may also hang up.
3. Enhanced status codes on aiosmtpd's stock replies (see ``enhanced``).

It relies on aiosmtpd 1.4 internals (``_smtp_methods``, ``_handler_coroutine``); the tests of
this package notice if an upgrade breaks them.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, AnyStr

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from .base import CommandContext, Healthy, credentials_ok
from .enhanced import with_enhanced_code
from .recorded import REDACTED, redact_command

if TYPE_CHECKING:
    from aiosmtpd.smtp import _Missing

__all__ = ["ScenarioSMTP"]

# aiosmtpd logs to "mail.log" without a handler of its own; with none configured, Python's
# last-resort handler would print its warnings and tracebacks (expected ones, such as a client
# refusing our bad certificate) on stderr in the middle of `smtpdiag serve` output.
logging.getLogger("mail.log").addHandler(logging.NullHandler())

BOGUS_LIMIT = 5  # unknown verbs tolerated per connection, as aiosmtpd does
_NO_ENHANCED_CODES = frozenset({"EHLO", "HELO"})  # RFC 2034: nor on the greeting

CommandMethod = Callable[[str | None], Awaitable[None]]


def _authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    """aiosmtpd authenticator accepting only the demo credentials, for PLAIN and LOGIN alike."""
    if isinstance(auth_data, LoginPassword) and credentials_ok(auth_data.login, auth_data.password):
        return AuthResult(success=True, auth_data=auth_data)
    return AuthResult(success=False, handled=False)  # aiosmtpd answers 535 5.7.8


class _Dispatch(dict[str, CommandMethod]):
    """The verb -> method table aiosmtpd consults, answering unknown verbs with a wrapper too."""

    def __init__(self, protocol: ScenarioSMTP, methods: dict[str, Any]) -> None:
        super().__init__({verb: protocol.wrap(verb, method) for verb, method in methods.items()})
        self._protocol = protocol

    def get(self, verb: str, default: Any = None) -> CommandMethod:
        found = super().get(verb)
        return found if found is not None else self._protocol.wrap(verb, None)


class ScenarioSMTP(SMTP):
    """One SMTP connection, answering as ``scenario`` says and recording into its ``recorded``."""

    def __init__(
        self,
        scenario: Healthy,
        *,
        hostname: str,
        tls_context: ssl.SSLContext | None,
        connections: set[ScenarioSMTP],
        loop: asyncio.AbstractEventLoop,
        log: Callable[[str], None] | None = None,
    ) -> None:
        # aiosmtpd keeps these limits in a class attribute shared by every server in the
        # process; an instance attribute keeps two fake servers from changing each other's.
        self.command_size_limits = collections.defaultdict(lambda: SMTP.command_size_limit)
        starttls = tls_context if scenario.offers_starttls else None
        super().__init__(
            scenario,
            hostname=hostname,
            tls_context=starttls,
            # AUTH waits for STARTTLS when STARTTLS is on offer; with implicit TLS (which aiosmtpd
            # does not notice) or without TLS at all it is offered from the start.
            auth_require_tls=starttls is not None,
            authenticator=_authenticate,
            data_size_limit=scenario.size_limit,
            enable_SMTPUTF8=True,
            decode_data=False,
            loop=loop,
        )
        self.scenario = scenario
        self._connections = connections
        self._smtp_methods = _Dispatch(self, self._smtp_methods)
        self._verb: str | None = None
        self._greeted = False
        self._bogus = 0
        self._log = log
        self._peer = ""

    # -- commands -----------------------------------------------------------------------------

    def wrap(self, verb: str, method: CommandMethod | None) -> CommandMethod:
        """The method aiosmtpd calls for ``verb``; keeps the @syntax marks HELP reads."""

        async def run(arg: str | None) -> None:
            await self._run_command(verb, arg, method)

        if method is not None:
            functools.update_wrapper(run, method)
        return run

    def note(self, text: str) -> None:
        """One line of the session log (``smtpdiag serve``), named by the client's address."""
        if self._log is not None:
            self._log(f"{self._peer} {text}")

    async def _run_command(self, verb: str, arg: str | None, method: CommandMethod | None) -> None:
        self.scenario.recorded.add_command(redact_command(verb, arg))
        self.note(f"C: {redact_command(verb, arg)}")
        self._verb = verb
        try:
            answer = self.scenario.before(self._context(verb, arg))
            if answer is not None:
                await self.push(answer.text)
                if answer.close:
                    self.hang_up()
            elif method is not None:
                await method(arg)
            else:
                await self._unknown(verb)
        finally:
            self._verb = None

    async def _unknown(self, verb: str) -> None:
        self._bogus += 1
        if self._bogus >= BOGUS_LIMIT:
            await self.push("502 5.5.1 Too many unrecognized commands, goodbye.")
            self.hang_up()
        else:
            await self.push(f'500 5.5.2 Error: command "{verb}" not recognized')

    def _context(self, verb: str, arg: str | None) -> CommandContext:
        return CommandContext(
            verb=verb,
            arg=arg,
            hostname=self.hostname,
            tls_active=self.tls_active,
            authenticated=bool(self.session is not None and self.session.authenticated),
            has_recipients=bool(self.envelope is not None and self.envelope.rcpt_tos),
        )

    async def challenge_auth(
        self,
        challenge: str | bytes,
        encode_to_b64: bool = True,
        log_client_response: bool = False,
    ) -> _Missing | bytes:
        """Record each AUTH continuation line the client sends, hidden: they are secrets."""
        answer = await super().challenge_auth(challenge, encode_to_b64, log_client_response)
        self.scenario.recorded.add_command(REDACTED)
        self.note(f"C: {REDACTED}")
        return answer

    # -- output -------------------------------------------------------------------------------

    async def push(self, status: AnyStr) -> None:
        text = status if isinstance(status, str) else status.decode("utf-8", "surrogateescape")
        if not self._greeted:
            self._greeted = True
            await self._greet()
            return
        if self._verb == "HELP" and text.startswith("250"):
            text = "214" + text[3:]  # RFC 5321 §4.1.1.8: help text is 214 (aiosmtpd says 250)
        if self._verb not in _NO_ENHANCED_CODES:
            text = with_enhanced_code(text, self._verb)
        self._note_reply(text)
        await super().push(text)

    def _note_reply(self, text: str) -> None:
        for line in text.split("\r\n"):
            self.note(f"S: {line}")

    async def _greet(self) -> None:
        if self.scenario.greeting_delay:
            await asyncio.sleep(self.scenario.greeting_delay)
        answer = self.scenario.greeting(self.hostname)
        self._note_reply(answer.text)
        await super().push(answer.text)
        if answer.close:
            self.hang_up()

    def hang_up(self) -> None:
        """Close after what was pushed is flushed, the way aiosmtpd ends a session on QUIT."""
        if self._handler_coroutine is not None:
            self._handler_coroutine.cancel()
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        """Drop the connection at once (server shutdown): no TLS goodbye, nothing flushed."""
        if self.transport is not None:
            self.transport.abort()  # type: ignore[attr-defined]

    # -- connection state ---------------------------------------------------------------------

    @property
    def tls_active(self) -> bool:
        transport = self.transport
        return transport is not None and transport.get_extra_info("ssl_object") is not None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Called at connect and again once STARTTLS completes; counts TLS sessions."""
        super().connection_made(transport)
        self._connections.add(self)
        peer = transport.get_extra_info("peername")
        if not self._peer and peer:
            self._peer = f"[{peer[0]}]:{peer[1]}" if ":" in peer[0] else f"{peer[0]}:{peer[1]}"
            self.note("connected")
        # aiosmtpd writes a multi-line reply one line at a time; with Nagle on, the second
        # line waits for the client's delayed ACK (~40 ms per EHLO).  Real MTAs don't stall.
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if transport.get_extra_info("ssl_object") is not None:
            self.scenario.recorded.add_tls_session()
            self.note(f"TLS established ({transport.get_extra_info('ssl_object').version()})")

    def connection_lost(self, error: Exception | None) -> None:
        self._connections.discard(self)
        if self._peer:
            self.note("disconnected")
        super().connection_lost(error)
