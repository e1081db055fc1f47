"""The trusted roots a server's chain is verified against (``tlsverify``), read cheaply.

The set is OpenSSL's own: the certificates of the default CA file (``SSL_CERT_FILE``, else
OpenSSL's built-in path: ``ssl.get_default_verify_paths``) plus ``--ca-file``, keeping only those
OpenSSL counts as a CA (``X509_check_ca``, the filter of ``SSLContext.get_ca_certs``).

Why not ask OpenSSL for them (``create_default_context().get_ca_certs()``): OpenSSL 3.0 reads a
PEM bundle through its generic decoders, about 1.6 million instructions a certificate; the
system's 145 roots cost some 60 ms of every TLS probe, more than the handshake and the
verification together.  ``cryptography`` (already loaded to verify) parses the same bundle in a
few ms.  Only the small ``--ca-file`` is still read by OpenSSL, so a file it cannot load is
refused in OpenSSL's words, as before.
"""

from __future__ import annotations

import binascii
import ssl
import sys
import warnings
from functools import cache
from typing import Any

from ..errors import UsageError, quoted

__all__ = ["ca_file_roots", "is_ca", "root_certificates", "system_roots"]

_BEGIN, _END = b"-----BEGIN CERTIFICATE-----", b"-----END CERTIFICATE-----"


@cache
def ca_file_roots(ca_file: str) -> tuple[bytes, ...]:
    """The CA certificates of ``ca_file`` as DER, read by OpenSSL (a small file: cheap)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cafile=ca_file)
    except (OSError, ssl.SSLError, ValueError) as exc:  # the CLI checked; the API may not
        raise UsageError(f"cannot load the CA file {quoted(ca_file)}: "
                         f"{getattr(exc, 'strerror', None) or exc}") from None
    return tuple(context.get_ca_certs(binary_form=True))


def is_ca(cert: Any) -> bool:
    """OpenSSL's ``X509_check_ca``: may this certificate be a trust anchor?  A keyUsage without
    keyCertSign says no; else basicConstraints decides; without it, a self-signed v1
    certificate or one with a keyUsage (that allows signing) is a CA.  (OpenSSL also accepts
    the long-obsolete Netscape CA cert types; no current bundle relies on them.)"""
    from cryptography import x509

    extensions = cert.extensions
    try:
        usage = extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not usage.key_cert_sign:
        return False
    try:
        return bool(extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        pass
    if cert.version == x509.Version.v1 and cert.issuer == cert.subject:
        return True
    return usage is not None


def _parsed_cas(pem: bytes) -> list[Any]:
    """The CA certificates of a PEM bundle.  A block that is not base64 at all makes OpenSSL
    refuse the whole file, so it gives none here too; a certificate ``cryptography`` cannot
    read is skipped, as it always was (the store is ``cryptography``'s)."""
    with warnings.catch_warnings():  # a few old system roots have a non-positive serial
        warnings.simplefilter("ignore")
        return _read_cas(pem)


def _read_cas(pem: bytes) -> list[Any]:
    from cryptography import x509

    try:
        parsed = x509.load_pem_x509_certificates(pem)
    except ValueError:  # read block by block, to tell a broken file from an odd certificate
        parsed = []
        for block in pem.split(_BEGIN)[1:]:
            body = block.split(_END)[0]
            try:
                der = binascii.a2b_base64(b"".join(body.split()), strict_mode=True)
            except binascii.Error:
                return []
            try:
                parsed.append(x509.load_der_x509_certificate(der))
            except ValueError:
                continue
    certs = []
    for cert in parsed:
        try:
            if is_ca(cert):
                certs.append(cert)
        except ValueError:  # a malformed extension: no use as a root
            continue
    return certs


@cache
def system_roots() -> tuple[Any, ...]:
    """The default CA file's CA certificates, parsed by ``cryptography``."""
    cafile = ssl.get_default_verify_paths().cafile
    if sys.platform == "win32" or not cafile:  # the OS store, or a capath only: OpenSSL's way
        return tuple(_loaded_by_openssl())
    try:
        with open(cafile, "rb") as handle:
            pem = handle.read()
    except OSError:
        return ()
    if b"TRUSTED CERTIFICATE" in pem:  # OpenSSL's own PEM flavour: let OpenSSL read it
        return tuple(_loaded_by_openssl())
    return tuple(_parsed_cas(pem))


def _loaded_by_openssl() -> list[Any]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_default_certs()
    return _from_der(context.get_ca_certs(binary_form=True))


def _from_der(ders: Any) -> list[Any]:
    from cryptography import x509

    certs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for der in ders:
            try:
                certs.append(x509.load_der_x509_certificate(der))
            except ValueError:
                continue
    return certs


def root_certificates(ca_file: str | None) -> list[Any]:
    """Every trusted root for a verification with ``ca_file``, as ``cryptography`` objects."""
    roots = list(system_roots())
    if ca_file:
        roots += _from_der(ca_file_roots(ca_file))
    return roots
