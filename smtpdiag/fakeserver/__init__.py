"""An embedded, scripted SMTP server (aiosmtpd) for the tests, ``smtpdiag serve`` and the demo.

Each scenario is a correct server that changes exactly one thing (see ``SCENARIOS``).  Only the
scenario list is imported eagerly, so that ``smtpdiag serve --help`` does not pay for aiosmtpd,
trustme and cryptography; the rest is imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .scenarios import DEMO_PASSWORD, DEMO_USER, SCENARIOS

if TYPE_CHECKING:
    from .certs import Certs
    from .recorded import Recorded
    from .server import FakeServer, serve_forever

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_USER",
    "SCENARIOS",
    "Certs",
    "FakeServer",
    "Recorded",
    "serve_forever",
]

_LAZY = {
    "Certs": ".certs",
    "Recorded": ".recorded",
    "FakeServer": ".server",
    "serve_forever": ".server",
}


def __getattr__(name: str) -> object:
    """Import the heavy parts on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
