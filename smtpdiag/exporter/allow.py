"""Which targets the exporter may probe: host name patterns and CIDR networks.  Pure.

Without an allow-list an exporter reachable by anyone would connect anywhere it is told to, an
open SMTP-probing proxy; so nothing is allowed until patterns are given.

- ``mx.example.com`` allows that name; ``*.example.com`` any name below example.com (not
  example.com itself); ``*`` allows every target.
- ``192.0.2.0/24``, ``2001:db8::/32`` or a single address allow IP-literal targets inside.

A name is matched as written, never resolved for the CIDR check: resolving here and again in
the probe would let DNS answer differently the second time.  Allow names by pattern.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import UsageError, quoted

__all__ = ["AllowList"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_NAME = re.compile(r"(\*\.)?([a-z0-9_-]+(\.[a-z0-9_-]+)*)")


@dataclass(frozen=True, slots=True)
class AllowList:
    """Compiled patterns; ``allows(host)`` takes a target's host (name or IP literal)."""

    names: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()
    networks: tuple[Network, ...] = ()
    everything: bool = False

    @classmethod
    def parse(cls, patterns: Iterable[str]) -> AllowList:
        names: set[str] = set()
        suffixes: list[str] = []
        networks: list[Network] = []
        everything = False
        for raw in patterns:
            pattern = raw.strip().lower().rstrip(".")
            if pattern == "*":
                everything = True
                continue
            try:
                networks.append(ipaddress.ip_network(pattern.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            match = _NAME.fullmatch(pattern)
            if match is None:
                raise UsageError(f"allow pattern {quoted(raw)}: expected a host name, "
                                 "*.domain, an IP address, a CIDR network such as "
                                 "192.0.2.0/24, or *")
            if match.group(1):
                suffixes.append("." + match.group(2))
            else:
                names.add(pattern)
        return cls(frozenset(names), tuple(suffixes), tuple(networks), everything)

    @property
    def empty(self) -> bool:
        return not (self.names or self.suffixes or self.networks or self.everything)

    def allows(self, host: str) -> bool:
        if self.everything:
            return True
        name = host.strip("[]").lower().rstrip(".")
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            return name in self.names or any(name.endswith(s) for s in self.suffixes)
        return any(address in network for network in self.networks)

    def describe(self) -> str:
        if self.everything:
            return "every target (*)"
        parts = [*sorted(self.names), *(f"*{s}" for s in self.suffixes),
                 *(str(n) for n in self.networks)]
        return ", ".join(parts) if parts else "nothing"
