"""Grade a negotiated TLS version and cipher: outdated versions, CBC ciphers, key exchange
without forward secrecy.  Pure: OpenSSL's names in, sentences out.

The rules are a small table, not a cipher database: a TLS 1.3 suite (``TLS_…``) is fine; a
TLS 1.2 suite is AEAD when its name says GCM, CCM or CHACHA20 (else it is CBC, or worse:
RC4, 3DES, NULL, EXPORT), and forward-secret when its key exchange is (EC)DHE.
"""

from __future__ import annotations

from ..model import Finding, TlsInfo

__all__ = ["OUTDATED", "cipher_weaknesses", "refusal_message", "tls_grade_findings",
           "version_name"]

VERSION_NAMES = {"SSLv3": "SSL 3.0", "TLSv1": "TLS 1.0", "TLSv1.1": "TLS 1.1",
                 "TLSv1.2": "TLS 1.2", "TLSv1.3": "TLS 1.3"}
OUTDATED = frozenset({"SSLv2", "SSLv3", "TLSv1", "TLSv1.1"})  # RFC 8996 deprecates them
_BROKEN = (("RC4", "RC4 (broken, RFC 7465)"), ("DES-CBC3", "3DES (64-bit blocks, Sweet32)"),
           ("NULL", "no encryption at all"), ("EXP", "export-grade keys"),
           ("ANON", "no authentication"), ("ADH", "no authentication"),
           ("AECDH", "no authentication"))
_AEAD = ("GCM", "CCM", "CHACHA20")
_FORWARD_SECRET = ("ECDHE", "DHE", "EDH")


def version_name(version: str) -> str:
    """``TLSv1`` as people say it: ``TLS 1.0``."""
    return VERSION_NAMES.get(version, version)


def cipher_weaknesses(cipher: str) -> tuple[str, ...]:
    """What is weak about an OpenSSL cipher name; empty when nothing is."""
    name = cipher.upper()
    if name.startswith("TLS_"):  # TLS 1.3: every suite is AEAD and forward-secret
        return ()
    found = [text for marker, text in _BROKEN if marker in name]
    if not any(marker in name for marker in _AEAD):
        found.append("CBC mode, not AEAD (padding-oracle attacks such as Lucky13)")
    if not name.startswith(_FORWARD_SECRET):
        found.append("no forward secrecy (static RSA key exchange: a stolen key decrypts "
                     "recorded sessions)")
    return tuple(dict.fromkeys(found))


def refusal_message(version: str, cipher: str | None) -> str:
    """Why the handshake failed, once a diagnostic handshake learned what the server offers."""
    suite = f" with {cipher}" if cipher else ""
    if version in OUTDATED:
        what = f"the server offers only {version_name(version)}{suite}"
        need = "smtpdiag, like current mail servers, needs TLS 1.2 or later (RFC 8996)"
    else:
        what = f"the server offers only ciphers smtpdiag refuses ({version_name(version)}{suite})"
        need = "none of them is one a current client accepts"
    return (f"{what}: {need}; learned from a second, diagnostic-only connection that stopped "
            "after its permissive handshake and sent no mail commands")


def tls_grade_findings(tls: TlsInfo) -> tuple[Finding, ...]:
    """Warnings about the negotiated version and cipher."""
    found = []
    if tls.version in OUTDATED:
        found.append(Finding("warning", f"outdated TLS version {tls.version} "
                             f"({version_name(tls.version)}, deprecated by RFC 8996)", "tls"))
    weak = cipher_weaknesses(tls.cipher) if tls.cipher else ()
    if weak:
        found.append(Finding("warning", f"weak cipher {tls.cipher}: {'; '.join(weak)}", "tls"))
    return tuple(found)
