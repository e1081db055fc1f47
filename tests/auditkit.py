"""A whole mail domain on loopback for ``audit`` tests: one DNS server, SMTP servers on
127.0.0.x sharing one port (as MX hosts share port 25), one trustme CA for all of them, and an
HTTPS server for MTA-STS policies.  Real sockets everywhere; nothing is mocked."""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import trustme

from smtpdiag.fakeserver import FakeServer
from smtpdiag.fakeserver.certs import Certs
from smtpdiag.net.audit import AuditOptions, audit
from tests.dnsserver import DnsServer
from tests.httpsserver import HttpsServer

__all__ = ["LimitedCerts", "World"]


@dataclass
class LimitedCerts(Certs):
    """Certificates whose server context offers only ``version`` and ``ciphers``: an MX host
    stuck on TLS 1.0 or a non-forward-secret cipher.  OpenSSL offers TLS < 1.2 only at
    security level 0, so the cipher string ends with ``@SECLEVEL=0``."""

    version: str | None = None
    ciphers: str | None = None

    def server_context(self) -> ssl.SSLContext:
        context = super().server_context()
        if self.version is not None:
            with warnings.catch_warnings():  # TLSVersion.TLSv1 is deprecated: that is the point
                warnings.simplefilter("ignore", DeprecationWarning)
                context.minimum_version = context.maximum_version = getattr(
                    ssl.TLSVersion, self.version)
        context.set_ciphers(self.ciphers or "DEFAULT:@SECLEVEL=0")
        return context


class World:
    """Build the zone with ``add`` and the servers with ``smtp``/``https``, then ``run``."""

    def __init__(self, directory: str, *, rsa: bool = False) -> None:
        self.dir = directory
        # RSA keys only where a test needs an RSA key exchange (a non-forward-secret cipher).
        self.key_type = trustme.KeyType.RSA if rsa else trustme.KeyType.ECDSA
        self.ca = trustme.CA(organization_name="smtpdiag audit test CA", key_type=self.key_type)
        self.ca_file = os.path.join(directory, "ca.pem")
        self.ca.cert_pem.write_to_path(self.ca_file)
        self.records: dict[tuple[str, str], list[str]] = {}
        self.authenticated: set[str] = set()
        self.port = 0
        self.https_port = 443
        self._stack = contextlib.ExitStack()
        self.servers: list[FakeServer] = []
        self.dns: DnsServer | None = None

    def add(self, name: str, rdtype: str, *values: str) -> World:
        self.records.setdefault((name, rdtype), []).extend(values)
        return self

    def certs(self, names: tuple[str, ...], kind: str = "good") -> Certs:
        """A leaf from the shared CA (or a self-signed / expired one) in its own folder."""
        folder = os.path.join(self.dir, f"c{len(os.listdir(self.dir))}")
        os.mkdir(folder)
        if kind == "self-signed":
            return Certs.create(folder, hostnames=names, kind="self-signed")
        import datetime

        now = datetime.datetime.now(datetime.UTC)
        if kind == "expired":
            leaf = self.ca.issue_cert(*names, not_before=now - datetime.timedelta(days=30),
                                      not_after=now - datetime.timedelta(days=1),
                                      key_type=self.key_type)
        elif kind == "expiring":
            leaf = self.ca.issue_cert(*names, not_after=now + datetime.timedelta(days=5),
                                      key_type=self.key_type)
        elif kind == "intermediate":  # the chain presented holds an intermediate CA
            leaf = self.ca.create_child_ca(key_type=self.key_type).issue_cert(
                *names, key_type=self.key_type)
        else:
            leaf = self.ca.issue_cert(*names, key_type=self.key_type)
        certs = Certs(self.ca_file, os.path.join(folder, "cert.pem"),
                      os.path.join(folder, "key.pem"))
        leaf.private_key_pem.write_to_path(certs.key_file)
        with open(certs.cert_file, "wb") as handle:
            for blob in leaf.cert_chain_pems:
                handle.write(blob.bytes())
        return certs

    def smtp(self, address: str, name: str, *, cert: str = "good", cert_names: tuple[str, ...]
             | None = None, scenario: str = "healthy", tls: str = "starttls",
             greeting_name: str | None = None, tls_version: str | None = None,
             ciphers: str | None = None) -> FakeServer:
        """An MX host at ``address`` on the world's shared SMTP port; ``tls_version``
        ("TLSv1", "TLSv1_1"…) and ``ciphers`` limit what its TLS offers."""
        certs = self.certs(cert_names or (name,), cert) if tls != "none" else None
        if certs is not None and (tls_version or ciphers):
            certs = LimitedCerts(certs.ca_file, certs.cert_file, certs.key_file, certs.kind,
                                 tls_version, ciphers)
        server = FakeServer(scenario, host=address, port=self.port, tls=tls,  # type: ignore[arg-type]
                            certs=certs, hostname=greeting_name or name)
        self._stack.enter_context(server)
        self.port = server.port
        self.servers.append(server)
        return server

    def https(self, address: str, domain: str, *, cert: str = "good",
              cert_names: tuple[str, ...] | None = None, **answer: Any) -> HttpsServer:
        """The MTA-STS policy host of ``domain`` at ``address``, on the shared HTTPS port."""
        name = f"mta-sts.{domain}"
        certs = self.certs(cert_names or (name,), cert)
        server = HttpsServer(address, certs.cert_file, certs.key_file,
                             port=0 if self.https_port == 443 else self.https_port, **answer)
        self._stack.enter_context(server)
        self.https_port = server.port
        self.add(name, "A", address)
        return server

    def sts(self, domain: str, address: str, *hosts: str, mode: str = "enforce",
            txt: str = "v=STSv1; id=20240101", max_age: int = 604800, **answer: Any
            ) -> HttpsServer:
        """A whole MTA-STS deployment: TXT record, policy server and a TLS-RPT record."""
        self.add(f"_mta-sts.{domain}", "TXT", f'"{txt}"')
        self.add(f"_smtp._tls.{domain}", "TXT", f'"v=TLSRPTv1; rua=mailto:tls@{domain}"')
        lines = ["version: STSv1", f"mode: {mode}", *(f"mx: {h}" for h in hosts),
                 f"max_age: {max_age}"]
        answer.setdefault("body", "\r\n".join(lines) + "\r\n")
        return self.https(address, domain, **answer)

    def tlsa(self, server: FakeServer, usage: int = 3, selector: int = 1, mtype: int = 1,
             *, index: int = 0) -> str:
        """A TLSA record (presentation form) for certificate ``index`` of what ``server``
        presents (0: its leaf), computed with ``cryptography``."""
        import hashlib

        from cryptography import x509
        from cryptography.hazmat.primitives import serialization

        assert server.certs is not None
        with open(server.certs.cert_file, "rb") as handle:
            cert = x509.load_pem_x509_certificates(handle.read())[index]
        data = cert.public_bytes(serialization.Encoding.DER) if selector == 0 else \
            cert.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
        digest = {0: data, 1: hashlib.sha256(data).digest(), 2: hashlib.sha512(data).digest()}
        return f"{usage} {selector} {mtype} {digest[mtype].hex()}"

    def sender_policies(self, domain: str) -> World:
        """A right SPF and DMARC for ``domain``."""
        self.add(domain, "TXT", '"v=spf1 mx -all"')
        return self.add(f"_dmarc.{domain}", "TXT", f'"v=DMARC1; p=reject; rua=mailto:d@{domain}"')

    def mx(self, domain: str, *hosts: tuple[int, str, str], ptr: bool = True) -> World:
        """MX records with A and (by default) forward-confirmed PTR records."""
        for pref, name, address in hosts:
            self.add(domain, "MX", f"{pref} {name}.")
            self.add(name, "AAAA" if ":" in address else "A", address)
            if ptr:
                self.add(_reverse(address), "PTR", f"{name}.")
        return self

    def start_dns(self) -> DnsServer:
        if self.dns is None:
            self.dns = self._stack.enter_context(
                DnsServer(self.records, authenticated=self.authenticated))
        return self.dns

    def options(self, **extra: Any) -> AuditOptions:
        dns = self.start_dns()
        return AuditOptions(nameserver=(dns.host, dns.port), timeout=3.0,
                            ca_file=self.ca_file, port=self.port or 25,
                            https_port=self.https_port, helo="client.test", **extra)

    def run(self, domain: str, **extra: Any) -> Any:
        return asyncio.run(audit(domain, self.options(**extra)))

    def cli_args(self) -> list[str]:
        dns = self.start_dns()
        return ["--nameserver", f"{dns.host}:{dns.port}", "--timeout", "3", "--ca-file",
                self.ca_file, "--port", str(self.port or 25), "--https-port",
                str(self.https_port), "--helo", "client.test"]

    def close(self) -> None:
        self._stack.close()


def _reverse(address: str) -> str:
    import ipaddress

    return ipaddress.ip_address(address).reverse_pointer


@contextlib.contextmanager
def world(directory: str) -> Iterator[World]:
    built = World(directory)
    try:
        yield built
    finally:
        built.close()


def ids(report: Any, area: str | None = None) -> list[str]:
    """The finding ids of a report (or of one area), for assertions."""
    return [f.id for a in report.areas if area in (None, a.name) for f in a.findings]
