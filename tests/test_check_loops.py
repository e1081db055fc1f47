"""``check`` on uvloop (when installed) reports exactly what it reports on asyncio's own loop.

``net/eventloop.py`` picks the loop; these tests hold the two equal over real fake servers, a
port that refuses and one that never greets, in one process and with workers, and check that
the choice is really made (a test that passed whichever loop ran would prove nothing).
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from smtpdiag.errors import UsageError
from smtpdiag.fakeserver import FakeServer
from smtpdiag.net import eventloop

from .conftest import assert_no_traceback, run_cli

HELO = "loops.smtpdiag.test"


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_asyncio_is_chosen_for_one_target_or_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(eventloop.ENV, raising=False)
    assert eventloop.loop_factory(1) is None  # one host: the import would cost more
    assert eventloop.run(_loop_module(), 1).startswith("asyncio")
    monkeypatch.setenv(eventloop.ENV, "asyncio")
    assert eventloop.loop_factory(10_000) is None
    assert eventloop.run(_loop_module(), 10_000).startswith("asyncio")


def test_uvloop_runs_a_fleet_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("uvloop")
    for value in (None, "auto", "uvloop", " UVLOOP "):
        if value is None:
            monkeypatch.delenv(eventloop.ENV, raising=False)
        else:
            monkeypatch.setenv(eventloop.ENV, value)
        assert eventloop.run(_loop_module(), 2).startswith("uvloop")
    monkeypatch.setenv(eventloop.ENV, "uvloop")
    assert eventloop.run(_loop_module(), 1).startswith("uvloop")  # asked for: even for one


def test_a_bad_choice_or_a_missing_uvloop_is_a_usage_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(eventloop.ENV, "tokio")
    with pytest.raises(UsageError, match="SMTPDIAG_LOOP='tokio': it must be one of auto, "):
        eventloop.loop_factory(5)
    monkeypatch.setitem(sys.modules, "uvloop", None)  # as if it were not installed
    monkeypatch.setenv(eventloop.ENV, "uvloop")
    with pytest.raises(UsageError, match=r"pip install 'smtpdiag\[fast\]'"):
        eventloop.loop_factory(5)
    monkeypatch.setenv(eventloop.ENV, "auto")
    assert eventloop.loop_factory(5) is None  # auto: asyncio's loop, quietly


def test_the_command_line_names_a_bad_choice_once_and_exits_unknown() -> None:
    for workers in ("1", "2"):
        result = run_cli("check", "127.0.0.1:1", "127.0.0.1:2", "--workers", workers,
                         env={eventloop.ENV: "tokio"})
        assert_no_traceback(result)
        assert result.returncode == 3, result.stderr
        assert result.stderr.count("SMTPDIAG_LOOP='tokio'") == 1, result.stderr


@pytest.fixture(scope="module")
def targets() -> Iterator[list[str]]:
    running = [FakeServer(s, tls="none").start()
               for s in ("healthy", "greylist", "mail-refused", "unknown-user")]
    refusing = socket.socket()
    refusing.bind(("127.0.0.1", 0))
    closed = refusing.getsockname()[1]
    refusing.close()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(50)
    try:
        kinds = [f"127.0.0.1:{s.port}" for s in running] + [
            f"127.0.0.1:{closed}", f"127.0.0.1:{silent.getsockname()[1]}"]
        yield [kinds[i % len(kinds)] for i in range(18)]
    finally:
        silent.close()
        for server in running:
            server.stop()


_WAITED = re.compile(r"within \d+(?:\.\d+)? s")


def _untimed(text: str) -> str:
    """``text`` with the length of a wait blanked: a silent host's last step waits for what is
    left of its deadline, which a loaded machine shortens (3 s on one run, 2.9 s on the next)."""
    return _WAITED.sub("within N s", text)


def _lines(stdout: str) -> list[tuple[Any, ...]]:
    """Every line's facts but its times, in input order."""
    items = sorted((json.loads(line) for line in stdout.splitlines()), key=lambda i: i["index"])
    return [(i["index"], i["target"], i["state"], _untimed(i["summary"]), i["verdict"],
             [(r["state"], _untimed(r["message"]), r["step"]) for r in i["reasons"]],
             [(s["step"], s["code"]) for s in i["steps"]]) for i in items]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_uvloop_and_asyncio_report_the_same_lines(targets: list[str], workers: str) -> None:
    pytest.importorskip("uvloop")
    runs = {}
    for loop in ("asyncio", "uvloop"):
        result = run_cli("check", *targets, "--timeout", "3", "--helo", HELO, "--format",
                         "jsonl", "--workers", workers, "--concurrency", "18",
                         env={eventloop.ENV: loop}, timeout=60)
        assert_no_traceback(result)
        runs[loop] = (result.returncode, _lines(result.stdout))
    differing = [(a, b) for a, b in zip(runs["asyncio"][1], runs["uvloop"][1], strict=True)
                 if a != b]
    assert runs["asyncio"][0] == runs["uvloop"][0] and not differing, differing
    code, lines = runs["uvloop"]
    assert code == 2 and len(lines) == len(targets)
    assert {line[2] for line in lines} == {"OK", "WARNING", "CRITICAL"}
    summaries = " ".join(line[3] for line in lines)
    assert "connection refused" in summaries and "no complete answer within N s" in summaries
