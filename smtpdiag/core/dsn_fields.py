"""The fields of a delivery-status report (RFC 3464, RFC 6533): its groups, one per recipient,
and each recipient's address.

Pure: the parsed report part in, field groups and addresses out; ``dsn`` reads the failure
from them.
"""

from __future__ import annotations

import re
from email.message import Message

from .bounce import unfold
from .transfer import field_group, status_text

__all__ = ["ADDRESS", "address", "field_groups", "field_value", "per_recipient", "recipient"]

# An address starts where a run of its characters starts (the look-behind): tried from every
# character of a long run instead, a line of 100,000 letters took minutes (quadratic).
LOCAL = r"[A-Za-z0-9._%+=/'&!#$*?^`{|}~-]"
ADDRESS = re.compile(rf"<?(?<!{LOCAL})({LOCAL}+@[A-Za-z0-9.-]+\.[A-Za-z]{{2,}})>?")
ANGLED = re.compile(r"<([^<>\n]*@[^<>\n]*)>")


def field_groups(part: Message) -> list[Message]:
    """The per-message and per-recipient field groups of a delivery-status part.

    The email package splits a plain ``message/delivery-status`` into its groups itself, but
    keeps 8-bit bytes (a UTF-8 address) as undecodable characters; a
    ``message/global-delivery-status`` (RFC 6533, for SMTPUTF8 mail) it reads as one message,
    the first group's fields with every other group in its body; an encoded part (base64,
    quoted-printable) as encoded text.  So every part is read again from its decoded text."""
    payload = part.get_payload()  # a list: the email package parses every message/* part
    encoding = str(part.get("Content-Transfer-Encoding") or "").strip().lower()
    text = status_text([group for group in payload if isinstance(group, Message)], encoding)
    groups = [field_group(block.strip()) for block in re.split(r"\n\s*\n", text) if block.strip()]
    # A group whose "body" holds more fields (a missing blank line) is read as one group;
    # recipients written one after the other without blank lines (AOL) are split apart.
    return [run for group in groups for run in per_recipient(group)]


def per_recipient(group: Message) -> list[Message]:
    """One group per recipient when several Final-Recipient fields share a block: a new
    recipient starts at a Final-Recipient (or at an Original-Recipient before it) once the
    current one has its own."""
    if sum(1 for key in group if key.lower() == "final-recipient") < 2:
        return [group]  # (the names alone: ``items()`` would sanitize every value)
    items = group.items()
    runs: list[list[tuple[str, str]]] = [[]]
    for key, value in items:
        name = key.lower()
        seen = {field.lower() for field, _ in runs[-1]}
        if "final-recipient" in seen and name in ("final-recipient", "original-recipient") \
                and name in seen | {"final-recipient"}:
            runs.append([])
        runs[-1].append((key, value))
    split = []
    for run in runs:
        part = Message()
        for key, value in run:
            part[key] = value
        split.append(part)
    return split


def field_value(group: Message, name: str) -> str | None:
    """A field's value, unfolded; None when it is missing or empty."""
    raw = group.get(name)
    if raw is None:
        return None
    text = unfold(str(raw)).strip()
    return text or None


def address(value: str | None) -> str | None:
    """The address of a Final-Recipient or Original-Recipient field, after its type: the one in
    angle brackets, else the whole word around its "@" where the usual address pattern would
    take only its end (a local part with a control character, a bracket or a quote: shown
    escaped, never cut to look like another address)."""
    if not value:
        return None
    typed = value.split(";", 1)[-1].strip()
    angled = ANGLED.search(typed)
    typed = angled.group(1).strip() if angled else typed
    found = ADDRESS.search(typed)
    if found is None:
        return typed or None
    start = found.start(1)
    word = max(typed.rfind(" ", 0, start), typed.rfind("\t", 0, start)) + 1
    if typed[word:start].strip("<"):
        end = min((i for i in (typed.find(" ", start), typed.find("\t", start)) if i >= 0),
                  default=len(typed))
        return typed[word:end].strip("<>")
    return found.group(1)


def recipient(group: Message) -> str | None:
    """The Final-Recipient's address; the Original-Recipient's where the final one is no
    Internet address the sender could know: an X.400 name ("x400; /S=ann/OU=…"), a source
    route ("@relay.example:ann@ims_daemon") or a host with no dot (Sun's "ann@sims-ms-daemon")."""
    final = field_value(group, "Final-Recipient")
    original = field_value(group, "Original-Recipient")
    found = address(final or original)
    kind = (final or "").split(";", 1)[0].strip().lower() if final and ";" in final else ""
    host = (found or "").rpartition("@")[2]
    if original and found and final and (kind not in ("", "rfc822", "utf-8") or found[:1] == "@"
                                         or not ("." in host or host.startswith("["))):
        return address(original) or found
    return found
