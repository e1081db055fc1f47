"""``core/tlsgrade.py``: every weakness's sentence, every version's name, word for word.

The rules are a table of name markers (RFC 7465 RC4, Sweet32 3DES, NULL, EXPORT, anonymous
key exchange; AEAD by GCM/CCM/CHACHA20; forward secrecy by (EC)DHE/EDH at the start); each
marker gets a cipher that has it and one that only nearly has it.
"""

from __future__ import annotations

import pytest

from smtpdiag.core.tlsgrade import (
    OUTDATED,
    cipher_weaknesses,
    refusal_message,
    tls_grade_findings,
    version_name,
)
from smtpdiag.model import Finding, TlsInfo

CBC = "CBC mode, not AEAD (padding-oracle attacks such as Lucky13)"
NO_PFS = ("no forward secrecy (static RSA key exchange: a stolen key decrypts recorded "
          "sessions)")
RC4 = "RC4 (broken, RFC 7465)"
DES3 = "3DES (64-bit blocks, Sweet32)"
NULL = "no encryption at all"
EXPORT = "export-grade keys"
ANON = "no authentication"


def test_outdated_versions() -> None:
    assert frozenset({"SSLv2", "SSLv3", "TLSv1", "TLSv1.1"}) == OUTDATED


@pytest.mark.parametrize(("version", "name"), [
    ("SSLv3", "SSL 3.0"), ("TLSv1", "TLS 1.0"), ("TLSv1.1", "TLS 1.1"), ("TLSv1.2", "TLS 1.2"),
    ("TLSv1.3", "TLS 1.3"), ("SSLv2", "SSLv2"), ("QUIC", "QUIC"), ("tlsv1", "tlsv1"),
])
def test_version_name(version: str, name: str) -> None:
    assert version_name(version) == name


@pytest.mark.parametrize(("cipher", "weak"), [
    ("TLS_AES_256_GCM_SHA384", ()),
    ("tls_chacha20_poly1305_sha256", ()),                    # case does not matter
    ("TLS_RSA_WITH_RC4_128_SHA", ()),                        # a TLS_ name is a 1.3 suite
    ("ECDHE-RSA-AES128-GCM-SHA256", ()),
    ("ECDHE-ECDSA-CHACHA20-POLY1305", ()),
    ("DHE-RSA-AES256-CCM", ()),
    ("EDH-RSA-AES256-GCM-SHA384", ()),
    ("ecdhe-rsa-aes128-gcm-sha256", ()),
    ("ECDHE-RSA-AES128-SHA256", (CBC,)),
    ("AES128-GCM-SHA256", (NO_PFS,)),
    ("RSA-DHE-AES128-GCM", (NO_PFS,)),                      # (EC)DHE must come first
    ("AES256-SHA", (CBC, NO_PFS)),
    ("RC4-SHA", (RC4, CBC, NO_PFS)),
    ("ECDHE-RSA-RC4-SHA", (RC4, CBC)),
    ("DES-CBC3-SHA", (DES3, CBC, NO_PFS)),
    ("DES-CBC-SHA", (CBC, NO_PFS)),                          # single DES: not the 3DES marker
    ("NULL-SHA256", (NULL, CBC, NO_PFS)),
    ("ECDHE-RSA-NULL-SHA", (NULL, CBC)),
    ("EXP-RC4-MD5", (RC4, EXPORT, CBC, NO_PFS)),
    ("ADH-AES128-GCM-SHA256", (ANON, NO_PFS)),               # one sentence, said once
    ("AECDH-AES128-SHA", (ANON, CBC, NO_PFS)),
    ("ECDHE-ANON-AES128-GCM", (ANON,)),
])
def test_cipher_weaknesses(cipher: str, weak: tuple[str, ...]) -> None:
    assert cipher_weaknesses(cipher) == weak


@pytest.mark.parametrize(("version", "cipher", "message"), [
    ("TLSv1.1", "ECDHE-RSA-AES128-SHA", "the server offers only TLS 1.1 with ECDHE-RSA-AES128-SHA: "
     "smtpdiag, like current mail servers, needs TLS 1.2 or later (RFC 8996)"),
    ("SSLv3", None, "the server offers only SSL 3.0: smtpdiag, like current mail servers, "
     "needs TLS 1.2 or later (RFC 8996)"),
    ("SSLv2", "", "the server offers only SSLv2: smtpdiag, like current mail servers, "
     "needs TLS 1.2 or later (RFC 8996)"),
    ("TLSv1.2", "AES128-SHA", "the server offers only ciphers smtpdiag refuses (TLS 1.2 with "
     "AES128-SHA): none of them is one a current client accepts"),
    ("TLSv1.2", None, "the server offers only ciphers smtpdiag refuses (TLS 1.2): none of "
     "them is one a current client accepts"),
])
def test_refusal_message(version: str, cipher: str | None, message: str) -> None:
    assert refusal_message(version, cipher) == (
        message + "; learned from a second, diagnostic-only connection that stopped after its "
        "permissive handshake and sent no mail commands")


def warning(message: str) -> Finding:
    return Finding("warning", message, "tls")


@pytest.mark.parametrize(("tls", "found"), [
    (TlsInfo("starttls"), ()),
    (TlsInfo("starttls", "TLSv1.3", "TLS_AES_128_GCM_SHA256"), ()),
    (TlsInfo("implicit", "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"), ()),
    (TlsInfo("starttls", "TLSv1", None),
     (warning("outdated TLS version TLSv1 (TLS 1.0, deprecated by RFC 8996)"),)),
    (TlsInfo("starttls", "SSLv2", ""),
     (warning("outdated TLS version SSLv2 (SSLv2, deprecated by RFC 8996)"),)),
    (TlsInfo("starttls", "TLSv1.2", "AES256-SHA"),
     (warning(f"weak cipher AES256-SHA: {CBC}; {NO_PFS}"),)),
    (TlsInfo("starttls", "TLSv1.1", "ECDHE-RSA-AES128-SHA"),
     (warning("outdated TLS version TLSv1.1 (TLS 1.1, deprecated by RFC 8996)"),
      warning(f"weak cipher ECDHE-RSA-AES128-SHA: {CBC}"))),
])
def test_tls_grade_findings(tls: TlsInfo, found: tuple[Finding, ...]) -> None:
    assert tls_grade_findings(tls) == found
