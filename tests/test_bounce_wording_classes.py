"""Classes of wording that real bounces use for a cause, each read as that cause.

Each case is a reply written the way some server words it (in our own words), which the
catalogue used to leave to its code (a 554 read as ``policy``) or gave to a neighbouring cause.
The rule that decides is checked too, so that a case cannot pass by accident of its code.
"""

from __future__ import annotations

import pytest

from smtpdiag.core.classify import classify


@pytest.mark.parametrize(("text", "reason", "rule"), [
    # the quota, in the many ways servers say it is used up
    ("552 5.2.2 ana@example.org: mailbox quota usage exceeded", "mailbox-full",
     "text-over-quota"),
    ("452 4.2.2 Quota violation for ana@example.org", "mailbox-full", "text-over-quota"),
    ("552 ana@example.org has reached the disk quota", "mailbox-full", "text-over-quota"),
    ("552 Message would be over the allowed quota", "mailbox-full", "text-over-quota"),
    ("552 ana@example.org: the diskspace quota is used", "mailbox-full",
     "text-over-quota"),
    ("550 Recipient rejected: mailbox would exceed maximum allowed storage", "mailbox-full",
     "text-over-quota"),
    ("552 Not enough storage space in the mailbox of ana@example.org", "mailbox-full",
     "text-storage-allocation"),
    ("554 The recipient's mailbox does not have enough space", "mailbox-full",
     "text-storage-allocation"),
    # a sending quota is the sender's rate, not the recipient's mailbox
    ("454 Throttling failure: Daily message quota exceeded.", "rate-limited",
     "text-rate-limit"),
    # a mailbox that exists but is switched off
    ("550 5.2.1 The account ana@example.org is currently suspended", "mailbox-disabled",
     "text-mailbox-disabled"),
    ("550 Mailbox currently suspended - please contact the owner", "mailbox-disabled",
     "text-mailbox-disabled"),
    ("550 ana@example.org: user is terminated", "mailbox-disabled", "text-mailbox-disabled"),
    ("550 This address no longer accepts mail", "mailbox-disabled", "text-inactive-account"),
    # the mailbox is not there, in words the patterns lacked
    ("550 No mailbox found for ana@example.org", "user-unknown", "text-no-mailbox"),
    ("550 5.1.1 Recipient address rejected: invalid-recipient", "user-unknown",
     "text-no-mailbox"),
    ("554 vdeliver: Invalid or unknown virtual user 'ana'", "user-unknown", "text-no-mailbox"),
    ("550 ana@example.org is not an active address at this host", "user-unknown",
     "text-no-mailbox"),
    ("550 The e-mail address ana@example.org could not be found", "user-unknown",
     "text-no-mailbox"),
    ("550 Address not present in directory", "user-unknown", "text-no-mailbox"),
    # ... and the domain, not the mailbox, when the words say so
    ("550 5.1.2 <ana@example.invalid>: Recipient address rejected: unknown domain name",
     "host-unknown", "text-host-unknown"),
    ("451 mx.example.org: Name or service not known", "host-unknown", "text-host-unknown"),
    # the sender refused, however it is worded
    ("550 Sender email address rejected", "sender-rejected", "text-sender-rejected"),
    ("553 Bogus mail from <ana@example.org>", "sender-rejected", "text-sender-rejected"),
    ("550 Sender is in my black list", "sender-rejected", "text-sender-rejected"),
    ("550 Your e-mail address is blocklisted here", "sender-rejected",
     "text-sender-rejected"),
    ("550 Connections not accepted from servers without a valid sender domain",
     "sender-rejected", "text-sender-rejected"),
    # the client's address refused
    ("554 Sending IP address 192.0.2.9 rejected", "blocked", "text-client-refused"),
    ("550 We are not currently accepting mail from your IP", "blocked",
     "text-client-refused"),
    ("554 Server access forbidden by your IP 192.0.2.9", "blocked", "text-client-refused"),
    ("554 Rejecting open proxy 192.0.2.9", "blocked", "text-client-refused"),
    # size, connections, queue lifetime
    ("552 Message exceeded maximum inbound message size", "message-too-big",
     "text-message-too-large"),
    ("552 The message exceeds the inbound message size limit", "message-too-big",
     "text-message-too-large"),
    ("421 Too many SMTP sessions for this host", "rate-limited",
     "text-too-many-connections"),
    ("421 Trop de connexions, veuillez ralentir", "rate-limited",
     "text-too-many-connections"),
    ("550 You have exceeded the maximum messages per hour", "rate-limited",
     "text-rate-limit"),
    ("Message was not reachable within the allowed queue period", "expired", "text-expired"),
    ("Esta casilla ha expirado por falta de uso.", "mailbox-disabled", "i18n-mailbox-disabled"),
    # a line over RFC 5322's 998 characters: the message's form, not its size or syntax
    ("500 Line limit exceeded", "not-compliant", "text-rfc5322"),
    ("554 5.6.0 Message contains a line longer than 998 characters", "not-compliant",
     "text-rfc5322"),
    # an internationalized address the next server could not take (RFC 6531; X.6.7)
    ("Technical details of permanent failure: local-part of envelope contains utf8 but remote "
     "server did not offer SMTPUTF8", "content", "text-smtputf8"),
    ("550 Nonexistent user", "user-unknown", "text-user-unknown"),
    ("554 5.7.1 <ana@example.org>: Recipient address rejected: Non-existent mailbox",
     "user-unknown", "text-user-unknown"),  # the words name the cause, not 5.7.1
    ("550 Inexistent account", "user-unknown", "text-user-unknown"),
    ("Message rejected. Not enough storage space in user's mailbox to accept message.",
     "mailbox-full", "text-storage-allocation"),
    ("552 Account(s) <ana@example.org> does not have enough space", "mailbox-full",
     "text-storage-allocation"),
    ("Technical details of permanent failure: Connection was dropped by remote host",
     "network", "text-network"),
    ("Remote host closed connection", "network", "text-network"),
    # a mailing list's loop alert: a Message-ID it has already seen came back
    ("Duplicated Message-ID in <ml@example.org>.", "network", "text-mail-loop"),
    # a filter that will not say whether it saw spam or malware: spam is far likelier
    ("550 5.7.1 Message contains spam or virus.", "spam", "text-spam-or-virus"),
    ("554 Your message failed several antispam checks", "spam", "text-spam"),
    ("550 5.7.1 Virus found in attachment", "virus", "text-virus"),
    # authentication, relaying, loops, a receiver's own set-up
    ("535 Authentication failure", "auth-required", "text-auth-required"),
    ("550 Please turn on SMTP authentication in your mail client", "auth-required",
     "text-auth-required"),
    ("550 This is not an open relay, so get lost", "relay-denied", "text-relay-denied"),
    ("554 5.4.6 Message looping between servers", "network", "text-mail-loop"),
    ("451 4.3.5 Server configuration error", "system-error", "text-config-error"),
    ("451 Could not load DRD for domain (example.org) rcpt (ana@example.org)", "system-error",
     "text-config-error"),
    # a header the message carries twice is its format, not a failed signature
    ("554 Transaction failed: Duplicate header 'DKIM-Signature'.", "not-compliant",
     "text-rfc5322"),
    ("550 5.7.20 No passing DKIM signature found", "auth-failed", "text-dkim"),
    # a flood from "your DKIM domain" or "your SPF domain" names the domain, not a failed check
    ("421-4.7.28 Our system has detected an unusual rate of unsolicited mail originating from "
     "your DKIM domain", "spam", "text-spam"),
    ("421 4.7.28 unusual rate of unsolicited mail from your SPF domain example.org", "spam",
     "text-spam"),
    ("550 5.7.23 SPF validation failed for example.org", "auth-failed", "text-spf"),
    ("mx.example.org: host name lookup failure", "network", "text-dns-try-again"),
    ("550 Mail receiving disabled for this domain", "no-mail", "text-null-mx"),
])
def test_a_wording_names_its_cause(text: str, reason: str, rule: str) -> None:
    found = classify(text)["reason"]
    assert (found["name"], found["rule"]) == (reason, rule)


@pytest.mark.parametrize(("text", "reason", "rule"), [
    # a product's words for one cause do not take another cause's words with them
    ("550 5.1.1 Boite du destinataire pleine", "mailbox-full", "orange-mailbox-full"),
    ("550 Recipient rejected: temporarily inactive", "mailbox-disabled",
     "text-inactive-account"),
    ("550 Invalid recipient <ana@example.org>", "user-unknown", "opensmtpd-invalid-recipient"),
    ("550 Recipient rejected", "user-unknown", "opensmtpd-invalid-recipient"),
    # cPanel's refusal to relay for a client that did not log in: logging in is the fix
    ("550 Please turn on SMTP Authentication in your mail client. mx.example.org "
     "[192.0.2.9]:2525 is not permitted to relay through this server without "
     "authentication.", "auth-required", "exim-cpanel-relay-needs-auth"),
    # a loop is a routing fault, whichever product reports it
    ("554 5.4.14 Hop count exceeded - possible mail loop", "network",
     "microsoft-hop-count-exceeded"),
    ("550 Too many received headers - possible mail loop", "network", "haraka-mail-loop"),
    ("mail forwarding loop for ana@example.org", "network", "postfix-too-many-hops"),
    # Postfix's "Access denied" is about whatever its words name: host, sender or recipient
    ("554 5.7.1 <mx.example.net[192.0.2.9]>: Client host rejected: Access denied", "blocked",
     "postfix-access-denied"),
    ("554 5.7.1 <ann@example.net>: Sender address rejected: Access denied", "sender-rejected",
     "postfix-sender-access-denied"),
    ("554 5.7.1 <bob@example.org>: Recipient address rejected: Access denied", "user-unknown",
     "postfix-recipient-access-denied"),
    # MessageLabs: the sender's address, the relay, and the rest (mostly the sending IP)
    ("553 Your email address has been blacklisted", "sender-rejected",
     "messagelabs-sender-blacklisted"),
    ("553-you are trying to use me [server-1.tower-2.messagelabs.com] as a relay, but I have "
     "not been configured to let you", "relay-denied", "messagelabs-not-a-relay"),
    ("550 server-1.tower-2.messagelabs.com: ana@example.org is over quota", "mailbox-full",
     "text-over-quota"),
    ("553 Refused by server-1.tower-2.messagelabs.com", "blocked", "symantec-messagelabs"),
    # mobile carriers' gateways
    ("Message could not be delivered to mobile. Error: No valid recipients for this MM",
     "user-unknown", "verizon-mms-no-valid-recipients"),
    ("550 <ana@ezweb.ne.jp>: User unknown", "user-unknown", "kddi-au-user-unknown"),
    ("550 : User unknown", "policy", "kddi-au-reception-filter"),
    ("550 5.1.351 Remote server returned unknown recipient or mailbox unavailable -> "
     "550 : User unknown", "policy", "kddi-au-reception-filter"),
])
def test_a_product_s_words_name_its_cause(text: str, reason: str, rule: str) -> None:
    found = classify(text)["reason"]
    assert (found["name"], found["rule"]) == (reason, rule)


@pytest.mark.parametrize(("text", "reason", "rule"), [
    # MTAs' own words for a domain with nowhere to deliver, or a route they could not use
    ("550 Unrouteable address", "host-unknown", "exim-unrouteable-address"),
    ("No valid route to remote MX", "network", "opensmtpd-network-error"),
    ("451 Temporary failure in MX lookup", "network", "text-dns-try-again"),
    ("554 Message has exceeded the maximum hop count", "network", "text-mail-loop"),
    ('550 Too many "Received" headers', "network", "text-mail-loop"),
    # the mailbox's storage, and the system's disk, told apart
    ("452 4.2.2 ana@example.org: this mailbox is out of storage space", "mailbox-full",
     "text-storage-allocation"),
    ("552 Account storage limit reached", "mailbox-full", "text-storage-allocation"),
    ("452 Requested action not taken: mailbox unavailable (not enough free space)",
     "system-full", "text-system-full"),
    ("550 Requested action not taken: mailbox unavailable", "user-unknown",
     "text-no-mailbox"),
    # too much at once, the receiver's own delivery, syntax, attachments, login, sender domain
    ("421 Message threshold exceeded", "rate-limited", "text-rate-limit"),
    ("451 Max message per connection reached", "rate-limited", "text-rate-limit"),
    ("432 4.3.2 STOREDRV.Deliver; recipient thread limit exceeded", "rate-limited",
     "text-rate-limit"),
    ("550 delivery to pipe forbidden", "system-error", "text-local-mailer"),
    ("451 LMTP error after end of data: 451 4.3.0 Temporary internal failure",
     "system-error", "text-local-mailer"),
    ("501 angle-brackets nested too deep", "syntax", "text-syntax"),
    ("554 Attachment extension is forbidden", "virus", "text-attachment"),
    ("535 Incorrect authentication data", "auth-required", "text-auth-required"),
    ("554 Connection denied for 192.0.2.9", "blocked", "text-client-refused"),
    # qmail's recipient lists, more ways to say nobody is there, a forward DNS mismatch
    ("553 sorry, this recipient is not in my validrcptto list (#5.7.1)", "user-unknown",
     "qmail-rcptto-lists"),
    ("553 sorry, your envelope recipient is in my badrcptto list (#5.7.1)", "user-unknown",
     "qmail-rcptto-lists"),
    ("550 There is no one at this address", "user-unknown", "text-no-mailbox"),
    ("550 No existe ese usuario en este dominio", "user-unknown", "i18n-user-unknown"),
    ("550 Nessun utente simile in questo indirizzo", "user-unknown", "i18n-user-unknown"),
    ("450 Please try again slower", "rate-limited", "text-rate-limit"),
    ("421 Too many errors from your IP, closing", "rate-limited", "text-too-many-connections"),
    ("550 The forward DNS entry does not point to the sending IP", "requires-ptr",
     "text-reverse-dns"),
    # the address between the subject and its verdict
    ("550 User ana@example.org does not exist", "user-unknown", "text-user-unknown"),
    ("550 Recipient <ana@example.org> unknown", "user-unknown", "text-user-unknown"),
    # Exchange's sentences for people, each for its own cause
    ("The recipient's e-mail address was not found in the recipient's e-mail system.",
     "user-unknown", "text-no-mailbox"),
    ("The destination server for this recipient could not be found in Domain Name Service "
     "(DNS).", "host-unknown", "text-host-unknown"),
    ("A configuration error in the e-mail system caused the message to bounce between two "
     "servers or to be forwarded to itself.", "network", "text-mail-loop"),
    ("You do not have permission to send to this recipient.", "policy", "text-policy"),
    ("The message reached the recipient's e-mail system, but delivery was refused.", "policy",
     "text-policy"),
    # Microsoft 365's sentences for people
    ("Your message to ana@example.org couldn't be delivered. ana wasn't found at example.org.",
     "user-unknown", "text-no-mailbox"),
    ("Your message couldn't be delivered because delivery to this address is restricted.",
     "policy", "text-policy"),
    ("Your message can't be delivered because one or more recipients are blocked by your "
     "organization's tenant recipient block policy.", "policy", "text-policy"),
    ("The group only accepts messages from people in its organization or on its allowed "
     "senders list", "policy", "text-policy"),
    # qmail: a CNAME lookup that failed for now is a DNS fault, not a missing domain
    ("CNAME lookup failed temporarily. (#4.4.3)", "network", "text-dns-try-again"),
    ("550 5.7.1 Mailaddress is administratively disabled", "mailbox-disabled",
     "text-mailbox-disabled"),
    ("554 5.7.1 Message rejected because of unacceptable content", "content", "text-content"),
])
def test_an_mta_s_words_name_its_cause(text: str, reason: str, rule: str) -> None:
    found = classify(text)["reason"]
    assert (found["name"], found["rule"]) == (reason, rule)


def test_a_user_unknown_elsewhere_is_not_the_carrier_s_filter() -> None:
    # the carrier's empty-address form is its own; an address in front is a missing mailbox
    found = classify("550 <ana@example.org>: User unknown")["reason"]
    assert (found["name"], found["rule"]) == ("user-unknown", "text-user-unknown")


# "… couldn't be found" names a missing address only when what was not found is an address:
# the same words about a domain or a host are a DNS failure (Gmail: "because the domain
# example.invalid couldn't be found").
NOT_FOUND = ["{} couldn't be found", "{} could not be found", "{} cannot be found",
             "{} no longer exists",
             "Your message wasn't delivered to ana@example.invalid because {} couldn't be "
             "found. Check for typos or unnecessary spaces and try again."]
HOSTS = ["the domain example.invalid", "the recipient domain", "domain name example.invalid",
         "the host mx.example.invalid", "The domain"]
ADDRESSES = ["the address", "ana@example.org", "the mailbox", "the recipient",
             "The email account"]


@pytest.mark.parametrize("wording", NOT_FOUND)
def test_what_could_not_be_found_is_a_domain_or_an_address(wording: str) -> None:
    for subject in HOSTS:
        for text in (f"550 5.1.2 {wording.format(subject)}", wording.format(subject)):
            assert classify(text)["reason"]["name"] == "host-unknown", text
    for subject in ADDRESSES:
        for text in (f"550 5.1.1 {wording.format(subject)}", wording.format(subject)):
            assert classify(text)["reason"]["name"] == "user-unknown", text


@pytest.mark.parametrize("text", [
    "554 RCPT (ana@example.org) dosn't exist",  # a real server's own spelling
    "550 <ana@example.org> does not exist",
    "550 ana@example.org: doesnt exist",
    "550 [ana@example.org] does not exists",
])
def test_an_address_that_does_not_exist_is_a_missing_mailbox(text: str) -> None:
    found = classify(text)["reason"]
    assert (found["name"], found["rule"]) == ("user-unknown", "text-user-unknown")
    # the same words about a domain name alone are the domain's
    domain = text.replace("ana@", "the domain ").replace("<", "").replace(">", "")
    assert classify(domain)["reason"]["name"] != "user-unknown", domain


@pytest.mark.parametrize("text", [
    "550 The mail server could not deliver mail to kim@example.net. The account or domain "
    "may not exist, they may be blacklisted, or missing the proper dns entries.",
    # as an Exim prose bounce quotes it: no code, wrapped
    "The mail server could not deliver mail to kim@example.net.  The account or domain may "
    "not exist, they may be\n    blacklisted, or missing the proper dns entries.",
])
def test_a_sentence_that_lists_possible_causes_is_not_read_by_one_of_them(text: str) -> None:
    # cPanel's sentence names three causes it cannot tell apart: not "blacklisted" alone
    found = classify(text)["reason"]
    assert (found["name"], found["rule"]) == ("unknown", "exim-cpanel-could-not-deliver")


@pytest.mark.parametrize("text", [
    "553 5.1.2 Unknown address domain",
    "The domain you tried to reach does not exist",
    "550 The domain that you entered doesn't exist",
])
def test_a_missing_domain_is_not_read_as_a_missing_address(text: str) -> None:
    assert classify(text)["reason"]["name"] == "host-unknown"
