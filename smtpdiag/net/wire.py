"""aiosmtplib's protocol, with our bounded reply parser plugged in.

aiosmtplib gives us the transport handling, command locking, timeouts and STARTTLS upgrade;
its own reply parser, however, keeps only the joined text, takes the last code of a multi-line
reply on trust, and gives up on a long EHLO.  A diagnostic tool needs the raw lines, a named
error for every malformed reply, and a cap that keeps memory bounded, so ``data_received`` feeds
``ReplyReader`` instead.  This is the only module that touches aiosmtplib's protocol internals
(``_response_waiter``, ``_response_pending``); they are stable across 5.x and pinned there.
"""

from __future__ import annotations

import asyncio
import errno
import ssl
import threading
import time

from aiosmtplib.errors import SMTPServerDisconnected, SMTPTimeoutError
from aiosmtplib.protocol import COMMAND_INJECTION_REGEX, SMTPProtocol
from aiosmtplib.response import SMTPResponse

from ..core.replies import ReplyReader, excerpt
from ..core.text import seconds
from ..errors import ConnectError, ProtocolError, SmtpdiagError, StepTimeout, TlsError, UsageError
from ..model import Reply
from .loopwaits import loop_waits

__all__ = ["HANDSHAKE_REFUSALS", "RecordingProtocol", "convert_error", "refused_handshake"]

_UNSOLICITED_KEPT = 512
# OpenSSL's reasons for a handshake that failed because the two sides share no version or no
# cipher (not a broken connection, not a certificate): worth learning what the server offers.
HANDSHAKE_REFUSALS = frozenset({
    "TLSV1_ALERT_PROTOCOL_VERSION", "UNSUPPORTED_PROTOCOL", "NO_PROTOCOLS_AVAILABLE",
    "WRONG_SSL_VERSION", "SSLV3_ALERT_HANDSHAKE_FAILURE", "NO_SHARED_CIPHER",
    "NO_CIPHERS_AVAILABLE", "TLSV1_ALERT_INSUFFICIENT_SECURITY",
})


def refused_handshake(error: SmtpdiagError) -> bool:
    """The TLS handshake failed for want of a common version or cipher (an alert with one of
    ``HANDSHAKE_REFUSALS``), or the server hung up in the middle of it, which is how some
    servers (and asyncio-based ones) refuse a version without sending the alert."""
    if error.step != "tls":
        return False
    if error.kind == "connect":
        return "during the handshake" in error.message or "before the TLS" in error.message
    return error.kind == "tls" and any(f"failed: {reason}" in error.message
                                       for reason in HANDSHAKE_REFUSALS)


# What the waiter of aiosmtplib's ``read_response`` is given: only a signal that a reply is
# complete, which ``take_reply`` then hands out whole (nothing here reads its text).
_ARRIVED = SMTPResponse(0, "")
_RECEIVE_BYTES = 256 * 1024  # what asyncio's socket transport reads at most at a time
# One receive buffer per thread (an event loop has one).
_receiving = threading.local()


def _receive_buffer() -> memoryview:
    view: memoryview | None = getattr(_receiving, "view", None)
    if view is None:
        view = _receiving.view = memoryview(bytearray(_RECEIVE_BYTES))
    return view


def _end_wait(ended: asyncio.Future[None]) -> None:
    if not ended.done():  # not hung up yet (nor its walk cancelled): waited enough
        ended.set_result(None)


class RecordingProtocol(SMTPProtocol, asyncio.BufferedProtocol):
    """An ``SMTPProtocol`` that hands out full ``Reply`` records via ``last_reply``.

    It reads through a buffer (``BufferedProtocol``): asyncio's socket transport otherwise
    asks the socket for up to 256 KiB at a time in a new ``bytes`` object, which glibc serves
    with mmap, mremap and munmap (three system calls and a page fault for a 14-byte reply) in
    a process whose allocations never raised its mmap threshold.  Each read lands in one
    buffer per thread, reused by every connection, and only what came is copied out: the same
    bytes reach ``data_received``, in the same pieces.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop=loop)
        self.reader = ReplyReader()
        self.last_reply: Reply | None = None
        self.unsolicited = bytearray()
        self.bytes_pending = 0
        # When the first bytes of the greeting arrived (time.monotonic()): a greeting whose
        # first line came at once and its last much later is postscreen's pre-greet test.  Read
        # only until a command is sent: no other reply's is asked for (a clock read saved on
        # five replies of six).
        self.first_data_at: float | None = None
        self._raw_transport: asyncio.BaseTransport | None = None
        self._view = _receive_buffer()
        self._ended: asyncio.Future[None] | None = None  # see hung_up

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if self._raw_transport is None:  # the socket's own; STARTTLS wraps it, not replaces
            self._raw_transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        """As aiosmtplib's, and then the socket's transport is let go at once.

        asyncio's selector transport keeps a bound method of itself (``_read_ready_cb``): a
        reference cycle, so every closed connection (transport, socket, buffers: about six
        objects) waited for the cyclic collector.  At fleet scale that was most of what the
        collector found, and it ran the more often for it; the transport never reads again
        after this, so the cycle is broken here and reference counting frees it.  uvloop's
        transports have no such attribute and are left alone.
        """
        raw, self._raw_transport = self._raw_transport, None
        super().connection_lost(exc)
        state = getattr(raw, "__dict__", None)
        if state is not None and state.get("_read_ready_cb") is not None:
            state["_read_ready_cb"] = None
        ended = self._ended
        if ended is not None and not ended.done():
            ended.set_result(None)

    def hung_up(self, wait: float) -> asyncio.Future[None]:
        """Done when the server has closed the connection (at once when it has), or when
        ``wait`` seconds have passed; every walk of a run waits the same ``wait``, and one timer
        serves them all (``loopwaits``)."""
        ended = self._ended = self._loop.create_future()
        if self.transport is None:
            ended.set_result(None)
        else:
            loop_waits("hang_ups", self._loop).add(wait, _end_wait, ended)
        return ended

    def get_buffer(self, sizehint: int) -> memoryview:
        self._view = _receive_buffer()
        return self._view

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(self._view[:nbytes].tobytes())

    def data_received(self, data: bytes) -> None:
        waiter = self._response_waiter
        if waiter is None or not self._response_pending or waiter.done():
            self._keep_unsolicited(data)
            return
        if not self.bytes_pending and not self.reader.sent:  # only the greeting's is read
            self.first_data_at = time.monotonic()
        self.bytes_pending += len(data)
        try:
            reply = self.reader.feed(data)
        except ProtocolError as exc:
            self._set_response_exception(waiter, exc)
            return
        if reply is not None:
            self.last_reply = reply
            self.bytes_pending = 0
            if self.unsolicited:  # what matters is what came unasked after this reply
                self.unsolicited.clear()
            if self.reader.trailing:
                self._keep_unsolicited(self.reader.trailing)
            waiter.set_result(_ARRIVED)

    async def exchange(self, command: bytes, printable: bool = False) -> Reply:
        """Send one command line and return its reply.

        ``execute_command`` without its lock and its ``wait_for``: a walk never has two
        commands under way on one connection, and its own timer bounds each step, so neither
        is needed; the checks, the errors and the waiter's life are the same.  ``printable``:
        the caller saw that the command's text is printable (``str.isprintable``), so it has
        no control character and its UTF-8 bytes none either, and aiosmtplib's pattern (some
        2k instructions a command) need not look for one.
        """
        if not printable and COMMAND_INJECTION_REGEX.search(command):
            raise ValueError("Command arg contains a prohibited control character")
        waiter = self._response_waiter
        if self._command_lock is None or waiter is None:
            raise SMTPServerDisconnected("Server not connected")
        transport = self.transport
        if transport is None or transport.is_closing():  # as SMTPProtocol.write
            raise SMTPServerDisconnected("Connection lost")
        self._response_pending = True
        self.reader.sent = command
        transport.write(command + b"\r\n")  # type: ignore[attr-defined]
        if command == b"QUIT":
            self._quit_sent = True
        # ``receive`` written out: every command of every walk comes through here, and a
        # coroutine awaited inside this one would be made, and resumed, for each of them.
        try:
            await waiter
        finally:
            self._next_waiter()
        return self.take_reply()

    async def receive(self) -> Reply:
        """The next reply (the greeting, or the answer to what was just sent): the waiter of
        ``read_response`` awaited without its ``wait_for``, as ``exchange`` does."""
        waiter = self._response_waiter
        if waiter is None:
            raise SMTPServerDisconnected("Connection lost")
        self._response_pending = True
        try:
            await waiter
        finally:
            self._next_waiter()
        return self.take_reply()

    def _next_waiter(self) -> None:
        """A reply was taken (or will never come): a new waiter for the next, as
        ``read_response`` leaves it, unless the connection is gone."""
        self._response_pending = False
        self._response_waiter = None if self.transport is None else self._loop.create_future()

    def _keep_unsolicited(self, data: bytes) -> None:
        """Nothing was asked: keep a little of it to explain a later disconnect."""
        room = _UNSOLICITED_KEPT - len(self.unsolicited)
        if room > 0:
            self.unsolicited.extend(data[:room])

    @property
    def reply_ready(self) -> bool:
        """A reply (or the error reading it) has arrived and waits to be taken: reading it
        needs no wait at all."""
        waiter = self._response_waiter
        return waiter is not None and waiter.done()

    def take_reply(self) -> Reply:
        """The reply just completed (``read_response`` returned), cleared for the next one."""
        reply = self.last_reply
        if reply is None:  # pragma: no cover - read_response only returns after setting it
            raise ProtocolError("no reply was parsed")
        self.last_reply = None
        return reply

    def describe_partial(self) -> str:
        """What arrived of an unfinished reply, for a timeout message."""
        if not self.bytes_pending:
            return "nothing was received"
        lines = self.reader.pending_lines
        if lines:
            shown = ", ".join(excerpt(line, 100) for line in lines[:3])
            total = max(self.reader.pending_count, len(lines))
            more = f" and {total - 3} more" if total > 3 else ""
            count = "1 line" if total == 1 else f"{total} lines"
            return f"{count} of an unfinished reply arrived, with no last line: {shown}{more}"
        begun = self.reader.pending_text  # a line with no line end yet: show how it began
        seen = f": {excerpt(begun, 100)}" if begun else ""
        if self.bytes_pending == 1:
            return f"1 byte of an unfinished reply was received{seen}"
        return f"{self.bytes_pending} bytes of an unfinished reply were received{seen}"

    def unsolicited_reply(self) -> Reply | None:
        """A complete reply among what the server sent unasked (a 421 before a hang-up, say)."""
        try:
            return ReplyReader(self.reader.redact).feed(bytes(self.unsolicited))
        except ProtocolError:
            return None

    def describe_unsolicited(self) -> str:
        if not self.unsolicited:
            return ""
        seen = self.reader.redact(bytes(self.unsolicited).decode("utf-8", "surrogateescape"),
                                  cut=True).rstrip("\r\n")
        return f"; before that it sent, unasked: {excerpt(seen, 120)}"


def _alert_hint(reason: str) -> str:
    """What a TLS alert from the server means for the person, where it says more than its name."""
    if "CERTIFICATE_REQUIRED" in reason or "PEER_DID_NOT_RETURN_A_CERTIFICATE" in reason:
        return "; the server wants a client certificate, and smtpdiag sends none"
    return ""


def convert_error(exc: BaseException, step: str, timeout: float, proto: RecordingProtocol | None,
             where: str) -> SmtpdiagError:
    """Map any library or OS exception to our error tree, once, naming the step.

    The one place where aiosmtplib, ssl and OS errors become smtpdiag errors (the layer above
    only ever sees ``SmtpdiagError``).
    """
    if isinstance(exc, SmtpdiagError):
        exc.step = exc.step or step
        return exc
    if isinstance(exc, (asyncio.TimeoutError, SMTPTimeoutError, TimeoutError)):
        if step == "tls":
            return StepTimeout(f"the TLS handshake with {where} did not finish within "
                               f"{seconds(timeout)} s", step=step)
        seen = proto.describe_partial() if proto else "nothing was received"
        if step == "message":  # RFC 5321 §4.5.3.2.6: the server may have taken it already
            return StepTimeout(
                f"no reply to the end of the message (the final dot) within {seconds(timeout)} "
                f"s from {where} ({seen}): the message may still be delivered; check the "
                "server's log before sending it again, or it may arrive twice (--data-timeout "
                "waits longer)", step=step)
        return StepTimeout(f"no complete answer within {seconds(timeout)} s from {where} ({seen})",
                           step=step)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TlsError(f"certificate verification failed: {exc.verify_message}", step=step)
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or str(exc)
        hint = ("; the server did not answer with TLS"
                if reason in ("WRONG_VERSION_NUMBER", "UNEXPECTED_EOF_WHILE_READING",
                              "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG") else
                "; the server ended the handshake with an internal_error alert: a fault on its "
                "side (a certificate or key its TLS library cannot use), not something this "
                "client can change" if reason == "TLSV1_ALERT_INTERNAL_ERROR" else "")
        return TlsError(f"TLS handshake with {where} failed: {reason}{hint or _alert_hint(reason)}",
                        step=step)
    if isinstance(exc, ConnectionRefusedError):
        return ConnectError(f"connection refused by {where}", step=step)
    if isinstance(exc, (SMTPServerDisconnected, ConnectionError, EOFError)):
        if step == "tls":
            return ConnectError(f"{where} closed the connection before the TLS handshake "
                                "completed", step=step)
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, ssl.SSLError) and not isinstance(cause, ssl.SSLEOFError):
            reason = cause.reason or str(cause)
            if "_ALERT_" in reason:  # the server's own TLS stack ended the session: a refusal
                return ConnectError(f"{where} ended the TLS session with an alert: {reason}"
                                    f"{_alert_hint(reason)}", step=step)
            # the session broke, not a hang-up: bytes that are not TLS records (or a record
            # that fails) arrived inside the encrypted session
            return ConnectError(f"the TLS session with {where} broke: {reason}; the server "
                                "sent something that is not a valid TLS record inside the "
                                "encrypted session", step=step)
        if proto is not None and proto.bytes_pending:  # in the middle of a reply: say what came
            return ConnectError(f"{where} closed the connection in the middle of a reply "
                                f"({proto.describe_partial()})", step=step)
        extra = proto.describe_unsolicited() if proto else ""
        if step == "ehlo-tls" and not extra:
            # TLS 1.3 ends the handshake on our side before the server has read our (empty)
            # certificate: its refusal arrives here, as an alert asyncio may not pass on
            extra = (" right after the TLS handshake, before any reply inside TLS: a server "
                     "does that when it refuses the client's TLS, most often because it wants "
                     "a client certificate (smtpdiag sends none); its log says which")
        return ConnectError(f"{where} closed the connection{extra}", step=step)
    if isinstance(exc, OSError):
        return ConnectError(f"cannot connect to {where}: {exc.strerror or exc}"
                            f"{_no_route(exc, where)}", step=step)
    if isinstance(exc, ValueError):
        return UsageError(f"refused to send: {exc}", step=step)
    return ProtocolError(f"unexpected failure talking to {where}: {type(exc).__name__}: {exc}",
                         step=step)


def _no_route(exc: OSError, where: str) -> str:
    """A connection this machine could not even start (no route: an IPv6 address from a host
    without IPv6, as an MX with AAAA records only meets) says nothing of the server."""
    if exc.errno not in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return ""
    family = "IPv6" if where.startswith("[") else "IPv4"
    return (f": this machine has no route to that {family} address, so this says nothing of "
            f"the server; senders with {family} may reach it (probe from a machine that has it)")
