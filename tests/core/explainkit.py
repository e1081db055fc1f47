"""What the ``core/explain.py`` test files share: the bounce fixtures' folder, and ``only``,
the one item of ``explain``'s result for an input that makes one (its envelope checked)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from smtpdiag.core.explain import EXPLAIN_SCHEMA, explain

MESSAGES = Path(__file__).resolve().parents[2] / "fixtures" / "messages"


def only(text: str) -> dict[str, Any]:
    """``explain(text)``'s one item, after checking the schema name and the input it echoes."""
    result = explain(text)
    assert result["schema"] == EXPLAIN_SCHEMA
    assert result["input"] == text.strip()
    assert len(result["items"]) == 1
    item: dict[str, Any] = result["items"][0]
    return item
