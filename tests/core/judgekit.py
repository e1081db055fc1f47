"""What the ``core/health.py`` ``judge`` test files share: reports built step by step (each
step's reply the usual positive one unless given), a plain session, and ``reasons``."""

from __future__ import annotations

from smtpdiag.core.health import Reason, judge
from smtpdiag.core.thresholds import Thresholds
from smtpdiag.model import Attempt, ErrorInfo, Reply, Report, Step, TlsInfo

OK_CODES = {"greeting": 220, "ehlo": 250, "helo": 250, "starttls": 220, "ehlo-tls": 250,
            "auth": 235, "mail": 250, "rcpt": 250, "rset": 250, "data": 354, "message": 250,
            "quit": 221}


def step(name: str, code: int | None = None, ms: float = 1.0, text: str = "ok") -> Step:
    if name in ("connect", "tls"):
        return Step(name, elapsed_ms=ms)
    return Step(name, name.upper(), Reply(code or OK_CODES[name], (text,)), elapsed_ms=ms)


def attempt(*steps: Step, tls: TlsInfo | None = None, error: ErrorInfo | None = None,
            outcome: str = "accepted", host: str = "mx.test", address: str | None = "192.0.2.1",
            port: int = 25, tls_mode: str = "starttls") -> Attempt:
    return Attempt(host, address, port, tls_mode, steps, tls=tls, error=error, outcome=outcome)


def report(*attempts: Attempt, verdict: str = "accepted", error: ErrorInfo | None = None,
           elapsed_ms: float = 50.0, dry_run: bool = True, summary: str = "sum") -> Report:
    return Report("t.test", verdict, summary, attempts=attempts, error=error, dry_run=dry_run,
                  elapsed_ms=elapsed_ms)


PLAIN = (step("connect"), step("greeting"), step("ehlo"), step("mail"), step("rcpt"),
         step("rset"), step("quit"))


def reasons(rep: Report, thresholds: Thresholds | None = None,
            **kwargs: bool) -> tuple[Reason, ...]:
    return judge(rep, thresholds or Thresholds(), **kwargs).reasons
