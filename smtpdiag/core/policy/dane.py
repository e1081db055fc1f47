"""DANE for SMTP (RFC 7672): the TLSA records at ``_25._tcp.MX``, whether the resolver
validated them (the AD bit), each record's usage, selector and matching type, whether one
matches the chain the server presented, and rollover readiness (a second record).

Matching is computed here with ``cryptography`` (parsing and hashing, no I/O).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .records import AddressFacts, Answer, Hit, bounded

__all__ = ["Tlsa", "dane_hits", "parse_tlsa", "tlsa_matches", "tlsa_name"]

USAGES = {0: "PKIX-TA", 1: "PKIX-EE", 2: "DANE-TA", 3: "DANE-EE"}
DIGEST_SIZE = {0: None, 1: 32, 2: 64}


@dataclass(frozen=True, slots=True)
class Tlsa:
    usage: int
    selector: int
    mtype: int
    data: bytes
    text: str


def tlsa_name(host: str) -> str:
    return f"_25._tcp.{host.rstrip('.')}"


def parse_tlsa(text: str) -> Tlsa | None:
    """``3 1 1 ab12…`` (dnspython's presentation form); None when it does not parse."""
    parts = text.split()
    if len(parts) < 4 or not all(p.isascii() and p.isdigit() for p in parts[:3]):
        return None
    try:
        data = bytes.fromhex("".join(parts[3:]))
    except ValueError:
        return None
    return Tlsa(int(parts[0]), int(parts[1]), int(parts[2]), data, text)


def _selected(der: bytes, selector: int) -> bytes:
    if selector == 0:
        return der
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    key = x509.load_der_x509_certificate(der).public_key()
    return key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def _digest(data: bytes, mtype: int) -> bytes:
    if mtype == 1:
        return hashlib.sha256(data).digest()
    if mtype == 2:
        return hashlib.sha512(data).digest()
    return data


def tlsa_matches(record: Tlsa, chain: tuple[bytes, ...]) -> bool:
    """DANE-EE matches the leaf; DANE-TA any certificate above it in the presented chain."""
    candidates = chain[:1] if record.usage == 3 else chain[1:] if record.usage == 2 else ()
    for der in candidates:
        try:
            if _digest(_selected(der, record.selector), record.mtype) == record.data:
                return True
        except ValueError:
            continue
    return False


def _problem(record: Tlsa) -> tuple[str, str] | None:
    if record.usage in (0, 1):
        return "dane.usage", f"{record.text[:80]}: usage {record.usage} ({USAGES[record.usage]})"
    unknown = [f"{field} {value} is not defined ({known})" for field, value, known, ok in (
        ("usage", record.usage, "0-3", record.usage in USAGES),
        ("selector", record.selector, "0 or 1", record.selector in (0, 1)),
        ("matching type", record.mtype, "0, 1 or 2", record.mtype in DIGEST_SIZE)) if not ok]
    if unknown:
        return "dane.malformed", f"{record.text[:80]}: {', '.join(unknown)}"
    size = DIGEST_SIZE[record.mtype]
    if size is not None and len(record.data) != size:
        return "dane.malformed", (f"{record.text[:80]}: a {len(record.data)}-byte digest, not "
                                  f"{size}")
    return None


def _host_hits(host: str, answer: Answer, addresses: list[AddressFacts]) -> list[Hit]:
    where = answer.name or tlsa_name(host)  # an alias's records may be at its target's name
    hits: list[Hit] = []
    if not answer.authenticated:
        hits.append(Hit("dane.unsigned", where, f"{len(answer.records)} TLSA record(s), AD bit "
                        "not set: the answer was not DNSSEC-validated"))
    usable: list[Tlsa] = []
    faults: list[Hit] = []  # of the records themselves: a few said, the rest counted
    for text in answer.records:
        record = parse_tlsa(text)
        problem = ("dane.malformed", f"{text[:80]}: does not parse") if record is None \
            else _problem(record)
        if problem:
            faults.append(Hit(problem[0], where, problem[1]))
        elif record is not None:
            usable.append(record)
    hits += bounded(faults)
    if not usable:
        return hits
    severity = None if answer.authenticated else "warning"
    for facts in addresses:
        subject = f"{host} [{facts.address}]"
        if not facts.chain:
            hits.append(Hit("dane.no-tls", subject, _why_no_chain(facts), severity))
        elif not any(tlsa_matches(r, facts.chain) for r in usable):
            hits.append(Hit("dane.no-match", subject, f"{len(usable)} usable record(s), none "
                            f"matches the {len(facts.chain)}-certificate chain presented",
                            severity))
    if len(usable) == 1:
        hits.append(Hit("dane.single", where, usable[0].text[:120]))
    return hits


def _why_no_chain(facts: AddressFacts) -> str:
    """Why the address presented no certificate: what its walk saw, not just that it failed."""
    attempt = facts.attempt
    if attempt is None:
        return "no certificate could be read: the address was not probed"
    if attempt.error is not None:
        where = f"{attempt.error.step}: " if attempt.error.step else ""
        return f"no certificate could be read: {where}{attempt.error.message}"[:300]
    # what EHLO offered before STARTTLS: once over TLS, STARTTLS is no longer listed
    offered = attempt.capabilities_before_tls or attempt.capabilities
    if attempt.tls is None and offered is not None and not offered.starttls:
        return "no certificate could be read: EHLO lists no STARTTLS"
    why = f": {facts.chain_error}" if facts.chain_error else ""
    return f"no certificate could be read after STARTTLS{why}"[:300]


def _lookup_failed(host: str, answer: Answer) -> Hit:
    """A TLSA question with no usable answer is not "no DANE": a DANE sender that gets no
    answer for a host it must check defers mail to it (RFC 7672)."""
    return Hit("dane.lookup-failed", answer.name or tlsa_name(host),
               answer.error or "the TLSA lookup failed")


def dane_hits(tlsa: tuple[tuple[str, Answer], ...], addresses: tuple[AddressFacts, ...]
              ) -> list[Hit]:
    """Every DANE finding over the MX hosts' TLSA answers and presented chains."""
    with_records = [(h, a) for h, a in tlsa if a.found]
    if not with_records:
        failed = [(h, a) for h, a in tlsa if a.status == "error"]
        if failed:
            return [_lookup_failed(h, a) for h, a in failed]
        return [Hit("dane.none", "all MX hosts", "no TLSA record at _25._tcp of any MX host")] \
            if tlsa else []
    hits = [_lookup_failed(h, a) if a.status == "error" else
            Hit("dane.none", tlsa_name(h), "no TLSA record (other MX hosts have them)")
            for h, a in tlsa if not a.found]
    for host, answer in with_records:
        hits += _host_hits(host, answer, [f for f in addresses if f.host == host])
    return hits
