"""A faster way to build the frozen records a fleet makes by the thousand.

A frozen dataclass's ``__init__`` sets each field with ``object.__setattr__`` (its own
``__setattr__`` refuses every assignment): a full call per field, about three times what a plain
assignment costs.  A walk makes some fifteen records (a ``Step`` and a ``Reply`` per exchange, the
``Attempt``, the ``Report``...), and ``check`` makes them for every target.

``quick_init`` gives such a class a ``__new__`` with the signature of its ``__init__`` (and
no ``__init__`` of its own) that makes the object as a twin class with the same slots and no
``__setattr__`` of its own (a subclass of the record that adds no slots and takes back
``object``'s ``__setattr__``), assigns every field plainly, and then gives the object its class.
The record is exactly what the dataclass's own ``__init__`` makes (the same class, the same
values, frozen, equal and hashed alike, pickled and copied through ``__getnewargs__``);
``tests/test_quickinit.py`` and ``tests/test_record.py`` hold every decorated record to that.
Made as the twin, the object changes class once; an ``__init__`` lending an object of the
record's class to the twin and back changed it twice, with a call of ``object.__setattr__``:
twice the time of this ``__new__`` for a ``Step`` (1.4 against 0.7 µs, 0.55 for a plain class).

Compiling that ``__new__`` from source text cost ~0.6 M instructions a record, some 14 M of a
dry-run probe's start-up (two dozen records).  Its code differs from record to record only in
names, so one is compiled per number of fields, with placeholder names, and each record's is
that code with its own names put in (``CodeType.replace``): the same instructions, the same
signature and defaults.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from operator import attrgetter
from types import CodeType, FunctionType
from typing import Any, TypeVar

__all__ = ["quick_init"]

T = TypeVar("T")


def quick_init(cls: type[T]) -> type[T]:
    """Build a frozen, slotted dataclass's records with a ``__new__`` that assigns their fields
    plainly instead of its ``__init__`` (see the module's doc).  Only plain defaults are
    supported: a field with a ``default_factory``, or no ``__slots__``, is refused here rather
    than built differently."""
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    slots = getattr(cls, "__slots__", None)
    if slots is None or tuple(slots) != tuple(f.name for f in fields):
        raise TypeError(f"quick_init: {cls.__name__} must be a slotted dataclass")
    defaults = []
    for field in fields:
        if field.default_factory is not dataclasses.MISSING or not field.init:
            raise TypeError(f"quick_init: {cls.__name__}.{field.name} is not a plain field")
        if field.default is not dataclasses.MISSING:
            defaults.append(field.default)
        elif defaults:  # a keyword-only field with a default before it: not positional
            raise TypeError(f"quick_init: {cls.__name__}.{field.name} follows a default")
    # The twin is a subclass of the record with no slots of its own and object's plain
    # __setattr__ and __delattr__: the same layout, so that changing the object's class needs
    # no comparison of the two classes' slots (CPython compares the __slots__ of two unrelated
    # classes name by name; a class and its own subclass it only walks up to): ~190
    # instructions a record, some 3.6k a probe.
    twin = type(f"_{cls.__name__}Builder", (cls,), {
        "__slots__": (), "__setattr__": object.__setattr__,
        "__delattr__": object.__delattr__})
    template = _template(len(fields))
    names = {f"_{i}": field.name for i, field in enumerate(fields)}
    code = template.replace(co_names=tuple(names.get(n, n) for n in template.co_names),
                            co_varnames=tuple(names.get(n, n) for n in template.co_varnames))
    new = FunctionType(code, {"_make": object.__new__, "_twin": twin}, "__new__",
                       tuple(defaults) or None)
    new.__qualname__ = f"{cls.__qualname__}.__new__"
    new.__annotations__ = {**{f.name: f.type for f in fields}, "return": None}  # as dataclass
    if "__init__" in vars(cls):  # a dataclass's own: it would set every field again
        delattr(cls, "__init__")
    cls.__new__ = staticmethod(new)  # type: ignore[method-assign]
    # A pickle or a copy makes the record again through __new__, from its values.
    cls.__getnewargs__ = _values(tuple(names.values()))  # type: ignore[attr-defined]
    return cls


def _values(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """``__getnewargs__``: the record's values, in the order ``__new__`` takes them."""
    if len(names) < 2:
        if not names:
            return lambda record: ()
        one = attrgetter(names[0])
        return lambda record: (one(record),)
    several = attrgetter(*names)
    return lambda record: several(record)  # a function, so that it binds as a method


_TEMPLATES: dict[int, CodeType] = {}


def _template(count: int) -> CodeType:
    """The code of a ``__new__`` of ``count`` fields named ``_0``, ``_1``...: each record puts
    its own names in place of these in one pass, so a field may have any name but the four
    the code itself uses (``self``, ``_make``, ``_twin``, ``_cls``), as with source text."""
    code = _TEMPLATES.get(count)
    if code is None:
        params = [f"_{i}" for i in range(count)]
        body = "".join(f"    self.{name} = {name}\n" for name in params)
        source = (f"def __new__(_cls{''.join(', ' + name for name in params)}):\n"
                  "    self = _make(_twin)\n"
                  f"{body}"
                  "    self.__class__ = _cls\n"
                  "    return self\n")
        space: dict[str, object] = {}
        exec(source, space)
        function = space["__new__"]
        assert isinstance(function, FunctionType)
        code = _TEMPLATES[count] = function.__code__
    return code
