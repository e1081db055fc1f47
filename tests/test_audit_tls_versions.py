"""``audit`` against real loopback MX hosts whose TLS is outdated: one that offers only TLS 1.0,
one only TLS 1.1 (OpenSSL offers them at security level 0, as an old server's would), and one
whose only cipher has no forward secrecy (RSA key exchange).  Our walk's handshake refuses
them; the labelled diagnostic handshake (net/session.py) learns what they do offer, and the
audit names it with its fix.  A host with modern TLS is the control: none of these findings."""

from __future__ import annotations

import ssl
import warnings

import pytest

from tests.auditkit import World, ids

OLD = "ECDHE-RSA-AES128-SHA:@SECLEVEL=0"  # CBC, forward secret: only the version is at fault
STATIC_RSA = "AES128-GCM-SHA256"  # TLS 1.2, RSA key exchange: no forward secrecy


def _old_tls_possible() -> bool:
    """Whether this machine's OpenSSL can offer TLS 1.0 at all (a build without it cannot)."""
    try:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with warnings.catch_warnings():  # TLSVersion.TLSv1 is deprecated: that is the point
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers(OLD)
    except (ssl.SSLError, ValueError):
        return False
    return True


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(str(tmp_path_factory.mktemp("tlsv")), rsa=True)
    try:
        w.smtp("127.0.0.2", "mx.tls10.test", tls_version="TLSv1", ciphers=OLD)
        w.smtp("127.0.0.3", "mx.tls11.test", tls_version="TLSv1_1", ciphers=OLD)
        w.smtp("127.0.0.4", "mx.rsakx.test", tls_version="TLSv1_2", ciphers=STATIC_RSA)
        w.smtp("127.0.0.5", "mx.modern.test")
        for domain, address in (("tls10.test", "127.0.0.2"), ("tls11.test", "127.0.0.3"),
                                ("rsakx.test", "127.0.0.4"), ("modern.test", "127.0.0.5")):
            w.mx(domain, (10, f"mx.{domain}", address))
            w.sender_policies(domain)
        # an MTA-STS policy in enforce mode over the TLS 1.0 host
        w.add("sts10.test", "MX", "10 mx.tls10.test.")
        w.sts("sts10.test", "127.0.0.30", "mx.tls10.test")
        yield w
    finally:
        w.close()


@pytest.mark.skipif(not _old_tls_possible(), reason="this OpenSSL cannot offer TLS 1.0")
@pytest.mark.parametrize(("domain", "address", "version"), [
    ("tls10.test", "127.0.0.2", "TLSv1"), ("tls11.test", "127.0.0.3", "TLSv1.1")])
def test_an_mx_offering_only_old_tls_is_named_with_its_version(world, domain, address,
                                                               version):
    report = world.run(domain)
    smtp = ids(report, "smtp")
    assert "addr.tls-old" in smtp, smtp
    (old,) = [f for a in report.areas for f in a.findings if f.id == "addr.tls-old"]
    assert old.subject == f"mx.{domain} [{address}]"
    assert f"offers only {version}" in old.detail and old.fix
    assert old.severity == "critical"  # a current sender cannot start TLS with it at all
    assert "addr.cert-untrusted" not in smtp  # its certificate was not verified: not judged
    assert "addr.cipher-weak" not in smtp  # ECDHE: forward secret, only the version is old
    (attempt,) = report.attempts
    assert attempt.tls is not None and attempt.tls.version == version
    assert attempt.tls.cipher == "ECDHE-RSA-AES128-SHA"
    assert report.verdict != "pass"


def test_a_cipher_without_forward_secrecy_is_named(world):
    report = world.run("rsakx.test")
    smtp = ids(report, "smtp")
    assert "addr.cipher-weak" in smtp and "addr.tls-old" not in smtp, smtp
    (weak,) = [f for a in report.areas for f in a.findings if f.id == "addr.cipher-weak"]
    assert "TLSv1.2 AES128-GCM-SHA256, the only kind offered" in weak.detail
    assert weak.severity == "critical" and "addr.cert-untrusted" not in smtp


def test_modern_tls_has_none_of_these_findings(world):
    report = world.run("modern.test")
    smtp = ids(report, "smtp")
    assert not {"addr.tls-old", "addr.cipher-weak", "addr.tls-failed"} & set(smtp), smtp
    (attempt,) = report.attempts
    assert attempt.tls is not None and attempt.tls.version in ("TLSv1.2", "TLSv1.3")


@pytest.mark.skipif(not _old_tls_possible(), reason="this OpenSSL cannot offer TLS 1.0")
def test_mta_sts_says_why_an_enforcing_sender_fails_there(world):
    report = world.run("sts10.test")
    (mx_tls,) = [f for a in report.areas for f in a.findings if f.id == "sts.mx-tls"]
    assert mx_tls.detail == ("a current sender's TLS handshake fails: the server offers only "
                             "TLSv1 ECDHE-RSA-AES128-SHA")
    assert mx_tls.severity == "critical"
