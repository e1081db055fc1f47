"""One SMTP session walk over one connection: the I/O layer, and the only one.

connect → (implicit TLS) → greeting → EHLO (HELO fallback) → STARTTLS → EHLO → AUTH → MAIL →
RCPT… → DATA (or RSET in a dry run) → QUIT, each step timed, its raw reply kept.  Every library
and OS exception is converted as it happens, by ``wire.convert_error``, into the most specific
smtpdiag error, named after the step it happened in.  The walk returns an ``Attempt`` with raw
steps; meaning is added later by the pure annotator.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from aiosmtplib.errors import SMTPServerDisconnected
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings

from ..core.capabilities import parse_capabilities
from ..core.replies import REDACTED, Redactor, excerpt
from ..core.targets import QUIT_POINTS
from ..core.text import seconds
from ..core.tlsgrade import refusal_message
from ..core.verdicts import outcome_of, stopping_reply
from ..errors import ConnectError, ProtocolError, SmtpdiagError, StepTimeout, TlsError
from ..model import Attempt, Capabilities, ErrorInfo, Reply, Step, TlsInfo
from . import implicit
from .stepclock import StepClock
from .tlsinfo import describe_session, legacy_context, make_context
from .tlsverify import peer_chain, verify_chain
from .wire import RecordingProtocol, convert_error, refused_handshake

__all__ = ["QUIT_POINTS", "WalkOptions", "secret_forms", "walk"]

GREETING_CODES = (220, 421, 554)  # RFC 5321 §3.1 and §4.2; 421 may come at any time
LATE_GREETING_WAIT = 0.5  # seconds to wait for a 220 after a first reply that was not one


@dataclass(frozen=True)
class WalkOptions:
    """Everything one walk needs; user strings were validated before they got here."""

    helo: str
    mail_from: str = ""
    rcpt_to: tuple[str, ...] = ()
    auth_user: str | None = None
    auth_password: str | None = field(default=None, repr=False)
    tls: str = "starttls"  # starttls (when offered) | starttls-required | implicit | none
    timeout: float = 20.0
    # The wait for the reply to the final dot: RFC 5321 §4.5.3.2.6 asks for 10 minutes, since a
    # client that gives up earlier may cause the message to be delivered twice.
    data_timeout: float = 600.0
    ca_file: str | None = None
    insecure: bool = False
    dry_run: bool = False
    quit_after: str | None = None
    message: bytes = b""
    # An address (sender or recipient) has a non-ASCII local part: MAIL declares SMTPUTF8, and
    # a server that does not offer it is not sent the addresses at all (RFC 6531 §3.4).
    smtputf8: bool = False
    # --tls auto on a port that may be implicit TLS after all: see ``implicit.py``.
    sniff_tls: bool = False
    # Told (step, where) as each exchange starts, e.g. for a terminal's "waiting for…" line.
    progress: Callable[[str, str], None] | None = field(default=None, repr=False, compare=False)


def secret_forms(user: str | None, password: str | None) -> tuple[str, ...]:
    """The password as we may send it: as is, base64 (AUTH LOGIN), inside the AUTH PLAIN token;
    base64 forms also without their ``=`` padding, which an echo may drop."""
    if not password:
        return ()
    encoded = [base64.b64encode(raw.encode()).decode()
               for raw in (password, f"\0{user or ''}\0{password}")]
    return (password, *encoded, *(e.rstrip("=") for e in encoded))


class _Done(Exception):
    """The walk ended early on purpose: a refusal, or a --quit-after point."""


class _ImplicitTls(StepTimeout):
    """The port sent no greeting, but a TLS handshake on a second connection completed."""


class _Unsendable(SmtpdiagError):
    """What the user asked for cannot be sent to this server; the walk ends politely (QUIT)."""


class _Walk:
    def __init__(self, host: str, address: str, port: int, opts: WalkOptions,
                 deadline: float, legacy: bool = False) -> None:
        self.host, self.address, self.port, self.opts = host, address, port, opts
        self.deadline = deadline
        self.legacy = legacy  # the diagnostic handshake (_diagnose_tls): permissive context
        self.where = f"{address}:{port}" if ":" not in address else f"[{address}]:{port}"
        self.clock = StepClock()
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
        self.redact = Redactor(secret_forms(opts.auth_user, opts.auth_password))

    def _budget(self, step: str) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise StepTimeout("the overall deadline was reached", step=step)
        wait = self.opts.data_timeout if step == "message" else self.opts.timeout
        return min(wait, left)

    async def _guard(self, step: str, sent: str | None,
                     coro_factory: Callable[[], Awaitable[Reply | None]]) -> Reply | None:
        """Run one exchange; record it as a step; convert whatever goes wrong."""
        self._note_unasked()
        self._announce(step)
        started = time.perf_counter()
        timeout = self._budget(step)
        clock = self.clock
        clock.start(timeout)  # one timer for the walk, not one per step (stepclock.py)
        try:
            reply = await coro_factory()
        except BaseException as exc:
            if clock.stop() and isinstance(exc, asyncio.CancelledError):
                exc = TimeoutError()  # the step's own time ran out
            elif isinstance(exc, (KeyboardInterrupt, asyncio.CancelledError)):
                raise
            reply = self._parting_421(step, exc)
            if reply is None:
                error = convert_error(exc, step, timeout, self.proto, self.where)
                error.message = self.redact(error.message)
                if step == "greeting" and self.sniffed is False and error.kind == "timeout":
                    error.message += ("; a TLS handshake on a second connection did not "
                                      "complete either: not implicit TLS")
                elapsed = (time.perf_counter() - started) * 1000
                self.steps.append(Step(step, sent, None, elapsed_ms=elapsed,
                                       error=ErrorInfo(error.kind, error.message, step)))
                raise error from None
        clock.stop()
        elapsed = (time.perf_counter() - started) * 1000
        self.steps.append(Step(step, sent, reply, elapsed_ms=elapsed))
        return reply

    def _note_unasked(self) -> None:
        """Whatever arrived unasked since the last reply belongs to that reply's step (a second
        reply, one glued to it, junk, a STARTTLS answer padded with injected commands).  The
        bytes stay where they are: a 421 among them may yet answer the next command."""
        if self.proto is None or not self.proto.unsolicited or not self.steps:
            return
        last = self.steps[-1]
        if last.reply is not None and last.unasked is None:
            seen = bytes(self.proto.unsolicited).decode("utf-8", "backslashreplace")
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

    async def _read(self) -> Reply:
        assert self.proto is not None
        await self.proto.read_response()
        return self.proto.take_reply()

    async def _read_greeting(self) -> Reply:
        """The greeting, which must be 220 (or 421/554 to refuse the session).  Another 4xx or
        5xx is still read as the refusal it means (a warning says the code is wrong); anything
        else is a protocol violation, named as such.  A server that sent a reply and then its 220
        "talks before its greeting" (the mirror of what Postfix's postscreen punishes in
        clients): its first reply is not taken for the greeting."""
        reply = await self._read()
        if reply.code in GREETING_CODES:
            return reply
        first = excerpt(reply.raw[0] if reply.raw else str(reply.code), 120)
        late = await self._next_reply(LATE_GREETING_WAIT)
        if late is not None and late.code in GREETING_CODES:
            raise ProtocolError(f"the server talks before its greeting: it sent {first}, then "
                                f"its {late.code} greeting (RFC 5321 §3.1: a session opens with "
                                "the greeting)")
        if reply.klass in (4, 5):  # a refusal in the wrong code is still a refusal (conduct.py)
            return reply
        raise ProtocolError(f"the greeting was {first}: a session must open with 220 (or 421 "
                            "or 554 to refuse it; RFC 5321 §3.1, §4.2)")

    async def _greeting_or_tls(self) -> Reply:
        """The greeting; but if not a byte of it has come after a short silence, a TLS
        handshake on a second connection says whether the port speaks implicit TLS.

        No task and no ``asyncio.wait`` for the greeting that comes at once (nearly every
        server's): a timer starts the handshake only after the silence, and a handshake that
        completes while the greeting is still awaited cancels that wait, which becomes
        ``_ImplicitTls`` here.
        """
        proto = self.proto
        assert proto is not None
        silence = implicit.silence_for(self.opts.timeout)
        if silence is None:
            return await self._read_greeting()
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        cancelling = task.cancelling()
        sniff: asyncio.Task[bool] | None = None
        state = {"reading": True, "found": False}

        def after_silence() -> None:
            nonlocal sniff
            if proto.bytes_pending or proto.unsolicited:  # the greeting has begun
                return
            self.sniffed = False  # until the handshake completes
            sniff = loop.create_task(implicit.speaks_tls(self.host, self.address, self.port))
            sniff.add_done_callback(sniffed)

        def sniffed(done: asyncio.Task[bool]) -> None:
            if state["reading"] and not done.cancelled() and done.exception() is None \
                    and done.result():
                state["found"] = self.sniffed = True
                task.cancel()

        timer = loop.call_later(silence, after_silence)
        try:
            return await self._read_greeting()
        except asyncio.CancelledError:
            if state["found"] and task.uncancel() <= cancelling:
                raise _ImplicitTls(
                    f"no greeting in {seconds(silence)} s, but a TLS handshake on a second "
                    "connection completed: this port speaks implicit TLS; walking it that way",
                    step="greeting") from None
            raise
        finally:
            state["reading"] = False
            timer.cancel()
            if sniff is not None and not sniff.done():
                sniff.cancel()
                with contextlib.suppress(BaseException):
                    await sniff

    async def _next_reply(self, wait: float) -> Reply | None:
        """A reply that came (or comes within ``wait`` s) after the one just read, or None."""
        assert self.proto is not None
        glued = self.proto.unsolicited_reply()
        if glued is not None:
            return glued
        try:
            await self.proto.read_response(timeout=max(0.01, min(wait, self._budget("greeting"))))
            return self.proto.take_reply()
        except Exception:  # silence, a hang-up, junk: no late greeting, that is all
            return None

    async def command(self, step: str, line: str, shown: str | None = None) -> Reply:
        proto = self.proto
        assert proto is not None
        data = line.encode("utf-8")
        reply = await self._guard(step, shown or line, lambda: proto.exchange(data))
        assert reply is not None
        return reply

    def _stop_if(self, point: str) -> None:
        if self.opts.quit_after == point:
            raise _Done

    def _refuse_unless(self, reply: Reply, *good: int) -> None:
        if reply.code not in good and not (not good and reply.positive):
            self.stop = reply
            raise _Done

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        proto = self.proto = RecordingProtocol(loop)
        proto.reader.redact = self.redact

        async def open_connection() -> None:
            self.transport, _ = await loop.create_connection(
                lambda: proto, self.address, self.port)

        await self._guard("connect", None, open_connection)

    async def handshake(self, step: str) -> None:
        """One handshake, never verified by OpenSSL; the chain is verified afterwards from this
        same session (``tlsverify``), so a bad certificate costs no second connection."""
        loop = asyncio.get_running_loop()
        context = legacy_context() if self.legacy else make_context(self.opts.ca_file, False)
        if context is None:
            raise TlsError("this machine's OpenSSL cannot offer TLS older than 1.2", step=step)
        started = time.perf_counter()

        async def upgrade() -> None:
            assert self.proto is not None and self.transport is not None
            if not self.proto.is_connected:  # it hung up right after agreeing (or before)
                raise ConnectError(f"{self.where} closed the connection before the TLS "
                                   "handshake completed")
            new = await loop.start_tls(self.transport, self.proto, context,  # type: ignore[arg-type]
                                       server_hostname=self.host)
            if new is None:
                raise ConnectError(f"{self.where} closed the connection during the handshake")
            self.transport = new
            self.proto.transport = new
            self.proto.unsolicited.clear()  # plaintext from before the handshake means nothing
            ssl_object = new.get_extra_info("ssl_object")
            if self.legacy:  # only the version and cipher matter to the diagnosis
                problem = None
            elif ssl_object is None:
                problem = "no TLS session"
            else:
                problem = verify_chain(peer_chain(ssl_object), self.host, self.opts.ca_file)
            self.tls = describe_session(
                ssl_object, mode=self.opts.tls, server_name=self.host, verified=problem is None,
                verify_error=problem, handshake_ms=(time.perf_counter() - started) * 1000)
            if problem is not None and not self.opts.insecure:
                raise TlsError(f"certificate verification failed: {problem}", step=step)

        await self._guard(step, None, upgrade)
        if self.legacy:  # a diagnosis: nothing is said over this channel, not even QUIT
            raise _Done

    async def ehlo(self, step: str) -> None:
        reply = await self.command(step, f"EHLO {self.opts.helo}")
        if reply.code == 250:
            assert self.proto is not None
            self.caps = parse_capabilities(reply, self.proto.reader.full_lines)
            return
        if reply.code in (500, 502, 504, 550) and step == "ehlo":
            helo = await self.command("helo", f"HELO {self.opts.helo}")
            self._refuse_unless(helo, 250)
            self.caps = Capabilities()
            return
        self._refuse_unless(reply, 250)

    async def starttls(self) -> None:
        offered = bool(self.caps and self.caps.starttls)
        if not offered:
            if self.opts.tls == "starttls-required":
                raise TlsError("STARTTLS is required here but the server does not offer it",
                               step="starttls")
            return
        reply = await self.command("starttls", "STARTTLS")
        if reply.code != 220:
            if self.opts.tls == "starttls" and reply.code != 421:
                # Opportunistic TLS (RFC 3207 §4.1): a sending MTA carries on in plaintext;
                # the findings say so loudly.
                return
            self.stop = reply
            raise _Done
        await self.handshake("tls")
        self.caps_before_tls = self.caps
        await self.ehlo("ehlo-tls")

    async def auth(self) -> None:
        user, password = self.opts.auth_user or "", self.opts.auth_password or ""
        if self.tls is None and self.opts.tls != "none":
            # A stripped STARTTLS must not cost the user their password.
            raise TlsError("not sending the password unencrypted: no TLS was negotiated (the "
                           "server did not offer STARTTLS); --tls none allows AUTH without TLS",
                           step="auth")
        offered = self.caps.auth if self.caps else ()
        if "PLAIN" in offered:
            token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
            reply = await self.command("auth", f"AUTH PLAIN {token}", f"AUTH PLAIN {REDACTED}")
            if reply.code == 334:
                reply = await self.command("auth", token, REDACTED)
        elif "LOGIN" in offered:
            reply = await self.command("auth", "AUTH LOGIN")
            for secret in (user, password):
                if reply.code != 334:
                    break
                reply = await self.command("auth", base64.b64encode(secret.encode()).decode(),
                                           REDACTED)
        else:
            shown = ", ".join(offered) or "none"
            raise ProtocolError(f"the server offers no AUTH mechanism smtpdiag can use "
                                f"(PLAIN or LOGIN); it offers: {shown}", step="auth")
        self._refuse_unless(reply, 235)

    async def transaction(self) -> None:
        caps = self.caps or Capabilities()
        size = f" SIZE={len(self.opts.message)}" if caps.size is not None else ""
        if self.opts.smtputf8 and not caps.smtputf8:
            needing = [a for a in (self.opts.mail_from, *self.opts.rcpt_to) if not a.isascii()]
            raise _Unsendable(
                f"not sent: {', '.join(f'<{a}>' for a in needing)} has a non-ASCII local part, "
                "which may only go to a server that offers SMTPUTF8 (RFC 6531 §3.4); this one "
                "does not, so smtpdiag stopped before MAIL FROM, as a sending server would "
                "(it returns such mail: 5.6.7). Use an ASCII address, or a server offering "
                "SMTPUTF8", step="mail")
        utf8 = " SMTPUTF8" if self.opts.smtputf8 else ""
        reply = await self.command("mail", f"MAIL FROM:<{self.opts.mail_from}>{size}{utf8}")
        self._refuse_unless(reply, 250)
        self._stop_if("mail")
        for rcpt in self.opts.rcpt_to:
            reply = await self.command("rcpt", f"RCPT TO:<{rcpt}>")
            self.rcpt_replies.append(reply)
            if reply.code == 421:  # closing: no further recipient will be heard
                self.stop = reply
                raise _Done
        if not any(r.code in (250, 251, 252) for r in self.rcpt_replies):
            self.stop = stopping_reply(self.rcpt_replies)
            raise _Done
        self._stop_if("rcpt")
        if self.opts.dry_run:
            await self.command("rset", "RSET")
            return
        reply = await self.command("data", "DATA")
        self._refuse_unless(reply, 354)
        assert self.proto is not None
        proto = self.proto

        async def send_body() -> Reply:
            # DATA was already answered 354; send the dot-stuffed body and its end marker.
            body = PERIOD_REGEX.sub(b"..", normalize_message_line_endings(self.opts.message))
            proto.write(body + b".\r\n")
            await proto.read_response()
            return proto.take_reply()

        body = await self._guard("message", f"<test message, {len(self.opts.message)} bytes>",
                                 send_body)
        assert body is not None
        self._refuse_unless(body, 250)

    async def run(self) -> None:
        await self.connect()
        self._stop_if("connect")
        if self.opts.tls == "implicit":
            await self.handshake("tls")
        started = time.monotonic()
        greeting = await self._guard("greeting", None, self._greeting_or_tls
                                     if self.opts.sniff_tls else self._read_greeting)
        assert greeting is not None and self.proto is not None
        if self.proto.first_data_at is not None and len(greeting.lines) > 1:
            first = (self.proto.first_data_at - started) * 1000
            self.steps[-1] = replace(self.steps[-1], first_line_ms=max(0.0, first))
        self._refuse_unless(greeting, 220)
        self._stop_if("greeting")
        await self.ehlo("ehlo")
        self._stop_if("ehlo")
        if self.opts.tls in ("starttls", "starttls-required"):
            await self.starttls()
        self._stop_if("tls")
        if self.opts.auth_user is not None:
            await self.auth()
        self._stop_if("auth")
        await self.transaction()

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
        self._note_unasked()
        self._announce("quit")
        self.clock.start(budget)
        try:
            reply: Reply | None = await self.proto.exchange(b"QUIT")
        except BaseException as exc:
            if not self.clock.stop() and not isinstance(exc, Exception):
                raise  # not our timer's: Ctrl-C, or the fleet's cancellation
            reply = None
        else:
            self.clock.stop()
        self.steps.append(Step("quit", "QUIT", reply,
                               elapsed_ms=(time.perf_counter() - started) * 1000))

    def close(self) -> None:
        self.clock.close()
        if self.transport is not None:
            self.transport.close()


async def _attempt(host: str, address: str, port: int, opts: WalkOptions, deadline: float,
                   legacy: bool = False) -> tuple[_Walk, SmtpdiagError | None]:
    walk_ = _Walk(host, address, port, opts, deadline, legacy)
    error: SmtpdiagError | None = None
    try:
        await walk_.run()
        await walk_.quit()
    except _Done:
        await walk_.quit()
    except _Unsendable as exc:
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


async def walk(host: str, address: str, port: int, opts: WalkOptions,
               deadline: float | None = None) -> Attempt:
    """Probe one address over one connection (a second one only to diagnose a handshake that
    found no common TLS version or cipher); never raises for anything the server or the network
    does."""
    started = time.perf_counter()
    limit = deadline if deadline is not None else time.monotonic() + opts.timeout * 4
    walk_, error = await _attempt(host, address, port, opts, limit)
    silent: tuple[Step, ...] = ()
    if isinstance(error, _ImplicitTls):  # the silent plaintext steps stay, then the TLS walk
        silent, opts = tuple(walk_.steps), replace(opts, tls="implicit", sniff_tls=False)
        walk_, error = await _attempt(host, address, port, opts, limit)
    tls = walk_.tls
    if error is not None and refused_handshake(error):
        tls, error = await _diagnose_tls(host, address, port, opts, limit, error)
    outcome = outcome_of(failed=error is not None, stop=walk_.stop,
                         rcpt_replies=walk_.rcpt_replies)
    return Attempt(
        host=host, address=address, port=port, tls_mode=opts.tls,
        steps=(*silent, *walk_.steps),
        tls=tls, capabilities=walk_.caps, capabilities_before_tls=walk_.caps_before_tls,
        error=ErrorInfo(error.kind, error.message, error.step) if error else None,
        outcome=outcome, elapsed_ms=(time.perf_counter() - started) * 1000,
    )
