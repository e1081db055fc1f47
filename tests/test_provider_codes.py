"""Providers that end their replies with a code of their own: the code decides, not the words
around it (Orange / La Poste OFR/LPN, GoDaddy IB, Spectrum AUP#, Cox), and a code the catalogue
does not know leaves the decision to the reply codes."""

from __future__ import annotations

import pytest

from smtpdiag.core.classify import classify
from smtpdiag.core.explain import explain


@pytest.mark.parametrize(("text", "reason", "rule"), [
    ("550 5.7.1 Mail rejete. Mail refused. OFR_506 [506]", "spam", "orange-code-spam"),
    ("550 5.5.0 Le compte du destinataire est bloque. Account locked. LPN007_426",
     "mailbox-disabled", "orange-code-mailbox-closed"),
    ("421 mwinf5c01 ME Trop de connexions. OFR005_104 [104]", "rate-limited",
     "orange-code-connections"),
    ("421 smtp.example Service refuse. Veuillez essayer plus tard. OFR005_999 [999]", "blocked",
     "orange-code-blocked"),
    ("550 a@example.net The sending IP is not permitted by the SPF record. IB508",
     "auth-failed", "godaddy-ib-spf"),
    ("550 5.2.0 <a@example.net> From: Domain is invalid. Provide a valid From: IB506",
     "sender-rejected", "godaddy-from-domain"),
    ("550 5.1.0 <b@example.net> sender rejected. AUP#In-1320", "rate-limited",
     "spectrum-aup-rate"),
    ("550 5.1.0 <b@example.net> sender rejected. AUP#CDRBL", "blocked", "cox-dnsbl"),
])
def test_a_providers_own_code_decides(text, reason, rule):
    for found in (classify(text)["reason"], explain(text)["items"][0]["reason"]):
        assert (found["name"], found["rule"], found["decided_by"]) == (reason, rule, "provider")


def test_an_unlisted_code_in_a_known_wording_says_the_cause_is_not_given():
    # "service refused, try later" with a code the catalogue has no meaning for: not a guess
    found = classify("421 4.2.1 Service refuse. Veuillez essayer plus tard. LPN006_107")
    assert (found["reason"]["name"], found["provider"]) == ("unknown", "orange-service-refused")
    # a GoDaddy IB code without a specific entry still reads as GoDaddy's refusal
    other = classify("554 The IP is refused for today. IB111")
    assert (other["reason"]["name"], other["provider"]) == ("blocked", "godaddy-ip-blocked")


def test_every_entry_label_fits_the_codes_table():
    # "Provider: name" is one column of `codes --providers`; past this it squeezes the others
    from smtpdiag import catalogue

    for entry in catalogue.providers():
        assert len(f"{entry.provider}: {entry.name}") <= 72, entry.id
