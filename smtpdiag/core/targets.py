"""Parse what the user typed into a ``Target``, and validate every user string bound for the wire.

Pure and strict: nothing here touches the network, and nothing a user types reaches an SMTP
command line unless it passed these checks (no CR, LF, NUL or other control characters, no
spaces, sane lengths), so a crafted ``--to`` can never smuggle a second command.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

from ..errors import TargetError, UsageError, quoted
from ..record import record

__all__ = [
    "DEFAULT_PORT",
    "QUIT_POINTS",
    "Target",
    "a_label",
    "default_recipient",
    "mail_domain",
    "needs_smtputf8",
    "parse_nameserver",
    "parse_port",
    "parse_target",
    "refuse_controls",
    "shown_domain",
    "tls_mode_for",
    "validate_address",
    "validate_helo",
    "wire_address",
]

DEFAULT_PORT = 25
# Where --quit-after may stop a walk, in walk order (kept here, with the other user input,
# so that the command line can offer them without importing the model).
QUIT_POINTS = ("connect", "greeting", "ehlo", "tls", "auth", "mail", "rcpt")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_LOCAL_SPECIALS = frozenset("!#$%&'*+/=?^_`{|}~.-")
# Never in an unquoted mailbox; inside an address literal ':' is, so the literal is read apart.
_NOT_IN_MAILBOX = frozenset(" <>\"(),;:\\")
# RFC 5321 Standardized-tag; compiled on first use (only a literal with a tag needs it)
_LDH_TAG = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
# ASCII only: str.isdigit() also accepts "²⁵" and "２５", which int() then refuses or reads.
_PORT = re.compile(r"[0-9]{1,5}")


def _valid_label(label: str) -> bool:
    """A DNS label (letters, digits, hyphen, underscore; any non-ASCII letter for IDNA) that
    still fits in 63 octets once written as its ``xn--`` A-label."""
    return (0 < len(label) <= 63 and label[0] != "-" and label[-1] != "-"
            and all(c.isalnum() or c in "-_" for c in label)
            and (label.isascii() or len(label.encode("punycode")) + 4 <= 63))


def _valid_local(local: str) -> bool:
    return all(c.isalnum() or c in _LOCAL_SPECIALS or ord(c) > 127 for c in local)


def _literal_problem(inner: str) -> str | None:
    """What is wrong with the inside of an address literal (RFC 5321 §4.1.3), ``""`` if it
    is simply invalid, or ``None`` if it is good: an IPv4 dotted quad, or ``IPv6:`` (the tag
    in any case, as ABNF strings are) and an IPv6 address without a zone (``%eth0`` is no
    part of the grammar).  Untagged IPv6 and the general ``tag:content`` form are named, as
    a user may well type them: no tag but ``IPv6`` is registered, so no server reads one."""
    tag, colon, rest = inner.partition(":")
    if not colon:
        return None if _is_ip(ipaddress.IPv4Address, inner) else ""
    if tag.lower() == "ipv6":
        return None if "%" not in rest and _is_ip(ipaddress.IPv6Address, rest) else ""
    if _is_ip(ipaddress.IPv6Address, inner):
        return f" (an IPv6 address is written [IPv6:{inner.partition('%')[0]}])"
    if re.fullmatch(_LDH_TAG, tag) and rest:
        return (f" (its tag {quoted(tag, 40)} is not one SMTP defines: only IPv4 "
                "and [IPv6:…] literals are)")
    return ""


def _is_ip(kind: type[ipaddress.IPv4Address | ipaddress.IPv6Address], text: str) -> bool:
    try:
        kind(text)
    except ValueError:
        return False
    return True


@record
class Target:
    """A place to probe: an IP literal, a host name with a port, or a mail domain."""

    text: str
    host: str
    port: int | None
    literal: bool = False
    mail_domain: bool = False

    @property
    def display(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}" if self.port else host


def refuse_controls(value: str, what: str, error: type[UsageError] = UsageError) -> None:
    if value.isprintable():  # no control character is printable: no pattern to run (a
        return  # check reads every target twice, once to check the file, once to probe it)
    match = _CONTROL.search(value)
    if match:
        raise error(
            f"{what} contains a control character ({match.group()}); "  # escaped where shown
            "CR, LF, NUL and other controls are refused so that no SMTP command can be injected"
        )


def _check_hostname(name: str, what: str, error: type[UsageError]) -> str:
    """A host name, NFC-normalised first: a decomposed ``u`` + combining diaeresis typed on some
    systems is the same name as ``ü`` for IDNA, not a label with a stray mark in it."""
    name = unicodedata.normalize("NFC", name)
    host = name[:-1] if name.endswith(".") else name
    if not host or len(host) > 253:
        raise error(f"{what} {quoted(name)} is not a valid host name")
    for label in host.split("."):
        if not _valid_label(label):
            raise error(f"{what} {quoted(name)} is not a valid host name "
                        f"(bad label {quoted(label, 70)})")
    return host.lower()


def a_label(name: str) -> str:
    """``name`` as DNS and an SMTP server without SMTPUTF8 read it: each non-ASCII label as its
    IDNA 2008 A-label (``bücher`` → ``xn--bcher-kva``, UTS 46 mapping, so ``ß`` stays a letter
    of its own); an all-ASCII name as it is.  An address literal is left alone.  Raises
    ``UnicodeError`` for a label IDNA refuses (a joiner out of context, a bad ``xn--`` label).
    """
    if name.startswith("[") or (name.isascii() and "xn--" not in name.lower()):
        return name
    import idna  # only for the names that need it: 15 ms to import

    labels = []
    for label in name.split("."):
        if label.isascii() and not label.lower().startswith("xn--"):
            labels.append(label.lower())  # DNS ignores case; one spelling of the whole name
        elif label.isascii():
            idna.decode(label)  # a label posing as an A-label must be one
            labels.append(label.lower())
        else:
            labels.append(idna.encode(label, uts46=True).decode("ascii"))
    return ".".join(labels)


def shown_domain(name: str) -> str:
    """A domain as a person reads it: an IDN as its U-labels with the A-labels the DNS holds
    after them, ``bücher.example (xn--bcher-kva.example)``; any other name as it is, and so is
    one whose ``xn--`` labels IDNA 2008 does not decode (a fake A-label is shown as sent)."""
    if "xn--" not in name.lower():
        return name
    import idna  # only for the names that need it: 15 ms to import

    try:
        unicode = ".".join(idna.decode(label) if label.lower().startswith("xn--") else label
                           for label in name.split("."))
    except (idna.IDNAError, UnicodeError, ValueError):
        return name
    return f"{unicode} ({name})"


def wire_address(address: str) -> str:
    """An address as it goes into MAIL FROM or RCPT TO.  An ASCII local part needs no
    SMTPUTF8, so its domain goes as A-labels; a non-ASCII local part can only travel with
    SMTPUTF8 (RFC 6531), which carries the domain's U-labels as they are."""
    local, at, domain = address.rpartition("@")
    if not at or not local.isascii():
        return address
    return f"{local}@{a_label(domain)}"


def needs_smtputf8(address: str) -> bool:
    """Whether an address (as ``wire_address`` gives it) can only be sent with SMTPUTF8."""
    return not address.isascii()


def _has_a_label(name: str, what: str, value: str, error: type[UsageError] = UsageError
                 ) -> str:
    """``name`` as its A-label; a usage error when IDNA refuses it (``xn--zz`` is none)."""
    try:
        return a_label(name)
    except UnicodeError as exc:
        raise error(f"{what} {quoted(value)}: the name {quoted(name, 70)} has no IDNA "
                    f"A-label ({exc}), so it cannot be sent to a server") from None


def mail_domain(text: str, what: str = "DOMAIN") -> str:
    """A mail domain as ``audit`` takes it: a host name with a dot, checked as a target's name
    is; returned lower-case, without a trailing dot, an IDN as its A-label."""
    refuse_controls(text, what)
    name = text.strip()
    if not name or any(c.isspace() or c in "@/:[]" for c in name):
        raise UsageError(f"{quoted(text)} is not a mail domain (give example.com, not an "
                         "address or a URL)")
    domain = _has_a_label(_check_hostname(name, what, UsageError), what, text)
    if "." not in domain or len(domain) > 253:
        raise UsageError(f"{quoted(text)} is not a mail domain")
    return domain


def parse_port(text: str, what: str, error: type[UsageError] = UsageError) -> int:
    """A port number 1-65535 written in ASCII digits; anything else is a usage error."""
    if not _PORT.fullmatch(text) or not 0 < int(text) < 65536:
        raise error(f"{what}: port {quoted(text, 40)} is not a number from 1 to 65535")
    return int(text)


def _check_port(text: str, target: str) -> int:
    return parse_port(text, f"target {quoted(target)}", TargetError)


def parse_target(text: str, *, port: int | None = None, no_mx: bool = False) -> Target:
    """``host``, ``host:port``, ``[v6]:port``, an IP literal, or a mail domain.

    A name without a port is a mail domain (RFC 5321 §5.1: look up its MX) unless ``no_mx``;
    an explicit ``port`` (``--port``) applies when the text carries none.
    """
    refuse_controls(text, "target", TargetError)
    return _plain_target(text, port, no_mx) or _parse_target(text, port, no_mx)


# An IPv4 address as ``ipaddress`` reads one (four decimal octets, no leading zeros), and an
# ASCII host name whose every label ``_valid_label`` takes, with one optional trailing dot.
_IPV4 = re.compile(r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}"
                   r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])")
_ASCII_NAME = re.compile(r"(?:(?!-)[A-Za-z0-9_-]{1,63}(?<!-)\.)*(?!-)[A-Za-z0-9_-]{1,63}(?<!-)\.?")


def _plain_target(text: str, port: int | None, no_mx: bool) -> Target | None:
    """The common case cheaply: an ASCII ``host`` or ``host:port`` with a valid port and an
    IPv4 address or a valid name, as ``_parse_target`` reads it (without ``ipaddress``'s
    parse or a check per character); None for anything else, which ``_parse_target`` reads
    or refuses with its precise message."""
    raw = text.strip()
    if not raw.isascii() or raw.startswith("[") or " " in raw or raw.count(":") > 1:
        return None
    host, _, port_text = raw.partition(":")
    text_port = None
    if port_text or ":" in raw:
        # _PORT read without the pattern: the text is ASCII, where only 0-9 are digits
        if not 0 < len(port_text) <= 5 or not port_text.isdigit() or \
                not 0 < int(port_text) < 65536:
            return None
        text_port = int(port_text)
    chosen_port = text_port if text_port is not None else port
    if _IPV4.fullmatch(host):
        return Target(raw, host, chosen_port, literal=True)
    name = host[:-1] if host.endswith(".") else host
    if len(name) > 253 or not _ASCII_NAME.fullmatch(host):
        return None
    if "-" in host and "xn--" in host.lower():  # posing as an A-label: _parse_target checks
        return None
    return Target(raw, name.lower(), chosen_port, mail_domain=text_port is None and not no_mx)


def _parse_target(text: str, port: int | None, no_mx: bool) -> Target:
    raw = unicodedata.normalize("NFC", text.strip())
    if not raw or " " in raw:
        raise TargetError(f"target {quoted(text)} is empty or contains spaces")
    host, text_port = raw, None
    if raw.startswith("["):
        end = raw.find("]")
        if end == -1:
            raise TargetError(f"target {quoted(text)}: missing ']' after the IPv6 address")
        host, rest = raw[1:end], raw[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise TargetError(f"target {quoted(text)}: expected ':PORT' after ']'")
            text_port = _check_port(rest[1:], text)
    elif raw.count(":") == 1:
        host, port_text = raw.split(":")
        text_port = _check_port(port_text, text)
    chosen_port = text_port if text_port is not None else port
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if ":" in host:
            raise TargetError(f"target {quoted(text)} is not a valid IPv6 address") from None
        if raw.startswith("["):
            raise TargetError(f"target {quoted(text)}: brackets are for IPv6 addresses only"
                              ) from None
    else:
        return Target(raw, address.compressed, chosen_port, literal=True)
    name = _check_hostname(host, "target", TargetError)
    _has_a_label(name, "target", text, TargetError)
    return Target(raw, name, chosen_port, mail_domain=text_port is None and not no_mx)


def default_recipient(target: Target) -> tuple[str, str]:
    """Whom a probe without ``--to`` writes to, and why, in words the report shows.

    Every mail server must accept mail for ``postmaster`` (RFC 5321 §4.5.1); without a mail
    domain to put after it (an IP address) the bare form is the one it must take.
    """
    if target.literal:
        return "postmaster", ("no --to was given, and an IP address names no mail domain: "
                              "<postmaster> without a domain, which every SMTP server must "
                              "accept (RFC 5321 §4.5.1). Servers take it even from clients "
                              "they refuse for any other recipient (Postfix exempts it from "
                              "its restrictions), so its acceptance says little about real "
                              "recipients")
    host = a_label(target.host)
    if target.mail_domain:
        return f"postmaster@{host}", ("no --to was given: the domain's postmaster, an "
                                             "address every mail domain must accept (RFC 5321 "
                                             "§4.5.1)")
    return f"postmaster@{host}", ("no --to was given: postmaster at the host's own name "
                                         "(RFC 5321 §4.5.1), though a host need not take mail "
                                         "for its own name, only for its domains")


def validate_address(value: str, what: str = "address") -> str:
    """A mailbox for MAIL FROM / RCPT TO, returned without angle brackets; ``""`` is the null
    sender.  Refuses controls, spaces and anything that is not ``local@domain``."""
    refuse_controls(value, what)
    address = unicodedata.normalize("NFC", value.strip())
    if address.startswith("<") and address.endswith(">"):
        address = address[1:-1]
    if address == "":
        return ""
    local, at, domain = address.partition("@")
    literal = domain.startswith("[") and domain.endswith("]")
    if (len(address) > 254 or "@" in domain or not at
            or not _NOT_IN_MAILBOX.isdisjoint(local if literal else address)):
        raise UsageError(f"{what} {quoted(value)} is not a valid mailbox (expected local@domain)")
    if not local or len(local) > 64 or not _valid_local(local):
        raise UsageError(f"{what} {quoted(value)} has an invalid local part {quoted(local, 70)}")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise UsageError(f"{what} {quoted(value)} has misplaced dots in its local part")
    if literal:
        problem = _literal_problem(domain[1:-1])
        if problem is not None:
            raise UsageError(f"{what} {quoted(value)} has an invalid address literal{problem}")
    else:
        _has_a_label(_check_hostname(domain, f"{what} domain in", UsageError), what, value)
    return address


def validate_helo(value: str) -> str:
    """The name we announce in EHLO/HELO: a host name or an address literal like ``[192.0.2.1]``."""
    refuse_controls(value, "HELO name")
    name = value.strip()
    if name.startswith("[") and name.endswith("]"):
        problem = _literal_problem(name[1:-1])
        if problem is not None:
            raise UsageError(f"HELO name {quoted(value)} is not a valid address literal{problem}")
        return name
    checked = _check_hostname(name, "HELO name", UsageError)
    _has_a_label(checked, "HELO name", value)
    return checked


def tls_mode_for(port: int, requested: str = "auto") -> str:
    """``implicit`` on 465, ``starttls-required`` on 587, ``starttls`` (when offered) otherwise,
    unless the user chose a mode."""
    if requested == "auto":
        return {465: "implicit", 587: "starttls-required"}.get(port, "starttls")
    if requested == "starttls":
        return "starttls-required"
    return requested


def parse_nameserver(text: str) -> tuple[str, int]:
    """``IP``, ``IP:PORT`` or ``[IPv6]:PORT`` for ``--nameserver`` (an empty value is an error,
    not a silent fall-back to the system resolver)."""
    host, port = text.strip(), "53"
    if host.startswith("[") and "]" in host:
        host, _, rest = host[1:].partition("]")
        port = rest.removeprefix(":") or "53"
    elif host.count(":") == 1:
        host, port = host.split(":")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise UsageError(
            f"--nameserver {quoted(text)}: expected an IP address, optionally :PORT") from None
    return host, parse_port(port, f"--nameserver {quoted(text)}")
