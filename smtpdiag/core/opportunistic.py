"""Port 25's STARTTLS-when-offered (RFC 3207): a sending MTA delivers over a certificate it
cannot verify, so such a certificate is the risk of senders that enforce MTA-STS or DANE, not a
failed walk.  One question both the probe's findings and check's judgement ask."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..model import Attempt

__all__ = ["opportunistic_walk"]


def opportunistic_walk(attempt: Attempt) -> bool:
    """Whether a certificate that does not verify is the sender's risk, not a failure: the
    walk used STARTTLS when offered (port 25), as sending MTAs do, sent no password, and went on
    past the handshake, as their mail does."""
    return (attempt.tls_mode == "starttls" and not any(s.name == "auth" for s in attempt.steps)
            and (attempt.error is None or attempt.error.step != "tls"))
