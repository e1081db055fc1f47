"""A ``check`` stopped by SIGINT or SIGTERM keeps every result it had, in every format.

jsonl has its own test (test_check_fleet.py: every line written before the signal is still
there).  Here the other formats: junit, which writes each suite as it comes, must keep what it
wrote and still end the document; nagios and text, which can write nothing before the end,
must write the targets finished when the signal came, and say so.  A real subprocess, real
signals, real loopback servers: a healthy one for the first targets, a port that never greets
for the rest, so the run is stopped while those hang.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from smtpdiag.fakeserver import FakeServer

from .conftest import cli_process, stop_by_signal

HELO = "stop.smtpdiag.test"
HEALTHY = 12
SILENT = 8


@pytest.fixture(scope="module")
def healthy() -> Iterator[FakeServer]:
    server = FakeServer("healthy", tls="none").start()
    try:
        yield server
    finally:
        server.stop()


def _stopped_run(fmt: str, signum: int, healthy: FakeServer, silent: int, tmp_path: Path,
                 ready: str | None, workers: str = "1"
                 ) -> tuple[subprocess.Popen[str], str, str, str]:
    """Run check over HEALTHY good targets then SILENT hanging ones; signal it once the good
    ones are done (``ready``: a text the file shows by then, else the server's count of
    QUITs); return the process, its stderr, and the file before and after."""
    listing = tmp_path / "targets.txt"
    listing.write_text(f"127.0.0.1:{healthy.port}\n" * HEALTHY + f"127.0.0.1:{silent}\n" * SILENT)
    out = tmp_path / f"out.{fmt}"
    quits = healthy.recorded.commands.count("QUIT")
    with cli_process("check", "--targets-file", str(listing), "--timeout", "60", "--helo", HELO,
                     "--format", fmt, "--output", str(out), "--concurrency",
                     str(HEALTHY + SILENT), "--workers", workers) as proc:
        deadline = time.monotonic() + 40
        before = ""
        while time.monotonic() < deadline:
            assert proc.poll() is None, "the run ended before it was stopped"
            if ready is not None:
                before = out.read_text() if out.exists() else ""
                if before.count(ready) >= HEALTHY:
                    break
            elif healthy.recorded.commands.count("QUIT") - quits >= HEALTHY:
                time.sleep(1.0)  # the QUIT's reply read and the result judged
                before = out.read_text()
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the healthy targets were never done")
        stderr = stop_by_signal(proc, signum)
    name = signal.Signals(signum).name
    assert f"stopped by {name} after {HEALTHY} of {HEALTHY + SILENT} targets" in stderr, stderr
    return proc, stderr, before, out.read_text()


@pytest.mark.parametrize(("signum", "workers"), [
    (signal.SIGINT, "1"), (signal.SIGTERM, "1"), (signal.SIGTERM, "2")])
def test_a_stopped_junit_run_keeps_its_suites_and_ends_the_document(healthy, silent_port,
                                                                     tmp_path, signum, workers):
    _, stderr, before, after = _stopped_run("junit", signum, healthy, silent_port, tmp_path,
                                            ready="</testsuite>", workers=workers)
    assert after.startswith(before)  # nothing written before the signal was lost
    root = ET.fromstring(after)  # and the document is whole: it parses
    suites = root.findall("testsuite")
    assert len(suites) == HEALTHY
    states = [p.get("value") for s in suites for p in s.iter("property")
              if p.get("name") == "state"]
    assert states == ["OK"] * HEALTHY
    name = signal.Signals(signum).name
    assert f"stopped by {name} after {HEALTHY} of {HEALTHY + SILENT} targets" in after
    assert f"the {HEALTHY} targets finished are written, and the document is closed" in stderr


@pytest.mark.parametrize(("signum", "workers"), [
    (signal.SIGINT, "1"), (signal.SIGTERM, "1"), (signal.SIGINT, "2")])
def test_a_stopped_nagios_run_writes_the_targets_it_finished(healthy, silent_port, tmp_path,
                                                             signum, workers):
    _, stderr, before, after = _stopped_run("nagios", signum, healthy, silent_port, tmp_path,
                                            ready=None, workers=workers)
    assert before == ""
    first, *long = after.splitlines()
    name = signal.Signals(signum).name
    assert first.startswith(f"SMTPDIAG UNKNOWN - {HEALTHY} targets: {HEALTHY} OK; stopped by "
                            f"{name} after {HEALTHY} of {HEALTHY + SILENT} targets | ")
    target = f"127.0.0.1:{healthy.port}"
    assert len(re.findall(rf"'{re.escape(target)}/time'=", first)) == HEALTHY
    assert long == [f"OK {target}: every step answered as expected (dry run)"] * HEALTHY
    assert f"the {HEALTHY} targets finished are written" in stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stopped_text_run_writes_the_targets_it_finished(healthy, silent_port, tmp_path,
                                                           signum):
    _, stderr, before, after = _stopped_run("text", signum, healthy, silent_port, tmp_path,
                                            ready=None)
    assert before == ""
    lines = after.splitlines()
    name = signal.Signals(signum).name
    assert lines[0].startswith(f"smtpdiag check: OK — {HEALTHY} targets: {HEALTHY} OK; stopped "
                               f"by {name} after {HEALTHY} of {HEALTHY + SILENT} targets")
    rows = [line for line in lines if line.startswith("OK ")]
    assert len(rows) == HEALTHY
    assert all(f"127.0.0.1:{healthy.port}" in row for row in rows)
    assert f"the {HEALTHY} targets finished are written" in stderr


def test_a_stopped_json_run_writes_a_whole_document_of_the_targets_it_finished(
        healthy, silent_port, tmp_path):
    import json

    from .conftest import assert_valid

    _, stderr, _, after = _stopped_run("json", signal.SIGTERM, healthy, silent_port, tmp_path,
                                       ready=None)
    document = json.loads(after)
    assert_valid(document, "check")
    assert [t["state"] for t in document["targets"]] == ["OK"] * HEALTHY
    assert [t["index"] for t in document["targets"]] == list(range(HEALTHY))
    assert document["counts"]["OK"] == HEALTHY
    assert document["summary"].endswith(f"stopped by SIGTERM after {HEALTHY} of "
                                        f"{HEALTHY + SILENT} targets")
    assert f"the {HEALTHY} targets finished are written" in stderr
