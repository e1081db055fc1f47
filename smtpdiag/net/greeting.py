"""The greeting of a walk: read as RFC 5321 §3.1 and §4.2 ask, and, under ``--tls auto``, a
silent port tried for implicit TLS (``implicit.py``) while the greeting is still awaited."""

from __future__ import annotations

import asyncio
import contextlib

from ..core.replies import excerpt
from ..core.text import seconds
from ..errors import ProtocolError
from ..model import Reply
from . import implicit
from .loopwaits import LoopWaits, loop_waits
from .steps import ImplicitTls, StepWalk

__all__ = ["GREETING_CODES", "LATE_GREETING_WAIT", "GreetingWalk"]

GREETING_CODES = (220, 421, 554)  # RFC 5321 §3.1 and §4.2; 421 may come at any time
LATE_GREETING_WAIT = 0.5  # seconds to wait for a 220 after a first reply that was not one
# How late the loop's one timer for greeting silences (``loopwaits``) may end a silence, so
# that one firing serves the many walks of a fleet whose silences end within that moment.
SILENCE_SLACK = 0.05


class GreetingWalk(StepWalk):
    """A ``StepWalk`` that knows how a session opens."""

    # While the greeting is awaited on a silent port (``_greeting_or_tls``): the walk's task
    # (None once the greeting is read), the handshake tried after the silence, and whether
    # that handshake completed.
    _reading: asyncio.Task[object] | None = None
    _sniff: asyncio.Task[bool] | None = None
    _found = False

    async def _read_greeting(self) -> Reply:
        """The greeting, which must be 220 (or 421/554 to refuse the session).  Another 4xx or
        5xx is still read as the refusal it means (a warning says the code is wrong); anything
        else is a protocol violation, named as such.  A server that sent a reply and then its 220
        "talks before its greeting" (the mirror of what Postfix's postscreen punishes in
        clients): its first reply is not taken for the greeting."""
        assert self.proto is not None
        reply = await self.proto.receive()
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
        server's), and no timer of its own: the walk waits among the loop's silences
        (``loopwaits``), which start the handshake only after the silence, and a handshake
        that completes while the greeting is still awaited cancels that wait, which becomes
        ``ImplicitTls`` here.
        """
        proto = self.proto
        assert proto is not None
        silence = implicit.silence_for(self.opts.timeout)
        if silence is None or proto.reply_ready:  # no silence to wait out: it is here
            return await self._read_greeting()
        task = asyncio.current_task()
        assert task is not None
        cancelling = task.cancelling()
        self._reading = task
        waiting = loop_waits("silences", asyncio.get_running_loop(), SILENCE_SLACK).add(
            silence, GreetingWalk._after_silence, self)
        try:
            return await self._read_greeting()
        except asyncio.CancelledError:
            if self._found and task.uncancel() <= cancelling:
                raise ImplicitTls(
                    f"no greeting in {seconds(silence)} s, but a TLS handshake on a second "
                    "connection completed: this port speaks implicit TLS; walking it that way",
                    step="greeting") from None
            raise
        finally:
            LoopWaits.drop(waiting)  # the silence, if it comes, is not this walk's
            self._reading = None
            sniff = self._sniff
            if sniff is not None and not sniff.done():
                sniff.cancel()
                with contextlib.suppress(BaseException):
                    await sniff

    def _after_silence(self) -> None:
        """The silence has passed with the greeting still awaited: unless a byte of it has
        come, try a TLS handshake on a second connection."""
        proto = self.proto
        if proto is None or proto.bytes_pending or proto.unsolicited:  # the greeting has begun
            return
        self.sniffed = False  # until the handshake completes
        sniff = self._sniff = asyncio.get_running_loop().create_task(
            implicit.speaks_tls(self.host, self.address, self.port))
        sniff.add_done_callback(self._sniffed)

    def _sniffed(self, done: asyncio.Task[bool]) -> None:
        reading = self._reading
        if reading is not None and not done.cancelled() and done.exception() is None \
                and done.result():
            self._found = self.sniffed = True
            reading.cancel()

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
