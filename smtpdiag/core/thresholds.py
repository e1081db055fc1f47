"""The thresholds and expectations of ``smtpdiag check``, and the parsing of their options.

Pure: ``STEP=CODE`` / ``STEP=SECONDS`` texts in, a frozen ``Thresholds`` out, or a
``UsageError`` naming the option.  ``health.py`` holds them against a report.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from ..errors import UsageError, quoted
from ..record import record
from .targets import QUIT_POINTS

__all__ = [
    "EXPECT_STEPS",
    "STEP_PARTS",
    "TIME_STEPS",
    "Expectation",
    "Thresholds",
    "build_thresholds",
    "check_reachable",
    "parse_expect",
    "parse_step_seconds",
]

# The steps a user names, in walk order, and the report steps each one covers.
TIME_STEPS = ("connect", "greeting", "ehlo", "tls", "auth", "mail", "rcpt", "data")
EXPECT_STEPS = TIME_STEPS[1:]
STEP_PARTS: dict[str, tuple[str, ...]] = {
    "connect": ("connect",),
    "greeting": ("greeting",),
    "ehlo": ("ehlo", "helo", "ehlo-tls"),
    "tls": ("starttls", "tls"),
    "auth": ("auth",),
    "mail": ("mail",),
    "rcpt": ("rcpt",),
    "data": ("data", "message"),
}
# A sign, nan and inf are read so that they get the more helpful "must be positive" message.
_SECONDS = re.compile(r"[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                      r"|inf|infinity|nan)", re.IGNORECASE)
_CODE = re.compile(r"[2-5](?:[0-5][0-9]|xx)", re.IGNORECASE)


@record
class Expectation:
    """The replies accepted at one step: exact codes (250) and classes (2 for ``2xx``)."""

    step: str
    codes: tuple[int, ...] = ()
    classes: tuple[int, ...] = ()

    def accepts(self, code: int) -> bool:
        return code in self.codes or code // 100 in self.classes

    @property
    def text(self) -> str:
        return ",".join([*(str(c) for c in self.codes), *(f"{k}xx" for k in self.classes)])


@record
class Thresholds:
    """What turns a report into WARNING or CRITICAL; seconds are floats, days integers."""

    expect: tuple[Expectation, ...] = ()
    warn: float | None = None
    crit: float | None = None
    step_warn: tuple[tuple[str, float], ...] = ()
    step_crit: tuple[tuple[str, float], ...] = ()
    cert_warn_days: int = 14
    cert_crit_days: int = 7
    require_tls: bool = False

    def expectation(self, step: str) -> Expectation | None:
        return next((e for e in self.expect if e.step == step), None)

    def step_limits(self, step: str) -> tuple[float | None, float | None]:
        return dict(self.step_warn).get(step), dict(self.step_crit).get(step)

    def to_dict(self) -> dict[str, object]:
        return {
            "expect": {e.step: e.text for e in self.expect},
            "warn": self.warn, "crit": self.crit,
            "step_warn": dict(self.step_warn), "step_crit": dict(self.step_crit),
            "cert_warn_days": self.cert_warn_days, "cert_crit_days": self.cert_crit_days,
            "require_tls": self.require_tls,
        }


def _split(text: str, option: str, steps: Sequence[str]) -> tuple[str, str]:
    step, sep, value = text.strip().partition("=")
    step = step.strip().lower()
    if not sep or not value.strip():
        raise UsageError(f"{option} {quoted(text)}: expected STEP=VALUE, e.g. {option} mail=250")
    if step not in steps:
        raise UsageError(f"{option} {quoted(text)}: unknown step {quoted(step, 40)}; "
                         "choose one of "
                         f"{', '.join(steps)}")
    return step, value.strip()


def parse_expect(texts: Sequence[str]) -> tuple[Expectation, ...]:
    """``STEP=CODE[,CODE…]`` where CODE is ``250`` or ``2xx``; a step repeated adds codes."""
    found: dict[str, tuple[list[int], list[int]]] = {}
    for text in texts:
        step, value = _split(text, "--expect", EXPECT_STEPS)
        codes, classes = found.setdefault(step, ([], []))
        for part in value.split(","):
            part = part.strip()
            if not _CODE.fullmatch(part):
                raise UsageError(f"--expect {quoted(text)}: {quoted(part, 40)} is not a reply "
                                 "code (200-559) "
                                 "or a class (2xx, 3xx, 4xx, 5xx)")
            if part[1:].lower() == "xx":
                classes.append(int(part[0]))
            else:
                codes.append(int(part))
    return tuple(Expectation(step, tuple(dict.fromkeys(c)), tuple(dict.fromkeys(k)))
                 for step, (c, k) in sorted(found.items(), key=lambda i: TIME_STEPS.index(i[0])))


def _seconds(text: str, option: str) -> float:
    """ASCII decimals only: ``float`` would also read "٢.٥" and "1_0"."""
    try:
        if not _SECONDS.fullmatch(text.strip()):
            raise ValueError(text)
        value = float(text)
    except ValueError:
        raise UsageError(f"{option}: {quoted(text)} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise UsageError(f"{option}: {quoted(text)} must be a positive number of seconds")
    return value


def parse_step_seconds(texts: Sequence[str], option: str) -> tuple[tuple[str, float], ...]:
    """``STEP=SECONDS`` for ``--warn-step`` / ``--crit-step``; each step at most once."""
    found: dict[str, float] = {}
    for text in texts:
        step, value = _split(text, option, TIME_STEPS)
        if step in found:
            raise UsageError(f"{option} names {quoted(step, 40)} twice")
        found[step] = _seconds(value, option)
    return tuple(sorted(found.items(), key=lambda item: TIME_STEPS.index(item[0])))


def build_thresholds(*, expect: Sequence[str] = (), warn: float | None = None,
                     crit: float | None = None, warn_step: Sequence[str] = (),
                     crit_step: Sequence[str] = (), cert_warn_days: int = 14,
                     cert_crit_days: int = 7, require_tls: bool = False) -> Thresholds:
    """Validate every threshold option (``UsageError`` naming the option) into ``Thresholds``."""
    for name, value in (("--warn", warn), ("--crit", crit)):
        if value is not None:
            _seconds(str(value), name)
    if warn is not None and crit is not None and warn > crit:
        raise UsageError(f"--warn {warn:g} is above --crit {crit:g}")
    step_warn = parse_step_seconds(warn_step, "--warn-step")
    step_crit = parse_step_seconds(crit_step, "--crit-step")
    crits = dict(step_crit)
    for step, seconds in step_warn:
        if step in crits and seconds > crits[step]:
            raise UsageError(f"--warn-step {step}={seconds:g} is above --crit-step "
                             f"{step}={crits[step]:g}")
    if cert_warn_days < 0 or cert_crit_days < 0:
        raise UsageError("--cert-warn-days and --cert-crit-days must be 0 or more")
    if cert_warn_days < cert_crit_days:
        raise UsageError(f"--cert-warn-days {cert_warn_days} is below --cert-crit-days "
                         f"{cert_crit_days}: the warning must come first")
    return Thresholds(parse_expect(expect), warn, crit, step_warn, step_crit, cert_warn_days,
                      cert_crit_days, require_tls)


def check_reachable(thresholds: Thresholds, *, dry_run: bool, quit_after: str | None,
                    auth: bool, tls: str) -> None:
    """Refuse expectations the walk can never reach with these probe options."""
    order = (*QUIT_POINTS, "data")
    for expectation in thresholds.expect:
        step, option = expectation.step, f"--expect {expectation.step}=…"
        if quit_after is not None and order.index(step) > order.index(quit_after):
            raise UsageError(f"{option}: the walk stops after {quit_after} (--quit-after)")
        if step == "data" and dry_run:
            raise UsageError(f"{option}: a check sends no DATA unless --send is given")
        if step == "auth" and not auth:
            raise UsageError(f"{option}: AUTH is tried only with --auth-user")
        if step == "tls" and tls == "none":
            raise UsageError(f"{option}: --tls none never starts TLS")
    if thresholds.require_tls:
        if tls == "none":
            raise UsageError("--require-tls contradicts --tls none")
        if quit_after in ("connect", "greeting", "ehlo"):
            raise UsageError(f"--require-tls: the walk stops after {quit_after}, before TLS")
