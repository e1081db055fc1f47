"""The trusted roots read without OpenSSL's loader (smtpdiag/net/roots.py) are OpenSSL's own.

Each case is held against real OpenSSL: the certificates ``SSLContext.get_ca_certs`` gives after
loading the same file.  And a real STARTTLS server is verified against the system file alone
(``SSL_CERT_FILE``), which proves the system roots are the ones verifying.
"""

from __future__ import annotations

import datetime
import ssl

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from smtpdiag.fakeserver import FakeServer
from smtpdiag.net import roots
from tests.conftest import run_cli

DER = serialization.Encoding.DER
PEM = serialization.Encoding.PEM


def openssl_cas(path: str) -> set[bytes]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile=path)
    return set(context.get_ca_certs(binary_form=True))


def ours(pem: bytes) -> set[bytes]:
    return {cert.public_bytes(DER) for cert in roots._parsed_cas(pem)}


def self_signed(name: str, *, ca: bool | None, key_usage: str | None) -> bytes:
    """A self-signed v3 certificate with basicConstraints ``ca`` (None: none) and a keyUsage
    of ``key_usage`` ("sign": keyCertSign, "digital": digitalSignature only, None: none)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30)))
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), True)
    if key_usage is not None:
        sign = key_usage == "sign"
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=not sign, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=sign, crl_sign=sign,
            encipher_only=False, decipher_only=False), True)
    return builder.sign(key, hashes.SHA256()).public_bytes(PEM)


KINDS = [(ca, usage) for ca in (True, False, None) for usage in ("sign", "digital", None)]


def test_the_machines_default_bundle_gives_openssls_roots():
    cafile = ssl.get_default_verify_paths().cafile
    if not cafile:
        pytest.skip("this machine has no default CA file")
    with open(cafile, "rb") as handle:
        pem = handle.read()
    found = ours(pem)
    assert found == openssl_cas(cafile)
    assert len(found) > 10


@pytest.mark.parametrize(("ca", "usage"), KINDS)
def test_which_certificate_counts_as_a_root_is_openssls_call(tmp_path, ca, usage):
    pem = self_signed("one", ca=ca, key_usage=usage)
    path = tmp_path / "one.pem"
    path.write_bytes(pem)
    expected = openssl_cas(str(path))
    assert ours(pem) == expected
    # the two that are roots and the others that are not, so the comparison can fail
    is_root = (ca is True and usage != "digital") or (ca is None and usage == "sign")
    assert bool(expected) == is_root


def test_a_bundle_of_every_kind_with_a_trustme_chain(tmp_path):
    authority = trustme.CA()
    leaf = authority.issue_cert("mx.smtpdiag.test")
    pem = b"".join([authority.cert_pem.bytes(), *(b.bytes() for b in leaf.cert_chain_pems),
                    *(self_signed(f"k{i}", ca=ca, key_usage=u) for i, (ca, u) in enumerate(KINDS))])
    path = tmp_path / "bundle.pem"
    path.write_bytes(pem)
    assert ours(pem) == openssl_cas(str(path))
    assert len(ours(pem)) == 4  # the trustme CA and three self-signed CAs; never the leaf


def test_a_block_that_is_not_base64_refuses_the_whole_file_as_openssl_does(tmp_path):
    authority = trustme.CA()
    pem = (authority.cert_pem.bytes()
           + b"-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n")
    path = tmp_path / "broken.pem"
    path.write_bytes(pem)
    with pytest.raises(ssl.SSLError):
        openssl_cas(str(path))
    assert ours(pem) == set()
    assert len(ours(authority.cert_pem.bytes())) == 1  # the good block alone is a root


def test_an_unreadable_ca_file_is_refused_in_openssls_words(tmp_path):
    path = tmp_path / "empty.pem"
    path.write_text("no certificate here\n")
    with pytest.raises(Exception, match="cannot load the CA file") as caught:
        roots.ca_file_roots(str(path))
    assert type(caught.value).__name__ == "UsageError"


@pytest.fixture(scope="module")
def starttls():
    with FakeServer("healthy", tls="starttls") as server:
        yield server


@pytest.mark.parametrize("trusted", [True, False])
def test_the_system_file_alone_verifies_a_server(tmp_path, starttls, trusted):
    # no --ca-file: the server's CA is trusted only when the system file (SSL_CERT_FILE) holds it
    bundle = tmp_path / "system.pem"
    with open(starttls.certs.ca_file, "rb") as handle:
        server_ca = handle.read()
    bundle.write_bytes((server_ca if trusted else b"")
                       + self_signed("another root", ca=True, key_usage="sign"))
    result = run_cli("probe", f"127.0.0.1:{starttls.port}", "--dry-run", "--helo",
                     "client.smtpdiag.test", "--tls", "starttls", "--timeout", "10",
                     env={"SSL_CERT_FILE": str(bundle)})
    assert "Traceback" not in result.stderr
    if trusted:
        assert result.returncode == 0, result.stdout + result.stderr
        assert "verified · name matches" in result.stdout
    else:
        assert result.returncode != 0
        assert "unable to get local issuer certificate" in result.stdout + result.stderr
