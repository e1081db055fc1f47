"""Port 25's STARTTLS-when-offered (RFC 3207): a sending MTA delivers over a certificate it
cannot verify, so such a certificate is the risk of senders that enforce MTA-STS or DANE, not a
failed walk.  One question both the probe's findings and check's judgement ask."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..model import Attempt, Step

__all__ = ["failed_handshake", "opportunistic_walk", "plaintext_fallback"]


def opportunistic_walk(attempt: Attempt) -> bool:
    """Whether a certificate that does not verify is the sender's risk, not a failure: the
    walk used STARTTLS when offered (port 25), as sending MTAs do, sent no password, and went on
    past the handshake, as their mail does."""
    return (attempt.tls_mode == "starttls" and not any(s.name == "auth" for s in attempt.steps)
            and (attempt.error is None or attempt.error.step != "tls"))


def failed_handshake(attempt: Attempt) -> Step | None:
    """The failed STARTTLS handshake a walk went on from in plaintext, on a new connection
    (``net/session``): a "tls" step with an error, and a "connect" after it; None for a walk
    that did not fall back (nearly every one)."""
    failed = None
    for step in attempt.steps:
        if step.name == "tls" and step.error is not None:
            failed = step
        elif failed is not None and step.name == "connect":
            return failed
    return None


def plaintext_fallback(handshake_error: str) -> str:
    """What a failed STARTTLS handshake on port 25 means, once the walk went on in plaintext
    as sending servers do (the session's "tls" step kept its error, the attempt has none)."""
    old_tls = "offers only TLS 1.0" in handshake_error or "offers only TLS 1.1" in \
        handshake_error or "offers only SSL" in handshake_error
    fix = ("enable TLS 1.2 and 1.3 (Postfix: smtpd_tls_protocols = >=TLSv1.2; Exim: "
           "openssl_options and tls_require_ciphers; Sendmail: ServerSSLOptions and CipherList), "
           "with a current OpenSSL" if old_tls else
           "check the server's TLS certificate, key and ciphers; its log names the handshake "
           "error")
    return (f"the STARTTLS handshake failed: {handshake_error}. Sending servers then deliver "
            "in plaintext (Exim at once, tls_tempfail_tryclear; Postfix at its 'may' level on "
            "a later retry), as smtpdiag walked again in plaintext: mail to this server travels "
            "unencrypted, and senders that require TLS (MTA-STS in enforce mode, DANE) do not "
            f"deliver at all. Fix: {fix}")
