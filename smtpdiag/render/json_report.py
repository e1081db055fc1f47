"""The JSON form of a probe report: versioned, described by ``schema/report.schema.json``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..model import Report

__all__ = ["REPORT_SCHEMA", "report_json"]

REPORT_SCHEMA = "smtpdiag.report/2"


def report_json(report: Report) -> dict[str, Any]:
    return {"schema": REPORT_SCHEMA, **report.to_dict()}
