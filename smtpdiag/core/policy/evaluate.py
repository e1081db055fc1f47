"""Everything gathered for a domain → the areas of an ``AuditReport``, a verdict and a
summary.  Pure: the one function the I/O edge calls after fetching."""

from __future__ import annotations

import re
from dataclasses import replace

from ...catalogue.audit import software_names
from ...model import AuditArea, AuditReport
from ..addresses import special_use, this_machine
from .dane import dane_hits, tlsa_name
from .dmarc import dmarc_hits, dmarc_records, report_hits
from .dnsbl import dnsbl_hits
from .findings import area, overall
from .mtasts import sts_hits, tlsrpt_hits
from .mxset import mx_facts_lines, mx_hits
from .records import Gathered, Hit
from .spf import spf_hits
from .submission import submission_fact, submission_hits
from .transport import address_hits, consistency_hits

__all__ = ["evaluate", "summary_line"]

NOT_ASKED = "not checked in this run"


def _smtp_area(g: Gathered) -> AuditArea:
    if not g.addresses:
        return area("smtp", (), skipped="no MX address to probe")
    hits: list[Hit] = []
    facts: list[str] = []
    public = not special_use(g.domain)
    for facts_ in g.addresses:
        found = address_hits(facts_)
        if public and this_machine(facts_.address):  # its refusal is not the domain's
            note = (f" ({facts_.address} is this machine: what answered was not a server of "
                    f"{g.domain})")
            found = [replace(h, detail=h.detail + note) if h.id == "addr.unreachable" else h
                     for h in found]
        hits += found
        attempt = facts_.attempt
        ptr = ", ".join(facts_.ptr) or "no PTR"
        line = f"{facts_.host} ({facts_.address}): PTR {ptr}"
        if attempt is not None and attempt.tls is not None:
            line += f"; {attempt.tls.version} {attempt.tls.cipher}"
            left = attempt.tls.days_left
            if left is not None:
                line += f"; certificate {left} days left" if left >= 0 else \
                    f"; certificate EXPIRED {-left} days ago"
        elif attempt is not None and attempt.error is not None:
            line += f"; {attempt.error.step} failed"
        facts.append(line)
    hits += consistency_hits(list(g.addresses), software_names())
    return area("smtp", hits, facts)


def _sts_area(g: Gathered, mail: bool) -> AuditArea:
    if g.sts_txt is None or g.tlsrpt is None:
        return area("mta-sts", (), skipped=NOT_ASKED)
    hits, policy = sts_hits(g.domain, g.sts_txt, g.sts_policy, g.mx,
                            g.addresses if mail else ())
    facts = [f"_mta-sts.{g.domain} TXT: {r}" for r in g.sts_txt.records
             if r.lower().startswith("v=stsv1")]
    if policy is not None and not policy.problems:
        facts.append(f"policy: mode {policy.mode}, max_age {policy.max_age}, mx "
                     f"{', '.join(policy.mx) or '-'}")
    deployed = policy is not None and policy.mode in ("enforce", "testing")
    hits += tlsrpt_hits(g.domain, g.tlsrpt, deployed)
    facts += [f"_smtp._tls.{g.domain} TXT: {r}" for r in g.tlsrpt.records
              if r.startswith("v=TLSRPTv1")]
    return area("mta-sts", hits, facts)


def _areas(g: Gathered) -> list[AuditArea]:
    areas = [area("mx", mx_hits(g.mx), mx_facts_lines(g.mx))]
    if g.mx.status == "nxdomain":  # every other finding would only repeat this one
        why = f"{g.domain} does not exist"
        return [*areas, *(area(name, (), skipped=why) for name in
                          ("smtp", "mta-sts", "dane", "spf", "dmarc", "dnsbl", "submission"))]
    mail = g.mx.status in ("mx", "implicit")
    areas.append(_smtp_area(g) if mail else area(
        "smtp", (), skipped="the domain has no usable MX set"))
    areas.append(_sts_area(g, mail))
    areas.append(_dane_area(g) if mail else area(
        "dane", (), skipped="the domain has no usable MX set"))
    areas.append(_spf_area(g))
    areas.append(_dmarc_area(g))
    areas.append(_dnsbl_area(g))
    areas.append(_submission_area(g))
    return areas


def _submission_area(g: Gathered) -> AuditArea:
    if g.submission is None:
        return area("submission", (), skipped="off by default; --submission checks ports 587 "
                    "(STARTTLS) and 465 (implicit TLS)")
    facts = [submission_fact(s) for s in g.submission]
    hits = [hit for s in g.submission for hit in submission_hits(s)]
    return area("submission", hits, facts or ["no host to check"])


def _dane_area(g: Gathered) -> AuditArea:
    if g.tlsa is None:
        return area("dane", (), skipped=NOT_ASKED)
    facts = []
    for host, answer in g.tlsa:
        if answer.found:
            checked = "DNSSEC-validated" if answer.authenticated else "NOT validated (no AD bit)"
            facts += [f"{tlsa_name(host)} TLSA {r[:80]} ({checked})" for r in answer.records]
    # The TLSA name of an MX host is always _25._tcp: senders deliver on port 25 whatever
    # port was probed here (another only for test servers); say which chain was compared.
    other = sorted({f.attempt.port for f in g.addresses if f.attempt is not None} - {25})
    if facts and other:
        facts.append(f"TLSA is looked up at _25._tcp, the port senders deliver to (RFC 7672); "
                     f"the chains compared are those presented on port "
                     f"{', '.join(map(str, other))}")
    return area("dane", dane_hits(g.tlsa, g.addresses), facts)


def _spf_area(g: Gathered) -> AuditArea:
    if g.spf is None:
        return area("spf", (), skipped=NOT_ASKED)
    hits, record = spf_hits(g.domain, g.spf)
    return area("spf", hits, [f"{g.domain} TXT: {record}"] if record else [])


def _dmarc_area(g: Gathered) -> AuditArea:
    if not g.dmarc:
        return area("dmarc", (), skipped=NOT_ASKED)
    org = g.dmarc[1] if len(g.dmarc) > 1 else None
    hits, record = dmarc_hits(g.domain, g.dmarc[0], g.org_domain, org)
    if record is not None:
        policy_domain = g.domain if dmarc_records(g.dmarc[0]) else g.org_domain or g.domain
        hits += report_hits(policy_domain, g.dmarc_reports)
    facts = [f"organisational domain: {g.org_domain}"] if g.org_domain and \
        g.org_domain != g.domain else []
    return area("dmarc", hits, [*facts, *([f"DMARC: {record}"] if record else [])])


def _dnsbl_area(g: Gathered) -> AuditArea:
    if g.dnsbl is None:
        return area("dnsbl", (), skipped="off by default; --dnsbl checks each MX address")
    hosts = {a.address: f"{a.host} [{a.address}]" for a in g.addresses}
    hits = [hit for address, zone, answer, txt in g.dnsbl
            for hit in dnsbl_hits(address, zone, answer, txt, hosts.get(address, address))]
    zones = sorted({zone for _, zone, _, _ in g.dnsbl})
    addresses = sorted({address for address, _, _, _ in g.dnsbl})
    return area("dnsbl", hits, [f"{len(addresses)} address(es) against {', '.join(zones)}"]
                if zones else [])


def summary_line(domain: str, areas: list[AuditArea]) -> str:
    """The audit's one line: the domain (an IDN as U-labels and A-labels), then its counts."""
    from ..targets import shown_domain

    domain = shown_domain(domain)
    findings = [f for a in areas for f in a.findings]
    crit = sum(f.severity == "critical" for f in findings)
    warn = sum(f.severity == "warning" for f in findings)
    info = sum(f.severity == "info" for f in findings)
    notes = f", {info} note{'s' * (info != 1)}" if info else ""
    if not crit and not warn:
        return f"{domain}: every check passed{notes}"
    parts = [f"{crit} critical" if crit else "", f"{warn} warning{'s' * (warn != 1)}"
             if warn else ""]
    return f"{domain}: {', '.join(p for p in parts if p)}{notes}"


def _named(section: AuditArea, domain: str) -> AuditArea:
    """The catalogue says DOMAIN where the audited domain belongs: put it there."""
    def named(text: str) -> str:  # the word DOMAIN, not the tail of NXDOMAIN
        return re.sub(r"\bDOMAIN\b", lambda _: domain, text)

    found = tuple(replace(f, meaning=named(f.meaning), fix=named(f.fix))
                  for f in section.findings)
    return replace(section, findings=found)


def evaluate(g: Gathered, *, started_at: str = "", elapsed_ms: float = 0.0) -> AuditReport:
    areas = [_named(a, g.domain) for a in _areas(g)]
    attempts = tuple(a.attempt for a in g.addresses if a.attempt is not None)
    return AuditReport(domain=g.domain, verdict=overall(areas),
                       summary=summary_line(g.domain, areas), areas=tuple(areas),
                       attempts=attempts, started_at=started_at, elapsed_ms=elapsed_ms)
