"""Shared test helpers: run the real CLI as a subprocess, load the shipped JSON schemas."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "smtpdiag" / "schema"


def _cli_env(env: dict[str, str] | None = None) -> dict[str, str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    full_env.update({"LANG": "C.UTF-8", "LC_ALL": "", "PYTHONIOENCODING": "utf-8"})
    full_env.update(env or {})
    return full_env


def run_cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``python -m smtpdiag`` as a user would, piped (so: plain output, no colour)."""
    return subprocess.run(
        [sys.executable, "-m", "smtpdiag", *args], input=stdin, capture_output=True,
        text=True, env=_cli_env(env), timeout=timeout, check=False,
    )


@contextmanager
def cli_process(*args: str) -> Iterator[subprocess.Popen[str]]:
    """``python -m smtpdiag`` started as ``run_cli`` runs it, for a test to signal while it
    runs; killed at the end if the test left it running."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "smtpdiag", *args], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=_cli_env())
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def stop_by_signal(proc: subprocess.Popen[str], signum: int) -> str:
    """Send ``proc`` a real signal and wait: it must end as a stopped run does (exit
    128 + the signal's number, nothing on stdout, no traceback).  Its stderr."""
    os.kill(proc.pid, signum)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signum, stderr
    assert "Traceback" not in stderr and stdout == "", (stdout, stderr)
    return stderr


def load_schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text())
    return schema


def assert_valid(document: Any, schema_name: str) -> None:
    import jsonschema

    jsonschema.validate(document, load_schema(schema_name))


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout


@pytest.fixture
def cli() -> Any:
    return run_cli


@contextmanager
def closed_port_held(host: str = "127.0.0.1") -> Iterator[int]:
    """A loopback port nothing listens on, for as long as the block runs: bound but never
    listening, so the kernel refuses every connection to it (RST), and no other socket can
    take it meanwhile.  A port bound and closed at once could be taken by the next server to
    bind port 0 (another test's, or a benchmark's on this shared machine), or be the very
    ephemeral port a client connecting to it is given: a connection to itself (TCP's
    simultaneous open), which then waits for a greeting instead of being refused.  A port
    bound by ``bind`` is never handed out as a connecting client's ephemeral port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        yield sock.getsockname()[1]


@pytest.fixture
def closed_port() -> Iterator[int]:
    with closed_port_held() as port:
        yield port


@contextmanager
def silent_listener() -> Iterator[int]:
    """A loopback port that accepts connections (the kernel does) and never says a word: a
    server that hangs, for timeouts and stopped runs."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(100)
        yield sock.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    with silent_listener() as port:
        yield port


def ipv6_loopback_problem() -> str | None:
    """Why ::1 cannot carry a TCP connection here, or None when it can (bind, listen, connect,
    exchange a byte): only then may an IPv6 test be skipped."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as server:
            server.bind(("::1", 0))
            server.listen(1)
            with socket.create_connection(server.getsockname()[:2], timeout=5) as client:
                peer, _ = server.accept()
                with peer:
                    client.sendall(b"x")
                    if peer.recv(1) != b"x":
                        return "::1 accepted a connection but lost a byte"
    except OSError as exc:
        return f"::1 is not usable for TCP on this machine: {exc}"
    return None
