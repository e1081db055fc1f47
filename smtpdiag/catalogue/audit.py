"""The texts of ``audit``'s findings (``data/audit.json``): severity, title, what it means,
why it matters to senders, how to fix it.  Data, so a user can correct it without code."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["area_titles", "audit_entry", "audit_ids", "default_dnsbl_zones", "software_names"]

_FILE = Path(__file__).with_name("data") / "audit.json"


@cache
def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_FILE.read_text(encoding="utf-8"))
    return data


def audit_entry(finding_id: str) -> dict[str, str]:
    """One finding's texts; a KeyError for an id the catalogue lacks (a bug, caught in tests)."""
    entry: dict[str, str] = _data()["findings"][finding_id]
    return entry


def audit_ids() -> tuple[str, ...]:
    return tuple(_data()["findings"])


def area_titles() -> dict[str, str]:
    titles: dict[str, str] = _data()["areas"]
    return titles


def software_names() -> tuple[str, ...]:
    """MTA names recognised in greetings, to compare the software of MX hosts."""
    return tuple(_data()["software"])


def default_dnsbl_zones() -> tuple[str, ...]:
    """The block lists ``--dnsbl`` asks when given no list of its own."""
    return tuple(_data()["dnsbl_zones"])
