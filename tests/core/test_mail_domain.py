"""``core/targets.mail_domain``: the DOMAIN ``audit`` takes, checked as a target's name is and
given back lower-case, without its trailing dot, an IDN as its A-label; an address, a URL, a
name with a port or blanks inside, a name without a dot, a name too long or a control
character is a usage error naming what was given.  Pure (audit's CLI tests run in a
subprocess, outside the mutation selection)."""

from __future__ import annotations

import re

import pytest

from smtpdiag.core.targets import mail_domain
from smtpdiag.errors import UsageError

LONG = ("a" * 60 + ".") * 4  # 244 characters with its dots


@pytest.mark.parametrize(("text", "domain"), [
    ("example.com", "example.com"),
    ("Example.COM.", "example.com"),
    ("MX.EXAMPLE.ORG", "mx.example.org"),  # an X is a letter like any other
    ("  example.com  ", "example.com"),
    ("bücher.example", "xn--bcher-kva.example"),
    (LONG + "a" * 9, LONG + "a" * 9),  # 253 characters: the longest name
])
def test_a_mail_domain_is_given_back_as_it_is_looked_up(text: str, domain: str) -> None:
    assert mail_domain(text) == domain


NOT_A_DOMAIN = " is not a mail domain (give example.com, not an address or a URL)"


@pytest.mark.parametrize(("text", "message"), [
    ("", "'' is not a mail domain (give example.com"),
    ("   ", "'   '" + NOT_A_DOMAIN),
    ("ann@example.com", "'ann@example.com'" + NOT_A_DOMAIN),
    ("https://example.com", "'https://example.com'" + NOT_A_DOMAIN),
    ("example.com:25", "'example.com:25'" + NOT_A_DOMAIN),
    ("[192.0.2.1]", "'[192.0.2.1]'" + NOT_A_DOMAIN),
    ("exa mple.com", "'exa mple.com'" + NOT_A_DOMAIN),
    ("a/b.example", "'a/b.example'" + NOT_A_DOMAIN),
    ("localhost", "'localhost' is not a mail domain"),
    (LONG + "a" * 10, "(254 characters) is not a valid host name"),
    ("-bad.example", "DOMAIN '-bad.example' is not a valid host name (bad label '-bad')"),
    ("xn--zz.example", "DOMAIN 'xn--zz.example': the name 'xn--zz.example' has no IDNA A-label"),
    ("ex\rample.com", "DOMAIN contains a control character"),
])
def test_anything_else_is_a_usage_error_naming_it(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        mail_domain(text)


def test_the_error_names_what_the_caller_calls_it() -> None:
    with pytest.raises(UsageError, match=r"^--domain '-x\.example' is not a valid host name"):
        mail_domain("-x.example", "--domain")
