"""What the DNS layer says when a question fails: which server, which question, what came
back, and what to run next (the dig command that asks the same again).  Split from ``dns.py``,
whose ``Resolver`` words its failures with these (``Words``), as the audit's resolver does.
"""

from __future__ import annotations

import dns.asyncresolver
import dns.exception
import dns.message
import dns.name
import dns.query
import dns.resolver

__all__ = ["TCP_RETRY", "TCP_RETRY_LEAST", "Words", "missing", "presentation"]

# A question UDP got no answer to is asked again over TCP for this long at most (less if the
# timeout is shorter): a firewall that drops UDP to port 53, or a server answering TCP only,
# is told apart from a server that is down; and not when less than TCP_RETRY_LEAST is left.
TCP_RETRY = 2.0
TCP_RETRY_LEAST = 0.05


def _seconds(value: float) -> str:
    """``2``, ``0.5``, ``0.25``: rounded for people (a remaining deadline is 2.99022 s)."""
    from ..core.text import seconds

    return seconds(value)


# Bytes a name from an answer shows as themselves: printable ASCII but the dot and the backslash
# (inside a label, they are data, not syntax).  Any other byte is carried as the character
# U+DC00 + byte, as a reply byte that is not UTF-8 is (``surrogateescape``), so that every
# output shows it escaped once, ``\\xNN`` (render/doc.clean, JSON's ``json_surrogate``).
_PLAIN = frozenset(range(0x21, 0x7F)) - {0x2E, 0x5C}


def _host_text(name: dns.name.Name) -> str:
    """A name from an answer, as it is shown and carried: without the trailing dot, and with
    a byte no host name holds (``mx\\007.example``, ``a\\.b``: a control, a space, a dot or
    a backslash inside a label) as one character showing escaped once (``mx\\x07.example``);
    dnspython's presentation form, escaped again where it is shown, read ``mx\\\\007``.
    ``dns.name_of`` reads it back; ``presentation`` gives dig's form."""
    text = name.to_text(omit_final_dot=True)
    if "\\" not in text:
        return text or "."
    return ".".join("".join(chr(b) if b in _PLAIN else chr(0xDC00 + b) for b in label)
                    for label in name.labels if label)


def presentation(name: dns.name.Name) -> str:
    """The name as dig and zone files write it (``mx\\007.example``), for a command to run."""
    return name.to_text(omit_final_dot=True) or "."


class Words:
    """The sentences of a resolver (``dns.Resolver``) about its failures."""

    _nameserver: tuple[str, int] | None
    _timeout: float
    _impl: dns.asyncresolver.Resolver | None

    @property
    def server(self) -> str:
        """Where questions go, for messages: ``127.0.0.1:5353``, ``[::1]:53`` or the system."""
        if self._nameserver is None:
            return "the system resolver"
        host, port = self._nameserver
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def _who(self) -> str:
        """The server as the subject of a sentence."""
        return self.server if self._nameserver is None else f"the nameserver {self.server}"

    def _named(self) -> str:
        """The server, with the system resolver's own servers named: which one fell silent
        is what a person checks next."""
        if self._nameserver is not None or self._impl is None:
            return self.server
        servers = [getattr(ns, "address", str(ns)) for ns in self._impl.nameservers]
        return f"{self.server} ({', '.join(servers)}, from /etc/resolv.conf)"

    def _check(self) -> str:
        """What to look at after a server answered neither over UDP nor over TCP."""
        if self._nameserver is None:
            return ("check that the resolvers in /etc/resolv.conf run and are reachable from "
                    "here")
        return ("check that a nameserver runs there and that the network between lets DNS "
                "through")

    def _dig(self, rdtype: str, name: dns.name.Name, flag: str = "") -> str:
        """The dig command that asks the same question of the same server, with ``flag``."""
        dig = "dig"
        if self._nameserver is not None:
            host, port = self._nameserver
            dig += f" @{host}" + ("" if port == 53 else f" -p {port}")
        return f"{dig} {flag + ' ' if flag else ''}{rdtype} {presentation(name)}"

    def _failure(self, exc: dns.resolver.NoNameservers, rdtype: str, name: dns.name.Name,
                 display: str) -> str:
        """Explain why every nameserver gave up: an rcode (SERVFAIL, REFUSED, ...) or an error."""
        what = f"{rdtype} {display}"
        errors = exc.kwargs.get("errors") or []
        for entry in errors:
            problem = entry[3] if len(entry) > 3 else None
            if problem == "REFUSED":  # an authoritative server not serving it, or no recursion
                return (f"{self._who()} refused to answer {what} (REFUSED: a lame delegation, "
                        "or a resolver that does not serve this client): ask a resolver that "
                        "serves this machine, or check the domain's delegation ("
                        f"{self._dig(rdtype, name, '+trace')})")
            if problem == "SERVFAIL":
                why = self._servfail(rdtype, name)
                return f"{self._who()} failed (SERVFAIL) answering {what}: {why}"
            if isinstance(problem, str):  # dnspython records a bad rcode as its text
                return f"{self._who()} failed ({problem}) answering {what}"
        problems = [entry[3] for entry in errors if len(entry) > 3]
        if any(isinstance(p, dns.message.Truncated) for p in problems):
            tcp = [p for p in problems if isinstance(p, BaseException)
                   and not isinstance(p, dns.message.Truncated)]
            if tcp:  # UDP said "too big" (TC), and the retry over TCP failed
                return (f"{self._who()} answered {what} truncated (too big for UDP), and the "
                        f"retry over TCP failed: {_tcp_failure(tcp[-1])}; an answer this big "
                        "needs DNS over TCP (RFC 7766): let TCP port 53 through to the server "
                        f"({self._dig(rdtype, name, '+tcp')})")
        for entry in errors:
            problem = entry[3] if len(entry) > 3 else None
            if isinstance(problem, dns.query.BadResponse):  # it parsed: for another question
                return (f"{self._who()} answered {what} only with replies to another question "
                        "(their query ID or question differs: forged, or mixed up by a "
                        "middlebox)")
            if isinstance(problem, dns.message.ChainTooLong):  # it answered: with a loop
                return (f"{self._who()} answered {what} with aliases (CNAME) that loop or "
                        "chain too far")
            if isinstance(problem, dns.exception.FormError):  # it answered: unreadably
                detail = str(problem).rstrip(".") or type(problem).__name__
                return f"{self._who()} answered {what} with a malformed reply ({detail})"
            if isinstance(problem, BaseException):
                detail = getattr(problem, "strerror", None) or str(problem)
                detail = detail or type(problem).__name__
                return f"{self._who()} could not be asked {what}: {detail}"
        return f"{self._who()} gave no usable answer to {what}"

    def _servfail(self, rdtype: str, name: dns.name.Name) -> str:
        """SERVFAIL's two usual causes, and the question that tells them apart: a validating
        resolver answers SERVFAIL for a bogus DNSSEC signature, and answers with checking
        disabled (``+cd``); a lame or unreachable delegation fails either way."""
        dig = self._dig(rdtype, name, "+cd")
        return ("usually a lame delegation (the domain's nameservers do not answer for it) or "
                f"a DNSSEC signature that does not validate (if {dig} answers, it is DNSSEC)")

    def _silent(self, name: dns.name.Name, what: str, tcp: _Silent | None) -> str:
        """No answer over UDP, nor over TCP (``tcp``: why; None: no time was left to ask):
        which server, what to check, and the dig command that asks the same again."""
        rdtype = what.split(" ", 1)[0]
        told = "(no time left to ask again over TCP)" if tcp is None else \
            f"nor over TCP ({tcp.why})"
        return (f"no answer within {_seconds(self._timeout)} s from {self._named()} for "
                f"{what}, {told}: {self._check()} ({self._dig(rdtype, name, '+tcp')})")


def missing(exc: dns.resolver.NXDOMAIN, name: dns.name.Name, display: str
            ) -> tuple[str | None, str]:
    """(the alias's target, the message) for an NXDOMAIN answer: the name itself, or the
    end of the aliases (CNAME) it leads to, does not exist."""
    try:
        target = exc.canonical_name
    except (TypeError, KeyError):
        target = name
    if target == name:
        return None, f"{display} does not exist (NXDOMAIN)"
    alias = _host_text(target)
    return alias, f"{display} is an alias (CNAME) of {alias}, which does not exist (NXDOMAIN)"


def _tcp_failure(problem: BaseException) -> str:
    """Why a TCP question got no answer, for people."""
    if isinstance(problem, EOFError | ConnectionResetError):
        return "the connection closed without an answer"
    if isinstance(problem, ConnectionRefusedError):
        return "connection refused: nothing listens on that port"
    if isinstance(problem, dns.exception.Timeout):
        return "no answer"
    return getattr(problem, "strerror", None) or str(problem) or type(problem).__name__


def _unconfigured(what: str) -> str:
    """No nameserver to ask: /etc/resolv.conf is empty, missing or names none."""
    return (f"the system resolver has no nameservers configured, so {what} could not be "
            "asked: /etc/resolv.conf names none; add a nameserver line to it, or give "
            "--nameserver IP")


def _unanswered(exc: dns.resolver.NoNameservers) -> str | None:
    """Why a question over TCP got no answer at all (a refused or closed connection), or
    None when some server did answer, if only with an error code or a malformed reply."""
    problems = [entry[3] for entry in exc.kwargs.get("errors") or [] if len(entry) > 3]
    if not problems or not all(isinstance(p, OSError | EOFError | dns.exception.Timeout)
                               for p in problems):
        return None
    return _tcp_failure(problems[-1])


class _Silent(Exception):
    """Nothing answered a question (``why``): a timeout, a refused or closed connection."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why
