"""TLS contexts and the facts a report records about a TLS session.

Certificates are read with ``cryptography`` from the DER form, which the ``ssl`` module gives
even when verification was skipped (``--insecure``), so the facts are the same either way.
"""

from __future__ import annotations

import ipaddress
import ssl
from datetime import UTC, datetime
from functools import cache

from .model import TlsInfo

__all__ = ["describe_session", "hostname_matches", "make_context"]


@cache
def make_context(ca_file: str | None, verify: bool) -> ssl.SSLContext:
    """A client context: the system trust store plus ``ca_file``; verification on unless told."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def hostname_matches(name: str, sans: tuple[str, ...]) -> bool:
    """RFC 6125 matching of ``name`` against DNS and IP SANs (one left-most ``*`` label)."""
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        address = None
    wanted = name.lower().rstrip(".")
    for san in sans:
        kind, _, value = san.partition(":")
        if kind == "IP" and address is not None:
            try:
                if ipaddress.ip_address(value) == address:
                    return True
            except ValueError:
                continue
        elif kind == "DNS" and address is None:
            pattern = value.lower().rstrip(".")
            if pattern == wanted:
                return True
            if pattern.startswith("*.") and wanted.partition(".")[2] == pattern[2:]:
                return True
    return False


def describe_session(
    ssl_object: ssl.SSLObject | None, *, mode: str, server_name: str, verified: bool,
    verify_error: str | None, handshake_ms: float,
) -> TlsInfo:
    """The facts of an established TLS session: version, cipher, and the peer certificate."""
    if ssl_object is None:
        return TlsInfo(mode=mode, verified=False, verify_error=verify_error,
                       handshake_ms=handshake_ms)
    cipher = ssl_object.cipher()
    der = ssl_object.getpeercert(binary_form=True)
    facts: dict[str, object] = {}
    if der:
        from cryptography import x509

        cert = x509.load_der_x509_certificate(der)
        sans: list[str] = []
        try:
            ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            sans += [f"DNS:{n}" for n in ext.get_values_for_type(x509.DNSName)]
            sans += [f"IP:{ip}" for ip in ext.get_values_for_type(x509.IPAddress)]
        except x509.ExtensionNotFound:
            pass
        not_after = cert.not_valid_after_utc
        facts = {
            "subject": cert.subject.rfc4514_string(),
            "issuer": cert.issuer.rfc4514_string(),
            "sans": tuple(sans),
            "not_after": not_after.isoformat(),
            "days_left": (not_after - datetime.now(UTC)).days,
            "hostname_matched": hostname_matches(server_name, tuple(sans)),
        }
    return TlsInfo(
        mode=mode, version=ssl_object.version(), cipher=cipher[0] if cipher else None,
        verified=verified, verify_error=verify_error, handshake_ms=handshake_ms,
        **facts,  # type: ignore[arg-type]
    )
