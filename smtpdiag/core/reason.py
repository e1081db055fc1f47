"""Name the cause of a refusal: one ``reason`` from a small, documented vocabulary.

The vocabulary and the code tables live in ``catalogue/data/reasons.json``.  The most specific
rule decides, in this order (``decided_by`` in the result says which):

1. ``provider`` — a provider's, MTA's, filter's or block list's own pattern;
2. ``text``     — a wording that names the cause whatever server wrote it;
   a pattern that is a product's or list's name alone (``catch_all``: "websense", "spamhaus")
   names who answered, not why: it decides only where no wording names a cause (the search,
   ``catalogue.match_provider``, takes it only then); the code beside it does not outrank it
   (a bounce's Status is often the reporting MTA's guess: Sendmail files a 553 as 5.1.3);
   ``report`` — a bounce's own words for people (Gmail's "** Address not found **", Sendmail's
   "Returned mail: User unknown"), where the reply's words name no cause of their own;
3. ``enhanced`` — the enhanced status code (RFC 3463 / IANA registry), class-specific first;
   it comes before a ``generic`` wording any server uses (one that names a consequence or no
   cause: "try again later", "message expired") when it names a cause of its own (4.3.2,
   4.2.2, 4.7.1).  A product's own pattern knows that product's codes and still decides.
4. ``basic``    — the three-digit code, read for the command it answered where known;
5. ``none``     — nothing says why: ``unknown``.

Between 2 and 3, ``action``: a bounce whose report says delivery failed for good (``Action:
failed``) after a transient (4.x.x) reply means the sender's queue lifetime ran out: ``expired``;
a delay warning (``Action: delayed``) on such a reply is ``delayed``: still being retried.

``permanent`` follows the reply's class when there is one (5 = permanent), else the reason's
usual nature; ``who`` is who must act: ``sender``, ``sender-admin`` or ``recipient-admin``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from .. import catalogue

__all__ = ["by_basic", "by_enhanced", "decide", "reason_for", "reason_names"]


def _table() -> dict[str, Any]:
    return catalogue.reasons()


def reason_names() -> tuple[str, ...]:
    """The vocabulary, in the order the README documents it."""
    return tuple(_table()["reasons"])


def reason_for(name: str, *, decided_by: str, rule: str, klass: int | None = None,
               final: bool | None = None, who: str = "", summary: str = "") -> dict[str, Any]:
    """The ``reason`` object: name, permanent, who, decided_by, rule, summary (the reason's
    own, unless the rule that decided needs saying: ``summary``)."""
    info = _table()["reasons"][name]
    permanent = info["permanent"]
    if klass in (4, 5):
        permanent = klass == 5
    if final is not None:
        permanent = final
    return {"name": name, "permanent": permanent, "who": who or info["who"],
            "decided_by": decided_by, "rule": rule, "summary": summary or info["summary"]}


def by_enhanced(enhanced: str) -> str | None:
    table = _table()
    specific = table["enhanced_with_class"].get(enhanced)
    if specific:
        return str(specific)
    found = table["enhanced"].get(catalogue.registry_key(enhanced))
    return None if found is None else str(found)


def by_basic(code: int, command: str | None) -> str | None:
    row = _table()["basic"].get(str(code))
    if row is None:
        return None
    found = row.get(command or "", row["any"])
    return None if found in (None, "unknown") else str(found)


def decide(*, code: int | None, enhanced: str | None, text: str, command: str | None = None,
           entry: catalogue.ProviderEntry | None = None, final: bool | None = None,
           local: bool = False, searched: bool = False, report: str = "") -> dict[str, Any]:
    """The reason for one reply (or one diagnostic text without a code).

    ``entry`` is the provider pattern already matched, if any; text patterns are looked up here.
    ``final`` is True when a bounce says delivery has stopped (a DSN's ``Action: failed``);
    ``local`` when its report says a local delivery program failed (``X-Unix;``);
    ``searched`` when ``entry`` is the answer of a search of every kind (even None);
    ``report`` is what the bounce itself says to people about the failure (``dsn.report_words``).
    """
    found = _decide(code, enhanced, text if not searched or entry else "", command, entry,
                    final)
    if report:
        found = _reported(found, report, code, enhanced, command, final)
    if local and found["name"] not in OWN_CAUSE:
        return reason_for("system-error", decided_by=found["decided_by"] if found["rule"]
                          else "text", rule=f"X-Unix {found['rule']}".strip(), klass=None,
                          final=final)
    if command == "CONNECT" and found["rule"] in GENERIC_RETRY:
        # "try again later" alone, before any envelope: greylisting keys on sender and
        # recipient, so at the greeting it is load, maintenance or a limit, and the words
        # do not say which
        return reason_for("unknown", decided_by="text", rule=found["rule"], klass=(
            code // 100 if code else None), final=final)
    return _expired_or_sender(found, code, enhanced, command, final)


# Wordings that only ask for a retry ("try again later", "come back later"): greylisting is
# their likeliest cause at RCPT, never at the greeting.
GENERIC_RETRY = frozenset({"greylisting-try-again-later", "text-retry-later"})
TRANSIENT = frozenset({"network", "system-error", "unknown", "greylisted", "syntax"})
# What a local delivery program may report as the cause itself (else its failure is the cause).
OWN_CAUSE = frozenset({"mailbox-full", "message-too-big", "system-full"})
SENDER_SIDE = frozenset({"user-unknown", "host-unknown", "policy", "unknown", "syntax"})
# "Access denied" names no object: answering MAIL, what was denied is the sender address.
ACCESS_DENIED = frozenset({"text-access-denied", "sendmail-access-denied"})
CLIENT_STEPS = frozenset({"CONNECT", "HELO", "EHLO"})


# Why "User unknown" is read as a filter's refusal: the words alone would mislead an admin.
_FILTER_NOT_MAILBOX = {
    False: "a filter of the receiver refused the message, though its words say \"user unknown\": "
           "it answered DATA, after the address was accepted at RCPT",
    True: "most likely a filter of the receiver refused the message: its words say \"user "
          "unknown\", but the bounce names no SMTP step, as filters' refusals mostly do (the "
          "address may still be wrong)",
}


def _expired_or_sender(found: dict[str, Any], code: int | None, enhanced: str | None,
                       command: str | None, final: bool | None) -> dict[str, Any]:
    """Readings that context makes more specific than the words.

    A bounce that gave up (``final``) after a transient (4.x.x) reply that names no cause of
    its own, or after a host that could not be reached or did not answer: the queue lifetime
    expired; a delay warning (``final`` False) on one, on nothing at all, or in words of expiry
    ("could not be delivered for 4 hours", 4.4.7): ``delayed``, the sender's server is still
    retrying (not ``expired``: nothing has failed for good yet).  Words that name the network
    fault itself (a DNS failure, no route to the host, a mail loop) stay the cause, unless the
    code is 4.4.7.  A
    refusal of the MAIL command, or with a sender-address code (X.1.7, X.1.8), is about the
    sender even when its words say "unknown" or "no such domain" (but not an MTA's own words
    for a protocol slip, such as Postfix's "send HELO/EHLO first").  A generic "User unknown"
    wording in answer to DATA, after the same address was accepted at RCPT, is a recipient-side
    filter refusing the message (mobile carriers word their sender filters so): ``policy`` —
    unless an X.1.x code, or a product's own pattern, says the mailbox itself is missing.  So
    is that wording in a bounce that names no step at all: an address refused at RCPT is
    reported as such (Postfix's "in reply to RCPT TO", a transcript, qmail's "does not like
    recipient", an X.1.1 code); a bare "User unknown" with none of them comes from a filter,
    as sisimai also reads it.  A pasted reply (no bounce around it) is not read so.  A 454
    answering STARTTLS or AUTH is the server's own temporary failure of that step.
    """
    klass = code // 100 if code else (int(enhanced[0]) if enhanced else None)
    # the codes, or a wording that names no cause of its own ("connection timed out")
    no_cause = found["decided_by"] in ("enhanced", "basic", "none") or found["rule"] in _generic()
    # words that name a network fault (a DNS failure, no route, a loop) stay the cause after
    # the queue gave up: someone must fix that fault; a host that did not answer is the expiry
    fault = found["name"] == "network" and not no_cause
    transient = found["name"] in TRANSIENT and not (fault and enhanced != "4.4.7") and (
        (klass == 4 and (no_cause or enhanced in ("4.4.1", "4.4.7")))
        or (klass is None and found["name"] == "network"))
    if final is False and (transient or found["name"] in ("unknown", "expired")):
        # a delay warning: the queue has not given up, whatever its words call the wait
        return reason_for("delayed", decided_by="action", rule="Action: delayed", klass=None,
                          final=False)
    if final and transient:
        return reason_for("expired", decided_by="action", rule="Action: failed", klass=None,
                          final=True)
    key = catalogue.registry_key(enhanced) if enhanced else ""
    # a bounce that names no step; "550 5.2.1 User unknown" stays the text's (the rule)
    unnamed = command is None and final is not None and key != "X.2.1"
    if ((command in ("DATA", "DATA-END") or unnamed) and found["name"] == "user-unknown"
            and found["decided_by"] == "text" and not key.startswith("X.1.")):
        return reason_for("policy", decided_by=found["decided_by"],
                          rule=f"{found['rule']} {'step not named' if unnamed else 'after DATA'}",
                          klass=klass, final=final,
                          summary=_FILTER_NOT_MAILBOX[unnamed])
    sender_code = key in ("X.1.7", "X.1.8")
    # An MTA's own wording for a protocol slip ("send HELO/EHLO first", postscreen's "Protocol
    # error") says the client erred, whatever command it answered: not the sender address.
    slip = found["decided_by"] == "provider" and found["name"] == "syntax"
    if (command == "MAIL" or sender_code) and not slip and (
            found["name"] in SENDER_SIDE or found["rule"] in ACCESS_DENIED):
        return reason_for("sender-rejected", decided_by=found["decided_by"],
                          rule=found["rule"] or (enhanced or ""), klass=klass, final=final)
    if command in CLIENT_STEPS and found["name"] == "host-unknown":
        # "invalid domain name" answering HELO or the greeting is about the client's own name
        return reason_for("blocked", decided_by=found["decided_by"],
                          rule=f"{found['rule']} at {command}", klass=klass, final=final)
    if found["decided_by"] == "enhanced" and code and command and enhanced \
            and catalogue.registry_key(enhanced) in ("X.0.0", "X.5.0"):
        # "other undefined status" or "other protocol status" says less than the basic code
        # at its step (554 answering the greeting: the client is refused)
        at_step = _table()["basic"].get(str(code), {}).get(command)
        if at_step and at_step != "unknown":
            return reason_for(at_step, decided_by="basic", rule=f"{code} at {command}",
                              klass=klass, final=final)
    if code == 454 and command in ("STARTTLS", "AUTH") and found["decided_by"] != "provider":
        # RFC 3207 §4, RFC 4954 §6: the server cannot start TLS or check a password just now
        # (no usable certificate, no link to its password store); a 4.7.0 ("blocked" on its
        # own), a 4.3.3 or words such as "authentication failure" beside it blame no client
        return reason_for("system-error", decided_by="basic", rule=f"454 at {command}",
                          klass=klass, final=final)
    return found


def _reported(found: dict[str, Any], report: str, code: int | None, enhanced: str | None,
              command: str | None, final: bool | None) -> dict[str, Any]:
    """The cause a bounce's report names, where the reply's words name none (only codes, or a
    generic wording), or only a "User unknown" of a bounce that names no step: where the
    sender's MTA says in its own words that the address was not found (Gmail's "the address
    couldn't be found"), the address was refused, not the message.  Only a product's own
    wording is read in a report (``provider`` patterns): the report is chatty prose, in which
    a wording any server uses ("couldn't be found", "try again") names too little."""
    weak = found["decided_by"] in ("enhanced", "basic", "none") or found["rule"] in _generic()
    unnamed = (found["decided_by"] == "text" and found["name"] == "user-unknown"
               and command is None)
    if not (weak or unnamed):
        return found
    said = catalogue.match_provider(code, enhanced, report, kind="provider")
    if said is None or said.generic or (unnamed and said.reason != "user-unknown"):
        return found
    return reason_for(said.reason, decided_by="report", rule=f"report {said.id}",
                      klass=code // 100 if code else (int(enhanced[0]) if enhanced else None),
                      final=final, who=said.who)


@cache
def _generic() -> frozenset[str]:
    """Ids of the patterns that name a consequence or no cause (``generic`` in the data)."""
    return frozenset(entry.id for entry in catalogue.providers() if entry.generic)


def _names_a_cause(enhanced: str | None, wording: catalogue.ProviderEntry) -> bool:
    """Whether an enhanced code names a cause of its own (4.3.2 "system not accepting network
    messages", 4.2.2 "mailbox full", 4.7.1): then a generic wording beside it ("try again
    later", "message expired") does not decide.  An "other" detail (X.3.0, X.7.0) names no
    more than its subject, and no more than the wording; a network and routing code (X.4.x)
    beside a network wording ("connection timed out") says less than the words about which
    network failure it was.
    """
    if not enhanced or enhanced.endswith(".0"):
        return False
    if wording.reason == "network" and catalogue.registry_key(enhanced).startswith("X.4."):
        return False
    return by_enhanced(enhanced) is not None


def _decide(code: int | None, enhanced: str | None, text: str, command: str | None,
            entry: catalogue.ProviderEntry | None, final: bool | None) -> dict[str, Any]:
    klass = code // 100 if code else (int(enhanced[0]) if enhanced else None)
    if entry is not None and entry.kind != "text":
        return reason_for(entry.reason, decided_by="provider", rule=entry.id, klass=klass,
                          final=final, who=entry.who)
    text_entry = entry if entry is not None else (
        catalogue.match_provider(code, enhanced, text, kind="text") if text else None)
    if text_entry is not None and not (text_entry.generic
                                       and _names_a_cause(enhanced, text_entry)):
        return reason_for(text_entry.reason, decided_by="text", rule=text_entry.id, klass=klass,
                          final=final)
    if enhanced:
        name = by_enhanced(enhanced)
        if name:
            return reason_for(name, decided_by="enhanced", rule=enhanced, klass=klass,
                              final=final)
    if code:
        name = by_basic(code, command)
        if name:
            return reason_for(name, decided_by="basic", rule=str(code), klass=klass,
                              final=final)
    return reason_for("unknown", decided_by="none", rule="", klass=klass, final=final)
