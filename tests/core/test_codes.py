"""``core/codes.py``: the rows of ``smtpdiag codes``, filtered by class, for each kind.

The expected rows are built here from the catalogue itself (so a corrected catalogue text does
not break them), while what ``list_codes`` decides is pinned: which classes each kind allows,
how an ``X.`` code reads under a class, a provider entry's codes, class and ``any``.
"""

from __future__ import annotations

from typing import Any

import pytest

from smtpdiag import catalogue
from smtpdiag.core.codes import CODES_SCHEMA, list_codes
from smtpdiag.errors import UsageError


def rows(**kwargs: Any) -> list[dict[str, Any]]:
    result = list_codes(**kwargs)
    assert result["schema"] == CODES_SCHEMA == "smtpdiag.codes/1"
    assert result["lang"] == kwargs.get("lang", "en")
    codes: list[dict[str, Any]] = result["codes"]
    return codes


def test_the_language_is_passed_through() -> None:
    assert list_codes(lang="tr")["lang"] == "tr"


@pytest.mark.parametrize("klass", [None, 2, 3, 4, 5])
def test_basic_codes(klass: int | None) -> None:
    expected = [{"code": str(b.code), "kind": "basic", "class": b.klass, "name": b.name}
                for b in catalogue.basic_codes().values() if klass is None or b.klass == klass]
    assert expected
    assert rows(klass=klass) == expected


def test_basic_codes_literally() -> None:
    assert {"code": "550", "kind": "basic", "class": 5, "name": "Mailbox Unavailable"} in rows()
    assert {row["code"] for row in rows(klass=3)} == {"334", "354"}


@pytest.mark.parametrize("klass", [None, 2, 4, 5])
def test_enhanced_codes(klass: int | None) -> None:
    expected = [{"code": e.code if klass is None else f"{klass}{e.code[1:]}", "kind": "enhanced",
                 "class": klass, "name": e.name}
                for e in catalogue.enhanced_codes().values() if klass is None or klass in e.classes]
    assert expected
    assert rows(enhanced=True, klass=klass) == expected


def test_enhanced_codes_literally() -> None:
    assert {"code": "X.1.1", "kind": "enhanced", "class": None,
            "name": "Bad destination mailbox address"} in rows(enhanced=True)
    five = rows(enhanced=True, klass=5)
    assert {"code": "5.1.1", "kind": "enhanced", "class": 5,
            "name": "Bad destination mailbox address"} in five
    assert {"code": "2.1.0", "kind": "enhanced", "class": 2,
            "name": "Other address status"} in rows(enhanced=True, klass=2)
    assert all(row["code"] != "2.1.1" for row in rows(enhanced=True, klass=2))  # 5.x.x only


def _provider_row(item: catalogue.ProviderEntry, klass: int | None) -> dict[str, Any] | None:
    codes = [c for c in item.codes if klass is None or c // 100 == klass]
    classes = {c // 100 for c in codes}
    if not codes and not (klass is None and not item.codes):
        return None
    return {"code": "/".join(map(str, codes)) or "any", "kind": "provider",
            "class": next(iter(classes)) if len(classes) == 1 else None,
            "name": f"{item.provider}: {item.name}", "id": item.id, "enhanced": item.enhanced}


@pytest.mark.parametrize("klass", [None, 2, 3, 4, 5])
def test_provider_entries(klass: int | None) -> None:
    expected = [row for item in catalogue.providers()
                if (row := _provider_row(item, klass)) is not None]
    assert rows(providers=True, klass=klass) == expected


def by_id(found: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in found}


def test_provider_entries_literally() -> None:
    every = by_id(rows(providers=True))
    assert every["gmail-dmarc-dns-tempfail"] == {
        "code": "451", "kind": "provider", "class": 4,
        "name": "Gmail: DMARC Check Deferred by DNS Failure", "id": "gmail-dmarc-dns-tempfail",
        "enhanced": "4.7.26"}
    # an entry for any code: listed as "any" without a class, and under no --class
    assert every["spamhaus-css"]["code"] == "any" and every["spamhaus-css"]["class"] is None
    assert "spamhaus-css" not in by_id(rows(providers=True, klass=5))
    # an entry coded in two classes has no one class, unless --class picks one
    several = next(i for i in catalogue.providers() if len({c // 100 for c in i.codes}) > 1)
    assert every[several.id]["class"] is None
    assert every[several.id]["code"] == "/".join(map(str, several.codes))
    for klass in {c // 100 for c in several.codes}:
        row = by_id(rows(providers=True, klass=klass))[several.id]
        assert row["class"] == klass
        assert row["code"] == "/".join(str(c) for c in several.codes if c // 100 == klass)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"enhanced": True, "providers": True}, r"^choose one of --enhanced and --providers$"),
    ({"klass": 7}, r"^--class must be one of 2, 3, 4, 5$"),
    ({"klass": 1}, r"^--class must be one of 2, 3, 4, 5$"),
    ({"klass": 3, "enhanced": True}, r"^--class must be one of 2, 4, 5$"),
    ({"klass": 6, "providers": True}, r"^--class must be one of 2, 3, 4, 5$"),
])
def test_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        list_codes(**kwargs)
