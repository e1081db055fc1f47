"""``audit``'s I/O edge: ask every DNS question, probe every MX address with a dry-run walk
(never DATA), fetch the MTA-STS policy; then hand the facts to the pure evaluation.

Independent questions run concurrently; every failure is kept as a fact (an ``Answer`` with
status ``error``, an ``Attempt`` with an error) so the report can say what could not be
checked instead of stopping.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from typing import Any

from ..core.annotate import annotate_attempt
from ..core.policy.evaluate import evaluate
from ..core.policy.mxset import is_ip_literal
from ..core.policy.records import (
    AddressFacts,
    Answer,
    Gathered,
    HostFacts,
    HttpsPolicy,
    MxFacts,
    SubmissionFacts,
)
from ..model import AuditReport
from .lookups import PolicyResolver
from .session import WalkOptions, walk

__all__ = ["AuditOptions", "audit", "organisational_domain"]

SPF_QUESTIONS = 40
# Walks (and DANE's certificate reads) to one address at a time: MX names that share an
# address (a provider's, or a domain listing many names for one host) would otherwise open
# one connection each, all at once, and a server's per-client limit (Postfix
# smtpd_client_connection_count_limit, Exim smtp_accept_max_per_host) would refuse the
# rest: refusals the audit itself caused.
PER_ADDRESS = 5


@dataclass(frozen=True)
class AuditOptions:
    """How to reach the domain's servers; every value was validated by the CLI."""

    nameserver: tuple[str, int] | None = None
    timeout: float = 10.0
    ca_file: str | None = None
    port: int = 25
    https_port: int = 443
    helo: str = ""
    dnsbl: tuple[str, ...] = ()
    submission: tuple[int, ...] = ()  # STARTTLS submission ports (587)
    submissions: tuple[int, ...] = ()  # implicit-TLS submission ports (465, RFC 8314)
    extra: dict[str, str] = field(default_factory=dict)


async def _host(resolver: PolicyResolver, host: str, preference: int | None) -> HostFacts:
    if host == ".":
        return HostFacts(host, preference, status="null")
    if is_ip_literal(host):
        return HostFacts(host, preference, status="literal")
    a, aaaa = await asyncio.gather(resolver.ask(host, "A"), resolver.ask(host, "AAAA"))
    addresses = (*(a.records if a.status == "ok" else ()),
                 *(aaaa.records if aaaa.status == "ok" else ()))
    cname = a.cname or aaaa.cname
    if not addresses and a.status == aaaa.status == "nodata":
        # An authoritative server answers an alias's A question with the CNAME alone (or,
        # like some test servers, with nothing): find the alias and follow it once.
        if cname is None:
            alias = await resolver.ask(host, "CNAME")
            cname = alias.records[0] if alias.found else None
        if cname is not None and cname.lower() != host.lower():
            a, aaaa = await asyncio.gather(resolver.ask(cname, "A"),
                                           resolver.ask(cname, "AAAA"))
            addresses = (*(a.records if a.status == "ok" else ()),
                         *(aaaa.records if aaaa.status == "ok" else ()))
    if addresses:  # a family that failed beside them is a finding, not a failure
        families = tuple((x.rdtype, x.error or f"{x.rdtype} {x.name} failed"
                          if x.status == "error" else f"{x.rdtype} {x.name} answered NXDOMAIN")
                         for x in (a, aaaa) if x.status in ("error", "nxdomain"))
        return HostFacts(host, preference, addresses, cname, failed=families)
    if a.status == "nxdomain" or aaaa.status == "nxdomain":
        return HostFacts(host, preference, (), cname, "nxdomain")
    failed = next((x for x in (a, aaaa) if x.status == "error"), None)
    if failed is not None:
        return HostFacts(host, preference, (), cname, "error", failed.error)
    return HostFacts(host, preference, (), cname, "nodata")


def _mx_records(records: tuple[str, ...]) -> list[tuple[int, str]]:
    found = []
    for text in records:
        pref, _, host = text.partition(" ")
        found.append((int(pref), host or "."))
    return sorted(found, key=lambda item: (item[0], item[1].lower()))


async def gather_mx(resolver: PolicyResolver, domain: str) -> MxFacts:
    """The MX set as senders see it (RFC 5321 §5.1, RFC 7505), and whether the domain is an
    alias (CNAME): one whose MX records are its target's, or one beside its own MX records."""
    answer, alias = await asyncio.gather(resolver.ask(domain, "MX"),
                                         resolver.ask(domain, "CNAME"))
    facts = await _gather_mx(resolver, domain, answer)
    if answer.cname is not None:
        return replace(facts, cname=answer.cname)
    if alias.found and answer.status == "ok":  # answered directly, and an alias as well
        return replace(facts, cname=alias.records[0], beside=True)
    return facts


async def _gather_mx(resolver: PolicyResolver, domain: str, answer: Answer) -> MxFacts:
    if answer.status == "nxdomain":
        return MxFacts(domain, "nxdomain")
    if answer.status == "error":
        return MxFacts(domain, "error", error=answer.error)
    if answer.status == "nodata":
        own = await _host(resolver, domain, None)
        if own.addresses or own.status == "error":  # a failed lookup is not "no address"
            return MxFacts(domain, "implicit", (own,))
        return MxFacts(domain, "none")
    records = _mx_records(answer.records)
    if all(host == "." for _, host in records):  # MX 0 ., or written wrongly (a finding)
        return MxFacts(domain, "null", tuple(HostFacts(".", pref, status="null")
                                             for pref, _ in records))
    hosts = await asyncio.gather(*(_host(resolver, host, pref) for pref, host in records))
    return MxFacts(domain, "mx", tuple(hosts))


async def _reverse(resolver: PolicyResolver, address: str
                   ) -> tuple[str, tuple[str, ...], tuple[str, ...], str | None]:
    """(status, PTR names, the names among them that resolve back to ``address``, why the
    lookup failed)."""
    answer = await resolver.reverse(address)
    if answer.status != "ok":
        return answer.status, (), (), answer.error if answer.status == "error" else None
    rdtype = "AAAA" if ":" in address else "A"
    forward = await asyncio.gather(*(resolver.ask(name, rdtype) for name in answer.records))
    import ipaddress

    wanted = ipaddress.ip_address(address)
    confirmed = []
    for name, result in zip(answer.records, forward, strict=True):
        for text in result.records:
            try:
                if ipaddress.ip_address(text) == wanted:
                    confirmed.append(name)
                    break
            except ValueError:
                continue
    return "ok", answer.records, tuple(confirmed), None


async def _address(resolver: PolicyResolver, host: str, address: str, domain: str,
                   opts: AuditOptions) -> AddressFacts:
    from .probe import default_helo

    walk_opts = WalkOptions(
        helo=opts.helo or default_helo(), rcpt_to=(f"postmaster@{domain}",),
        tls="starttls", timeout=opts.timeout, ca_file=opts.ca_file, insecure=True,
        dry_run=True, plaintext_retry=False)
    (status, ptr, confirmed, why), attempt = await asyncio.gather(
        _reverse(resolver, address),
        walk(host, address, opts.port, walk_opts, time.monotonic() + opts.timeout * 4))
    return AddressFacts(host, address, ptr, status, confirmed, annotate_attempt(attempt),
                        ptr_error=why)


async def _sts(resolver: PolicyResolver, domain: str, opts: AuditOptions
               ) -> tuple[Answer, HttpsPolicy | None, Answer]:
    """The _mta-sts TXT, the policy when the TXT announces one, and the TLS-RPT TXT."""
    from ..core.policy.mtasts import txt_id
    from .policy_fetch import fetch_policy

    txt, rpt = await asyncio.gather(resolver.ask(f"_mta-sts.{domain}", "TXT"),
                                    resolver.ask(f"_smtp._tls.{domain}", "TXT"))
    announced = [r for r in txt.records if r.lower().startswith("v=stsv1")]
    policy = None
    if len(announced) == 1 and txt_id(announced[0]) is not None:
        policy = await fetch_policy(resolver, domain, port=opts.https_port,
                                    timeout=opts.timeout, ca_file=opts.ca_file)
    return txt, policy, rpt


async def _spf(resolver: PolicyResolver, domain: str) -> tuple[Answer, ...]:
    """Every answer SPF evaluation needs, asked breadth-first through includes and redirects;
    at most ``SPF_QUESTIONS`` questions, so a record that loops or sprawls stays bounded."""
    from ..core.policy.spf import next_questions, spf_records

    answers: dict[tuple[str, str], Answer] = {}
    wanted = [(domain, "TXT")]
    while wanted and len(answers) < SPF_QUESTIONS:
        batch = wanted[:SPF_QUESTIONS - len(answers)]
        wanted = []
        results = await asyncio.gather(*(resolver.ask(n, t) for n, t in batch))
        for (name, rdtype), answer in zip(batch, results, strict=True):
            answers[name, rdtype] = answer
            if rdtype != "TXT":
                continue
            for record in spf_records(answer.records)[:1]:
                for question in next_questions(name, record):
                    if question not in answers and question not in wanted:
                        wanted.append(question)
    return tuple(answers.values())


async def _dmarc(resolver: PolicyResolver, domain: str) -> tuple[tuple[Answer, ...], str | None]:
    """The domain's _dmarc TXT and, when it has none, its organisational domain's."""
    own = await resolver.ask(f"_dmarc.{domain}", "TXT")
    if own.records or own.status == "error":
        return (own,), None  # the list is read (~0.1-0.2 s) only when it is needed
    org = organisational_domain(domain)
    if org is None or org == domain:
        return (own,), org
    return (own, await resolver.ask(f"_dmarc.{org}", "TXT")), org


async def _dmarc_reports(resolver: PolicyResolver, domain: str, answers: tuple[Answer, ...],
                         org: str | None) -> tuple[tuple[str, Answer], ...]:
    """For the DMARC record that applies, the authorization TXT of each ``rua`` destination
    outside its organisational domain (RFC 7489 §7.1)."""
    from ..core.policy.dmarc import authorization_name, dmarc_records, report_destinations

    own = dmarc_records(answers[0])
    inherited = dmarc_records(answers[1]) if len(answers) > 1 else []
    records, policy_domain = (own, domain) if own else (inherited, org or domain)
    if len(records) != 1:
        return ()
    home = organisational_domain(policy_domain) or policy_domain
    external = [d for d in report_destinations(records[0])
                if (organisational_domain(d) or d) != home][:10]
    found = await asyncio.gather(*(resolver.ask(authorization_name(policy_domain, d), "TXT")
                                   for d in external))
    return tuple(zip(external, found, strict=True))


@cache
def _suffixes() -> Any:
    """The public suffix list, read once per process (about 0.1-0.2 s)."""
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def organisational_domain(domain: str) -> str | None:
    """RFC 7489 §3.2 with the public suffix list shipped in ``publicsuffixlist``."""
    found = _suffixes().privatesuffix(domain)
    return str(found) if found else None


async def _dnsbl(resolver: PolicyResolver, addresses: list[tuple[str, str]],
                 zones: tuple[str, ...]) -> tuple[tuple[str, str, Answer, Answer | None], ...]:
    from ..core.policy.dnsbl import dnsbl_name

    async def one(address: str, zone: str) -> tuple[str, str, Answer, Answer | None]:
        name = dnsbl_name(address, zone)
        answer = await resolver.ask(name, "A")
        txt = await resolver.ask(name, "TXT") if answer.status == "ok" else None
        return address, zone, answer, txt

    unique = list(dict.fromkeys(a for _, a in addresses))
    return tuple(await asyncio.gather(*(one(a, z) for a in unique for z in zones)))


async def gather(domain: str, opts: AuditOptions) -> Gathered:
    resolver = PolicyResolver(opts.nameserver, opts.timeout)
    side = asyncio.gather(_sts(resolver, domain, opts), _spf(resolver, domain),
                          _dmarc(resolver, domain))
    try:
        mx = await gather_mx(resolver, domain)
        pairs = list(dict.fromkeys((h.host, a) for h in mx.hosts for a in h.addresses))
        slots = {a: asyncio.Semaphore(PER_ADDRESS) for _, a in pairs}

        async def bounded(host: str, address: str) -> AddressFacts:
            async with slots[address]:
                return await _address(resolver, host, address, domain, opts)

        addresses = await asyncio.gather(*(bounded(host, address) for host, address in pairs))
        tlsa, addresses = await _dane(resolver, mx, addresses, opts)
        submission = await _submission(resolver, domain, mx, opts) if (
            opts.submission or opts.submissions) else None
        dnsbl = await _dnsbl(resolver, pairs, opts.dnsbl) if opts.dnsbl else None
        (sts_txt, sts_policy, tlsrpt), spf, (dmarc, org) = await side
    finally:
        # Cancelled (the run's deadline) or failed before ``side`` was awaited: its questions
        # would run on unowned, and Python would print their cancellation at exit.
        if not side.done():
            side.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await side
    reports = await _dmarc_reports(resolver, domain, dmarc, org)
    return Gathered(domain, mx, tuple(addresses), sts_txt=sts_txt, sts_policy=sts_policy,
                    tlsrpt=tlsrpt, tlsa=tlsa, spf=spf, dmarc=dmarc, org_domain=org,
                    dmarc_reports=reports,
                    dnsbl=dnsbl, submission=submission)


async def _submission(resolver: PolicyResolver, domain: str, mx: MxFacts, opts: AuditOptions
                      ) -> tuple[SubmissionFacts, ...]:
    """On each submission port asked for, the hosts its SRV records name (RFC 6186
    ``_submission._tcp`` for STARTTLS, RFC 8314 ``_submissions._tcp`` for implicit TLS), else
    the MX hosts."""
    from .probe import default_helo
    from .submission import check_submission

    async def hosts(service: str) -> list[HostFacts]:
        srv = await resolver.ask(f"_{service}._tcp.{domain}", "SRV")
        names = [r.split()[-1] for r in srv.records if r.split()[-1] not in (".", "")]
        return [await _host(resolver, name, None) for name in dict.fromkeys(names)] or \
            list(mx.hosts)

    helo = opts.helo or default_helo()
    jobs = []
    for service, ports, implicit in (("submission", opts.submission, False),
                                     ("submissions", opts.submissions, True)):
        if ports:
            jobs += [(h.host, a, port, implicit) for h in await hosts(service)
                     for a in h.addresses for port in ports]
    return tuple(await asyncio.gather(*(
        check_submission(host, address, port, helo=helo, ca_file=opts.ca_file,
                         timeout=opts.timeout, implicit=implicit)
        for host, address, port, implicit in jobs)))


async def _dane(resolver: PolicyResolver, mx: MxFacts, addresses: list[AddressFacts],
                opts: AuditOptions) -> tuple[tuple[tuple[str, Answer], ...], list[AddressFacts]]:
    """TLSA of every MX host; for hosts that have some, the chain each address presents."""
    from dataclasses import replace

    from ..core.policy.dane import tlsa_name
    from .probe import default_helo
    from .tls_chain import presented_chain

    hosts = list(dict.fromkeys(h.host for h in mx.hosts if h.addresses))
    aliases = {h.host: h.cname for h in mx.hosts if h.addresses and h.cname}

    async def tlsa_of(host: str) -> Answer:
        """RFC 7672 §2.2.2: an alias's TLSA records at its target first, then at its name."""
        target = aliases.get(host)
        if target is not None:
            answer = await resolver.ask(tlsa_name(target), "TLSA")
            if answer.found or answer.status == "error":
                return answer
        return await resolver.ask(tlsa_name(host), "TLSA")

    answers = await asyncio.gather(*(tlsa_of(h) for h in hosts))
    tlsa = tuple(zip(hosts, answers, strict=True))
    wanted = {h for h, a in tlsa if a.found}
    helo = opts.helo or default_helo()

    slots = {f.address: asyncio.Semaphore(PER_ADDRESS) for f in addresses}

    async def chain(facts: AddressFacts) -> AddressFacts:
        if facts.host not in wanted:
            return facts
        async with slots[facts.address]:  # as the walks: a few connections per address
            found, why = await presented_chain(facts.host, facts.address, opts.port, helo,
                                               opts.timeout)
        error = None if why is None else f"the second connection, to read the certificate, {why}"
        return replace(facts, chain=found, chain_error=error)

    return tlsa, list(await asyncio.gather(*(chain(f) for f in addresses)))


async def audit(domain: str, opts: AuditOptions) -> AuditReport:
    """The whole audit of one domain; never raises for anything DNS or a server does."""
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.perf_counter()
    gathered = await gather(domain, opts)
    return evaluate(gathered, started_at=started_at,
                    elapsed_ms=(time.perf_counter() - started) * 1000)
