"""Precedence across the catalogue: an entry's own example must be read as that entry's cause.

A catch-all entry earlier in the files (a product's name, "Reject, id=…", a block list's zone)
must not take the example of a more specific entry that names another cause; the reading may
come from another entry only when it names the same cause.  The few entries whose example is
decided by something more specific of the same product are listed, each with why.
"""

from __future__ import annotations

import re

import pytest

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
    "spectrum-aupcode": "the AUP code 1310 names too many connections (Spamhaus is only named)",
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


# Specific wordings a reply may carry beside a filter's or block list's name, and their causes.
CAUSES = [
    ("550 5.1.1 <kim@example.net>: Recipient address rejected: User unknown", "user-unknown"),
    ("552 5.2.2 <kim@example.net>: mailbox is full", "mailbox-full"),
    ("552 5.3.4 Message size exceeds fixed maximum message size", "message-too-big"),
    ("554 5.7.1 <kim@example.net>: Relay access denied", "relay-denied"),
    ("550 5.2.1 The mailbox is disabled", "mailbox-disabled"),
]


def _names() -> list[tuple[str, str]]:
    """Each name-alone entry with the name its own example gives it."""
    found = []
    for entry in catalogue.providers():
        if entry.catch_all:
            match = re.search(entry.pattern, entry.example, re.IGNORECASE)
            assert match, entry.id
            found.append((entry.id, match.group(0)))
    return found


def test_there_are_names_of_filters_and_of_block_lists_and_a_wording() -> None:
    ids = {entry_id for entry_id, _ in _names()}
    assert {"forcepoint-websense", "spamexperts", "mailspike", "nordspam", "spamhaus-zen",
            "cisco-ironport-rejected-name", "clamav-virus-name", "spamassassin-score-name",
            "text-block-list-name"} <= ids


@pytest.mark.parametrize(("entry_id", "name"), _names())
def test_a_name_alone_never_beats_the_words_that_name_the_cause(entry_id: str, name: str
                                                                ) -> None:
    for text, reason in CAUSES:
        for reply in (f"{text} ({name})", f"{text[:10]}{name}: {text[10:]}"):
            found = classify(reply)["reason"]
            assert found["name"] == reason and found["rule"] != entry_id, (entry_id, reply)


@pytest.mark.parametrize(("entry_id", "name"), _names())
def test_a_name_alone_still_decides_over_a_wording_that_names_no_cause(entry_id: str,
                                                                       name: str) -> None:
    entry = next(entry for entry in catalogue.providers() if entry.id == entry_id)
    names = {other.id for other in catalogue.providers() if other.catch_all}
    for reply in (f"450 4.3.0 {name}: try again later", f"450 Please try later ({name})"):
        found = classify(reply)["reason"]
        # another list's name may match first ("cbl.abuseat.org" is also Spamhaus XBL's)
        assert found["name"] == entry.reason and found["rule"] in names, reply
