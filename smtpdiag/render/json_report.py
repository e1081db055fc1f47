"""The JSON form of a probe report: versioned, described by ``schema/report.schema.json``.

Its sentences (every ``summary`` and ``message``) quote server text as it is shown (``clean``):
they are what a monitor alerts with, a CI job prints with ``jq -r``, a webhook posts, so an ESC
or a bidi override in a reply must not act there.  The data a program reads (a reply's
``lines`` and ``raw``, ``unasked``) keeps the exact text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .doc import clean

if TYPE_CHECKING:
    from ..model import Report

__all__ = ["REPORT_SCHEMA", "report_json", "shown_sentences"]

REPORT_SCHEMA = "smtpdiag.report/2"
SENTENCES = frozenset({"summary", "message"})
# what holds no sentence quoting a server: its reply (exact data), the catalogue's annotation
_NOT_SENTENCES = frozenset({"reply", "annotation", "tls", "capabilities",
                            "capabilities_before_tls"})


def shown_sentences(data: Any) -> Any:
    """``data`` (a report's dict) with every ``summary`` and ``message`` string cleaned."""
    if isinstance(data, dict):
        return {key: clean(value) if key in SENTENCES and isinstance(value, str) else
                value if key in _NOT_SENTENCES else shown_sentences(value)
                for key, value in data.items()}
    if isinstance(data, list):
        return [shown_sentences(item) for item in data]
    return data


def report_json(report: Report) -> dict[str, Any]:
    return {"schema": REPORT_SCHEMA, **shown_sentences(report.to_dict())}
