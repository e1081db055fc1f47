"""``core/targets.default_recipient``: the recipient a probe without ``--to`` uses, and the
reason it gives, word for word for each kind of target."""

from __future__ import annotations

import pytest

from smtpdiag.core.targets import default_recipient, parse_target

LITERAL = ("no --to was given, and an IP address names no mail domain: <postmaster> without a "
           "domain, which every SMTP server must accept (RFC 5321 §4.5.1). Servers take it even "
           "from clients they refuse for any other recipient (Postfix exempts it from its "
           "restrictions), so its acceptance says little about real recipients")


@pytest.mark.parametrize(("target", "chosen"), [
    ("192.0.2.1", ("postmaster", LITERAL)),
    ("[2001:db8::1]:25", ("postmaster", LITERAL)),
    ("example.org", ("postmaster@example.org", "no --to was given: the domain's postmaster, an "
                     "address every mail domain must accept (RFC 5321 §4.5.1)")),
    ("mx.example.org:2525", ("postmaster@mx.example.org", "no --to was given: postmaster at "
                             "the host's own name (RFC 5321 §4.5.1), though a host need not "
                             "take mail for its own name, only for its domains")),
])
def test_default_recipient(target: str, chosen: tuple[str, str]) -> None:
    assert default_recipient(parse_target(target)) == chosen
