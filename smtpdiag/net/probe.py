"""``probe``: from target text to a finished ``Report`` — resolve, walk, annotate, judge.

The order of MX hosts and addresses follows RFC 5321 §5.1; when a host does not answer (no
connection, no greeting, or a 4xx greeting) the next one is tried, and every attempt is kept in
the report.  ``all_mx`` walks every host and address instead.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Callable
from dataclasses import field, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from .. import __version__
from ..core import targets
from ..core.targets import DEFAULT_PORT, Target, parse_target, tls_mode_for
from ..core.text import seconds, shorten
from ..core.verdicts import OUTCOMES, deferral_note, worst_outcome
from ..errors import DnsError, SmtpdiagError, UsageError
from ..model import Attempt, ErrorInfo, Reply, Report, Resolution, Step
from ..record import record
from .hostwalk import HostWalk
from .session import WalkOptions, walk

if TYPE_CHECKING:
    from .dns import Candidate
    from .mxqueue import MxQueue

__all__ = ["ProbeOptions", "default_deadline", "default_helo", "explain_attempts", "probe",
           "test_message"]

@record
class ProbeOptions:
    """The probe's options; every user string in here was validated by the CLI already."""

    port: int | None = None
    tls: str = "auto"
    helo: str = ""
    mail_from: str = ""
    rcpt_to: tuple[str, ...] = ()
    auth_user: str | None = None
    auth_password: str | None = field(default=None, repr=False)
    timeout: float = 20.0
    data_timeout: float = 600.0  # the wait for the reply to the final dot; see WalkOptions
    deadline: float | None = None
    ca_file: str | None = None
    insecure: bool = False
    dry_run: bool = False
    quit_after: str | None = None
    no_mx: bool = False
    all_mx: bool = False
    nameserver: tuple[str, int] | None = None
    # Annotate every reply and add findings: the full report.  ``check`` turns this off when
    # its output has no room for them (the compact JSONL line, nagios, junit, text); judging
    # never reads them.
    explain: bool = True
    # Told (step, where) as each step starts, DNS included; see WalkOptions.progress.
    progress: Callable[[str, str], None] | None = field(default=None, repr=False, compare=False)


_STAMP: list[tuple[int, str]] = [(0, "")]


def now_text() -> str:
    """Now, to the second, as reports write it; formatted once a second, not once a probe."""
    second = int(time.time())
    last, text = _STAMP[0]
    if second != last:
        text = datetime.fromtimestamp(second, UTC).isoformat(timespec="seconds")
        _STAMP[0] = (second, text)
    return text


def default_helo() -> str:
    """This machine's name, fully qualified when the hosts file says so (no DNS round trip)."""
    name = socket.gethostname()
    if "." not in name:
        try:
            with open("/etc/hosts", encoding="utf-8") as hosts:
                for line in hosts:
                    words = line.split("#")[0].split()
                    if name in words[1:]:
                        dotted = [w for w in words[1:] if "." in w and w.startswith(name + ".")]
                        if dotted:
                            return dotted[0].lower()
        except OSError:
            pass
        return f"{name}.localdomain".lower() if name else "localhost.localdomain"
    return name.lower()


def test_message(helo: str, mail_from: str, rcpt: str) -> bytes:
    """A small, clearly labelled test message with Date, Message-ID and Subject."""
    sender = mail_from or f"smtpdiag@{helo}"
    lines = [
        f"From: smtpdiag <{sender}>",
        f"To: <{rcpt}>",
        f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}",
        f"Message-ID: <{os.urandom(16).hex()}@{helo}>",
        "Subject: smtpdiag test message (safe to delete)",
        f"X-Mailer: smtpdiag/{__version__}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "This is a test message sent by smtpdiag to check that mail is delivered.",
        "It was sent on purpose by an administrator and can be deleted.",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


@lru_cache(maxsize=64)
def _dry_run_message(helo: str, mail_from: str, rcpt: str) -> bytes:
    """A dry run never sends the message; only its size is declared (SIZE=), so one per
    sender and recipient serves a whole fleet."""
    return test_message(helo, mail_from, rcpt)


def default_recipient(target: Target) -> str:
    """Whom a probe without ``--to`` writes to (``core.targets.default_recipient`` says why)."""
    return targets.default_recipient(target)[0]


_LITERAL = Resolution(None, "literal")


async def _candidates(target: Target, opts: ProbeOptions, deadline: float
                      ) -> tuple[Resolution, list[tuple[str, tuple[str, ...], str | None]]
                                 | MxQueue]:
    """(resolution, hosts) for a target that is a name (an IP literal is its own address:
    ``probe`` takes it as it is, with no coroutine to await).  A mail domain's hosts are an
    ``MxQueue``, looked up as they are walked; a name's are [(host, addresses, None)]."""
    timeout = max(0.1, min(opts.timeout, deadline - time.monotonic()))
    if target.mail_domain:
        from .dns import Resolver

        return await Resolver(opts.nameserver, timeout).mx_queue(target.host, deadline)
    if opts.nameserver is not None:
        from .dns import Resolver

        addresses = await Resolver(opts.nameserver, timeout).addresses(target.host)
        return Resolution(None, "name"), [(target.host, addresses, None)]
    # No nameserver given: ask the system (this honours the hosts file, e.g. localhost).
    try:
        infos = await asyncio.wait_for(asyncio.get_running_loop().getaddrinfo(
            target.host, None, type=socket.SOCK_STREAM), timeout)
    except (TimeoutError, OSError, UnicodeError) as exc:  # UnicodeError: IDNA refused the name
        reason = "timed out" if isinstance(exc, asyncio.TimeoutError) else str(exc)
        raise DnsError(f"cannot resolve {target.host}: {reason}", step="dns") from None
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    return Resolution(None, "name"), [(target.host, addresses, None)]


def default_deadline(opts: ProbeOptions) -> float:
    """The whole probe's limit unless given: four step timeouts, plus the end-of-data wait
    when a message is sent, so that the longer wait RFC 5321 asks for there is not cut short
    by the overall deadline."""
    sends = not opts.dry_run and opts.quit_after in (None, "data")
    return opts.timeout * 4 + (opts.data_timeout if sends else 0.0)


def _deciding(attempt: Attempt) -> Step | None:
    """The step whose refusal ended the walk (the last refusal seen; a refused EHLO or
    STARTTLS the walk went on after is never the last).  A walk refused for good is decided by
    its last permanent refusal: a 450 after a 550 did not decide it."""
    klass = 5 if attempt.outcome == "refused" else None
    return next((s for s in reversed(attempt.steps) if s.reply and not s.reply.positive
                 and s.name not in ("quit", "lhlo") and klass in (None, s.reply.klass)), None)


def _refusal(attempt: Attempt) -> str:
    """The reply that ended the walk, as "at STEP: CODE TEXT" (``_deciding``)."""
    step = _deciding(attempt)
    if step is None or step.reply is None:
        return ""
    return f" at {step.name}: {step.reply.code} {step.reply.text}"


def _summary(verdict: str, attempts: list[Attempt], opts: ProbeOptions,
             chosen: tuple[str, str] | None = None) -> str:
    """One sentence on the outcome.  Over several walks (``--all-mx``) it is about the worst
    of them, with its reason, and counts the rest: never the last host walked by default.
    ``chosen`` is the default recipient (no ``--to``): a refusal of it says to name one."""
    if not attempts:
        return "nothing was probed"
    subject = attempts[-1]
    for attempt in attempts:  # a loop, not next() over a generator: every probe's summary
        if attempt.outcome == verdict:
            subject = attempt
            break
    text = _one_summary(verdict, subject, opts)
    if chosen is not None and subject.outcome != "accepted" and _refused_rcpt(subject) and \
            refused_recipient(subject) is not None:  # accepted: no recipient was refused
        text += f"; no --to was given, so <{chosen[0]}> was tried: name a real one with --to"
    if len(attempts) > 1 and opts.all_mx:
        counts = {o: sum(a.outcome == o for a in attempts) for o in reversed(OUTCOMES)}
        rest = ", ".join(f"{n} {o}" for o, n in counts.items() if n)
        text = f"{text} [{len(attempts)} addresses walked: {rest}]"
    return text


def _this_machine(domain: str, attempts: list[Attempt]) -> str:
    """A public domain's walked MX address that is this machine (loopback, unspecified): what
    answered, or refused, was not the domain's server, and the summary must not read as its;
    nor must a walk of an MX target that is no host name, which senders refuse to use."""
    from ..core.addresses import not_a_host_name, special_use, this_machine

    odd = [a.host for a in attempts if not_a_host_name(a.host)]
    if odd:
        return f"; but senders refuse the MX target {odd[0]} as malformed: it is no host name"
    here = [a.address for a in attempts if a.address is not None and this_machine(a.address)]
    if not here or special_use(domain):
        return ""
    return f"; but {here[0]} is this machine: what answered was not a server of {domain}"


def _refused_rcpt(attempt: Attempt) -> bool:
    """Whether any recipient was refused: a cheap test before ``refused_recipient``'s."""
    return any(s.name == "rcpt" and s.reply is not None and not s.reply.positive
               for s in attempt.steps)


def refused_recipient(attempt: Attempt) -> Reply | None:
    """``core.findings.refused_recipient``, imported when a recipient was refused: a probe
    whose line has no annotations (``check``) never loads the findings or the catalogue."""
    from ..core.findings import refused_recipient as first_refusal

    return first_refusal(attempt)


def _one_summary(verdict: str, last: Attempt, opts: ProbeOptions) -> str:
    address = f"[{last.address}]" if last.address and ":" in last.address else last.address
    where = (f"{address}:{last.port}" if last.host == last.address else
             f"{last.host} ({address}:{last.port})" if last.address else last.host)
    point = f" (stopped after {opts.quit_after})" if opts.quit_after else (
        " (dry run: no DATA sent)" if opts.dry_run else "")
    if verdict == "accepted":
        for step in last.steps:  # a loop, not any() over a generator: every probe's summary
            if step.name == "starttls" and step.reply and not step.reply.positive:
                return (f"{where} accepted every step, but only in plaintext: STARTTLS was "
                        f"refused{point}")
            if step.name == "tls" and step.error is not None:  # walked again without TLS
                return (f"{where} accepted every step, but only in plaintext: the STARTTLS "
                        "handshake failed, and the walk went on without TLS as sending servers "
                        f"do{point}")
        return f"{where} answered every step positively{point}"
    if verdict == "partial":
        rcpts = [s for s in last.steps if s.name == "rcpt" and s.reply is not None]
        took = sum(1 for s in rcpts if s.reply is not None and s.reply.positive)
        what = "the recipients" if opts.dry_run or opts.quit_after else "the message"
        # one reply quoted for several refusals must not pass for the reason of them all
        said = {(s.reply.code, s.reply.text) for s in rcpts if s.reply and not s.reply.positive}
        ways = f" for {len(said)} different reasons, the last" if len(said) > 1 else ""
        return shorten(f"{where} accepted {what} for {took} of {len(rcpts)} recipients; the "
                       f"others were refused{ways}{_refusal(last)}{point}", 240)
    if verdict == "deferred":
        decided = _deciding(last)
        return shorten(f"{where} deferred{_refusal(last)}", 200) + (
            deferral_note(decided.name, decided.reply) if decided and decided.reply else
            " (temporary: a sending server would retry later)")
    if verdict == "refused":
        refusal = _refusal(last)
        return shorten(f"{where} refused{refusal}", 200) if refusal else \
            f"{where} refused the session"
    error = last.error
    return f"{where}: {error.step} failed: {error.message}" if error else f"{where}: failed"


def explain_attempts(attempts: list[Attempt], opts: ProbeOptions,
                     chosen: tuple[str, str] | None) -> list[Attempt]:
    """Every reply annotated and the findings added (``opts.explain``): what only the full
    report shows.  Judging never reads them, so ``check`` skips this for formats without
    room for them; ``chosen`` is the default recipient and why, when ``--to`` was not given."""
    from ..core.annotate import annotate_attempt
    from ..core.findings import with_findings

    return [with_findings(annotate_attempt(a), insecure=opts.insecure, recipient=chosen)
            for a in attempts]


_PLANS: dict[tuple[int, int, str | None], tuple[ProbeOptions, WalkOptions]] = {}


def _walk_options(opts: ProbeOptions, port: int, recipient: str | None) -> WalkOptions:
    """What each walk is asked to do, for these options, this port and (with no ``--to``)
    this default recipient: the same for every target of a fleet that shares them, so it is
    made once and kept (the options themselves are kept with it, so the key, their ``id``,
    stays theirs).  Raises ``UnicodeError`` for a name that has no A-label."""
    key = (id(opts), port, recipient)
    plan = _PLANS.get(key)
    if plan is not None and plan[0] is opts:
        return plan[1]
    helo = targets.a_label(opts.helo or default_helo())
    mail_from = targets.wire_address(opts.mail_from)
    rcpts = tuple(targets.wire_address(r) for r in opts.rcpt_to) if recipient is None else (
        recipient,)
    walk_opts = WalkOptions(
        helo=helo, mail_from=mail_from, rcpt_to=rcpts, auth_user=opts.auth_user,
        auth_password=opts.auth_password, tls=tls_mode_for(port, opts.tls),
        timeout=opts.timeout, data_timeout=opts.data_timeout, ca_file=opts.ca_file,
        insecure=opts.insecure, dry_run=opts.dry_run, quit_after=opts.quit_after,
        message=(_dry_run_message if opts.dry_run else test_message)(
            helo, mail_from, rcpts[0]), progress=opts.progress,
        smtputf8=any(targets.needs_smtputf8(a) for a in (mail_from, *rcpts)),
        sniff_tls=opts.tls == "auto" and tls_mode_for(port, "auto") != "implicit",
    )
    if not opts.dry_run:  # a message's Date and Message-ID are its own: made for each walk
        return walk_opts
    if len(_PLANS) >= 256:  # a caller making new options for every probe: keep the newest
        _PLANS.clear()
    _PLANS[key] = (opts, walk_opts)
    return walk_opts


def _with_mx_findings(resolution: Resolution, hosts: list[Candidate] | None = None
                      ) -> Resolution:
    """``resolution`` with what its MX set says, and each MX host looked up (``hosts``):
    addresses no sender can reach, an address family that failed (``core.findings``); for
    an implicit MX (no MX records), what its one host says."""
    if not resolution.mx and resolution.method != "implicit-mx":
        return resolution
    from ..core.findings import mx_findings, mx_host_findings

    found = mx_findings(resolution)
    for host in hosts or ():
        found += mx_host_findings(resolution.domain or "", host.host, host.addresses,
                                  host.failed)
    return replace(resolution, findings=found)


def _unusable(target: str, why: str, started_at: str) -> Report:
    error = UsageError(f"a name has no IDNA A-label ({why}), so it cannot be sent to a server",
                       step="ehlo")
    return Report(target=target, verdict="failed", summary=str(error), started_at=started_at,
                  error=ErrorInfo(error.kind, error.message, error.step))


def _finished(target_text: str, opts: ProbeOptions, started_at: str, started: float,
              verdict: str, summary: str, resolution: Resolution | None,
              attempts: list[Attempt], error: SmtpdiagError | None = None) -> Report:
    """The probe's ``Report`` (a function of its own, not a closure inside ``probe``: no
    cells and no function made for every probe)."""
    return Report(
        target=target_text, verdict=verdict, summary=summary, resolution=resolution,
        attempts=tuple(attempts), dry_run=opts.dry_run, started_at=started_at,
        error=ErrorInfo(error.kind, error.message, error.step) if error else None,
        elapsed_ms=(time.perf_counter() - started) * 1000,
    )


async def probe(target_text: str | Target, opts: ProbeOptions, *,
                until: float | None = None) -> Report:
    """Probe one target; every network or server failure ends up inside the report.

    ``target_text`` may be a ``Target`` parsed already (with the same ``port``/``no_mx``), so
    a fleet parses each target once; ``until`` (``time.monotonic()`` time) replaces the
    deadline the options give.
    """
    started_at = now_text()
    started, began = time.perf_counter(), time.monotonic()
    deadline = until if until is not None else (
        began + (opts.deadline or default_deadline(opts)))
    if isinstance(target_text, Target):
        target, target_text = target_text, target_text.text
    else:
        target = parse_target(target_text, port=opts.port, no_mx=opts.no_mx)
    port = target.port or DEFAULT_PORT
    try:  # IDN names go as A-labels (EHLO, an ASCII local part's domain); see core.targets
        chosen = None if opts.rcpt_to else targets.default_recipient(target)
        walk_opts = _walk_options(opts, port, None if chosen is None else chosen[0])
    except UnicodeError as exc:  # the CLI validated its input; an API caller may not have
        return _unusable(target_text, str(exc), started_at)

    if opts.progress is not None and not target.literal:
        opts.progress("dns", target.host)
    try:
        resolution, hosts = (_LITERAL, []) if target.literal else \
            await _candidates(target, opts, deadline)  # an IP literal is its own one address
    except SmtpdiagError as exc:
        return _finished(target_text, opts, started_at, started, "failed", f"{exc}", None, [],
                         exc)
    if resolution.method == "null-mx":
        return _finished(target_text, opts, started_at, started, "no-mail",
                         f"{target.host} publishes a null MX (RFC 7505): this domain accepts "
                         "no mail", _with_mx_findings(resolution), [])
    looked_up: list[Candidate] = []
    if target.literal:  # one address, one walk: what HostWalk would do, without its layer
        attempts, untried = [await walk(target.host, target.host, port, walk_opts, deadline)], 0
    else:
        walker = HostWalk(port, walk_opts, deadline, opts.all_mx)
        try:
            if isinstance(hosts, list):
                for host, addresses, why in hosts:
                    if not await walker.take(host, addresses, why):
                        break
            else:  # an MX queue: its hosts are looked up as they are walked
                looked_up = await walker.take_all(hosts)
                resolution = hosts.resolution(resolution, looked_up)
            attempts = await walker.attempts()
        finally:
            walker.close()
        untried = walker.untried
    resolution = _with_mx_findings(resolution, looked_up)
    if opts.explain:
        attempts = explain_attempts(attempts, opts, chosen)
    walked = [a for a in attempts if a.address is not None] or attempts[:1]
    verdict = worst_outcome(a.outcome for a in walked) if opts.all_mx else walked[-1].outcome
    summary = _summary(verdict, walked, opts, chosen)
    if resolution.findings and resolution.domain is not None:  # an MX address to say twice?
        summary += _this_machine(resolution.domain, walked)
    if untried:
        hosts_were = "MX host was" if untried == 1 else "MX hosts were"
        summary += (f"; {untried} more {hosts_were} not tried: the probe's time limit "
                    f"of {seconds(deadline - began)} s ran out")
    return _finished(target_text, opts, started_at, started, verdict, summary, resolution,
                     attempts)

