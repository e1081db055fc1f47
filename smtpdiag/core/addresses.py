"""Addresses and names no sender on the Internet can reach: special-use names, IP literals
written as MX hosts, private and loopback addresses.  Apart from ``policy/`` (its records cost
start-up) because a plain probe's findings read them too; ``ipaddress`` is imported on first use."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "SPECIAL_USE",
    "is_ip_literal",
    "listed_twice",
    "not_a_host_name",
    "repeated_suffix",
    "reverse_name",
    "special_use",
    "this_machine",
    "unroutable",
]

# Names that can never be on the Internet (RFC 6761 §6, RFC 6762 .local, RFC 8375 home.arpa,
# RFC 9476 .alt, ICANN's .internal): a private MX address is no fault there.
SPECIAL_USE = ("test", "example", "invalid", "localhost", "local", "internal", "alt", "home.arpa",
               "example.com", "example.net", "example.org")  # the last three: RFC 2606 §3


def special_use(domain: str) -> bool:
    """Whether ``domain`` is under a special-use name no sender on the Internet resolves."""
    name = domain.rstrip(".").lower()
    return any(name == suffix or name.endswith("." + suffix) for suffix in SPECIAL_USE)


def is_ip_literal(name: str) -> bool:
    """An MX "host" written as an address (``192.0.2.1.``): RFC 5321 §5.1 forbids it."""
    import ipaddress

    text = name.rstrip(".").strip("[]")
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def unroutable(address: str) -> str | None:
    """Why no sender on the Internet can deliver to ``address``, or None when one can."""
    import ipaddress

    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:  # an AAAA record written ::ffff:192.0.2.1
        inner = unroutable(str(mapped))
        return (f"an IPv4-mapped IPv6 address (of {mapped}: an A record's address written as "
                "AAAA); " + (f"{mapped} is {inner}" if inner else
                             "many senders refuse to connect to it"))
    if ip.is_unspecified:
        return "the unspecified address: a sender connects to itself, or nowhere"
    if ip.is_loopback:
        return "a loopback address: a sender connects to itself"
    if ip.is_multicast:  # global multicast (ff0e::/16) counts as global
        return "a multicast address: no sender can open a connection to it"
    if ip.is_link_local:
        return "a link-local address: only a sender on the same network segment reaches it"
    if not ip.is_global:
        return "a private or reserved address: senders on the Internet cannot reach it"
    return None


def reverse_name(name: str) -> str | None:
    """The address whose reverse-DNS (PTR) name ``name`` is (``1.2.0.192.in-addr.arpa`` →
    ``192.0.2.1``, or an ``ip6.arpa`` name of 32 nibbles), else None: such a name written as an
    MX target has a PTR record, never an address."""
    import ipaddress

    labels = name.rstrip(".").lower().split(".")
    try:
        if labels[-2:] == ["in-addr", "arpa"] and len(labels) == 6:
            return str(ipaddress.IPv4Address(".".join(reversed(labels[:4]))))
        if labels[-2:] == ["ip6", "arpa"] and len(labels) == 34:
            nibbles = "".join(reversed(labels[:32]))
            return str(ipaddress.IPv6Address(int(nibbles, 16)))
    except ValueError:
        return None
    return None


def this_machine(address: str) -> bool:
    """Whether a connection to ``address`` reaches the machine that makes it (loopback, the
    unspecified address, either IPv4-mapped): whatever answers there is not the domain's."""
    import ipaddress

    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    ip = getattr(ip, "ipv4_mapped", None) or ip
    return ip.is_loopback or ip.is_unspecified


def not_a_host_name(name: str) -> bool:
    """Whether ``name`` holds a character no host name has: anything but letters, digits,
    hyphens, underscores and the dots between labels, such as a control, a space, a dot or a
    backslash inside a label (a name from an answer shows them as ``\\xNN``, net/dnswords.py),
    ``*`` or ``@``.  Senders refuse such an MX target as malformed (Postfix: "malformed domain
    name in resource data of MX record"), whatever its addresses."""
    if not name.isascii():
        return True
    return not name.replace(".", "").replace("-", "").replace("_", "").isalnum()


def repeated_suffix(name: str) -> tuple[str, str] | None:
    """(the name meant, the repeated part) when ``name`` ends in the same two or more labels
    twice (``mail.example.com.example.com``): a zone file's name written without its final
    dot, to which the zone's origin was appended."""
    labels = name.rstrip(".").lower().split(".")
    for size in range(len(labels) // 2, 1, -1):
        if labels[-size:] == labels[-2 * size:-size]:
            return ".".join(labels[:-size]), ".".join(labels[-size:])
    return None


def listed_twice(records: Iterable[tuple[str, int | None]]) -> list[tuple[str, list[int | None]]]:
    """(the name as first written, its preferences) for each MX host that ``records``
    (name, preference) list more than once, names compared without case: senders try such a
    host at its best preference only.  Shared by probe's findings and audit's."""
    listed: dict[str, tuple[str, list[int | None]]] = {}
    for name, preference in records:
        listed.setdefault(name.lower(), (name, []))[1].append(preference)
    return [(name, preferences) for name, preferences in listed.values() if len(preferences) > 1]
