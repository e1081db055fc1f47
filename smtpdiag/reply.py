"""The SMTP reply record, on its own: reading a pasted reply (``explain``) needs this one record,
and building every frozen record of ``model.py`` would cost a cold ``explain`` a fifth of its
time.  ``model`` re-exports it; import it from either.
"""

from __future__ import annotations

from .record import record


@record
class Reply:
    """One complete SMTP reply: a code, an optional enhanced code, and its text lines."""

    code: int
    lines: tuple[str, ...]
    enhanced: str | None = None
    raw: tuple[str, ...] = ()
    truncated: bool = False

    @property
    def klass(self) -> int:
        return self.code // 100

    @property
    def text(self) -> str:
        return " ".join(line for line in self.lines if line)

    @property
    def shown(self) -> str:
        """The code and ``text`` as every output shows them (controls, bidi overrides, bytes
        that are not UTF-8 and backslashes escaped); ``lines`` keep the exact text."""
        from .core.text import clean

        return clean(f"{self.code} {self.text}")

    @property
    def positive(self) -> bool:
        return self.klass in (2, 3)
