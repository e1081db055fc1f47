"""What one session walk is asked to do: ``WalkOptions``, and the forms our secrets take.

Kept apart from the walk itself (``session.py``) so that what a caller fills in reads in one
place, and so that the redaction of an echoed password starts from the same list everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field

from ..record import record

__all__ = ["WalkOptions"]


@record
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
    # A failed STARTTLS handshake where STARTTLS is used when offered: walk again in plaintext,
    # as sending servers do (``session._falls_back``).  An audit, which grades the TLS the
    # server offers, keeps the failed walk and its diagnosis instead.
    plaintext_retry: bool = True
    # Told (step, where) as each exchange starts, e.g. for a terminal's "waiting for…" line.
    progress: Callable[[str, str], None] | None = field(default=None, repr=False, compare=False)
