"""Ctrl-C at any moment of a run: one line, ``smtpdiag: interrupted``, exit 130, nothing else.

Each phase is reached for real and the SIGINT is sent at a moment that is known, not guessed:
during an import (the child kills itself as a chosen module starts loading, from an import hook
installed before smtpdiag's first line runs), while a DNS server holds a query unanswered, while
a hostile server holds the connection, half a reply or a TLS handshake, and in ``check`` with
many targets in flight.  What is *not* covered is the interpreter's own start-up (``site``,
before any smtpdiag code runs): a Ctrl-C there is Python's to report.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import pytest

from .conftest import run_cli
from .dnsserver import DnsServer
from .hostile import GREETING, HostileServer, expect, hang, receive, send

INTERRUPTED = "smtpdiag: interrupted\n"

# The child: an import hook sends SIGINT to its own process when MODULE starts to load, then
# the console-script entry point runs as it does for a user.
KILL_AT_IMPORT = """
import os, signal, sys
class KillAt:
    def find_spec(self, name, path=None, target=None):
        if name == {module!r}:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None
sys.meta_path.insert(0, KillAt())
sys.argv = ["smtpdiag", *{argv!r}]
from smtpdiag.__main__ import main
main()
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    env.update({"LANG": "C.UTF-8", "LC_ALL": "", "PYTHONIOENCODING": "utf-8"})
    return env


def _assert_interrupted(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 130, (result.returncode, result.stdout, result.stderr)
    assert result.stderr == INTERRUPTED, result.stderr
    assert "Traceback" not in result.stdout and "internal error" not in result.stdout


PROBE_ARGV = ["probe", "127.0.0.1:9", "--timeout", "0.5", "--quit-after", "connect"]


@pytest.mark.parametrize(("module", "argv"), [
    ("smtpdiag.cli", PROBE_ARGV),  # the command line's own imports
    ("smtpdiag.cli.probe_run", PROBE_ARGV),  # reading the options (smtpdiag.cli.direct_call)
    # a command line typer reads (here a bad option) and the command it registers
    ("typer", [*PROBE_ARGV, "--no-such-option"]),
    ("smtpdiag.cli.probe", [*PROBE_ARGV, "--no-such-option"]),
    ("smtpdiag.core.targets", PROBE_ARGV),  # validating options, inside the command
    ("smtpdiag.net.probe", PROBE_ARGV),
    ("aiosmtplib", PROBE_ARGV),  # the I/O libraries, loaded when the probe starts
    ("smtpdiag.render.report_view", PROBE_ARGV),  # rendering, after the probe
])
def test_ctrl_c_while_a_module_loads_is_one_quiet_line(module: str, argv: list[str]) -> None:
    code = KILL_AT_IMPORT.format(module=module, argv=argv)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=_env(), timeout=60, check=False)
    _assert_interrupted(result)


CHECK_ARGV = ["check", "127.0.0.1:9", "--timeout", "0.5", "--quit-after", "connect"]


@pytest.mark.parametrize(("module", "argv"), [
    ("smtpdiag.cli.check_run", CHECK_ARGV),  # reading the options (smtpdiag.cli.direct_call)
    # a command line typer reads (here a bad option) and the command it registers
    ("typer", [*CHECK_ARGV, "--no-such-option"]),
    ("smtpdiag.cli.check", [*CHECK_ARGV, "--no-such-option"]),
    ("smtpdiag.core.thresholds", CHECK_ARGV),  # validating options, inside the command
])
def test_ctrl_c_while_a_check_module_loads_is_one_quiet_line(module: str,
                                                             argv: list[str]) -> None:
    code = KILL_AT_IMPORT.format(module=module, argv=argv)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=_env(), timeout=60, check=False)
    _assert_interrupted(result)


def test_ctrl_c_while_check_imports_its_renderers() -> None:
    code = KILL_AT_IMPORT.format(module="smtpdiag.render.check_formats",
                                 argv=["check", "127.0.0.1:9", "--timeout", "0.5"])
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=_env(), timeout=60, check=False)
    _assert_interrupted(result)


def _interrupt_when(args: list[str], ready: Callable[[], bool]) -> subprocess.CompletedProcess[str]:
    """Start the CLI, send SIGINT as soon as ``ready()`` says the phase was reached."""
    child = subprocess.Popen([sys.executable, "-m", "smtpdiag", *args], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=_env())
    try:
        limit = time.monotonic() + 30
        while not ready():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < limit, "the phase was never reached"
            time.sleep(0.01)
        time.sleep(0.05)  # inside the phase, not at its edge
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=10)
        assert time.monotonic() - sent < 5  # promptly, not after the step's timeout
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)


def test_ctrl_c_while_dns_is_unanswered() -> None:
    with DnsServer({}, silent={"slow.test"}) as dns:
        result = _interrupt_when(
            ["probe", "slow.test", "--nameserver", f"127.0.0.1:{dns.port}", "--timeout", "20",
             "--dry-run"],
            lambda: bool(dns.queries))
    _assert_interrupted(result)


@pytest.mark.parametrize("phase", ["connected", "mid-reply", "tls-handshake"])
def test_ctrl_c_in_each_phase_of_a_session(phase: str) -> None:
    scripts = {
        "connected": [hang()],
        "mid-reply": [send(GREETING), expect(b"EHLO"), send(b"250-hostile.test\r\n"), hang()],
        "tls-handshake": [send(GREETING), expect(b"EHLO"),
                          send(b"250-hostile.test\r\n250 STARTTLS\r\n"), expect(b"STARTTLS"),
                          send(b"220 go ahead\r\n"), receive(), hang()],
    }
    with HostileServer(scripts[phase]) as server:
        markers = {"connected": lambda: server.connections > 0,
                   "mid-reply": lambda: any(line.startswith(b"EHLO") for line in server.received),
                   "tls-handshake": lambda: any(line.startswith(b"STARTTLS")
                                                for line in server.received)}
        result = _interrupt_when(["probe", server.target, "--timeout", "20", "--dry-run"],
                                 markers[phase])
    _assert_interrupted(result)


def test_ctrl_c_in_check_with_many_targets_in_flight() -> None:
    with HostileServer([hang()]) as server:
        targets = [server.target] * 40
        result = _interrupt_when(["check", *targets, "--timeout", "20", "--format", "jsonl"],
                                 lambda: server.connections >= 20)
    # check says what a stopped run leaves behind, in its one line (cli/check.py)
    assert result.returncode == 130, (result.stdout, result.stderr)
    assert result.stderr.startswith("smtpdiag check: stopped by SIGINT after 0 of 40 targets")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""  # nothing finished, so nothing was streamed


def test_ctrl_c_in_serve_stops_it_quietly() -> None:
    """serve documents Ctrl-C as the way to stop it: a clean stop, exit 0."""
    import socket

    with socket.socket() as probe_port:
        probe_port.bind(("127.0.0.1", 0))
        port = probe_port.getsockname()[1]
    child = subprocess.Popen([sys.executable, "-m", "smtpdiag", "serve", "--port", str(port),
                              "--tls", "none"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=_env())
    try:
        assert child.stdout is not None
        assert child.stdout.readline().startswith("listening on")
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, stderr
    assert "Traceback" not in stderr


def test_an_interrupt_outside_any_command_is_not_an_internal_error() -> None:
    """``cli.main`` catches what escapes a command; a KeyboardInterrupt is not a bug."""
    code = ("import sys; sys.argv = ['smtpdiag', 'explain', '550']\n"
            "import smtpdiag.cli as cli\n"
            "def boom(argv=None):\n    raise KeyboardInterrupt\n"
            "cli.direct_call = boom\ncli.main()\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=_env(), timeout=60, check=False)
    _assert_interrupted(result)
    assert run_cli("explain", "550").returncode == 0
