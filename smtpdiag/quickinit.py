"""A faster ``__init__`` for the frozen records a fleet makes by the thousand.

A frozen dataclass's ``__init__`` sets each field with ``object.__setattr__`` (its own
``__setattr__`` refuses every assignment): a full call per field, about three times what a plain
assignment costs.  A walk makes some fifteen records (a ``Step`` and a ``Reply`` per exchange, the
``Attempt``, the ``Report``...), and ``check`` makes them for every target.

``quick_init`` gives such a class an ``__init__`` with the same signature that, for the time of
the call, lends the new object to a twin class with the same slots and no ``__setattr__`` of its
own, assigns every field plainly, and gives the object back to its class.  The record is then
exactly what the dataclass's own ``__init__`` makes (the same class, the same values, frozen,
equal and hashed alike); ``tests/test_quickinit.py`` holds every decorated record to that.
"""

from __future__ import annotations

import dataclasses
from typing import TypeVar

__all__ = ["quick_init"]

T = TypeVar("T")


def quick_init(cls: type[T]) -> type[T]:
    """Replace a frozen, slotted dataclass's ``__init__`` by one that assigns its fields
    plainly (see the module's doc).  Only plain defaults are supported: a field with a
    ``default_factory``, or no ``__slots__``, is refused here rather than built differently."""
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    slots = getattr(cls, "__slots__", None)
    if slots is None or tuple(slots) != tuple(f.name for f in fields):
        raise TypeError(f"quick_init: {cls.__name__} must be a slotted dataclass")
    params, defaults = [], {}
    for field in fields:
        if field.default_factory is not dataclasses.MISSING or not field.init:
            raise TypeError(f"quick_init: {cls.__name__}.{field.name} is not a plain field")
        if field.default is dataclasses.MISSING:
            params.append(field.name)
        else:
            defaults[f"_d_{field.name}"] = field.default
            params.append(f"{field.name}=_d_{field.name}")
    twin = type(f"_{cls.__name__}Builder", (), {"__slots__": tuple(slots)})
    body = "".join(f"    self.{f.name} = {f.name}\n" for f in fields)
    source = (f"def __init__(self, {', '.join(params)}):\n"
              "    _lend(self, '__class__', _twin)\n"
              f"{body}"
              "    self.__class__ = _cls\n")
    space = {"_lend": object.__setattr__, "_twin": twin, "_cls": cls, **defaults}
    exec(source, space)
    init = space["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__annotations__ = {**{f.name: f.type for f in fields}, "return": None}  # as dataclass
    cls.__init__ = init  # type: ignore[method-assign]
    return cls
