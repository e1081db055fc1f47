"""DANE for an MX host that is an alias (CNAME): RFC 7672 §2.2.2 looks for TLSA records at the
alias's target first, then at the MX name.  Real TLSA answers from the loopback DNS server,
matched against the chain a real fake SMTP server presents."""

from __future__ import annotations

import pytest

from tests.auditkit import World


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(str(tmp_path_factory.mktemp("dane-alias")))
    try:
        server = w.smtp("127.0.3.9", "real.dane-host.test")
        w.add("real.dane-host.test", "A", "127.0.3.9")
        for name in ("target", "owner", "both"):
            w.add(f"{name}.test", "MX", f"10 mx.{name}.test.")
            w.add(f"mx.{name}.test", "CNAME", "real.dane-host.test.")
        w.add("_25._tcp.real.dane-host.test", "TLSA", w.tlsa(server))  # the target's
        w.authenticated.add("_25._tcp.real.dane-host.test")
        # at the MX name only: the target (another host) has none
        w.add("owner.test", "MX", "20 mx2.owner.test.")
        w.add("mx2.owner.test", "CNAME", "plain.dane-host.test.")
        w.add("plain.dane-host.test", "A", "127.0.3.9")
        w.add("_25._tcp.mx2.owner.test", "TLSA", w.tlsa(server))
        w.authenticated.add("_25._tcp.mx2.owner.test")
        yield w
    finally:
        w.close()


def _dane(world, domain: str) -> list[tuple[str, str]]:
    return [(f.id, f.subject) for a in world.run(domain).areas if a.name == "dane"
            for f in a.findings]


def test_tlsa_at_the_alias_target_is_found(world):
    assert _dane(world, "target.test") == [
        ("dane.single", "_25._tcp.real.dane-host.test")]


def test_tlsa_at_the_mx_name_is_found_when_the_target_has_none(world):
    found = _dane(world, "owner.test")
    assert ("dane.single", "_25._tcp.mx2.owner.test") in found, found
    assert not any(i == "dane.none" and s == "_25._tcp.mx2.owner.test" for i, s in found)
