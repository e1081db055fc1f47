"""Classes of real bounces whose cause is easy to misname, each read the way the words mean.

A domain that exists but publishes no mail server is not an unknown domain; a host that
permanently takes no network mail (5.3.2 with class 5, RFC 7504's 521) accepts no mail, while
the same code as a transient (4.3.2) is a host shutting down for a while.
"""

from __future__ import annotations

import pytest

from smtpdiag.core.classify import classify


@pytest.mark.parametrize(("text", "reason"), [
    # qmail-send's report when neither MX nor address records exist
    ("<ann@example.org>:\nSorry, I couldn't find a mail exchanger or IP address. (#5.4.4)",
     "no-mail"),
    ("ann@example.org: No MX found for domain", "no-mail"),
    ("<ann@example.org>: No mx record found for domain=example.org", "no-mail"),
    ("550 5.1.10 the recipient's domain has a null MX", "no-mail"),
    # a domain that does not exist at all stays unknown
    ("Host or domain name not found. Name service error for name=example.invalid type=MX: "
     "Host not found", "host-unknown"),
    ("DNS lookup of example.invalid: no such domain", "host-unknown"),
    ("MX lookup failed for example.invalid", "host-unknown"),
])
def test_no_mail_server_is_told_from_no_domain(text, reason):
    assert classify(text)["reason"]["name"] == reason


@pytest.mark.parametrize(("text", "reason", "rule"), [
    ("521 5.3.2 this host does not take network mail", "no-mail", "5.3.2"),
    ("550 5.3.2 closed for incoming messages", "no-mail", "5.3.2"),
    ("421 4.3.2 system going down for maintenance", "system-error", "4.3.2"),
])
def test_a_host_not_accepting_network_messages_for_good_accepts_no_mail(text, reason, rule):
    got = classify(text)["reason"]
    assert (got["name"], got["decided_by"], got["rule"]) == (reason, "enhanced", rule)
