"""Each MX address as a validating sender sees it: reverse DNS (FCrDNS), the names it gives,
the replies to a dry-run walk, STARTTLS, TLS version and cipher, the certificate; and whether
the MX hosts agree with each other (a sender that lands on the odd one out sees another domain).
"""

from __future__ import annotations

from collections.abc import Iterable

from ...model import Attempt, Capabilities, Reply
from .records import AddressFacts, Hit

__all__ = ["address_hits", "banner_software", "consistency_hits", "forward_secret",
           "greeting_name"]

OLD_TLS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1")
CERT_WARN_DAYS = 14
UNREACHABLE_STEPS = ("connect", "greeting", "dns")


def forward_secret(version: str | None, cipher: str | None) -> bool:
    """TLS 1.3 always is; before it, only (EC)DHE key exchanges are."""
    if version == "TLSv1.3" or cipher is None:
        return True
    name = cipher.upper()
    return name.startswith(("ECDHE", "DHE", "EDH")) or "-ECDHE-" in name or "_ECDHE_" in name


def _reply(attempt: Attempt, step: str) -> Reply | None:
    return next((s.reply for s in attempt.steps if s.name == step and s.reply), None)


def greeting_name(reply: Reply | None) -> str | None:
    """The host name a greeting or EHLO reply starts with (RFC 5321 §4.2: its first word)."""
    if reply is None or not reply.lines:
        return None
    words = reply.lines[0].split()
    return words[0].lower().rstrip(".") if words else None


def banner_software(reply: Reply | None, known: Iterable[str]) -> str | None:
    """The MTA a greeting names, from the catalogue's list of names (``Postfix``, ``Exim``…)."""
    if reply is None:
        return None
    text = reply.text.lower()
    return next((name for name in known if name.lower() in text), None)


def _where(facts: AddressFacts) -> str:
    return f"{facts.host} [{facts.address}]"


def _ptr_hits(facts: AddressFacts) -> list[Hit]:
    where = _where(facts)
    if facts.ptr_status == "error":
        why = f": {facts.ptr_error}" if facts.ptr_error else ""
        return [Hit("addr.ptr-lookup-failed", where, f"the PTR lookup for {facts.address} "
                    f"failed{why}")]
    if not facts.ptr:
        return [Hit("addr.no-ptr", where, f"{facts.address} has no PTR record")]
    if not facts.confirmed:
        return [Hit("addr.fcrdns", where, f"{facts.address} → PTR {', '.join(facts.ptr)}, but "
                    f"{'that name does not' if len(facts.ptr) == 1 else 'none of them'} "
                    f"resolve back to {facts.address}")]
    return []


def _name_hits(facts: AddressFacts, attempt: Attempt) -> list[Hit]:
    greeting = _reply(attempt, "greeting")
    if greeting is None or greeting.code != 220:
        return []  # a refusal's first word is not a name
    greeted = greeting_name(greeting)
    ehlo = greeting_name(_reply(attempt, "ehlo"))
    known = {facts.host.lower().rstrip("."), *(p.lower().rstrip(".") for p in facts.ptr)}
    said = [n for n in (greeted, ehlo) if n]
    if not said or any(n in known for n in said):
        return []
    return [Hit("addr.name-mismatch", _where(facts),
                f"greeting names {greeted or '-'}, EHLO names {ehlo or '-'}; "
                f"MX host {facts.host}, PTR {', '.join(facts.ptr) or 'none'}")]


def _reply_hits(facts: AddressFacts, attempt: Attempt) -> list[Hit]:
    where = _where(facts)
    greeting = _reply(attempt, "greeting")
    if greeting is not None and greeting.code != 220:
        kind = "addr.tempfail" if greeting.klass == 4 else "addr.greeting-refused"
        return [Hit(kind, where, f"greeting: {greeting.code} {greeting.text}"[:300])]
    hits: list[Hit] = []
    mail, rcpt = _reply(attempt, "mail"), _reply(attempt, "rcpt")
    if mail is not None and not mail.positive:
        kind = "addr.tempfail" if mail.klass == 4 else "addr.null-sender-refused"
        hits.append(Hit(kind, where, f"MAIL FROM:<>: {mail.code} {mail.text}"[:300]))
    elif rcpt is not None and not rcpt.positive:
        kind = "addr.tempfail" if rcpt.klass == 4 else "addr.postmaster-refused"
        hits.append(Hit(kind, where, f"RCPT TO:<postmaster@…>: {rcpt.code} {rcpt.text}"[:300]))
    return hits


def _tls_hits(facts: AddressFacts, attempt: Attempt) -> list[Hit]:
    where = _where(facts)
    caps = attempt.capabilities
    error = attempt.error
    if attempt.tls is None:
        if error is not None and error.step in ("tls", "starttls"):
            return [Hit("addr.tls-failed", where, error.message)]
        if caps is not None and not caps.starttls:
            return [Hit("addr.no-starttls", where, "EHLO lists no STARTTLS")]
        return []
    tls = attempt.tls
    hits: list[Hit] = []
    # Our handshake (TLS 1.2 and up, current ciphers) failed, and what the server does offer
    # was learnt in a diagnostic handshake: a current sender cannot start TLS with it at all,
    # so the outdated version or cipher is critical, and the certificate was not verified.
    diagnosed = error is not None and error.step == "tls"
    cannot = "; a current sender's handshake fails (seen in a diagnostic handshake)"
    old = tls.version in OLD_TLS
    if old:
        hits.append(Hit("addr.tls-old", where, f"offers only {tls.version} ({tls.cipher})"
                        + cannot if diagnosed else f"negotiated {tls.version}",
                        "critical" if diagnosed else None))
    if not forward_secret(tls.version, tls.cipher):
        weak_only = diagnosed and not old
        hits.append(Hit("addr.cipher-weak", where, f"{tls.version} {tls.cipher}"
                        + (", the only kind offered" + cannot if weak_only else ""),
                        "critical" if weak_only else None))
    if diagnosed and not hits:
        return [Hit("addr.tls-failed", where, error.message if error else "")]
    problem = "" if diagnosed else (tls.verify_error or "").lower()
    if tls.days_left is not None and tls.days_left < 0:
        hits.append(Hit("addr.cert-expired", where, f"expired {-tls.days_left} days ago "
                        f"({(tls.not_after or '')[:10]})"))
    elif tls.days_left is not None and tls.days_left < CERT_WARN_DAYS:
        hits.append(Hit("addr.cert-expiring", where, f"{tls.days_left} days left "
                        f"({(tls.not_after or '')[:10]})"))
    if problem and "hostname mismatch" not in problem and "expired" not in problem:
        hits.append(Hit("addr.cert-untrusted", where, f"{tls.verify_error}; issuer "
                        f"{tls.issuer or '?'}"))
    if tls.hostname_matched is False:
        names = ", ".join(s.removeprefix("DNS:") for s in tls.sans[:6]) or tls.subject or "?"
        hits.append(Hit("addr.cert-name", where, f"the certificate names {names}, not "
                        f"{facts.host}"))
    return hits


def address_hits(facts: AddressFacts) -> list[Hit]:
    """Everything about one MX address, from its PTR to its certificate."""
    hits = _ptr_hits(facts)
    attempt = facts.attempt
    if attempt is None:
        return hits
    error = attempt.error
    if error is not None and (error.step in UNREACHABLE_STEPS or not attempt.steps):
        return [*hits, Hit("addr.unreachable", _where(facts),
                           f"port {attempt.port}: {error.message}")]
    return hits + _name_hits(facts, attempt) + _reply_hits(facts, attempt) + _tls_hits(
        facts, attempt)


def _differ(label: str, values: dict[str, str]) -> str | None:
    if len(set(values.values())) < 2:
        return None
    return f"{label}: " + "; ".join(f"{where} {value}" for where, value in values.items())


EXTENSIONS = ("SMTPUTF8", "8BITMIME", "CHUNKING", "DSN", "PIPELINING", "ENHANCEDSTATUSCODES")


def _extensions(caps: Capabilities) -> set[str]:
    flags = (caps.smtputf8, caps.eightbitmime, caps.chunking, caps.dsn, caps.pipelining,
             caps.enhancedstatuscodes)
    return {name for name, on in zip(EXTENSIONS, flags, strict=True) if on}


def _extension_gaps(offered: dict[str, set[str]]) -> str | None:
    """"SMTPUTF8 missing on b (192.0.2.2)": each extension some MX hosts offer and others not."""
    gaps = []
    for name in EXTENSIONS:
        lacking = [where for where, names in offered.items() if name not in names]
        if lacking and len(lacking) < len(offered):
            gaps.append(f"{name} missing on {', '.join(lacking)}")
    return "; ".join(gaps) or None


def consistency_hits(facts: list[AddressFacts], software: Iterable[str]) -> list[Hit]:
    """Where the MX hosts disagree: STARTTLS, certificate trust, TLS version, SIZE, software."""
    known = tuple(software)
    reached = [f for f in facts if f.attempt is not None and f.attempt.capabilities is not None]
    if len(reached) < 2:
        return []
    tls_offered: dict[str, str] = {}
    trust: dict[str, str] = {}
    versions: dict[str, str] = {}
    sizes: dict[str, str] = {}
    mtas: dict[str, str] = {}
    extensions: dict[str, set[str]] = {}
    for f in reached:
        attempt = f.attempt
        assert attempt is not None and attempt.capabilities is not None
        where = f"{f.host} ({f.address})"
        caps = attempt.capabilities
        offered = caps.starttls or attempt.tls is not None  # after TLS, EHLO omits it
        tls_offered[where] = "offers STARTTLS" if offered else "no STARTTLS"
        if attempt.tls is not None:
            good = attempt.tls.verified and not attempt.tls.verify_error and \
                attempt.tls.hostname_matched is not False
            if attempt.error is None or attempt.error.step != "tls":  # else not verified
                trust[where] = "valid" if good else "not valid"
            versions[where] = attempt.tls.version or "?"
        sizes[where] = "no SIZE" if caps.size is None else str(caps.size)
        extensions[where] = _extensions(caps)
        mtas[where] = banner_software(_reply(attempt, "greeting"), known) or "unnamed"
    hits = []
    for kind, label, values in (
        ("consistency.starttls", "STARTTLS", tls_offered),
        ("consistency.certificate", "certificate", trust),
        ("consistency.tls", "TLS version", versions),
        ("consistency.size", "SIZE", sizes),
        ("consistency.software", "software", mtas),
    ):
        detail = _differ(label, values)
        if detail:
            hits.append(Hit(kind, "MX hosts", detail[:400]))
        if kind == "consistency.size" and (gaps := _extension_gaps(extensions)):
            hits.append(Hit("consistency.extensions", "MX hosts", gaps[:400]))
    return hits
