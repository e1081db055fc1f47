"""Every exchange of a walk as one timed, recorded step; the walk's state and its control flow.

``StepWalk`` holds what one walk over one connection has learnt (its steps, TLS facts,
capabilities, the refusal that ended it) and runs each exchange through ``_guard``: timed by the
walk's one ``StepClock``, recorded as a ``Step`` with its raw reply, and whatever goes wrong
converted (``wire.convert_error``) into the most specific smtpdiag error, named after the step.
The SMTP dialogue itself is built on it (``greeting.py``, then ``dialogue.py``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

from aiosmtplib.errors import SMTPServerDisconnected

from ..core.replies import NO_SECRETS, Redactor, secret_forms
from ..errors import ProtocolError, SmtpdiagError, StepTimeout, TlsError, quoted
from ..model import Capabilities, ErrorInfo, Reply, Step, TlsInfo
from .stepclock import StepClock
from .walkoptions import WalkOptions
from .wire import RecordingProtocol, convert_error

__all__ = ["HANG_UP_WAIT", "Declined", "DeclinedProtocol", "DeclinedTls", "Done", "ImplicitTls",
           "StepWalk", "Unsendable", "WrongReply"]

HANG_UP_WAIT = 0.1  # seconds given to a server to close the connection after its 221


class Done(Exception):
    """The walk ended early on purpose: a refusal, or a --quit-after point."""


class ImplicitTls(StepTimeout):
    """The port sent no greeting, but a TLS handshake on a second connection completed."""


class Unsendable(SmtpdiagError):
    """What the user asked for cannot be sent to this server; the walk ends politely (QUIT)."""


class Declined(SmtpdiagError):
    """smtpdiag itself would not go on over a healthy connection (no password without TLS, no
    AUTH mechanism it can use): the walk ends politely (QUIT).  Raised as ``DeclinedTls`` or
    ``DeclinedProtocol``, so that the error keeps its kind."""


class DeclinedTls(Declined, TlsError):
    """Not sending a password where no TLS was negotiated."""


class DeclinedProtocol(Declined, ProtocolError):
    """The server offers no AUTH that smtpdiag can use here."""


class WrongReply(ProtocolError):
    """A positive reply, but not the one the step needs (250 to DATA, 220 to EHLO): the server
    did not do what was asked, yet it did not refuse either.  The walk ends politely (QUIT)."""


class StepWalk:
    """One walk's state, and each exchange run as a recorded step (see the module's doc)."""

    def __init__(self, host: str, address: str, port: int, opts: WalkOptions,
                 deadline: float, legacy: bool = False) -> None:
        self.host, self.address, self.port, self.opts = host, address, port, opts
        self.deadline = deadline
        self.legacy = legacy  # the diagnostic handshake (_diagnose_tls): permissive context
        self.where = f"{address}:{port}" if ":" not in address else f"[{address}]:{port}"
        self.clock = StepClock.for_walk()
        self.steps: list[Step] = []
        self.proto: RecordingProtocol | None = None
        self.transport: asyncio.BaseTransport | None = None
        self.tls: TlsInfo | None = None
        self.caps: Capabilities | None = None
        self.caps_before_tls: Capabilities | None = None
        # The refusal that ended the walk early (None when it ran its course), and every reply
        # to RCPT: together they tell accepted, partial, deferred and refused apart.
        self.sniffed: bool | None = None  # a TLS handshake was tried on a silent port: result
        self.stop: Reply | None = None
        self.rcpt_replies: list[Reply] = []
        # Whatever a server echoes of our secrets is hidden before it is kept anywhere.
        self.redact = Redactor(secret_forms(opts.auth_password, (opts.auth_user,))) \
            if opts.auth_password else NO_SECRETS

    def _wait(self, step: str) -> float:
        return self.opts.data_timeout if step == "message" else self.opts.timeout

    def _budget(self, step: str) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise StepTimeout("the overall deadline was reached", step=step)
        wait = self.opts.data_timeout if step == "message" else self.opts.timeout  # _wait
        return wait if wait < left else left

    def _cut_short(self, timeout: float) -> str:
        """Why a step had less than its own wait: the whole probe's time was running out
        (``check``'s --timeout per target, ``probe``'s --deadline), spent on slow steps before
        it; a tarpitting server answers every step, slowly, and is not a dead one."""
        spent = sum(step.elapsed_ms for step in self.steps) / 1000
        if spent <= timeout:  # the time went on this step: it is the one that did not answer
            return ""
        slowest = max(self.steps, key=lambda step: step.elapsed_ms)
        return (f"; that was all that was left of the probe's overall time limit: the steps "
                f"before took {spent:.1f} s in all (the slowest, {slowest.name}, "
                f"{slowest.elapsed_ms / 1000:.1f} s): a slow server (tarpitting or overloaded), "
                "not necessarily one that stopped answering; give it more time (check: --timeout, "
                "probe: --deadline)")

    def _begin(self, step: str) -> float:
        """A step begins: what came unasked is filed, the step is announced, the walk's clock
        is set to the step's limit (one timer for the walk, not one per step: stepclock.py).
        Returns that limit."""
        proto = self.proto
        if proto is not None and proto.unsolicited:
            self._note_unasked()
        if self.opts.progress is not None:
            self._announce(step)
        timeout = self._budget(step)
        self.clock.start(timeout)
        return timeout

    def _failed(self, step: str, sent: str | None, exc: BaseException, started: float,
                timeout: float) -> Reply:
        """A step went wrong: the server's parting 421 when that is what happened (its answer),
        else the step recorded with its error and the error raised, converted and named."""
        if self.clock.stop() and isinstance(exc, asyncio.CancelledError):
            exc = TimeoutError()  # the step's own time ran out
        elif isinstance(exc, (KeyboardInterrupt, asyncio.CancelledError)):
            raise exc
        reply = self._parting_421(step, exc)
        if reply is not None:
            self.steps.append(Step(step, sent, reply, None,
                                   (time.perf_counter() - started) * 1000))
            return reply
        error = convert_error(exc, step, timeout, self.proto, self.where)
        error.message = self.redact(error.message)
        if step == "greeting" and self.sniffed is False and error.kind == "timeout":
            error.message += ("; a TLS handshake on a second connection did not "
                              "complete either: not implicit TLS")
        elif error.kind == "timeout" and timeout < self._wait(step) and self.steps:
            error.message += self._cut_short(timeout)  # "" unless earlier steps ate the time
        elapsed = (time.perf_counter() - started) * 1000
        self.steps.append(Step(step, sent, None, elapsed_ms=elapsed,
                               error=ErrorInfo(error.kind, error.message, step)))
        raise error from None

    async def _guard(self, step: str, sent: str | None,
                     coro_factory: Callable[[], Awaitable[Reply | None]]) -> Reply | None:
        """Run one exchange; record it as a step; convert whatever goes wrong."""
        timeout = self._begin(step)
        started = time.perf_counter()
        try:
            reply = await coro_factory()
        except BaseException as exc:
            return self._failed(step, sent, exc, started, timeout)
        self.clock.stop()
        self.steps.append(Step(step, sent, reply, None, (time.perf_counter() - started) * 1000))
        return reply

    def _note_unasked(self) -> None:
        """Whatever arrived unasked since the last reply belongs to that reply's step (a second
        reply, one glued to it, junk, a STARTTLS answer padded with injected commands).  The
        bytes stay where they are: a 421 among them may yet answer the next command."""
        if self.proto is None or not self.proto.unsolicited or not self.steps:
            return
        last = self.steps[-1]
        if last.reply is not None and last.unasked is None:
            seen = bytes(self.proto.unsolicited).decode("utf-8", "surrogateescape")
            self.steps[-1] = replace(last, unasked=self.redact(seen, cut=True).rstrip("\r\n"))

    def _announce(self, step: str) -> None:
        if self.opts.progress is not None:
            named = self.host not in (self.address, f"[{self.address}]")
            self.opts.progress(step, f"{self.host} ({self.where})" if named else self.where)

    def _parting_421(self, step: str, exc: BaseException) -> Reply | None:
        """RFC 5321 §3.8: a server may send 421 at any time, unasked, and hang up.  Whether it
        did so just before or just after our command went out, that 421 is its answer: a
        refusal, not a failure to read one.  Never across a TLS handshake (plaintext sent then
        is discarded, as it could be injected)."""
        if step == "tls" or self.proto is None or not isinstance(
                exc, (SMTPServerDisconnected, ConnectionError)):
            return None
        reply = self.proto.unsolicited_reply()
        return reply if reply is not None and reply.code == 421 else None

    async def command(self, step: str, line: str, shown: str | None = None) -> Reply:
        """One command and its reply, as one step: ``_guard`` written out, since every command
        of every walk comes through here (no coroutine made per step to be guarded)."""
        proto = self.proto
        assert proto is not None
        sent = shown or line
        timeout = self._begin(step)
        started = time.perf_counter()
        try:
            reply = await proto.exchange(line.encode("utf-8"), line.isprintable())
        except BaseException as exc:
            return self._failed(step, sent, exc, started, timeout)
        self.clock.stop()
        self.steps.append(Step(step, sent, reply, None, (time.perf_counter() - started) * 1000))
        return reply

    def _stop_if(self, point: str) -> None:
        if self.opts.quit_after == point:
            raise Done

    def _refuse_unless(self, reply: Reply, *good: int) -> None:
        if reply.code not in good and not (not good and reply.positive):
            if reply.positive:  # not a refusal: a reply out of turn (WrongReply's doc)
                step = self.steps[-1].name if self.steps else "greeting"
                codes = [str(code) for code in good]
                wanted = f"{codes[0]} is the only reply that lets" if len(codes) == 1 else \
                    f"{', '.join(codes[:-1])} or {codes[-1]} are the only replies that let"
                text = quoted(reply.text, 80) if reply.text else "no text"
                raise WrongReply(f"the server answered {reply.code} ({text}) where {wanted} "
                                 "the session go on (RFC 5321 §4.3.2); smtpdiag stopped here",
                                 step=step)
            self.stop = reply
            raise Done

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        proto = self.proto = RecordingProtocol(loop)
        proto.reader.redact = self.redact

        async def open_connection() -> None:
            self.transport, _ = await loop.create_connection(
                lambda: proto, self.address, self.port)

        await self._guard("connect", None, open_connection)

    async def quit(self) -> None:
        """Say goodbye politely; a server that already hung up is not an error of the walk."""
        last = self.steps[-1] if self.steps else None
        if self.legacy or self.proto is None or not self.proto.is_connected or last is None or \
                last.name == "connect":
            return
        if last.reply is not None and last.reply.code == 421:
            return
        started = time.perf_counter()
        budget = min(self.opts.timeout, 5, self.deadline - time.monotonic())
        if budget <= 0:
            return
        if self.proto.unsolicited:
            self._note_unasked()
        if self.opts.progress is not None:
            self._announce("quit")
        self.clock.start(budget)
        try:
            reply: Reply | None = await self.proto.exchange(b"QUIT", True)
        except BaseException as exc:
            if not self.clock.stop() and not isinstance(exc, Exception):
                raise  # not our timer's: Ctrl-C, or the fleet's cancellation
            reply = None
        else:
            self.clock.stop()
        self.steps.append(Step("quit", "QUIT", reply,
                               elapsed_ms=(time.perf_counter() - started) * 1000))
        # After its 221 the server closes the connection (RFC 5321 §4.1.1.10); a moment
        # (HANG_UP_WAIT) is left for that before ours is closed.  The side that closes first
        # keeps the connection in TIME_WAIT for a minute, holding its port: on the server's
        # side, where one listening port serves every client, that costs nothing; on ours each
        # holds an ephemeral port, and at fleet scale the kernel's search for a free one at
        # every connect grew with them (a third of the CPU of a connect, measured with py-spy).
        # A server that stays open is closed on as before, a moment later; a walk with less
        # than that moment left before its deadline closes at once.
        if reply is not None and reply.code == 221 and self.proto.is_connected and \
                self.deadline - time.monotonic() >= HANG_UP_WAIT:
            await self.proto.hung_up(HANG_UP_WAIT)

    def close(self) -> None:
        self.clock.close()
        if self.transport is not None:
            self.transport.close()
