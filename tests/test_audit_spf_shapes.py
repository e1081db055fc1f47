"""SPF records written in shapes receivers read otherwise than their author may think: a
``redirect`` beside ``all`` (RFC 7208 §6.1: the redirect is ignored), and a record longer than
the 450 bytes RFC 7208 §3.4 advises (split over several TXT strings, joined without a space).
Real answers from the loopback DNS server."""

from __future__ import annotations

import pytest

from tests.auditkit import World, ids

LONG = "v=spf1 " + " ".join(f"ip4:192.0.2.{n}" for n in range(1, 33)) + " -all"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(str(tmp_path_factory.mktemp("spf-shapes")))
    try:
        w.add("redirall.test", "TXT", '"v=spf1 mx -all redirect=gone.spf.test"')
        w.add("redirect.test", "TXT", '"v=spf1 redirect=gone.spf.test"')
        # 'ip4:192.0.2.1' split over two strings: joined as it stands (RFC 7208 §3.3)
        pieces = [LONG[:12], LONG[12:260], LONG[260:]]  # a TXT string holds 255 bytes
        w.add("long.test", "TXT", " ".join(f'"{piece}"' for piece in pieces))
        for name in ("redirall.test", "redirect.test", "long.test"):
            w.add(name, "MX", "0 .")
        yield w
    finally:
        w.close()


def _spf(world, domain: str) -> list[tuple[str, str, str]]:
    report = world.run(domain)
    return [(f.id, f.severity, f.detail) for a in report.areas if a.name == "spf"
            for f in a.findings]


def test_a_redirect_beside_all_is_ignored_and_said_to_be(world):
    assert _spf(world, "redirall.test") == [
        ("spf.redirect-ignored", "warning", "redirect=gone.spf.test is ignored: the record "
         "has an all mechanism (-all), which decides for every host it does not list")]


def test_a_redirect_alone_is_followed(world):
    assert ids(world.run("redirect.test"), "spf") == ["spf.include-error"]


def test_a_record_over_450_bytes_is_a_note_and_read_whole(world):
    assert len(LONG) > 450
    assert _spf(world, "long.test") == [
        ("spf.long", "info", f"{len(LONG)} bytes, over the 450 that RFC 7208 §3.4 advises")]
