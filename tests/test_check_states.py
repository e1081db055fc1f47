"""``check``'s judging of real probes: every threshold and expectation, against real fake
servers on loopback, each probed once (``judge`` is pure, so one probe is held against many
thresholds).  The CLI's formats are in test_check_formats.py, its input in
test_check_input.py.  Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from smtpdiag.core.health import CheckRun, judge
from smtpdiag.core.thresholds import Thresholds, build_thresholds
from smtpdiag.fakeserver import DEMO_PASSWORD, DEMO_USER, FakeServer
from smtpdiag.model import Report
from smtpdiag.net.probe import probe
from smtpdiag.render.check_formats import RENDERERS, STREAMERS, CheckFormat, render

from .check_servers import SERVERS, options_for, running_servers, where

# Every probe's budget: FAST's 3-s deadline ran out under load (25 probes at once, and the
# servers' threads, in one loaded process took 11 s; the slow greeting alone spends 1.5 s).
# No case here expects a timeout, so a budget that load cannot use up weakens none of them.
PATIENT = {"timeout": 30.0, "deadline": 30.0}
# The slow-greeting server greets after 1.5 s, which load only lengthens: limits under 1.5 s
# are crossed however loaded the machine.  The limits it must NOT cross are derived from the
# probe's own timings, not fixed (a loaded machine's EHLO took more than a fixed 1 s).


def _between_the_greeting_and(warned: str, critical: str, report: Report) -> dict[str, Any]:
    """A warning limit on one step and a critical one on another, each halfway between the
    time that step took and the greeting's: crossed only if the greeting were counted.  (Were
    a loaded machine to make the step slower still than the greeting, its limit is put just
    above the step's time: that run checks less, but says nothing false.)"""
    times = dict(judge(report, Thresholds()).metrics.steps)

    def halfway(step: str) -> str:
        took, greeting = times[step], times["greeting"]
        return f"{step}={(took + greeting) / 2 if greeting > took else took + 0.1:.6f}"

    return {"warn_step": [halfway(warned)], "crit_step": [halfway(critical)]}


def _above_the_session(report: Report) -> dict[str, Any]:
    """Session limits above the time the whole slow session took."""
    took = report.elapsed_ms / 1000
    assert took > 1.5, took  # the greeting's delay is in it
    return {"warn": took + 1.0, "crit": took + 2.0}


# Thresholds given a real probe of a server, and the state they must give.
CASES = [
    ("healthy", {}, {}, "OK"),
    ("healthy-tls", {"require_tls": True, "expect": ["tls=220", "mail=250"]}, {}, "OK"),
    ("implicit", {"require_tls": True, "expect": ["tls=220"]}, {"tls": "implicit"}, "OK"),
    ("healthy", {"require_tls": True}, {}, "CRITICAL"),
    ("no-starttls", {"require_tls": True}, {}, "CRITICAL"),
    ("no-starttls", {"expect": ["tls=220"]}, {}, "CRITICAL"),
    ("healthy", {"expect": ["mail=251"]}, {}, "CRITICAL"),
    ("healthy", {"expect": ["greeting=2xx", "ehlo=250", "mail=250", "rcpt=250"]}, {}, "OK"),
    ("mail-refused", {}, {}, "CRITICAL"),
    ("mail-refused", {"expect": ["mail=553"]}, {}, "OK"),
    ("greylist", {}, {}, "WARNING"),
    ("greylist", {"expect": ["rcpt=2xx,4xx"]}, {}, "OK"),
    ("greylist", {"expect": ["rcpt=250"]}, {}, "WARNING"),
    ("unknown-user", {}, {}, "CRITICAL"),
    ("unknown-user", {"expect": ["rcpt=550"]}, {}, "OK"),
    ("tempfail", {}, {}, "WARNING"),
    ("greeting-421", {}, {}, "WARNING"),
    ("greeting-554", {}, {}, "CRITICAL"),
    ("greeting-554", {"expect": ["greeting=554"]}, {"quit_after": "greeting"}, "OK"),
    ("ehlo-refused", {}, {}, "WARNING"),
    ("data-refused", {}, {"dry_run": False}, "CRITICAL"),
    ("healthy", {"expect": ["data=250"]}, {"dry_run": False}, "OK"),
    ("healthy-tls", {"expect": ["auth=235"]},
     {"auth_user": DEMO_USER, "auth_password": DEMO_PASSWORD}, "OK"),
    ("healthy-tls", {}, {"auth_user": DEMO_USER, "auth_password": "wrong"}, "CRITICAL"),
    ("expired", {}, {}, "CRITICAL"),
    # STARTTLS when offered (port 25's mode): the walk goes on as senders' mail does
    ("self-signed", {}, {}, "WARNING"),
    ("self-signed", {}, {"insecure": True}, "WARNING"),
    ("wrong-host", {}, {}, "WARNING"),
    # TLS required: the certificate ends the walk, or --insecure carried on
    ("self-signed", {}, {"tls": "starttls"}, "CRITICAL"),
    ("self-signed", {}, {"tls": "starttls", "insecure": True}, "CRITICAL"),
    ("wrong-host", {}, {"tls": "starttls"}, "CRITICAL"),
    ("ten-days", {}, {}, "WARNING"),
    ("ten-days", {"cert_warn_days": 30, "cert_crit_days": 11}, {}, "CRITICAL"),
    ("ten-days", {"cert_warn_days": 5, "cert_crit_days": 3}, {}, "OK"),
    ("slow-greeting", {}, {}, "OK"),
    ("slow-greeting", {"warn_step": ["greeting=1"]}, {}, "WARNING"),
    ("slow-greeting", {"warn_step": ["greeting=0.5"], "crit_step": ["greeting=1"]}, {},
     "CRITICAL"),
    ("slow-greeting", lambda report: _between_the_greeting_and("mail", "ehlo", report), {},
     "OK"),
    ("slow-greeting", {"warn": 1.0}, {}, "WARNING"),
    ("slow-greeting", {"warn": 1.0, "crit": 1.2}, {}, "CRITICAL"),
    ("slow-greeting", lambda report: _above_the_session(report), {}, "OK"),
]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, FakeServer]]:
    yield from running_servers(tmp_path_factory, SERVERS)


@pytest.fixture(scope="module")
def probed(servers: dict[str, FakeServer]) -> dict[tuple[str, str], Report]:
    """Every distinct (server, probe options) of CASES probed once, all at the same time."""
    wanted = {(name, json.dumps(opts, sort_keys=True)): (name, opts)
              for name, _, opts, _ in CASES}

    async def run_all() -> list[Report]:
        return await asyncio.gather(*(probe(where(servers[name]),
                                            options_for(servers[name], **PATIENT, **opts))
                                      for name, opts in wanted.values()))

    return dict(zip(wanted, asyncio.run(run_all()), strict=True))


@pytest.mark.parametrize(("name", "thresholds", "opts", "state"), CASES)
def test_every_threshold_and_expectation_on_a_real_server(probed, name, thresholds, opts,
                                                          state):
    report = probed[(name, json.dumps(opts, sort_keys=True))]
    limits = thresholds(report) if callable(thresholds) else thresholds
    result = judge(report, build_thresholds(**limits))
    assert result.state == state, (result.reasons, report.summary)
    assert bool(result.reasons) == (state != "OK")


def test_real_metrics(probed):
    report = probed[("healthy-tls", json.dumps({}))]
    result = judge(report, Thresholds())
    names = [name for name, _ in result.metrics.steps]
    assert names == ["connect", "greeting", "ehlo", "tls", "mail", "rcpt"]
    assert result.metrics.cert_days is not None and result.metrics.cert_days > 365
    assert result.metrics.tls_handshake is not None and result.metrics.tls_handshake > 0


def test_every_format_name_is_handled(probed):
    report = probed[("healthy", json.dumps({}))]
    run = CheckRun((judge(report, Thresholds()),), Thresholds())
    assert set(RENDERERS) == set(CheckFormat)
    assert set(STREAMERS) <= set(CheckFormat)
    for fmt in CheckFormat:
        assert render(run, fmt), fmt


def test_the_fast_report_dict_is_exactly_asdict(probed):
    import dataclasses

    for report in probed.values():
        fast = report.to_dict()
        slow = dataclasses.asdict(report)
        assert fast == json.loads(json.dumps(slow))
        assert list(fast) == list(slow)
