"""The submission ports as a mail client meets them: on 587, what a password and mail are
exposed to before STARTTLS, and STARTTLS command injection (RFC 3207 §4.2); on 465, whether
implicit TLS works (RFC 8314); on both, whether the certificate verifies for the host name."""

from __future__ import annotations

from .records import Hit, SubmissionFacts

__all__ = ["submission_fact", "submission_hits"]


def submission_hits(facts: SubmissionFacts) -> list[Hit]:
    where = f"{facts.host} [{facts.address}]:{facts.port}"
    if facts.error is not None:
        return [Hit("sub.unreachable", where, facts.error)]
    if facts.implicit:
        if facts.tls_error:
            return [Hit("sub.implicit-tls-failed", where, facts.tls_error)]
        return _cert_hits(facts, where)
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
    return hits + _cert_hits(facts, where)


def _cert_hits(facts: SubmissionFacts, where: str) -> list[Hit]:
    """Mail clients verify the certificate against the host name they were configured with."""
    if facts.cert_error is None or facts.tls_error:
        return []
    named = f"'{facts.host.lower()}'" in facts.cert_error.lower()  # as OpenSSL words it
    return [Hit("sub.cert-invalid", where, facts.cert_error if named else
                f"{facts.cert_error} (checked for {facts.host})")]


def submission_fact(facts: SubmissionFacts) -> str:
    """One line of what was seen on one port."""
    where = f"{facts.host} [{facts.address}]:{facts.port}"
    if facts.error is not None:
        return f"{where}: {facts.error}"
    if facts.implicit:
        return f"{where}: implicit TLS" + (
            " fails" if facts.tls_error else f" ({facts.tls_version or '?'})")
    return f"{where}: " + ("STARTTLS offered" if facts.starttls else "no STARTTLS")
