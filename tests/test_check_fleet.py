"""``check`` at fleet scale: workers give the same results as one process, output streams in
whole lines, and a run stopped by a real signal keeps every line it wrote.

Real servers on loopback (aiosmtpd fake servers, a port that never greets), the real CLI in a
subprocess, real signals.  Speed is measured in bench/bench_check.py, never here.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smtpdiag.cli.check import AUTO_WORKERS_FROM, choose_workers
from smtpdiag.cli.check_output import BATCH_BYTES, Lines
from smtpdiag.cli.check_shards import shares
from smtpdiag.fakeserver import FakeServer

from .conftest import (
    assert_no_traceback,
    assert_valid,
    cli_process,
    closed_port_held,
    load_schema,
    run_cli,
    stop_by_signal,
)

HELO = "fleet.smtpdiag.test"


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, FakeServer]]:
    running: dict[str, FakeServer] = {}
    try:
        for scenario in ("healthy", "greylist", "mail-refused", "unknown-user"):
            running[scenario] = FakeServer(scenario, tls="none").start()
        yield running
    finally:
        for server in running.values():
            server.stop()


@pytest.fixture(scope="module")
def fleet(servers: dict[str, FakeServer]) -> Iterator[list[str]]:
    """Twenty targets of five kinds, interleaved so that every worker gets a mix."""
    with closed_port_held() as closed:
        kinds = [f"127.0.0.1:{s.port}" for s in servers.values()] + [f"127.0.0.1:{closed}"]
        yield [kinds[i % len(kinds)] for i in range(20)]


def check(*args: str, timeout: float = 60) -> Any:
    result = run_cli("check", "--timeout", "5", "--helo", HELO, *args, timeout=timeout)
    assert_no_traceback(result)
    return result


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# -- the same results with 1 and N workers -----------------------------------------------------


def test_workers_give_the_same_json_states_in_the_same_order(fleet):
    one = check(*fleet, "--format", "json", "--workers", "1")
    three = check(*fleet, "--format", "json", "--workers", "3")
    assert one.returncode == three.returncode == 2
    documents = [json.loads(one.stdout), json.loads(three.stdout)]
    for document in documents:
        assert_valid(document, "check")
    first, other = ([(t["index"], t["target"], t["state"], t["summary"])
                     for t in d["targets"]] for d in documents)
    assert first == other
    assert [t for _, t, _, _ in first] == fleet  # input order
    assert {s for _, _, s, _ in first} == {"OK", "WARNING", "CRITICAL"}
    assert documents[0]["counts"] == documents[1]["counts"]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_unbuffered_json_through_a_full_pipe_is_whole(fleet, workers):
    """``PYTHONUNBUFFERED=1`` (as this machine's environment sets it) and a pipe that takes
    only part of a write: the document (about 200 KB) still arrives whole.  Python's unbuffered
    stdout dropped what a short write left, so a target's item lost its tail now and then
    (invalid JSON); a non-blocking pipe read only once full makes every write short."""
    import fcntl
    import sys
    import termios

    from .conftest import _cli_env

    read, write = os.pipe()
    fcntl.fcntl(write, fcntl.F_SETFL, fcntl.fcntl(write, fcntl.F_GETFL) | os.O_NONBLOCK)
    with os.fdopen(read, "rb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "smtpdiag", "check", "--timeout", "5", "--helo", HELO,
             *fleet, "--format", "json", "--workers", workers], stdout=write,
            stderr=subprocess.PIPE, env=_cli_env({"PYTHONUNBUFFERED": "1"}))
        os.close(write)
        waiting = bytearray(4)
        while proc.poll() is None:  # until the pipe is full (or the run ended)
            fcntl.ioctl(out.fileno(), termios.FIONREAD, waiting)
            if int.from_bytes(waiting, sys.byteorder) >= 60_000:
                break
            time.sleep(0.05)
        document = out.read()
        assert proc.wait(60) == 2, proc.communicate()[1]
    assert len(json.loads(document)["targets"]) == len(fleet)


def test_workers_give_the_same_jsonl_lines(fleet, tmp_path):
    outputs = []
    for workers in ("1", "2", "4"):
        out = tmp_path / f"w{workers}.jsonl"
        result = check(*fleet, "--format", "jsonl", "--output", str(out),
                       "--workers", workers)
        assert result.returncode == 2 and result.stdout == ""
        lines = jsonl(out)
        assert sorted(item["index"] for item in lines) == list(range(len(fleet)))
        outputs.append(sorted((i["index"], i["target"], i["state"], i["summary"],
                               [r["message"] for r in i["reasons"]],
                               [(s["step"], s["code"]) for s in i["steps"]]) for i in lines))
    assert outputs[0] == outputs[1] == outputs[2]


def test_workers_give_the_same_text_junit_and_nagios(fleet):
    for fmt in ("text", "junit", "nagios"):
        one = check(*fleet, "--format", fmt, "--workers", "1")
        two = check(*fleet, "--format", fmt, "--workers", "2")
        assert one.returncode == two.returncode == 2
        assert _without_times(one.stdout) == _without_times(two.stdout), fmt


def _without_times(text: str) -> str:
    """The output with every measured time (which differ from run to run) blanked."""
    import re

    text = re.sub(r"\d+(\.\d+)? ?(s|ms)\b", "T", text)
    text = re.sub(r'time="[\d.]+"|timestamp="[^"]+"', "", text)
    text = re.sub(r" {2,}", "  ", text)  # a table's columns are as wide as their widest time
    return re.sub(r"=[\d.]+s;", "=Ts;", text)


def test_one_deadline_for_every_worker(servers, silent_port):
    healthy = f"127.0.0.1:{servers['healthy'].port}"
    targets = [healthy, f"127.0.0.1:{silent_port}"] * 4
    started = time.monotonic()
    result = check(*targets, "--timeout", "30", "--deadline", "1.5", "--format", "jsonl",
                   "--workers", "2", "--concurrency", "8")
    assert time.monotonic() - started < 12
    assert result.returncode == 2
    lines = sorted(jsonl_text(result.stdout), key=lambda item: item["index"])
    assert [item["state"] for item in lines] == ["OK", "CRITICAL"] * 4
    for item in lines[1::2]:
        assert "overall deadline of 1.5 s" in item["summary"]


def test_a_deadline_reports_every_target_once_whatever_the_workers(servers, silent_port):
    """Two silent hosts hold both probes until the deadline; the rest never start.  The
    workers take targets from one counter only as a probe comes free, so they report the
    same targets as cut off and as never started as one process does."""
    healthy, silent = f"127.0.0.1:{servers['healthy'].port}", f"127.0.0.1:{silent_port}"
    targets = [silent, silent] + [healthy] * 6 + [silent] * 2
    seen = []
    for workers in ("1", "2"):
        result = check(*targets, "--timeout", "30", "--deadline", "1.5", "--format", "jsonl",
                       "--workers", workers, "--concurrency", "2")
        assert result.returncode == 2
        seen.append(sorted((item["index"], item["state"], item["summary"])
                           for item in jsonl_text(result.stdout)))
    assert seen[0] == seen[1]
    assert [index for index, _, _ in seen[0]] == list(range(len(targets)))
    assert all(state == "CRITICAL" for _, state, _ in seen[0])
    assert ["cut off by the overall deadline" in summary for _, _, summary in seen[0]] == [
        True, True] + [False] * 8
    assert all("not started" in summary for _, _, summary in seen[0][2:])


def jsonl_text(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_every_line_matches_the_schema_with_workers(fleet, tmp_path):
    import jsonschema

    schema = load_schema("check")
    out = tmp_path / "out.jsonl"
    check(*fleet, "--format", "jsonl", "--output", str(out), "--workers", "2")
    for item in jsonl(out):
        jsonschema.validate(item, {"$defs": schema["$defs"], "$ref": "#/$defs/line"})


# -- a stopped run keeps its lines -------------------------------------------------------------


@pytest.mark.parametrize(("signum", "workers"), [
    (signal.SIGINT, "1"), (signal.SIGTERM, "1"), (signal.SIGINT, "2"), (signal.SIGTERM, "2")])
def test_a_stopped_run_keeps_every_line_it_wrote(servers, silent_port, tmp_path, signum,
                                                 workers):
    healthy = f"127.0.0.1:{servers['healthy'].port}"
    silent = f"127.0.0.1:{silent_port}"
    listing = tmp_path / "targets.txt"
    listing.write_text("".join(f"{healthy}\n" if i % 2 else f"{silent}\n" for i in range(40)))
    out = tmp_path / "out.jsonl"
    with cli_process("check", "--targets-file", str(listing), "--timeout", "60", "--helo", HELO,
                     "--format", "jsonl", "--output", str(out), "--concurrency", "24",
                     "--workers", workers) as proc:
        before = _wait_for_lines(out, 20, proc)  # every healthy target; the silent ones hang
        stderr = stop_by_signal(proc, signum)
    assert f"stopped by {signal.Signals(signum).name}" in stderr
    text = out.read_text()
    assert before.endswith("\n") and text.endswith("\n")  # only whole lines, ever
    assert text.startswith(before)  # nothing written before the signal was lost
    lines = jsonl_text(text)
    assert {item["target"] for item in lines if item["state"] == "OK"} == {healthy}
    assert sum(item["state"] == "OK" for item in lines) == 20
    assert f"the {len(lines)} lines written are complete" in stderr


def _wait_for_lines(out: Path, count: int, proc: subprocess.Popen[str]) -> str:
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if out.exists():
            text = out.read_text()
            if text.count("\n") >= count:
                return text
        assert proc.poll() is None, "the run ended before it was stopped"
        time.sleep(0.05)
    raise AssertionError("the healthy targets were never written")


# -- the pieces --------------------------------------------------------------------------------


def test_workers_default_to_every_cpu_for_large_runs_only():
    cpus = len(os.sched_getaffinity(0))
    assert choose_workers(None, AUTO_WORKERS_FROM, 500) == min(cpus, 500)
    assert choose_workers(None, AUTO_WORKERS_FROM - 1, 500) == 1
    assert choose_workers(8, 3, 100) == 3  # never more than there are targets
    assert choose_workers(8, 100, 2) == 2  # nor than probes at once
    assert choose_workers(1, 10**6, 500) == 1


@pytest.mark.parametrize(("total", "parts"), [(100, 3), (500, 2), (7, 7), (2, 2), (9, 4)])
def test_shares_split_concurrency_evenly(total, parts):
    got = shares(total, parts)
    assert sum(got) == total and len(got) == parts
    assert max(got) - min(got) <= 1 and got == sorted(got, reverse=True)


def test_lines_are_written_whole_and_in_batches():
    stream = io.StringIO()
    lines = Lines(stream)
    lines.add('{"a":1}\n')
    lines.add('{"b":2}\n')
    assert stream.getvalue() == ""  # waiting for more, or for the batch's time
    lines.flush()
    assert stream.getvalue() == '{"a":1}\n{"b":2}\n' and lines.written == 2
    lines.add("x" * BATCH_BYTES + "\n")  # a full batch goes at once
    assert stream.getvalue().endswith("x\n") and lines.written == 3
    eager = Lines(out := io.StringIO(), eager=True)
    eager.add("one\n")
    assert out.getvalue() == "one\n"


def test_lines_wait_at_most_a_batch_time(monkeypatch):
    stream = io.StringIO()
    lines = Lines(stream)
    lines.add("one\n")
    lines.tick()
    assert stream.getvalue() == ""
    lines.last -= 1.0  # as if a second had passed since the last write
    lines.tick()
    assert stream.getvalue() == "one\n"


def test_bad_workers_is_unknown(closed_port):
    result = run_cli("check", "--workers", "0", f"127.0.0.1:{closed_port}")
    assert result.returncode == 3 and result.stdout == ""
    assert result.stderr == "smtpdiag: error: --workers must be 1-64\n"


def test_the_bar_counts_jsonl_lines_that_workers_send_joined(tmp_path):
    """With workers, jsonl lines come to the parent a batch at a time: the bar on the terminal
    still counts every target and names the one waited for."""
    import re

    from .terminal import run_in_pty

    out = tmp_path / "out.jsonl"
    with FakeServer("healthy", tls="none") as fast, \
            FakeServer("slow-greeting", tls="none") as slow:
        slow_target = f"127.0.0.1:{slow.port}"
        screen = run_in_pty("check", *[f"127.0.0.1:{fast.port}"] * 5, slow_target, "--tls",
                            "none", "--format", "jsonl", "--output", str(out), "--progress",
                            "--workers", "2", "--concurrency", "2", columns=120)
    assert screen.returncode == 0
    assert re.search(r"5/6 +\d:\d\d:\d\d +waiting for " + re.escape(slow_target), screen.seen)
    assert "6/6" in screen.seen
    assert sorted(item["index"] for item in jsonl(out)) == list(range(6))


def test_lines_joined_count_as_the_lines_they_hold():
    stream = io.StringIO()
    lines = Lines(stream)
    lines.add('{"a":1}\n{"a":2}\n{"a":3}\n', 3)
    lines.add('{"a":4}\n')
    lines.flush()
    assert lines.written == 4 and stream.getvalue().count("\n") == 4
