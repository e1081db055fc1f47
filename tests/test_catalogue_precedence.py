"""Precedence across the catalogue: an entry's own example must be read as that entry's cause.

A catch-all entry earlier in the files (a product's name, "Reject, id=…", a block list's zone)
must not take the example of a more specific entry that names another cause; the reading may
come from another entry only when it names the same cause.  The few entries whose example is
decided by something more specific of the same product are listed, each with why.
"""

from __future__ import annotations

from smtpdiag import catalogue
from smtpdiag.core.classify import classify

# entry id -> why its example is read otherwise, and rightly so
DECIDED_ELSEWHERE = {
    "greylisting-try-again-later": "a generic 'try again later' yields to 4.7.1 (blocked)",
    "proofpoint-pps-reputation": "Proofpoint's ipcheck link names its IP block list",
    "mimecast-envelope-rejected": "'User Entry' is a recipient's own blocked-senders entry",
    "mimecast-rbl": "'IP Reputation' is Mimecast's reputation verdict",
    "barracuda-spam": "Barracuda's ':blocked' recipient note is its block",
    "postfix-data-command-rejected": "'Multi-recipient bounce' is about the null sender",
    "icloud-hm-codes": "iCloud's own words 'local policy' beside the code",
    "orange-ofr": "the OFR code 104 names too many connections",
}


def test_every_example_is_read_as_its_own_cause() -> None:
    wrong = {}
    for entry in catalogue.providers():
        found = classify(entry.example)["reason"]
        if found["rule"] != entry.id and found["name"] != entry.reason:
            wrong[entry.id] = (entry.reason, found["name"], found["rule"])
    assert set(wrong) == set(DECIDED_ELSEWHERE), wrong


def test_a_verdict_after_an_amavis_id_is_that_verdict() -> None:
    for text, reason in [("554 5.7.0 Reject, id=1-01 - SPAM", "spam"),
                         ("554 5.7.0 Reject, id=1-02 - INFECTED: Eicar-Test", "virus"),
                         ("554 5.7.0 Reject, id=1-03 - BANNED: P=p003,T=exe", "virus")]:
        assert classify(text)["reason"]["name"] == reason, text


def test_a_block_list_s_own_sub_list_names_its_cause() -> None:
    dbl = classify("554 5.7.1 Rejected: URL in message body is listed in dbl.spamhaus.org")
    assert (dbl["reason"]["name"], dbl["reason"]["rule"]) == ("spam", "dbl-domain")
    rats = classify("554 5.7.1 Client host [192.0.2.9] blocked using noptr.spamrats.com")
    assert (rats["reason"]["name"], rats["reason"]["rule"]) == ("requires-ptr", "spamrats-dyna")
    rats = classify("554 5.7.1 Client host [192.0.2.9] blocked using spam.spamrats.com")
    assert rats["reason"]["name"] == "blocked"
