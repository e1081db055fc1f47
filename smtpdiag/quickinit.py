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

Compiling that ``__init__`` from source text cost ~0.6 M instructions a record, some 14 M of a
dry-run probe's start-up (two dozen records).  Its code differs from record to record only in
names, so one is compiled per number of fields, with placeholder names, and each record's is
that code with its own names put in (``CodeType.replace``): the same instructions, the same
signature and defaults.
"""

from __future__ import annotations

import dataclasses
from types import CodeType, FunctionType
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
    defaults = []
    for field in fields:
        if field.default_factory is not dataclasses.MISSING or not field.init:
            raise TypeError(f"quick_init: {cls.__name__}.{field.name} is not a plain field")
        if field.default is not dataclasses.MISSING:
            defaults.append(field.default)
        elif defaults:  # a keyword-only field with a default before it: not positional
            raise TypeError(f"quick_init: {cls.__name__}.{field.name} follows a default")
    twin = type(f"_{cls.__name__}Builder", (), {"__slots__": tuple(slots)})
    template = _template(len(fields))
    names = {f"_{i}": field.name for i, field in enumerate(fields)}
    code = template.replace(co_names=tuple(names.get(n, n) for n in template.co_names),
                            co_varnames=tuple(names.get(n, n) for n in template.co_varnames))
    init = FunctionType(code, {"_lend": object.__setattr__, "_twin": twin, "_cls": cls},
                        "__init__", tuple(defaults) or None)
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__annotations__ = {**{f.name: f.type for f in fields}, "return": None}  # as dataclass
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


_TEMPLATES: dict[int, CodeType] = {}


def _template(count: int) -> CodeType:
    """The code of an ``__init__`` of ``count`` fields named ``_0``, ``_1``...: each record puts
    its own names in place of these in one pass, so a field may have any name but the four
    the code itself uses (``self``, ``_lend``, ``_twin``, ``_cls``), as with source text."""
    code = _TEMPLATES.get(count)
    if code is None:
        params = [f"_{i}" for i in range(count)]
        body = "".join(f"    self.{name} = {name}\n" for name in params)
        source = (f"def __init__(self{''.join(', ' + name for name in params)}):\n"
                  "    _lend(self, '__class__', _twin)\n"
                  f"{body}"
                  "    self.__class__ = _cls\n")
        space: dict[str, object] = {}
        exec(source, space)
        function = space["__init__"]
        assert isinstance(function, FunctionType)
        code = _TEMPLATES[count] = function.__code__
    return code
