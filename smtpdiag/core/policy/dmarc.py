"""DMARC (RFC 7489) of the domain: one ``v=DMARC1`` record with a valid ``p=``; reports
(``rua``); and, when the domain has none, the organisational domain's record (its ``sp=``, else
its ``p=``) — the organisational domain is found with the public suffix list at the I/O edge.
"""

from __future__ import annotations

from ...errors import quoted
from .records import Answer, Hit

__all__ = ["authorization_name", "dmarc_hits", "dmarc_records", "dmarc_tags",
           "report_destinations", "report_hits"]

POLICIES = ("none", "quarantine", "reject")


def dmarc_records(answer: Answer | None) -> list[str]:
    if answer is None:
        return []
    # Also a record with v=DMARC1 out of place: receivers ignore it, the admin meant one.
    return [r for r in answer.records if "v=dmarc1" in r.replace(" ", "").lower()]


def dmarc_tags(record: str) -> dict[str, str]:
    """``tag=value`` pairs; the first of a repeated tag wins."""
    tags: dict[str, str] = {}
    for part in record.split(";"):
        key, sep, value = part.partition("=")
        if sep:
            tags.setdefault(key.strip().lower(), value.strip())
    return tags


def _judge(subject: str, record: str, inherited: bool) -> list[Hit]:
    tags = dmarc_tags(record)
    first = record.split(";", 1)[0].replace(" ", "")
    if first != "v=DMARC1":
        return [Hit("dmarc.invalid", subject, f"v= must come first and be DMARC1: "
                    f"{record[:200]}")]
    policy = tags.get("p", "").lower()
    if policy not in POLICIES:
        shown = quoted(tags.get("p", "missing"), 80)
        return [Hit("dmarc.invalid", subject, f"p= is {shown}, not none, "
                    f"quarantine or reject: {record[:200]}")]
    applied = tags.get("sp", policy).lower() if inherited else policy
    hits: list[Hit] = []
    if applied == "none":
        hits.append(Hit("dmarc.p-none", subject, f"{'sp' if inherited and 'sp' in tags else 'p'}"
                        f"=none: {record[:200]}"))
    if not tags.get("rua"):
        hits.append(Hit("dmarc.no-rua", subject, record[:200]))
    pct = tags.get("pct", "100")
    if pct.isascii() and pct.isdigit() and int(pct) < 100:
        hits.append(Hit("dmarc.pct", subject, f"pct={pct}"))
    return hits


def dmarc_hits(domain: str, own: Answer, org_domain: str | None, org: Answer | None
               ) -> tuple[list[Hit], str | None]:
    """Every DMARC finding and the record that applies (None when none does)."""
    records = dmarc_records(own)
    where = f"_dmarc.{domain}"
    if own.status == "error":  # not "no record": whether one applies is unknown (RFC 7489 §6.6.3)
        return [Hit("dmarc.lookup-failed", where, own.error or "the TXT lookup failed")], None
    if len(records) > 1:
        return [Hit("dmarc.multiple", where, " | ".join(records)[:300])], None
    if records:
        return _judge(where, records[0], False), records[0]
    inherited = dmarc_records(org) if org_domain and org_domain != domain else []
    if len(inherited) == 1:
        subject = f"_dmarc.{org_domain}"
        return [Hit("dmarc.inherited", domain, f"{where} has no record; {subject} applies"),
                *_judge(subject, inherited[0], True)], inherited[0]
    if len(inherited) > 1:
        return [Hit("dmarc.multiple", f"_dmarc.{org_domain}", " | ".join(inherited)[:300])], None
    if org is not None and org.status == "error" and org_domain and org_domain != domain:
        return [Hit("dmarc.lookup-failed", f"_dmarc.{org_domain}",
                    org.error or "the TXT lookup failed")], None
    detail = f"no v=DMARC1 TXT record at {where}" + (
        f" nor at _dmarc.{org_domain}" if org_domain and org_domain != domain else "")
    return [Hit("dmarc.none", domain, detail)], None


def report_destinations(record: str) -> list[str]:
    """The domains the ``rua`` mailto: URIs send aggregate reports to, in order, once each
    (RFC 7489 §6.2: comma-separated URIs, each possibly ending in ``!size``)."""
    found: list[str] = []
    for uri in dmarc_tags(record).get("rua", "").split(","):
        uri = uri.strip()
        if uri[:7].lower() == "mailto:" and "@" in uri:
            host = uri[7:].split("!", 1)[0].rsplit("@", 1)[1].strip().rstrip(".").lower()
            if host and host not in found:
                found.append(host)
    return found


def authorization_name(policy_domain: str, destination: str) -> str:
    """Where ``destination`` agrees to receive ``policy_domain``'s reports (RFC 7489 §7.1)."""
    return f"{policy_domain}._report._dmarc.{destination}"


def report_hits(policy_domain: str, answers: tuple[tuple[str, Answer], ...]) -> list[Hit]:
    """Each report destination outside the policy's organisational domain that has not agreed
    to receive its reports: receivers check, and send that destination none.  ``answers`` are
    the authorization TXT answers of the external destinations only (the I/O edge knows the
    public suffix list); a lookup that failed is not judged."""
    hits = []
    for destination, answer in answers:
        if answer.status == "error":
            continue
        name = authorization_name(policy_domain, destination)
        if not any(r.replace(" ", "").lower().startswith("v=dmarc1") for r in answer.records):
            hits.append(Hit("dmarc.rua-unauthorized", name, f"no v=DMARC1 TXT record at {name}: "
                            f"{destination} has not agreed to receive reports for "
                            f"{policy_domain}, so receivers send it none"))
    return hits
