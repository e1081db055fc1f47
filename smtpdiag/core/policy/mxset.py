"""The MX set of a domain: null MX, CNAME and IP-literal targets, hosts without addresses, a
single host, IPv6 coverage and equal preferences (RFC 5321 §5.1, RFC 2181 §10.3, RFC 7505)."""

from __future__ import annotations

from ..addresses import (
    SPECIAL_USE,
    is_ip_literal,
    listed_twice,
    not_a_host_name,
    repeated_suffix,
    reverse_name,
    special_use,
    unroutable,
)
from ..text import listed
from .records import Hit, HostFacts, MxFacts, bounded

__all__ = ["SPECIAL_USE", "host_hits", "is_ip_literal", "mx_facts_lines", "mx_hits", "special_use",
           "unroutable"]

def _equal_groups(hosts: tuple[HostFacts, ...]) -> list[tuple[int, list[str]]]:
    groups: dict[int, list[str]] = {}
    for host in hosts:
        if host.preference is not None:
            groups.setdefault(host.preference, []).append(host.host)
    return [(pref, names) for pref, names in sorted(groups.items()) if len(names) > 1]


def host_hits(host: HostFacts, *, last: bool = False) -> list[Hit]:
    """What is wrong with one MX target name.  A name that does not resolve is critical when
    ``last`` (no MX host has an address: the domain cannot receive mail), else a warning
    (senders go on to a host that resolves)."""
    if host.status == "null":
        return [Hit("mx.null-mixed", host.host, "'.' (the null MX) is listed beside other MX "
                    "records")]
    if host.status == "literal" or is_ip_literal(host.host):
        return [Hit("mx.ip-literal", host.host, f"MX {host.preference} {host.host}")]
    if not_a_host_name(host.host):  # refused as malformed, whatever it resolves to
        return [Hit("mx.not-hostname", host.host, f"MX {host.preference} {host.host}: it "
                    "holds characters no host name has")]
    if (address := reverse_name(host.host)) is not None and not host.addresses:
        return [Hit("mx.reverse-name", host.host, f"MX {host.preference} {host.host}: the "
                    f"reverse-DNS name of {address}")]
    hits: list[Hit] = []
    if host.cname:
        hits.append(Hit("mx.cname", host.host, f"{host.host} is an alias (CNAME) of "
                        f"{host.cname}"))
    severity, why = ("critical", "; no MX host has an address") if last else ("warning", "")
    if host.status == "nxdomain":
        alias = f" is an alias (CNAME) of {host.cname}, which" if host.cname else ""
        hits.append(Hit("mx.host-nxdomain", host.host,
                        f"{host.host}{alias} does not exist (NXDOMAIN){why}", severity))
    elif host.status == "error":
        hits.append(Hit("mx.host-lookup-failed", host.host,
                        f"{host.error or 'lookup failed'}{why}", severity))
    elif not host.addresses:
        hits.append(Hit("mx.no-address", host.host, f"{host.host} has no A or AAAA record{why}",
                        severity))
    for rdtype, error in host.failed:  # the other family answered: these are walked
        other = "AAAA" if rdtype == "A" else "A"
        hits.append(Hit("mx.family-lookup-failed", host.host,
                        f"{error}; only its {other} addresses are known"))
    return hits


def _resolves(host: HostFacts) -> bool:
    """Whether senders find an address for this MX host (an IP literal is no host name)."""
    return bool(host.addresses) and host.status not in ("literal", "null") and \
        not is_ip_literal(host.host) and not not_a_host_name(host.host)


def _null_written_wrongly(mx: MxFacts) -> list[Hit]:
    """A null MX of several records all pointing at '.', or of another preference than 0:
    RFC 7505 §3 writes it as one record, MX 0 ."""
    prefs = [h.preference for h in mx.hosts if h.status == "null"]
    if len(prefs) > 1:
        return [Hit("mx.null-malformed", mx.domain, "several MX records point at '.' "
                    f"(preferences {listed(list(map(str, prefs)))})")]
    if prefs and prefs[0] != 0:
        return [Hit("mx.null-malformed", mx.domain, f"the null MX has preference {prefs[0]}")]
    return []


def mx_hits(mx: MxFacts) -> list[Hit]:
    """Every finding about the MX set as a whole and each of its names."""
    if mx.status == "nxdomain":
        return [Hit("mx.nxdomain", mx.domain, f"{mx.domain} does not exist (NXDOMAIN)")]
    if mx.status == "error":
        return [Hit("mx.lookup-failed", mx.domain, mx.error or "the MX lookup failed")]
    if mx.status == "null":
        return [Hit("mx.null", mx.domain, f"{mx.domain} publishes MX 0 . (RFC 7505)"),
                *_null_written_wrongly(mx)]
    if mx.status == "none":
        return [Hit("mx.none", mx.domain, f"{mx.domain} has no MX, A or AAAA records")]
    hits: list[Hit] = []
    if mx.beside:
        hits.append(Hit("mx.cname-beside", mx.domain, f"{mx.domain} is an alias (CNAME) of "
                        f"{mx.cname} and has MX records of its own"))
    elif mx.cname is not None:
        hits.append(Hit("mx.domain-alias", mx.domain, f"{mx.domain} is an alias (CNAME) of "
                        f"{mx.cname}: its MX records are {mx.cname}'s"))
    if mx.status == "implicit":
        hits.append(Hit("mx.implicit", mx.domain, f"{mx.domain} has no MX records; senders "
                        "fall back to its own address"))
    last = not any(_resolves(h) for h in mx.hosts)
    for host in mx.hosts:
        hits += host_hits(host, last=last)
        if (again := repeated_suffix(host.host)) is not None:
            hits.append(Hit("mx.origin-appended", host.host, f"{again[1]} is repeated: the zone "
                            f"file probably lacks the final dot after {again[0]}"))
    if not special_use(mx.domain):
        hits += [Hit("mx.unroutable", host.host, f"{host.host} resolves to {address}, {why}")
                 for host in mx.hosts for address in host.addresses
                 if (why := unroutable(address)) is not None]
    hits += [Hit("mx.duplicate", name, f"listed {len(prefs)} times (preferences "
                 f"{listed(list(map(str, prefs)))}): only its best preference counts")
             for name, prefs in listed_twice((h.host, h.preference) for h in mx.hosts
                                             if h.status != "null")]
    usable = [h for h in mx.hosts if h.addresses and h.status == "ok"]
    if mx.status == "mx" and len({h.host.lower() for h in mx.hosts}) == 1 and usable:
        hits.append(Hit("mx.single", mx.domain, f"the only MX host is {mx.hosts[0].host}"))
    if usable and not any(":" in a for h in usable for a in h.addresses):
        hits.append(Hit("mx.no-ipv6", mx.domain, "no MX host has an AAAA (IPv6) address"))
    for pref, names in _equal_groups(mx.hosts):
        hits.append(Hit("mx.equal-preference", mx.domain,
                        f"preference {pref}: {listed(names)} (senders pick among them at "
                        "random)"))
    return bounded(hits)


def mx_facts_lines(mx: MxFacts) -> list[str]:
    """The MX set as seen, one line per host, for the report."""
    lines = []
    for host in mx.hosts:
        pref = "" if host.preference is None else f"{host.preference} "
        where = ", ".join(host.addresses) if host.addresses else (host.error or host.status)
        alias = f" (alias of {host.cname})" if host.cname else ""
        lines.append(f"MX {pref}{host.host}{alias} → {where}")
    return lines
