"""``record`` makes what ``dataclass(frozen=True, slots=True)`` makes, for every record it makes.

Each record class is compared with a twin built by the dataclass itself from the same fields
(names, types, defaults, repr/compare/hash flags): signature, repr, equality, hash, frozen
errors, pickles and copies must not tell them apart.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from typing import Any

import pytest

import smtpdiag.catalogue
import smtpdiag.core.health
import smtpdiag.core.targets
import smtpdiag.core.thresholds
import smtpdiag.model
import smtpdiag.net.probe
import smtpdiag.net.walkoptions
import smtpdiag.reply
from smtpdiag.record import record

MODULES = (smtpdiag.model, smtpdiag.reply, smtpdiag.core.targets, smtpdiag.core.health,
           smtpdiag.core.thresholds, smtpdiag.catalogue, smtpdiag.net.walkoptions,
           smtpdiag.net.probe)
RECORDS = sorted({value for module in MODULES for value in vars(module).values()
                  if isinstance(value, type) and dataclasses.is_dataclass(value)
                  and value.__module__ == module.__name__
                  and not hasattr(value, "__post_init__")}, key=lambda c: c.__qualname__)


def twin(cls: type) -> Any:
    """The same fields, made by ``dataclass(frozen=True, slots=True)``."""
    specs = []
    for f in dataclasses.fields(cls):
        keep = {"repr": f.repr, "compare": f.compare, "hash": f.hash, "init": f.init}
        if f.default is not dataclasses.MISSING:
            keep["default"] = f.default
        if f.default_factory is not dataclasses.MISSING:
            keep["default_factory"] = f.default_factory
        specs.append((f.name, f.type, dataclasses.field(**keep)))
    made = dataclasses.make_dataclass(cls.__name__, specs, frozen=True, slots=True)
    made.__doc__ = cls.__doc__
    return made


def values(cls: type, salt: int) -> dict[str, Any]:
    """A distinct value for every field that ``__init__`` takes."""
    return {f.name: f"{f.name}-{salt}" for f in dataclasses.fields(cls) if f.init}


def both(cls: type, salt: int) -> tuple[Any, Any]:
    return cls(**values(cls, salt)), twin(cls)(**values(cls, salt))


def test_the_records_are_found():
    names = {cls.__name__ for cls in RECORDS}
    assert {"Report", "Step", "Reply", "Target", "CheckResult", "Thresholds", "WalkOptions",
            "ProbeOptions"} <= names
    assert len(RECORDS) >= 24


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
def test_a_record_is_its_dataclass_twin(cls):
    made = twin(cls)
    assert inspect.signature(cls) == inspect.signature(made)
    assert cls.__slots__ == made.__slots__ and cls.__match_args__ == made.__match_args__
    assert cls.__doc__ == made.__doc__
    params = cls.__dataclass_params__
    assert (params.init, params.repr, params.eq, params.frozen, params.order) == (
        True, True, True, True, False)
    one, other = both(cls, 1)
    assert repr(one).replace(cls.__qualname__, "X", 1) == repr(other).replace(
        made.__qualname__, "X", 1)
    assert hash(one) == hash(other)
    assert dataclasses.astuple(one) == dataclasses.astuple(other)
    assert dataclasses.asdict(one) == dataclasses.asdict(other)
    assert one == cls(**values(cls, 1)) and one != cls(**values(cls, 2))
    assert (one != other) and (one == other) is False  # another class is never equal
    assert one.__eq__(other) is NotImplemented


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
def test_a_record_stays_frozen_as_its_twin_does(cls):
    one, other = both(cls, 3)
    for name in (f.name for f in dataclasses.fields(cls)):
        for action in (lambda obj, n=name: setattr(obj, n, "x"),
                       lambda obj, n=name: delattr(obj, n)):
            with pytest.raises(dataclasses.FrozenInstanceError) as ours:
                action(one)
            with pytest.raises(dataclasses.FrozenInstanceError) as theirs:
                action(other)
            assert str(ours.value) == str(theirs.value)
    assert dataclasses.astuple(one) == dataclasses.astuple(cls(**values(cls, 3)))


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
def test_a_record_pickles_copies_and_is_replaced(cls):
    one = cls(**values(cls, 4))
    assert pickle.loads(pickle.dumps(one)) == one
    assert copy.copy(one) == one and copy.deepcopy(one) == one
    first = next(f.name for f in dataclasses.fields(cls) if f.init)
    changed = dataclasses.replace(one, **{first: "other"})
    assert type(changed) is cls and getattr(changed, first) == "other" and changed != one


def test_a_field_left_out_of_comparison_is_left_out_as_the_dataclass_does():
    @record
    class Pair:
        """Two values, one of them not compared, hashed or shown."""

        kept: str
        aside: str = dataclasses.field(default="", repr=False, compare=False)

    assert Pair("a", "x") == Pair("a", "y") and hash(Pair("a", "x")) == hash(Pair("a", "y"))
    assert Pair("a") != Pair("b")
    assert repr(Pair("a", "x")) == "test_a_field_left_out_of_comparison_is_left_out_as_" \
        "the_dataclass_does.<locals>.Pair(kept='a')"


def test_a_class_needing_more_is_made_by_the_dataclass_itself():
    @record
    class Counted:
        """A list made per instance, and a field computed after ``__init__``."""

        items: list[int] = dataclasses.field(default_factory=list)
        size: int = dataclasses.field(init=False, default=0)

        def __post_init__(self) -> None:
            object.__setattr__(self, "size", len(self.items))

    assert Counted([1, 2]).size == 2 and Counted().items == []
    assert Counted().items is not Counted().items
    with pytest.raises(dataclasses.FrozenInstanceError):
        Counted().size = 3  # type: ignore[misc]


def test_a_class_without_a_docstring_gets_the_dataclass_s():
    @record
    class Bare:
        first: int
        second: str = "x"

    assert Bare.__doc__ == "Bare(first: 'int', second: 'str' = 'x')"


def test_a_record_inside_itself_is_shown_once():
    @record
    class Box:
        """Holds anything, itself too (through a list)."""

        content: Any

    box = Box([])
    box.content.append(box)
    assert repr(box).endswith("Box(content=[...])")
