"""Real TLS material for the fake server: a trustme CA and a server certificate of a chosen kind.

The client under test verifies certificates for real (``--ca-file``), so each bad kind must fail
the way it fails in the field: an expired certificate, a self-signed one, one issued for another
name.  Only the self-signed kind needs ``cryptography`` directly; trustme cannot make a leaf that
is not chained to its own CA.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = ["CERT_KINDS", "DEFAULT_HOSTNAMES", "CertKind", "Certs"]

CertKind = Literal["good", "expired", "self-signed", "wrong-host"]
CERT_KINDS: tuple[CertKind, ...] = ("good", "expired", "self-signed", "wrong-host")
DEFAULT_HOSTNAMES: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
WRONG_HOST = "wrong.example"


def _subject_alt_names(hostnames: Sequence[str]) -> list[x509.GeneralName]:
    """IP literals become IPAddress entries (what TLS clients check for an IP), others DNSName."""
    names: list[x509.GeneralName] = []
    for host in hostnames:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def _write_self_signed(hostnames: Sequence[str], cert_file: str, key_file: str) -> None:
    """A currently valid leaf that signs itself, so no CA the client trusts vouches for it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "smtpdiag self-signed"),
            x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0]),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(_subject_alt_names(hostnames)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    with open(cert_file, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_file, "wb") as handle:
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )


@dataclass
class Certs:
    """Paths of PEM files: the CA a client should trust, and the server's certificate and key.

    For every kind, ``ca_file`` holds the trustme CA; only "good" is fully valid against it.
    """

    ca_file: str
    cert_file: str
    key_file: str
    kind: CertKind = "good"

    @classmethod
    def create(
        cls,
        directory: str,
        *,
        hostnames: Sequence[str] = DEFAULT_HOSTNAMES,
        kind: CertKind = "good",
    ) -> Certs:
        """Write ca.pem, cert.pem and key.pem into ``directory`` (which must exist)."""
        if kind not in CERT_KINDS:
            raise ValueError(f"unknown certificate kind {kind!r}; known: {', '.join(CERT_KINDS)}")
        if not hostnames:
            raise ValueError("a certificate needs at least one hostname")
        certs = cls(
            ca_file=os.path.join(directory, "ca.pem"),
            cert_file=os.path.join(directory, "cert.pem"),
            key_file=os.path.join(directory, "key.pem"),
            kind=kind,
        )
        ca = trustme.CA(organization_name="smtpdiag fake CA")
        ca.cert_pem.write_to_path(certs.ca_file)
        if kind == "self-signed":
            _write_self_signed(hostnames, certs.cert_file, certs.key_file)
            return certs
        now = datetime.datetime.now(datetime.UTC)
        if kind == "expired":
            leaf = ca.issue_cert(
                *hostnames,
                not_before=now - datetime.timedelta(days=30),
                not_after=now - datetime.timedelta(days=1),
            )
        elif kind == "wrong-host":
            leaf = ca.issue_cert(WRONG_HOST)
        else:
            leaf = ca.issue_cert(*hostnames)
        leaf.private_key_pem.write_to_path(certs.key_file)
        with open(certs.cert_file, "wb") as handle:
            for blob in leaf.cert_chain_pems:
                handle.write(blob.bytes())
        return certs

    def server_context(self) -> ssl.SSLContext:
        """A server-side context that presents the certificate and asks nothing of the client."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context
