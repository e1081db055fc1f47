"""The well-behaved server every scenario starts from, and what scenarios can decide.

``Healthy`` is a correct server; scenarios (in ``scenarios``) subclass it and change exactly one
thing, so a test that drives a scenario learns about that one reply and nothing else.  They
decide *what* to answer through small plain methods (``greeting``, ``before``, ``mail_reply``,
``rcpt_reply``, ``data_reply``); the aiosmtpd hooks here do the envelope bookkeeping around them,
and ``protocol.ScenarioSMTP`` supplies what aiosmtpd has no hook for: the greeting, and answering
a command before aiosmtpd's own checks.

Nothing here imports aiosmtpd at run time, so the scenario list is cheap to import for ``--help``.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from .recorded import Envelope, Recorded

if TYPE_CHECKING:
    from aiosmtpd.smtp import SMTP, Session
    from aiosmtpd.smtp import Envelope as SessionEnvelope

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_USER",
    "Answer",
    "CommandContext",
    "Healthy",
    "credentials_ok",
]

DEMO_USER = "demo"
DEMO_PASSWORD = "demo-password"


def credentials_ok(login: bytes, password: bytes) -> bool:
    """Whether AUTH gave the demo credentials (compared in constant time, out of habit)."""
    return hmac.compare_digest(login, DEMO_USER.encode()) and hmac.compare_digest(
        password, DEMO_PASSWORD.encode()
    )


@dataclass(frozen=True)
class Answer:
    """A reply a scenario sends in place of the normal one, and whether it then hangs up."""

    text: str
    close: bool = False


@dataclass(frozen=True)
class CommandContext:
    """What a scenario may look at before aiosmtpd handles a command."""

    verb: str
    arg: str | None
    hostname: str
    tls_active: bool
    authenticated: bool
    has_recipients: bool


class Healthy:
    """Everything accepted, with the replies and EHLO keywords of a typical Postfix server.

    Attributes read by the server when a connection starts: ``size_limit`` (advertised as SIZE
    and enforced), ``offers_starttls``, ``greeting_delay`` (seconds before the greeting).
    Method names avoid the ``auth_`` and ``handle_`` prefixes, which aiosmtpd would take for AUTH
    mechanisms and hooks.
    """

    name: ClassVar[str] = "healthy"
    description: ClassVar[str] = "everything accepted; STARTTLS and AUTH PLAIN LOGIN offered"
    size_limit: ClassVar[int] = 10_485_760
    offers_starttls: ClassVar[bool] = True
    greeting_delay: ClassVar[float] = 0.0

    def __init__(self, recorded: Recorded) -> None:
        self.recorded = recorded

    # -- the decisions scenarios override ---------------------------------------------------

    def greeting(self, hostname: str) -> Answer:
        return Answer(f"220 {hostname} ESMTP smtpdiag fake server")

    def before(self, context: CommandContext) -> Answer | None:
        """An answer given before aiosmtpd sees the command, or None to let it proceed."""
        return None

    def mail_reply(self, address: str, options: Sequence[str]) -> str | None:
        """A refusal of MAIL FROM, or None to accept the sender."""
        return None

    def rcpt_reply(self, address: str) -> str | None:
        """A refusal of RCPT TO, or None to accept the recipient."""
        return None

    def data_reply(self, body: bytes) -> str | None:
        """A refusal of the message at the end of DATA, or None to queue it."""
        return None

    # -- aiosmtpd hooks ---------------------------------------------------------------------

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: SessionEnvelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        """aiosmtpd's EHLO keywords plus PIPELINING and ENHANCEDSTATUSCODES, Postfix order."""
        session.host_name = hostname  # the five-argument hook must do this itself
        keywords = [line[4:] for line in responses if line[4:] != "HELP"]
        keywords = [
            "AUTH PLAIN LOGIN" if keyword.startswith("AUTH ") else keyword for keyword in keywords
        ]
        keywords[1:1] = ["PIPELINING"]
        keywords.append("ENHANCEDSTATUSCODES")
        return [f"250-{keyword}" for keyword in keywords[:-1]] + [f"250 {keywords[-1]}"]

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: SessionEnvelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        refusal = self.mail_reply(address, mail_options)
        if refusal is not None:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 Ok"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: SessionEnvelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.strip() in ("", "<>"):  # RFC 5321 §4.1.1.3: <> is a sender, never a recipient
            return "501 5.1.3 Bad recipient address syntax: <> is the null sender, not a recipient"
        refusal = self.rcpt_reply(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: SessionEnvelope) -> str:
        body = envelope.original_content or b""
        self.recorded.add_message(body)
        note = getattr(server, "note", None)  # the session log of `smtpdiag serve`
        if note is not None:
            note(f"message: {len(body)} bytes from <{envelope.mail_from or ''}> to "
                 f"{len(envelope.rcpt_tos)} recipient(s)")
        reply = self.data_reply(body) or f"250 2.0.0 queued as {secrets.token_hex(5).upper()}"
        self.recorded.add_envelope(Envelope(
            mail_from=envelope.mail_from or "", rcpt_tos=tuple(envelope.rcpt_tos), content=body,
            reply=reply, mail_options=tuple(envelope.mail_options),
            rcpt_options=tuple(envelope.rcpt_options)))
        return reply
