"""The rows of ``smtpdiag codes``: basic codes, enhanced codes or provider entries, filtered."""

from __future__ import annotations

from typing import Any

from .. import catalogue
from ..errors import UsageError

__all__ = ["CODES_SCHEMA", "list_codes"]

CODES_SCHEMA = "smtpdiag.codes/1"


def list_codes(
    *, klass: int | None = None, enhanced: bool = False, providers: bool = False,
    lang: str = "en",
) -> dict[str, Any]:
    if enhanced and providers:
        raise UsageError("choose one of --enhanced and --providers")
    allowed = (2, 4, 5) if enhanced else (2, 3, 4, 5)
    if klass is not None and klass not in allowed:
        raise UsageError(f"--class must be one of {', '.join(map(str, allowed))}")
    rows: list[dict[str, Any]] = []
    if enhanced:
        for entry in catalogue.enhanced_codes().values():
            if klass is None or klass in entry.classes:
                code = entry.code if klass is None else f"{klass}{entry.code[1:]}"
                rows.append({"code": code, "kind": "enhanced", "class": klass,
                             "name": entry.name})
    elif providers:
        for item in catalogue.providers():
            # Under --class only that class's codes; an entry coded in several classes has no
            # one class (null), rather than its first code's.
            codes = [code for code in item.codes if klass is None or code // 100 == klass]
            classes = {code // 100 for code in codes}
            if codes or (klass is None and not item.codes):
                rows.append({"code": "/".join(map(str, codes)) or "any", "kind": "provider",
                             "class": classes.pop() if len(classes) == 1 else None,
                             "name": f"{item.provider}: {item.name}", "id": item.id,
                             "enhanced": item.enhanced})
    else:
        for basic in catalogue.basic_codes().values():
            if klass is None or basic.klass == klass:
                rows.append({"code": str(basic.code), "kind": "basic", "class": basic.klass,
                             "name": basic.name})
    return {"schema": CODES_SCHEMA, "lang": lang, "codes": rows}
