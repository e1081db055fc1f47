"""``record``: a frozen, slotted dataclass, made without compiling six methods per class.

``@dataclass(frozen=True, slots=True)`` writes ``__init__``, ``__repr__``, ``__eq__``,
``__hash__``, ``__setattr__`` and ``__delattr__`` of each class as source text and compiles
them: about 5.8 million instructions a class (callgrind), and ``check`` defines some 25 records
before it probes anything, a fifth of its start-up.  ``record`` makes the same class: a real
dataclass (``fields``, ``replace``, ``asdict``, ``match``, pickles as before) whose one compiled
method is the plain-assigning ``__init__`` of ``quick_init``; the other five are shared
functions over the class's field names.  ``tests/test_record.py`` holds every record to what
``dataclass(frozen=True, slots=True)`` makes of the same fields: signature, repr, equality,
hash, frozen errors, pickles, copies.

A class that needs more of the dataclass machinery (a ``default_factory``, a field left out of
``__init__``, ``__post_init__``, a docstring written from the signature) is made by
``dataclass(frozen=True, slots=True)`` itself.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from operator import attrgetter
from reprlib import recursive_repr
from typing import Any, TypeVar, dataclass_transform

from .quickinit import quick_init

__all__ = ["record"]

T = TypeVar("T")


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def record(cls: type[T]) -> type[T]:
    """``@dataclass(frozen=True, slots=True)``, made cheaply (see the module's doc)."""
    if not _plain(cls):
        made: type[T] = dataclasses.dataclass(frozen=True, slots=True)(cls)
        return made
    made = dataclasses.dataclass(cls, init=False, repr=False, eq=False, slots=True)
    _share_methods(made, dataclasses.fields(made))  # type: ignore[arg-type]
    params = copy.copy(made.__dataclass_params__)  # type: ignore[attr-defined]
    params.init = params.repr = params.eq = params.frozen = True
    made.__dataclass_params__ = params  # type: ignore[attr-defined]
    return quick_init(made)


def _plain(cls: type) -> bool:
    """Whether ``quick_init`` and the shared methods make this class exactly (a class without
    a docstring gets its signature as one, from the dataclass's own ``__init__``)."""
    if not cls.__doc__ or any("__post_init__" in vars(base) for base in cls.__mro__):
        return False
    for value in vars(cls).values():
        if isinstance(value, dataclasses.Field) and (
                value.default_factory is not dataclasses.MISSING or not value.init
                or value.kw_only is True):
            return False
    return not any("InitVar" in str(kind) for kind in vars(cls).get("__annotations__", {})
                   .values())


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The values of ``names`` as a tuple, as the dataclass's methods build it."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


def _share_methods(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> None:
    names = tuple(f.name for f in fields)
    compared = _getter(tuple(f.name for f in fields if f.compare))
    hashed = _getter(tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash)))
    shown = tuple(f.name for f in fields if f.repr)

    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return compared(self) == compared(other)
        return NotImplemented

    def __hash__(self: Any) -> int:
        return hash(hashed(self))

    @recursive_repr()
    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{self.__class__.__qualname__}({inner})"

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        object.__setattr__(self, name, value)

    def __delattr__(self: Any, name: str) -> None:
        if name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        object.__delattr__(self, name)

    def __getstate__(self: Any) -> list[Any]:
        return [getattr(self, name) for name in names]

    def __setstate__(self: Any, state: list[Any]) -> None:
        for name, value in zip(names, state, strict=False):
            object.__setattr__(self, name, value)  # the frozen __setattr__ would refuse

    for method in (__eq__, __hash__, __repr__, __setattr__, __delattr__, __getstate__,
                   __setstate__):
        method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
        setattr(cls, method.__name__, method)
