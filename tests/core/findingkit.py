"""Attempts and steps as the findings tests build them (tests/core/test_findings*.py)."""

from __future__ import annotations

from smtpdiag.model import Attempt, ErrorInfo, Reply, Step, TlsInfo

__all__ = ["_attempt", "_step", "_tls"]


def _attempt(*steps: Step, **kwargs: object) -> Attempt:
    options: dict[str, object] = {"host": "mx.test", "address": "192.0.2.1", "port": 25,
                                  "tls_mode": "starttls"}
    options.update(kwargs)
    return Attempt(steps=steps, **options)  # type: ignore[arg-type]


def _step(name: str, code: int | None, text: str = "x", ms: float = 1.0,
          truncated: bool = False, error: ErrorInfo | None = None) -> Step:
    reply = None if code is None else Reply(code, (text,), None, (), truncated)
    return Step(name, None, reply, elapsed_ms=ms, error=error)


def _tls(**kwargs: object) -> TlsInfo:
    options: dict[str, object] = {"mode": "starttls", "version": "TLSv1.3",
                                  "hostname_matched": True, "days_left": 90}
    options.update(kwargs)
    return TlsInfo(**options)  # type: ignore[arg-type]
