"""The STARTTLS posture of a submission port: what a client's password and mail are exposed
to before TLS, and STARTTLS command injection (RFC 3207 §4.2)."""

from __future__ import annotations

from .records import Hit, SubmissionFacts

__all__ = ["submission_hits"]


def submission_hits(facts: SubmissionFacts) -> list[Hit]:
    where = f"{facts.host} [{facts.address}]:{facts.port}"
    if facts.error is not None:
        return [Hit("sub.unreachable", where, facts.error)]
    hits: list[Hit] = []
    if not facts.starttls:
        hits.append(Hit("sub.no-starttls", where, "EHLO lists no STARTTLS"))
    elif facts.tls_error:
        hits.append(Hit("sub.no-starttls", where, f"STARTTLS is listed but fails: "
                        f"{facts.tls_error}"))
    if facts.auth_before_tls:
        hits.append(Hit("sub.auth-before-tls", where, "AUTH " + " ".join(
            facts.auth_before_tls[:8]) + " advertised before STARTTLS"))
    if facts.mail_before_tls is not None and 200 <= facts.mail_before_tls < 300:
        hits.append(Hit("sub.mail-before-tls", where, f"MAIL FROM before STARTTLS answered "
                        f"{facts.mail_before_tls}"))
    if facts.injection:
        hits.append(Hit("sub.starttls-injection", where, "RSET, sent in the same packet as "
                        "STARTTLS, was answered inside the TLS session"))
    return hits
