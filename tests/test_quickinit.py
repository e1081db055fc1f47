"""``quick_init``: the records it speeds up are built exactly as their dataclass builds them."""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

import pytest

from smtpdiag.core.targets import Target
from smtpdiag.model import Attempt, Capabilities, ErrorInfo, Report, Resolution, Step
from smtpdiag.quickinit import quick_init
from smtpdiag.reply import Reply

QUICK = (Reply, ErrorInfo, Step, Capabilities, Attempt, Resolution, Report, Target)


def _plain_twin(cls: type) -> Any:
    """The same fields, defaults and flags, with the dataclass's own ``__init__``."""
    specs = [(f.name, f.type, dataclasses.field(default=f.default)) for f in
             dataclasses.fields(cls)]
    return dataclasses.make_dataclass(cls.__name__, specs, frozen=True, slots=True)


def _values(cls: type, salt: int) -> dict[str, Any]:
    """A distinct value for every field (what it holds does not matter to the record)."""
    return {f.name: f"{f.name}-{salt}" for f in dataclasses.fields(cls)}


@pytest.mark.parametrize("cls", QUICK, ids=lambda c: c.__name__)
def test_every_field_lands_where_the_dataclass_puts_it(cls: type) -> None:
    twin = _plain_twin(cls)
    values = _values(cls, 1)
    quick, plain = cls(**values), twin(**values)
    assert type(quick) is cls
    assert dataclasses.astuple(quick) == dataclasses.astuple(plain)
    assert cls(*values.values()) == quick  # positionally, in the same order
    assert hash(quick) == hash(cls(**values))
    assert quick != cls(**_values(cls, 2))


@pytest.mark.parametrize("cls", QUICK, ids=lambda c: c.__name__)
def test_defaults_and_required_fields_are_the_dataclass_s(cls: type) -> None:
    twin = _plain_twin(cls)
    required = {f.name: f"{f.name}-r" for f in dataclasses.fields(cls)
                if f.default is dataclasses.MISSING}
    assert dataclasses.astuple(cls(**required)) == dataclasses.astuple(twin(**required))
    if required:
        name = next(iter(required))
        with pytest.raises(TypeError, match=name):
            cls(**{k: v for k, v in required.items() if k != name})
    with pytest.raises(TypeError, match="unexpected keyword"):
        cls(**required, not_a_field=1)


@pytest.mark.parametrize("cls", QUICK, ids=lambda c: c.__name__)
def test_the_record_stays_frozen_and_picklable(cls: type) -> None:
    record = cls(**_values(cls, 3))
    first = dataclasses.fields(cls)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(record, first, "changed")
    assert getattr(record, first) == f"{first}-3"
    assert pickle.loads(pickle.dumps(record)) == record
    changed = dataclasses.replace(record, **{first: "other"})
    assert type(changed) is cls and getattr(changed, first) == "other"


def test_quick_init_refuses_what_it_would_build_differently() -> None:
    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Factory:
        a: list[int] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True, slots=True)
    class NotInit:
        a: int = dataclasses.field(default=1, init=False)

    @dataclasses.dataclass(frozen=True, slots=True)
    class KeywordFirst:
        a: int = dataclasses.field(default=1, kw_only=True)
        b: int

    for cls in (NoSlots, Factory, NotInit, KeywordFirst):
        with pytest.raises(TypeError, match="quick_init"):
            quick_init(cls)
