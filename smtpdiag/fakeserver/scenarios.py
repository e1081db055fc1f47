"""The scripted misbehaviours: one small aiosmtpd handler class per scenario.

Each subclasses ``base.Healthy`` and overrides the one decision it changes; the replies are the
wordings real servers (mostly Postfix, and Gmail) send, so the client's annotations are tested
against what users actually meet.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from .base import DEMO_PASSWORD, DEMO_USER, Answer, CommandContext, Healthy

__all__ = ["DEMO_PASSWORD", "DEMO_USER", "SCENARIOS", "Healthy", "scenario_class"]


class Greylist(Healthy):
    name = "greylist"
    description = "RCPT answered 450 4.2.0 Greylisted, please try again later"

    def rcpt_reply(self, address: str) -> str | None:
        return (
            f"450 4.2.0 <{address}>: Recipient address rejected: Greylisted, please try again later"
        )


class MailboxFull(Healthy):
    name = "mailbox-full"
    description = "RCPT answered 552 5.2.2 Mailbox full (the recipient is over quota)"

    def rcpt_reply(self, address: str) -> str | None:
        return f"552 5.2.2 <{address}>: Recipient address rejected: Mailbox full"


class RelayDenied(Healthy):
    name = "relay-denied"
    description = "RCPT answered 554 5.7.1 Relay access denied"

    def rcpt_reply(self, address: str) -> str | None:
        return f"554 5.7.1 <{address}>: Relay access denied"


class UnknownUser(Healthy):
    name = "unknown-user"
    description = "RCPT answered 550 5.1.1 User unknown in local recipient table"

    def rcpt_reply(self, address: str) -> str | None:
        return (
            f"550 5.1.1 <{address}>: Recipient address rejected: "
            "User unknown in local recipient table"
        )


class Greeting421(Healthy):
    name = "greeting-421"
    description = "greets with 421 4.3.2 Service not available and closes the connection"

    def greeting(self, hostname: str) -> Answer:
        return Answer(
            f"421 4.3.2 {hostname} Service not available, closing transmission channel",
            close=True,
        )


class Greeting554(Healthy):
    """RFC 5321 section 3.1: after a 554 greeting, answer 503 to all but QUIT, then hang up."""

    name = "greeting-554"
    description = "greets with 554 5.7.1 Access denied, then answers 503 to all but QUIT"

    def greeting(self, hostname: str) -> Answer:
        return Answer(f"554 5.7.1 {hostname}: Client host rejected: Access denied")

    def before(self, context: CommandContext) -> Answer | None:
        if context.verb == "QUIT":
            return None
        return Answer("503 5.5.1 Error: bad sequence of commands")


class TlsRequired(Healthy):
    """Like Postfix with smtpd_tls_security_level=encrypt: only the TLS way in is open."""

    name = "tls-required"
    description = "MAIL (and all but EHLO/HELO/STARTTLS/NOOP/RSET/QUIT) before STARTTLS gets 530"
    allowed_in_clear: ClassVar[frozenset[str]] = frozenset(
        {"EHLO", "HELO", "STARTTLS", "NOOP", "RSET", "QUIT"}
    )

    def before(self, context: CommandContext) -> Answer | None:
        if context.tls_active or context.verb in self.allowed_in_clear:
            return None
        return Answer("530 5.7.0 Must issue a STARTTLS command first")


class AuthRequired(Healthy):
    name = "auth-required"
    description = "MAIL without a successful AUTH answered 530 5.7.0 Authentication required"

    def before(self, context: CommandContext) -> Answer | None:
        if context.verb == "MAIL" and not context.authenticated:
            return Answer("530 5.7.0 Authentication required")
        return None


class EhloRefused(Healthy):
    name = "ehlo-refused"
    description = "EHLO answered 502 5.5.1 (an old server); HELO works"

    def before(self, context: CommandContext) -> Answer | None:
        if context.verb == "EHLO":
            return Answer("502 5.5.1 Error: command not recognized")
        return None


class MailRefused(Healthy):
    name = "mail-refused"
    description = "MAIL answered 553 5.7.1 Sender address rejected: not owned by user"

    def mail_reply(self, address: str, options: Sequence[str]) -> str | None:
        return "553 5.7.1 Sender address rejected: not owned by user"


class DataRefused(Healthy):
    name = "data-refused"
    description = "end of DATA answered 554 5.7.1 Message rejected as spam"

    def data_reply(self, body: bytes) -> str | None:
        return "554 5.7.1 Message rejected as spam"


class GmailDmarc(Healthy):
    name = "gmail-dmarc"
    description = "end of DATA answered with Gmail's multi-line 550 5.7.26 unauthenticated sender"

    def data_reply(self, body: bytes) -> str | None:
        return (
            "550-5.7.26 This mail has been blocked because the sender is unauthenticated.\r\n"
            "550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM.\r\n"
            "550 5.7.26  Learn more. x1-20020a17.123 - gsmtp"
        )


class SizeLimit(Healthy):
    name = "size-limit"
    description = "advertises SIZE 1000; MAIL with SIZE over it answered 552 5.3.4"
    size_limit = 1000


class Tempfail(Healthy):
    name = "tempfail"
    description = "MAIL answered 451 4.3.0 Temporary local problem"

    def mail_reply(self, address: str, options: Sequence[str]) -> str | None:
        return "451 4.3.0 Temporary local problem - please try later"


class SlowGreeting(Healthy):
    name = "slow-greeting"
    description = "greets only after 1.5 seconds (a tarpit), then healthy"
    greeting_delay = 1.5


class NoStarttls(Healthy):
    """Offers AUTH in the clear, as servers without TLS often do: the risk a client must see."""

    name = "no-starttls"
    description = "like healthy but never offers STARTTLS (AUTH offered in the clear)"
    offers_starttls = False


class Mid421(Healthy):
    name = "mid-421"
    description = "after an accepted RCPT, DATA answered 421 4.4.2 timeout, connection closed"

    def before(self, context: CommandContext) -> Answer | None:
        if context.verb == "DATA" and context.has_recipients:
            return Answer(f"421 4.4.2 {context.hostname} Error: timeout exceeded", close=True)
        return None


_CLASSES: tuple[type[Healthy], ...] = (
    Healthy,
    Greylist,
    RelayDenied,
    UnknownUser,
    MailboxFull,
    Greeting421,
    Greeting554,
    TlsRequired,
    AuthRequired,
    EhloRefused,
    MailRefused,
    DataRefused,
    GmailDmarc,
    SizeLimit,
    Tempfail,
    SlowGreeting,
    NoStarttls,
    Mid421,
)
_BY_NAME: dict[str, type[Healthy]] = {cls.name: cls for cls in _CLASSES}

SCENARIOS: dict[str, str] = {cls.name: cls.description for cls in _CLASSES}


def scenario_class(name: str) -> type[Healthy]:
    """The handler class for a scenario name; ValueError naming the known ones otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(_BY_NAME)
        raise ValueError(f"unknown scenario {name!r}; known scenarios: {known}") from None
