"""TLS contexts and the facts a report records about a TLS session.

Certificates are read with ``cryptography`` from the DER form, which the ``ssl`` module gives
even when verification was skipped (``--insecure``), so the facts are the same either way.
"""

from __future__ import annotations

import ipaddress
import ssl
from datetime import UTC, datetime
from functools import cache
from typing import Any

from ..errors import UsageError, quoted
from ..model import TlsInfo

__all__ = ["describe_session", "handshake_context", "hostname_matches", "legacy_context",
           "make_context", "sni_name"]


@cache
def handshake_context() -> ssl.SSLContext:
    """The context of every SMTP handshake: the client defaults of ``create_default_context``
    (TLS 1.2 and up, its ciphers, ``SSLKEYLOGFILE``) with nothing verified by OpenSSL, since the
    chain is verified afterwards from the same session (``tlsverify``).  So no trust store is
    loaded into it: OpenSSL 3.0 takes some 60 ms to read the system's, for nothing here."""
    import os
    import sys

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    keylog = os.environ.get("SSLKEYLOGFILE")
    if keylog and not sys.flags.ignore_environment:
        context.keylog_filename = keylog
    return context


@cache
def make_context(ca_file: str | None) -> ssl.SSLContext:
    """A verifying client context: the system trust store plus ``ca_file``.  For clients that
    let OpenSSL verify (the MTA-STS policy fetch); SMTP handshakes use ``handshake_context``."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if ca_file:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError, ValueError) as exc:  # the CLI checked; the API may not
            raise UsageError(f"cannot load the CA file {quoted(ca_file)}: "
                             f"{getattr(exc, 'strerror', None) or exc}") from None
    return context


@cache
def legacy_context() -> ssl.SSLContext | None:
    """A deliberately permissive client context, for one thing only: learning what a server
    that refused our handshake does offer (TLS 1.0 and up, every cipher, OpenSSL security
    level 0, no verification).  Never used for a session that carries SMTP commands.  None
    when this machine's OpenSSL cannot be made to offer old TLS at all."""
    import warnings

    try:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with warnings.catch_warnings():  # TLSVersion.TLSv1 is deprecated: that is the point
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers("ALL:@SECLEVEL=0")
    except (ssl.SSLError, ValueError):
        return None
    return context


def sni_name(host: str) -> str:
    """The name a handshake sends (SNI) for ``host``: ``host`` itself; but a name from a DNS
    answer holding a byte no host name holds carries it as U+DC00 + byte (net/dnswords.py),
    which ssl refuses (UnicodeError), so it goes in its presentation form, ``mx\\007.example``."""
    if host.isascii():
        return host
    return "".join(f"\\{ord(ch) - 0xDC00:03d}" if "\udc00" <= ch <= "\udcff" else ch
                   for ch in host)


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


_SHORT = {"commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU",
          "countryName": "C", "localityName": "L", "stateOrProvinceName": "ST",
          "domainComponent": "DC", "emailAddress": "E"}


def _name(rdns: Any) -> str:
    """The ssl module's nested name tuples as an RFC 4514-style string (last RDN first)."""
    parts = [f"{_SHORT.get(key, key)}={value}" for rdn in reversed(rdns) for key, value in rdn]
    return ",".join(parts)


def _facts_from_dict(cert: dict[str, Any], server_name: str) -> dict[str, Any]:
    """Certificate facts from ``getpeercert()``: available when the chain was verified."""
    sans: list[str] = []
    for kind, value in cert.get("subjectAltName", ()):
        if kind == "DNS":
            sans.append(f"DNS:{value}")
        elif kind == "IP Address":
            sans.append(f"IP:{ipaddress.ip_address(value.strip())}")
    not_after = datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), UTC)
    return _facts(_name(cert.get("subject", ())), _name(cert.get("issuer", ())), sans,
                  not_after, server_name)


def _facts_from_der(der: bytes, server_name: str) -> dict[str, Any]:
    """Certificate facts parsed with ``cryptography``: needed when verification was off."""
    from cryptography import x509

    cert = x509.load_der_x509_certificate(der)
    sans: list[str] = []
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        sans += [f"DNS:{n}" for n in ext.get_values_for_type(x509.DNSName)]
        sans += [f"IP:{ip}" for ip in ext.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        pass
    return _facts(_x509_name(cert.subject), _x509_name(cert.issuer), sans,
                  cert.not_valid_after_utc, server_name)


def _x509_name(name: Any) -> str:
    """A ``cryptography`` name as ``_name`` writes the ssl module's: its values as they are,
    last RDN first.  Not RFC 4514's escapes (``O=Evil\\, Inc.``): a name is server text,
    escaped once where it is shown, and escaped twice its backslashes would double."""
    return ",".join(f"{attr.rfc4514_attribute_name}={attr.value!s}"
                    for rdn in reversed(name.rdns) for attr in rdn)


def _facts(subject: str, issuer: str, sans: list[str], not_after: datetime,
           server_name: str) -> dict[str, Any]:
    return {
        "subject": subject, "issuer": issuer, "sans": tuple(sans),
        "not_after": not_after.isoformat(),
        "days_left": (not_after - datetime.now(UTC)).days,
        "hostname_matched": hostname_matches(server_name, tuple(sans)),
    }


def describe_session(
    ssl_object: ssl.SSLObject | None, *, mode: str, server_name: str, verified: bool,
    verify_error: str | None, handshake_ms: float,
) -> TlsInfo:
    """The facts of an established TLS session: version, cipher, and the peer certificate."""
    if ssl_object is None:
        return TlsInfo(mode=mode, verified=False, verify_error=verify_error,
                       handshake_ms=handshake_ms)
    cipher = ssl_object.cipher()
    facts: dict[str, Any] = {}
    try:
        parsed = ssl_object.getpeercert() if verified else None
        if parsed:
            facts = _facts_from_dict(parsed, server_name)
        else:
            der = ssl_object.getpeercert(binary_form=True)
            if der:
                facts = _facts_from_der(der, server_name)
    except (ValueError, TypeError, KeyError, OverflowError):
        # A certificate OpenSSL accepted but that cannot be read into facts (a malformed
        # extension, an odd date): the session goes on, the report just lacks those facts.
        facts = {"subject": "(a certificate smtpdiag could not parse)"}
    return TlsInfo(
        mode=mode, version=ssl_object.version(), cipher=cipher[0] if cipher else None,
        verified=verified, verify_error=verify_error, handshake_ms=handshake_ms, **facts,
    )
