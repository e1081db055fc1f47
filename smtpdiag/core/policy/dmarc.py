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
    if "p" not in tags and report_destinations(record):  # RFC 7489 §6.6.3
        return [Hit("dmarc.invalid", subject, "p= is missing; with a valid rua receivers act "
                    f"as if p=none: {record[:200]}", "warning")]
    if policy not in POLICIES:
        shown = quoted(tags["p"], 80) if "p" in tags else "missing"
        return [Hit("dmarc.invalid", subject, f"p= is {shown}, not none, quarantine or "
                    f"reject: {record[:200]}")]
    applied = tags.get("sp", policy).lower() if inherited else policy
    if inherited and applied not in POLICIES:
        applied = policy  # an sp= receivers cannot read: p= applies (named below)
    hits: list[Hit] = []
    problems = _tag_problems(tags)
    if problems:
        hits.append(Hit("dmarc.tags", subject, "; ".join(problems)[:400]))
    if applied == "none":
        hits.append(Hit("dmarc.p-none", subject, f"{'sp' if inherited and 'sp' in tags else 'p'}"
                        f"=none: {record[:200]}"))
    if not tags.get("rua"):
        hits.append(Hit("dmarc.no-rua", subject, record[:200]))
    pct = tags.get("pct", "100")
    if pct.isascii() and pct.isdigit() and int(pct) < 100:
        hits.append(Hit("dmarc.pct", subject, f"pct={pct}"))
    return hits


_FLAGS = {"adkim": ("r", "s"), "aspf": ("r", "s"), "sp": POLICIES}
_DEFAULTS = {"adkim": "relaxed (r)", "aspf": "relaxed (r)", "sp": "p= for subdomains",
             "pct": "100", "fo": "0", "rf": "afrf", "ri": "86400"}
_KNOWN = {"v", "p", "rua", "ruf", *_DEFAULTS}


def _tag_problems(tags: dict[str, str]) -> list[str]:
    """Each tag whose value RFC 7489 §6.3 does not define (receivers use the default
    instead) and each unknown tag (receivers ignore it: often a misspelling)."""
    found = []
    for tag, value in tags.items():
        low = value.lower()
        if tag not in _KNOWN:
            found.append(f"{tag}= is not a DMARC tag (ignored)")
            continue
        bad = (low not in _FLAGS[tag] if tag in _FLAGS else
               not (low.isascii() and low.isdigit() and int(low) <= 100) if tag == "pct" else
               not all(f.strip() in ("0", "1", "d", "s") for f in low.split(":"))
               if tag == "fo" else
               any(f.strip() != "afrf" for f in low.split(":")) if tag == "rf" else
               not (low.isascii() and low.isdigit() and int(low) < 2 ** 32) if tag == "ri"
               else False)
        if bad:
            found.append(f"{tag}={value[:40]} is not a valid value (receivers use "
                         f"{_DEFAULTS[tag]})")
    for tag in ("rua", "ruf"):
        uris = [u.strip() for u in tags.get(tag, "").split(",") if u.strip()]
        wrong = [u for u in uris if not (u[:7].lower() == "mailto:" and "@" in u)]
        if wrong:
            found.append(f"{tag}={wrong[0][:60]} is not a mailto: address (no reports go "
                         "there)")
    return found


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
