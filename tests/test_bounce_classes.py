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
    # Gmail's lookups answered (NOERROR) with no MX and no address, however long the name
    ("DNS Error: 16578478 DNS type 'mx' lookup of a-long-look-alike-name.example responded "
     "with code NOERROR 16578478 DNS type 'mx' lookup of a-long-look-alike-name.example had no "
     "relevant answers.", "no-mail"),
    ("DNS Error: 2135 DNS type 'mx' lookup of example.invalid responded with code NXDOMAIN "
     "Domain name not found: example.invalid", "host-unknown"),
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


def test_qmail_words_before_its_code_are_the_reply():
    # qmail-send puts the code after the reason, then its own "not going to try again"
    text = ("<ann@example.org>:\nUnable to contact LDAP server. (#4.4.3)I'm not going to try "
            "again; this\nmessage has been in the queue too long.")
    record = classify(text)
    assert record["enhanced"] == "4.4.3"
    assert (record["reason"]["name"], record["reason"]["rule"]) == (
        "system-error", "text-directory-unreachable")
    # with nothing before the code, the words after it are read as before
    assert classify("5.2.2 <ann@example.org>... Mailbox Full")["reason"]["name"] == "mailbox-full"


@pytest.mark.parametrize(("text", "reason", "rule"), [
    # an invalid domain answering HELO is the client's own name, not the recipient's domain
    ("Connected to 192.0.2.9 but my name was rejected.\nRemote host said: 501 Invalid domain "
     "name", "blocked", "text-host-unknown at HELO"),
    ("host mx[192.0.2.9] said: 550 Invalid domain name (in reply to RCPT TO command)",
     "host-unknown", "text-host-unknown"),
    # "other protocol status" says less than 554 answering the greeting
    ("... while talking to mx.example.org.:\n<<< 554 5.5.0 no thanks", "blocked",
     "554 at CONNECT"),
    ("554 5.5.0 no thanks", "syntax", "5.5.0"),
    # but a code with a subject of its own still decides
    ("host mx[192.0.2.9] said: 550 5.6.0 bad attachment (in reply to RCPT TO command)",
     "content", "5.6.0"),
])
def test_the_step_makes_vague_readings_specific(text, reason, rule):
    got = classify(text)["reason"]
    assert (got["name"], got["rule"]) == (reason, rule)


@pytest.mark.parametrize(("text", "reason"), [
    ("Your email to group team@example.org was rejected due to spam classification. To fix "
     "it, check your SPF and DKIM records.", "spam"),
    ("<ann@example.org>... Insecure Mail Relay", "relay-denied"),
    ("450 service permits 2 unverifyable sending IPs - mx.example.org is not 192.0.2.7",
     "requires-ptr"),
    ("ann@example.org: Network error on destination MXs", "network"),
])
def test_wordings_that_name_their_cause(text, reason):
    assert classify(text)["reason"]["name"] == reason


@pytest.mark.parametrize("name", ["postfix-dsn-two-recipients.eml", "qmail-two-recipients.eml",
                                  "sendmail-cut-diagnostic.eml", "exim-prose.eml"])
def test_line_endings_do_not_change_the_reading(name):
    from pathlib import Path

    from smtpdiag.core.classify import classify_message

    data = (Path(__file__).resolve().parent.parent / "fixtures" / "messages" / name).read_bytes()
    unix = data.replace(b"\r\n", b"\n")

    def reading(raw: bytes) -> list[tuple[object, ...]]:
        return [(r["recipient"], r["code"], r["enhanced"], r["step"], r["reason"]["name"])
                for r in classify_message(raw)]

    want = reading(unix)
    assert want and all(item[4] != "unknown" for item in want)
    assert reading(unix.replace(b"\n", b"\r\n")) == want  # DOS
    assert reading(unix.replace(b"\n", b"\r")) == want  # old Mac: CR alone


def _bounce(body: str) -> bytes:
    head = ("From: MAILER-DAEMON@relay.sender.example\nTo: vic@sender.example\n"
            "Subject: Undelivered Mail Returned to Sender\n\n")
    return (head + body).encode()


@pytest.mark.parametrize(("body", "reason", "rule"), [
    # a bare "User unknown" in a bounce that names no step: a filter's refusal (sisimai's
    # "filtered"), the way it reads after DATA
    ("<wes@example.org>: host mx.example.org[192.0.2.5] said: 550\n    <wes@example.org>: "
     "User unknown\n", "policy", "text-user-unknown step not named"),
    # the step named: the address itself
    ("<wes@example.org>: host mx.example.org[192.0.2.5] said: 550\n    <wes@example.org>: "
     "User unknown (in reply to RCPT TO command)\n", "user-unknown", "text-user-unknown"),
    # an X.1.1 code says the mailbox is missing, wherever it was said
    ("<wes@example.org>: host mx.example.org[192.0.2.5] said: 550 5.1.1\n    "
     "<wes@example.org>: User unknown\n", "user-unknown", "text-user-unknown"),
    # "550 5.2.1 User unknown": the text wins over the registry's "mailbox disabled"
    ("<wes@example.org>: host mx.example.org[192.0.2.5] said: 550 5.2.1\n    "
     "<wes@example.org>: User unknown\n", "user-unknown", "text-user-unknown"),
    # a product's own wording for a missing address decides whatever the step
    ("Your message\n  To:      wes@example.org\n  Subject: plans\ndid not reach the following "
     "recipient(s):\nwes@example.org on Mon, 30 Nov 2026 10:00:00 +0000\n    The recipient "
     "name is not recognized\n", "user-unknown", "exchange2003-recipient-not-recognized"),
    ("------- Failure Reasons --------\nUser wes (wes@example.org) not listed in Domino "
     "Directory\nwes@example.org\n", "user-unknown", "domino-not-in-directory"),
    ("** Address not found **\n\nYour message wasn't delivered to wes@example.org because the "
     "address couldn't be found.\n", "user-unknown", "gmail-address-not-found"),
])
def test_user_unknown_in_a_bounce_that_names_no_step(body, reason, rule):
    from smtpdiag.core.classify import classify_message

    (record,) = classify_message(_bounce(body))
    assert (record["reason"]["name"], record["reason"]["rule"]) == (reason, rule)


@pytest.mark.parametrize(("step", "says"), [
    ("", "the bounce names no SMTP step"),
    (" (in reply to end of DATA command)", "it answered DATA, after the address was accepted"),
])
def test_the_bottom_line_says_why_user_unknown_reads_as_a_filter(step, says):
    from smtpdiag.core.classify import classify_message

    (record,) = classify_message(_bounce(
        f"<wes@example.org>: host mx.example.org[192.0.2.5] said: 550\n    <wes@example.org>: "
        f"User unknown{step}\n"))
    summary = record["reason"]["summary"]
    assert record["reason"]["name"] == "policy"
    assert 'its words say "user unknown"' in summary and says in summary
    user_unknown = classify("550 5.1.1 User unknown")["reason"]
    assert "filter" not in user_unknown["summary"]


def test_a_pasted_reply_names_no_step_and_stays_user_unknown():
    got = classify("550 <wes@example.org>: User unknown")["reason"]
    assert (got["name"], got["rule"]) == ("user-unknown", "text-user-unknown")


def test_outlook_com_mailbox_unavailable_with_its_numbers_is_a_missing_mailbox():
    got = classify("550 Requested action not taken: mailbox unavailable "
                   "(-2147221238:3954:-2147467259)")["reason"]
    assert (got["name"], got["decided_by"]) == ("user-unknown", "provider")
    # the standard text alone stays what 550 means at its step
    assert classify("550 Requested action not taken: mailbox unavailable")["provider"] is None


# A generic wording names a consequence or no cause: a specific enhanced code or wording beside
# it decides.  Each "try again later" case also asserts the wording alone still reads as before.
@pytest.mark.parametrize(("text", "reason", "decided_by", "rule"), [
    ("421 4.3.2 System not accepting network messages, try later", "system-error",
     "enhanced", "4.3.2"),
    ("421 4.3.2 Service shutting down, please retry later", "system-error", "enhanced",
     "4.3.2"),
    ("451 4.7.1 Please try again later", "blocked", "enhanced", "4.7.1"),
    ("452 4.2.2 Over the limit, try again later", "mailbox-full", "enhanced", "4.2.2"),
    ("452 4.2.2 Mailbox full, try again later", "mailbox-full", "text", "text-mailbox-full"),
    # no code or an "other" detail says no more than the wording: it still decides
    ("451 Please try again later", "greylisted", "text", "greylisting-try-again-later"),
    ("451 4.3.0 Please try again later", "greylisted", "text", "greylisting-try-again-later"),
    ("451 4.7.0 Please try again later", "greylisted", "text", "greylisting-try-again-later"),
    ("451 4.9.9 Please try again later", "greylisted", "text", "greylisting-try-again-later"),
    ("451 Temporarily deferred, please retry later", "greylisted", "text",
     "greylisting-try-again-later"),
    ("450 4.2.0 Greylisted, try again in 300 seconds", "greylisted", "text",
     "greylisting-generic"),
    ("550 5.7.1 Greylisted, come back later", "greylisted", "text", "text-greylisted"),
])
def test_a_generic_retry_wording_never_beats_a_specific_code(text, reason, decided_by, rule):
    got = classify(text)["reason"]
    assert (got["name"], got["decided_by"], got["rule"]) == (reason, decided_by, rule)


def test_postfixs_words_for_a_milter_that_failed_are_the_servers_fault_not_a_block():
    # milter_default_action = tempfail: the receiver's content filter is down or deferred
    got = classify("451 4.7.1 Service unavailable - try again later")["reason"]
    assert (got["name"], got["decided_by"], got["rule"], got["who"]) == (
        "system-error", "provider", "postfix-milter-tempfail", "recipient-admin")


@pytest.mark.parametrize(("text", "reason", "rule"), [
    # an expiry that names its cause: the cause
    ("Message expired, DNS query failed", "network", "text-dns-try-again"),
    ("550 5.4.312 Message expired, DNS query failed", "network", "text-dns-try-again"),
    ("Message expired: host or domain name not found", "host-unknown", "text-host-unknown"),
    ("Delivery expired, mailbox full", "mailbox-full", "text-mailbox-full"),
    ("Name service error for name=example.org type=MX: Malformed or unexpected name server "
     "reply", "network", "text-dns-try-again"),
    # an expiry beside a bare connection failure (the last attempt's) stays an expiry
    ("Message expired, connection refused", "expired", "text-expired"),
    ("Message expired: could not be delivered for 5 days", "expired", "text-expired"),
    ("connect to mx.example.org[192.0.2.4]:25: Connection timed out", "network",
     "text-network"),
])
def test_an_expiry_wording_gives_way_to_the_cause_it_names(text, reason, rule):
    got = classify(text)["reason"]
    assert (got["name"], got["rule"]) == (reason, rule)


def test_a_products_own_generic_pattern_knows_its_codes():
    from smtpdiag import catalogue
    from smtpdiag.core.reason import decide

    # Orange's "Service refusé" comes with an enhanced code of its own that says nothing
    entry = next(e for e in catalogue.providers() if e.id == "orange-service-refused")
    assert entry.generic and entry.kind == "provider"
    got = decide(code=421, enhanced="4.2.1", text="Service refuse", entry=entry)
    assert (got["name"], got["decided_by"]) == ("unknown", "provider")


@pytest.mark.parametrize(("text", "reason", "rule"), [
    # a routing code beside a network wording: the words say which failure it was
    ("550 5.4.4 Connection timed out", "network", "text-network"),
    ("451 4.4.2 Connection reset by peer", "network", "text-network"),
    # a routing code beside a retry wording that names nothing: the code
    ("451 4.4.4 Unable to route, try again later", "host-unknown", "4.4.4"),
])
def test_a_network_wording_says_more_than_a_routing_code(text, reason, rule):
    got = classify(text)["reason"]
    assert (got["name"], got["rule"]) == (reason, rule)


@pytest.mark.parametrize(("text", "rule"), [
    # Postfix's anvil: a per-client rate, not this recipient, this message or a connection
    ("450 4.7.1 Error: too many recipients from 192.0.2.7", "postfix-client-rate-limit"),
    ("450 4.7.1 Error: too much mail from 192.0.2.7", "postfix-client-rate-limit"),
    ("421 4.7.0 mx.example.org Error: too many new TLS sessions from 192.0.2.7",
     "postfix-client-rate-limit"),
    ("421 4.7.0 mx.example.org Error: too many connections from 192.0.2.7",
     "postfix-too-many-connections"),
])
def test_postfixs_per_client_rate_limits_are_rate_limits(text, rule):
    got = classify(text)
    assert (got["reason"]["name"], got["reason"]["rule"]) == ("rate-limited", rule), got["reason"]
    assert got["provider"] == rule
