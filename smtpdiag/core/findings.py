"""Judge a whole attempt: what an admin should know beyond the individual replies.  Pure."""

from __future__ import annotations

from dataclasses import replace

from ..model import Attempt, Finding, Reply, Resolution, Step
from .addresses import (
    is_ip_literal,
    listed_twice,
    not_a_host_name,
    repeated_suffix,
    reverse_name,
    special_use,
    this_machine,
    unroutable,
)
from .conduct import conduct_findings, speaks_lmtp
from .opportunistic import failed_handshake, opportunistic_walk, plaintext_fallback
from .text import listed, shorten
from .tlsgrade import tls_grade_findings

__all__ = ["SLOW_STEP_MS", "attempt_findings", "mx_findings", "mx_host_findings",
           "recipient_findings", "refused_recipient", "unroutable", "with_findings"]

SLOW_STEP_MS = 1000.0
CERT_WARN_DAYS = 14


def attempt_findings(attempt: Attempt, *, insecure: bool = False) -> tuple[Finding, ...]:
    found: list[Finding] = []
    if attempt.error is not None:
        found.append(Finding("critical", attempt.error.message, attempt.error.step))
    for step in attempt.steps:
        reply = step.reply
        pause = _pre_greet_pause(step)
        if pause is not None:
            found.append(Finding(
                "info", f"pre-greet test: the server sent its first greeting line at once, then "
                f"waited {pause / 1000:.1f} s before the last, as Postfix's postscreen does "
                "(postscreen_greet_wait) to catch robots that talk before the greeting ends. "
                "smtpdiag waited, as a client must: not tarpitting, nothing to fix", step.name))
        elif step.elapsed_ms >= SLOW_STEP_MS and step.error is None and step.name != "message" \
                and (reply is not None or step.name != "quit"):  # unanswered: our own wait
            found.append(Finding(
                "warning", f"slow: the {step.name} step took {step.elapsed_ms / 1000:.1f} s "
                "(tarpitting or an overloaded server; the step itself succeeded)"
                if reply is not None and reply.positive else
                f"slow: the {step.name} step took {step.elapsed_ms / 1000:.1f} s", step.name))
        if step.name == "tls" and step.error is not None and step is failed_handshake(attempt):
            found.append(Finding("critical", plaintext_fallback(step.error.message), "tls"))
        if reply is None or step.name in ("quit", "lhlo"):  # LHLO: smtpdiag's own question
            continue
        if reply.truncated:
            found.append(Finding("info", f"the {step.name} reply was longer than smtpdiag keeps; "
                                 "the rest was counted, not stored", step.name))
        if step.name == "starttls" and not reply.positive and step is not attempt.steps[-1] \
                and attempt.tls is None and attempt.tls_mode == "starttls":
            found.append(Finding(
                "critical", f"STARTTLS was refused ({reply.code} {reply.text})"[:200] + "; the "
                "session carried on without encryption, as a sending server does: mail to this "
                f"server travels in plaintext. {_starttls_fix(reply)}", step.name))
        elif step.name == "ehlo" and not reply.positive and \
                (helo := _helo_followed(attempt, step)) is not None:
            if helo.reply is not None and helo.reply.positive:
                found.append(Finding("warning", "EHLO was refused: the server speaks only basic "
                                     "SMTP (no STARTTLS, AUTH or SIZE)", step.name))
        elif not reply.positive and not (step.name == "helo" and speaks_lmtp(attempt)):
            temporary = reply.klass == 4  # a deferral, as the verdict and check say
            severity = "warning" if temporary else "critical"
            verb = "temporarily refused" if temporary else "refused"
            said = shorten(f"{step.name} {verb}: {reply.code} {reply.text}", 300)
            found.append(Finding(severity, said, step.name))
    caps = attempt.capabilities
    if attempt.tls_mode == "starttls" and attempt.tls is None and caps and not caps.starttls:
        found.append(Finding("warning", "the server does not offer STARTTLS: mail to it travels "
                             "unencrypted", "ehlo"))
    tls = attempt.tls
    if tls is not None:
        if tls.verify_error and opportunistic_walk(attempt):
            found.append(Finding("warning", f"certificate not trusted: {tls.verify_error}; "
                                 "senders using TLS when offered (most MTAs) deliver anyway, "
                                 "senders enforcing MTA-STS or DANE refuse this host", "tls"))
        elif tls.verify_error and insecure:
            found.append(Finding("critical", f"certificate not trusted: {tls.verify_error} "
                                 "(--insecure carried on without verification)", "tls"))
        if tls.days_left is not None and tls.days_left < 0:
            found.append(Finding("critical", f"the certificate expired {-tls.days_left} days ago",
                                 "tls"))
        elif tls.days_left is not None and tls.days_left < CERT_WARN_DAYS:
            found.append(Finding("warning", f"the certificate expires in {tls.days_left} days",
                                 "tls"))
        if tls.hostname_matched is False:
            found.append(Finding("warning", f"the certificate does not name {attempt.host}",
                                 "tls"))
        found += tls_grade_findings(tls)
    found += _implicit_tls_found(attempt)
    found += conduct_findings(attempt)
    return tuple(found)


def _starttls_fix(reply: Reply) -> str:
    """What to fix when STARTTLS was refused: the certificate and key, unless the server's own
    words name another cause (Postfix's "454 4.3.0 Try again later" is a milter's deferral, not
    a TLS failure; the catalogue knows such replies)."""
    from .. import catalogue
    from .explain import reply_match_text

    entry = catalogue.match_provider(reply.code, reply.enhanced, reply_match_text(reply),
                                     kind="provider")
    if entry is None or entry.generic or entry.catch_all:
        return "Check its TLS certificate and key configuration"
    return f"{entry.provider}: {entry.name}. {entry.fix}"


def _helo_followed(attempt: Attempt, ehlo: Step) -> Step | None:
    """The HELO sent after this refused EHLO, if one was: a HELO taken means a server that
    speaks only basic SMTP; a HELO refused too says the refusal itself.  An EHLO refusal
    without a HELO after it (501 for its argument, 421) is a refusal like any other."""
    steps = attempt.steps
    after = steps.index(ehlo) + 1
    return steps[after] if after < len(steps) and steps[after].name == "helo" else None


def _implicit_tls_found(attempt: Attempt) -> list[Finding]:
    """``--tls auto`` found a silent port speaking implicit TLS (``net/implicit.py``): its
    plaintext greeting step failed, and a TLS walk followed on a new connection."""
    steps = attempt.steps
    silent = next((i for i, s in enumerate(steps) if s.name == "greeting" and s.error), None)
    if attempt.tls_mode != "implicit" or silent is None or not any(
            s.name == "tls" for s in steps[silent + 1:]):
        return []
    return [Finding("info", "this port sent no plaintext greeting, but a TLS handshake on a "
                    "second connection completed: it speaks implicit TLS (RFC 8314), as port "
                    "465 does, and smtpdiag walked it that way. Next time say --tls implicit",
                    "greeting")]


# Reasons that say the client, not the recipient, was refused (Postfix delays those to RCPT):
# another recipient would fare the same, so the default one is not to blame.
CLIENT_REASONS = frozenset({"blocked", "requires-ptr", "reputation", "rate-limited", "greylisted",
                            "auth-required", "tls-required", "sender-rejected", "spam"})


def refused_recipient(attempt: Attempt) -> Reply | None:
    """The first refusal of a recipient itself (not of the client, delayed to RCPT)."""
    for step in attempt.steps:
        if step.name != "rcpt" or step.reply is None or step.reply.positive:
            continue
        reason = step.annotation.reason if step.annotation else None
        if reason is None or reason.name not in CLIENT_REASONS:
            return step.reply
    return None


def recipient_findings(attempt: Attempt, recipient: tuple[str, str]) -> tuple[Finding, ...]:
    """Which recipient a probe without ``--to`` used and why; a refusal of it is no refusal
    of the recipients that matter, so it says to name one."""
    if not any(s.name == "rcpt" for s in attempt.steps):
        return ()
    address, why = recipient
    refused = refused_recipient(attempt)
    if refused is None:
        return (Finding("info", f"recipient <{address}>: {why}", "rcpt"),)
    return (Finding("warning", f"the recipient <{address}> was refused ({refused.code}): {why}. "
                    "Probe again with --to and an address you mean to reach", "rcpt"),)


def _pre_greet_pause(step: Step) -> float | None:
    """The pause inside a multi-line greeting (ms), when its first line came at once and the
    rest a second or more later; None otherwise."""
    if step.name != "greeting" or step.first_line_ms is None or step.reply is None:
        return None
    pause = step.elapsed_ms - step.first_line_ms
    if step.first_line_ms >= SLOW_STEP_MS or pause < SLOW_STEP_MS:
        return None
    return pause


def with_findings(attempt: Attempt, *, insecure: bool = False,
                  recipient: tuple[str, str] | None = None) -> Attempt:
    """``attempt`` judged; ``recipient`` is the default one used when ``--to`` was not given
    (the address, and why it was chosen)."""
    found = attempt_findings(attempt, insecure=insecure)
    if recipient is not None:
        found += recipient_findings(attempt, recipient)
    return replace(attempt, findings=found)


# What a sender does with a null MX written otherwise than as RFC 7505 §3 writes it.
_STRICT_NULL_MX = ("a sender that reads only that as a null MX tries '.' and defers the mail "
                   "instead of bouncing it")


def null_mx_findings(resolution: Resolution) -> list[Finding]:
    """A null MX not written as RFC 7505 §3 writes it (one record, ``MX 0 .``): '.' beside
    real hosts, several records all pointing at '.', or one with another preference."""
    nulls = [mx.preference for mx in resolution.mx if mx.host == "."]
    if not nulls:
        return []
    if len(nulls) < len(resolution.mx):
        named = listed([f"MX {preference} ." for preference in nulls])
        return [Finding("critical", f"{named} (a null MX) is listed beside other MX records: "
                        "RFC 7505 §3 allows no other; senders disagree, some bounce the mail "
                        "and some try the other hosts", "dns")]
    if len(nulls) > 1:
        return [Finding("warning", "several MX records point at '.' (preferences "
                        f"{listed(list(map(str, nulls)))}): a null MX (RFC 7505 §3) is one record, "
                        f"MX 0 .; {_STRICT_NULL_MX}", "dns")]
    if nulls[0] != 0:
        return [Finding("warning", f"the null MX has preference {nulls[0]}: RFC 7505 §3 "
                        f"writes it MX 0 .; {_STRICT_NULL_MX}", "dns")]
    return []


def mx_findings(resolution: Resolution) -> tuple[Finding, ...]:
    """What the MX set itself says: a null MX written wrongly, targets that are aliases or IP
    addresses, hosts listed twice, hosts sharing a preference."""
    found = null_mx_findings(resolution)
    hosts = [mx for mx in resolution.mx if mx.host != "."]  # '.' is no host: named above
    found += _first([Finding(
        "warning", f"the MX host {mx.host} is an alias (CNAME) of {mx.cname}: an MX must name a "
        "host, not an alias (RFC 2181 §10.3, RFC 5321 §5.1); some senders refuse or mishandle "
        "it", "dns") for mx in hosts if mx.cname], "MX hosts are aliases (CNAME)")
    found += _first([Finding(
        "warning", f"the MX target {mx.host} is an IP address, not a host name: an MX must name "
        "a host (RFC 5321 §5.1), so senders look it up as a name and most find nothing", "dns")
        for mx in hosts if is_ip_literal(mx.host)], "MX targets are IP addresses")
    odd = [mx.host for mx in hosts if not_a_host_name(mx.host)]
    found += _first([Finding(  # critical when no MX target is left to deliver to
        "critical" if len(odd) == len(hosts) else "warning", f"the MX target {host} is not a "
        "host name: it holds characters no host name has (only letters, digits and hyphens, "
        "RFC 5321 §2.3.5), so senders refuse it as malformed; fix the MX record", "dns")
        for host in odd], "MX targets are not host names")
    found += _first([Finding(
        "warning", f"the MX target {mx.host} is the reverse-DNS name of {address}, not a mail "
        "host's name: an MX must name a host with A or AAAA records (RFC 5321 §5.1)", "dns")
        for mx in hosts if (address := reverse_name(mx.host)) is not None],
        "MX targets are reverse-DNS names")
    found += _first([Finding(
        "warning", f"the MX target {mx.host} repeats {again[1]}: the zone file probably lacks "
        f"the final dot after {again[0]}, so senders look up the longer name", "dns")
        for mx in hosts if (again := repeated_suffix(mx.host)) is not None],
        "MX targets repeat their domain")
    found += _first([Finding(
        "warning", f"the MX host {host} is listed {len(prefs)} times (preferences "
        f"{listed(list(map(str, prefs)))}): only its best preference counts; remove the other "
        "records", "dns")
        for host, prefs in listed_twice((mx.host, mx.preference) for mx in hosts)],
        "MX hosts are listed more than once")
    by_preference: dict[int, list[str]] = {}
    for mx in hosts:
        by_preference.setdefault(mx.preference, []).append(mx.host)
    found += _first([Finding("info", f"the MX hosts {listed(names)} share preference "
                             f"{preference}: senders pick among them at random, spreading "
                             "the load (RFC 5321 §5.1)", "dns")
                     for preference, names in by_preference.items() if len(names) > 1],
                    "preferences are shared by several MX hosts")
    return tuple(found)


def _first(found: list[Finding], what: str, limit: int = 5) -> list[Finding]:
    """The first ``limit`` findings of one kind, and one counting the rest: a zone of
    thousands of MX records gets a few lines, not thousands."""
    if len(found) <= limit:
        return found
    return [*found[:limit], Finding(found[0].severity, f"and {len(found) - limit} more {what}, "
                                    "as above", "dns")]


def mx_host_findings(domain: str, host: str, addresses: tuple[str, ...],
                     failed: tuple[tuple[str, str], ...] = ()) -> tuple[Finding, ...]:
    """What one MX host of ``domain`` says: addresses no sender can reach (unless the domain
    is a special-use name, never on the Internet: a lab's ``.test``); and ``failed``, each
    address family (A, AAAA) whose question failed (rdtype, message) while the other
    answered."""
    found = [] if special_use(domain) else [
        Finding("critical" if this_machine(address) else "warning",  # no sender delivers there
                f"the MX host {host} resolves to {address}, {why}", "dns")
        for address in addresses if (why := unroutable(address)) is not None]
    for rdtype, message in failed:
        other = "AAAA" if rdtype == "A" else "A"
        found.append(Finding("warning", f"the MX host {host}: {message}; only its {other} "
                             f"addresses are known, and a sender that waits for the {rdtype} "
                             "answer is delayed, or defers the mail", "dns"))
    return tuple(found)
