"""Verify a server's certificate chain after a handshake made without verification.

Why not let OpenSSL verify during the handshake: a failed verification kills the connection,
and learning anything more (the certificate's facts, or the rest of the walk with
``--insecure``) then takes a second connection.  Against a server with a connection-rate limit
that second connection is answered 421, and its timings replace the first one's.  So every
handshake is made once, without verification, and the chain the server sent is verified here:
one connection per address, and the verdict still comes from that very handshake.

The wording of a failure follows OpenSSL's (``certificate has expired``, ``self-signed
certificate``, ``unable to get local issuer certificate``, ``Hostname mismatch``) so that it
reads the same as in ``openssl s_client`` or a mail log.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from functools import cache
from typing import Any

from .roots import root_certificates
from .tlsinfo import hostname_matches

__all__ = ["peer_chain", "verify_chain"]


def peer_chain(ssl_object: Any) -> list[bytes]:
    """The certificates the server sent, leaf first, as DER (empty when it sent none)."""
    inner = getattr(ssl_object, "_sslobj", ssl_object)
    getter = getattr(ssl_object, "get_unverified_chain", None) or getattr(
        inner, "get_unverified_chain", None)  # public from Python 3.13, private before
    if getter is not None:
        chain = getter() or []
        import _ssl

        der = _ssl.ENCODING_DER
        return [c if isinstance(c, bytes) else c.public_bytes(der) for c in chain]
    leaf = ssl_object.getpeercert(binary_form=True)
    return [leaf] if leaf else []


@cache
def _roots(ca_file: str | None) -> Any:
    """The trust store: the system's default roots plus ``ca_file``, as ``cryptography`` sees
    them (``roots``; cached: worth doing once per process)."""
    from cryptography.x509.verification import Store

    certs = root_certificates(ca_file)
    return Store(certs) if certs else None


@cache
def _policies() -> tuple[Any, Any]:
    """The web PKI's extension rules, relaxed where OpenSSL (what MTAs verify with) is: the
    criticality of subjectAltName and extendedKeyUsage is not held against a certificate (an
    extendedKeyUsage must still allow server authentication)."""
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID
    from cryptography.x509.verification import Criticality, ExtensionPolicy

    def server_auth(_policy: Any, _cert: Any, usage: Any) -> None:
        allowed = (ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE)
        if usage is not None and not any(oid in usage for oid in allowed):
            raise ValueError("the certificate's extendedKeyUsage excludes server use")

    leaf = ExtensionPolicy.webpki_defaults_ee().require_present(
        x509.SubjectAlternativeName, Criticality.AGNOSTIC, None).may_be_present(
        x509.ExtendedKeyUsage, Criticality.AGNOSTIC, server_auth)
    return ExtensionPolicy.webpki_defaults_ca(), leaf


def verify_chain(chain: list[bytes], host: str, ca_file: str | None,
                 now: datetime | None = None) -> str | None:
    """Why ``chain`` (leaf first) does not verify for ``host``; ``None`` when it does.

    In OpenSSL's order, so that a certificate with several faults is named by the same one:
    the path to a trusted root first, then the name, then the validity dates."""
    from cryptography import x509

    if not chain:
        return "the server sent no certificate"
    moment = now or datetime.now(UTC)
    try:
        leaf = x509.load_der_x509_certificate(chain[0])
        intermediates = [x509.load_der_x509_certificate(der) for der in chain[1:]]
    except ValueError as exc:
        return f"the server's certificate cannot be read: {exc}"
    sans = _sans(leaf)
    name = host.strip("[]")
    untrusted = _untrusted(leaf, intermediates, sans, ca_file, moment)
    if untrusted is not None:
        return untrusted
    if not hostname_matches(name, sans):
        return f"Hostname mismatch, certificate is not valid for '{name}'"
    if moment > leaf.not_valid_after_utc:
        return "certificate has expired"
    if moment < leaf.not_valid_before_utc:
        return "certificate is not yet valid"
    return None


def _untrusted(leaf: Any, intermediates: list[Any], sans: tuple[str, ...],
               ca_file: str | None, moment: datetime) -> str | None:
    """Why no path leads from ``leaf`` to a trusted root, judged at a moment inside the leaf's
    own validity and for a name the leaf carries (dates and name are judged apart)."""
    from cryptography.x509 import DNSName, IPAddress
    from cryptography.x509.verification import PolicyBuilder

    store = _roots(ca_file)
    if store is None:
        return "unable to get local issuer certificate (no trusted roots are available)"
    own = next((san for san in sans), None)
    if own is None:
        return "the certificate names no host (it has no subjectAltName)"
    kind, _, value = own.partition(":")
    subject: Any = IPAddress(ipaddress.ip_address(value)) if kind == "IP" else \
        DNSName("smtpdiag-check" + value[1:] if value.startswith("*.") else value)
    when = min(max(moment, leaf.not_valid_before_utc), leaf.not_valid_after_utc)
    try:
        ca_policy, leaf_policy = _policies()
        verifier = PolicyBuilder().store(store).time(when).extension_policies(
            ca_policy=ca_policy, ee_policy=leaf_policy).build_server_verifier(subject)
        verifier.verify(leaf, intermediates)
    except Exception as exc:  # cryptography's VerificationError, or a malformed chain
        if leaf.issuer == leaf.subject:
            return "self-signed certificate"
        detail = str(exc).split(" (encountered processing")[0].strip()
        if not detail or "no interior errors" in detail:  # nothing to add: no path to a root
            return "unable to get local issuer certificate"
        return f"unable to get local issuer certificate ({detail})"
    return None


def _sans(cert: Any) -> tuple[str, ...]:
    from cryptography import x509

    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    return (*(f"DNS:{n}" for n in ext.get_values_for_type(x509.DNSName)),
            *(f"IP:{ip}" for ip in ext.get_values_for_type(x509.IPAddress)))
