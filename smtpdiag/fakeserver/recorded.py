"""What a fake server saw, kept for tests to assert on.

The server runs in its own thread while the test reads from the main one, so every change goes
through a lock; readers only look at whole list items and an int, which is safe without one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

__all__ = ["REDACTED", "Envelope", "Recorded", "redact_command"]

REDACTED = "<redacted>"


def redact_command(verb: str, arg: str | None) -> str:
    """The command line as recorded: verb upper-cased, AUTH's initial response hidden.

    ``AUTH PLAIN <base64>`` carries the password and ``AUTH LOGIN <base64>`` the user name, so
    anything after the mechanism is replaced; the mechanism itself is kept because tests and the
    demo want to see which one the client chose.
    """
    if arg is None:
        return verb
    if verb == "AUTH":
        mechanism, _, secret = arg.partition(" ")
        return f"AUTH {mechanism} {REDACTED}" if secret.strip() else f"AUTH {mechanism}"
    return f"{verb} {arg}"


@dataclass(frozen=True)
class Envelope:
    """One message as the server received it: envelope, content, and the reply to its end.

    ``reply`` is what the server answered after the final dot (``250 2.0.0 queued as …``, or the
    scenario's refusal), so a test can tell an accepted message from a refused one.
    """

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    reply: str
    mail_options: tuple[str, ...] = ()
    rcpt_options: tuple[str, ...] = ()


@dataclass
class Recorded:
    """Every command line, message (body and envelope) and TLS session a server saw, in order."""

    commands: list[str] = field(default_factory=list)
    messages: list[bytes] = field(default_factory=list)
    envelopes: list[Envelope] = field(default_factory=list)
    tls_sessions: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add_command(self, line: str) -> None:
        with self._lock:
            self.commands.append(line)

    def add_message(self, body: bytes) -> None:
        with self._lock:
            self.messages.append(body)

    def add_envelope(self, envelope: Envelope) -> None:
        with self._lock:
            self.envelopes.append(envelope)

    def add_tls_session(self) -> None:
        with self._lock:
            self.tls_sessions += 1
