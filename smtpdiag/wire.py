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

from aiosmtplib.protocol import SMTPProtocol
from aiosmtplib.response import SMTPResponse

from .errors import ProtocolError
from .model import Reply
from .replies import ReplyReader, excerpt

__all__ = ["RecordingProtocol"]

_UNSOLICITED_KEPT = 512


class RecordingProtocol(SMTPProtocol):
    """An ``SMTPProtocol`` that hands out full ``Reply`` records via ``last_reply``."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop=loop)
        self.reader = ReplyReader()
        self.last_reply: Reply | None = None
        self.unsolicited = bytearray()
        self.bytes_pending = 0

    def data_received(self, data: bytes) -> None:
        waiter = self._response_waiter
        if waiter is None or not self._response_pending or waiter.done():
            self._keep_unsolicited(data)
            return
        self.bytes_pending += len(data)
        try:
            reply = self.reader.feed(data)
        except ProtocolError as exc:
            self._set_response_exception(waiter, exc)
            return
        if reply is not None:
            self.last_reply = reply
            self.bytes_pending = 0
            self.unsolicited.clear()  # what matters is what came unasked after this reply
            self._keep_unsolicited(self.reader.trailing)
            waiter.set_result(SMTPResponse(reply.code, "\n".join(reply.lines)))

    def _keep_unsolicited(self, data: bytes) -> None:
        """Nothing was asked: keep a little of it to explain a later disconnect."""
        room = _UNSOLICITED_KEPT - len(self.unsolicited)
        if room > 0:
            self.unsolicited.extend(data[:room])

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
        if self.bytes_pending == 1:
            return "1 byte of an unfinished reply was received"
        return f"{self.bytes_pending} bytes of an unfinished reply were received"

    def unsolicited_reply(self) -> Reply | None:
        """A complete reply among what the server sent unasked (a 421 before a hang-up, say)."""
        try:
            return ReplyReader(self.reader.redact).feed(bytes(self.unsolicited))
        except ProtocolError:
            return None

    def describe_unsolicited(self) -> str:
        if not self.unsolicited:
            return ""
        seen = self.reader.redact(bytes(self.unsolicited).decode("utf-8", "backslashreplace"),
                                  cut=True).rstrip("\r\n")
        return f"; before that it sent, unasked: {excerpt(seen, 120)}"
