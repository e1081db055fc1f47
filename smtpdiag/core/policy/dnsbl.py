"""Block lists (DNSBL): what a list's answer for an MX address means.  A ``127.0.0.x`` answer
is a listing; ``127.255.255.x`` is the list refusing the query (Spamhaus answers so to public
and unregistered resolvers), never a listing; an answer outside 127/8 is a resolver rewriting
NXDOMAIN, so the lookup tells nothing."""

from __future__ import annotations

import ipaddress

from .records import Answer, Hit

__all__ = ["dnsbl_hits", "dnsbl_name"]


def dnsbl_name(address: str, zone: str) -> str:
    """The name to ask: the address's labels reversed (nibbles for IPv6), then the zone."""
    pointer = ipaddress.ip_address(address).reverse_pointer
    stem = pointer.rsplit(".", 2)[0]  # drop in-addr.arpa / ip6.arpa
    return f"{stem}.{zone.strip('.')}"


def dnsbl_hits(address: str, zone: str, answer: Answer, txt: Answer | None,
               subject: str) -> list[Hit]:
    if answer.status in ("nxdomain", "nodata"):
        return []
    if answer.status == "error":
        return [Hit("dnsbl.error", subject, f"{zone}: {answer.error}")]
    codes = list(answer.records)
    refused = [c for c in codes if c.startswith("127.255.255.")]
    if refused:
        return [Hit("dnsbl.refused", subject, f"{zone} answered {', '.join(refused)}: the "
                    "query was refused, the address was not checked")]
    outside = [c for c in codes if not c.startswith("127.")]
    if outside:
        return [Hit("dnsbl.error", subject, f"{zone} answered {', '.join(outside)}, outside "
                    "127.0.0.0/8: the resolver rewrites NXDOMAIN, so nothing is known")]
    reason = " ".join(txt.records)[:200] if txt is not None and txt.records else ""
    return [Hit("dnsbl.listed", subject, f"{address} is listed in {zone} ({', '.join(codes)})"
                + (f": {reason}" if reason else ""))]
