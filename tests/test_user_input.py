"""What a user types, and every path a user names, ends in one usage message, never a crash.

Numbers are ASCII digits (``str.isdigit`` is true of "²⁵", which ``int`` refuses, and of "２５",
which it reads); paths are checked before anything is sent (a directory as ``--transcript`` is
said at once, not after a whole probe); an error quotes at most ~200 characters of the input;
a BOM or a decomposed IDN is read as the user meant it.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from .conftest import assert_no_traceback, run_cli
from .dnsserver import DnsServer
from .hostile import HostileServer, hang

USAGE = 2  # probe's usage error; check's is UNKNOWN (3)


def _usage(result: subprocess.CompletedProcess[str], code: int = USAGE) -> str:
    assert_no_traceback(result)
    assert "internal error" not in result.stderr
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert result.stderr.startswith("smtpdiag: error: "), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr


@pytest.mark.parametrize("port", ["²⁵", "２５", "٢٥", "𝟐𝟓", "25\u0301", "+25", "0x19"])
def test_a_port_in_other_digits_is_a_usage_error_naming_it(port: str) -> None:
    message = _usage(run_cli("probe", f"127.0.0.1:{port}", "--timeout", "0.5"))
    assert f"port {port!r} is not a number from 1 to 65535" in message


@pytest.mark.parametrize("port", ["⁵³", "５３", ""])
def test_a_nameserver_port_in_other_digits_is_a_usage_error(port: str) -> None:
    message = _usage(run_cli("probe", "example.test", "--nameserver", f"127.0.0.1:{port}"))
    assert "--nameserver" in message and "port" in message


def test_an_empty_nameserver_is_a_usage_error_not_the_system_resolver() -> None:
    message = _usage(run_cli("probe", "example.test", "--nameserver", ""))
    assert "--nameserver '': expected an IP address" in message


def test_a_targets_file_line_with_unicode_digits_names_file_and_line(tmp_path: Path) -> None:
    listing = tmp_path / "targets.txt"
    listing.write_text("127.0.0.1:2525\n# a comment\n127.0.0.1:²⁵\n", encoding="utf-8")
    message = _usage(run_cli("check", "--targets-file", str(listing)), 3)
    assert f"{listing}:3: " in message and "'²⁵'" in message


@pytest.mark.parametrize(("option", "value"), [
    ("--expect", "mail=2٥0"), ("--expect", "mail=２５０"), ("--warn-step", "mail=٢"),
    ("--crit-step", "rcpt=1_0"),
])
def test_check_thresholds_take_ascii_numbers_only(option: str, value: str) -> None:
    message = _usage(run_cli("check", "127.0.0.1:9", option, value), 3)
    assert option in message


@pytest.mark.parametrize("code", ["٥٥٠", "５.７.１", "5.٧.1"])
def test_explain_takes_ascii_codes_only(code: str) -> None:
    message = _usage(run_cli("explain", code))
    assert "no SMTP reply code" in message


def test_a_huge_target_is_quoted_short(tmp_path: Path) -> None:
    listing = tmp_path / "targets.txt"
    listing.write_text("a" * 100_000 + ":x\n", encoding="utf-8")
    from_file = _usage(run_cli("check", "--targets-file", str(listing)), 3)
    argument = _usage(run_cli("probe", "b" * 100_000 + ":x"))
    for message in (from_file, argument):
        assert len(message) < 600, len(message)
        assert "(100002 characters)" in message
    assert f"{listing}:1: " in from_file


def test_a_utf8_bom_starts_a_targets_file_without_harm(tmp_path: Path) -> None:
    listing = tmp_path / "targets.txt"
    with HostileServer([hang()]) as server:
        listing.write_bytes(b"\xef\xbb\xbf" + server.target.encode() + b"\n")
        result = run_cli("check", "--targets-file", str(listing), "--timeout", "0.5",
                         "--quit-after", "connect", "--format", "jsonl")
    assert_no_traceback(result)
    assert result.returncode == 0, result.stdout + result.stderr
    assert server.connections == 1


def test_a_decomposed_idn_is_normalised_before_idna() -> None:
    nfd = "bu\u0308cher.test"  # u + combining diaeresis, as macOS file names and some IMEs give
    with DnsServer({("xn--bcher-kva.test", "MX"): ["10 ."]}) as dns:
        result = run_cli("probe", nfd, "--nameserver", f"127.0.0.1:{dns.port}", "--json")
    assert_no_traceback(result)
    assert result.returncode == 1, result.stdout + result.stderr  # null MX: accepts no mail
    assert ("xn--bcher-kva.test", "MX") in dns.queries


def test_serve_on_a_port_in_use_names_the_port_and_suggests_another() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        message = _usage(run_cli("serve", "--port", str(port), timeout=30))
    assert f"cannot listen on 127.0.0.1:{port}: address already in use" in message
    assert "--port" in message


def _paths(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "a-directory").mkdir()
    (tmp_path / "not-a-cert.pem").write_text("hello\n", encoding="utf-8")
    return {"directory": tmp_path / "a-directory", "missing": tmp_path / "no" / "such" / "file",
            "not-pem": tmp_path / "not-a-cert.pem"}


@pytest.mark.parametrize("kind", ["directory", "missing"])
def test_an_unwritable_transcript_is_refused_before_the_probe(kind: str, tmp_path: Path) -> None:
    path = _paths(tmp_path)[kind]
    with HostileServer([hang()]) as server:
        message = _usage(run_cli("probe", server.target, "--timeout", "5", "--dry-run",
                                 "--transcript", str(path)))
    assert server.connections == 0  # said at once, not after the probe
    assert f"cannot write --transcript {str(path)!r}" in message


@pytest.mark.parametrize("kind", ["directory", "missing", "not-pem"])
def test_a_bad_ca_file_is_refused_before_the_probe(kind: str, tmp_path: Path) -> None:
    path = _paths(tmp_path)[kind]
    with HostileServer([hang()]) as server:
        message = _usage(run_cli("probe", server.target, "--timeout", "5", "--tls", "implicit",
                                 "--ca-file", str(path)))
        checked = _usage(run_cli("check", server.target, "--timeout", "5", "--ca-file",
                                 str(path)), 3)
    assert server.connections == 0
    for text in (message, checked):
        assert f"--ca-file {str(path)!r}" in text


@pytest.mark.parametrize("kind", ["directory", "missing"])
def test_check_output_and_targets_file_paths_are_refused_before_probing(
        kind: str, tmp_path: Path) -> None:
    path = _paths(tmp_path)[kind]
    with HostileServer([hang()]) as server:
        output = _usage(run_cli("check", server.target, "--timeout", "5", "--output", str(path)),
                        3)
        listing = _usage(run_cli("check", "--targets-file", str(path)), 3)
    assert server.connections == 0
    assert f"cannot write --output {path}" in output
    assert f"cannot read --targets-file {path}" in listing


@pytest.mark.parametrize("size", [b"\xc2\xb2", b"\xef\xbc\x92\xef\xbc\x95", b"9" * 5000])
def test_a_size_in_odd_digits_from_the_server_is_not_a_crash(size: bytes) -> None:
    """Server text too: ``int()`` of "²", or of 5000 digits (Python's limit is 4300), raised."""
    from .hostile import GREETING, expect, send, smtp

    ehlo = b"250-hostile.test\r\n250 SIZE " + size + b"\r\n"
    with HostileServer([send(GREETING), expect(b"EHLO"), send(ehlo), smtp(ehlo)]) as server:
        result = run_cli("probe", server.target, "--timeout", "2", "--dry-run")
    assert_no_traceback(result)
    assert "internal error" not in result.stderr
    assert result.returncode == 0, result.stdout + result.stderr
    caps = next(line for line in result.stdout.splitlines() if "capabilities:" in line)
    assert "SIZE " + size.decode()[:2] in caps and "no limit" not in caps, caps  # as said


@pytest.mark.parametrize("command", ["probe", "check"])
def test_a_label_too_long_for_dns_once_encoded_is_a_usage_error(command: str) -> None:
    """60 letters 'ü' fit in 63 characters but not in 63 octets as an A-label: IDNA refused
    them deep in getaddrinfo ('internal error', exit 70)."""
    message = _usage(run_cli(command, "ü" * 60 + ".test:25", "--timeout", "0.5"),
                     USAGE if command == "probe" else 3)
    assert "is not a valid host name (bad label" in message


def test_output_to_a_full_device_is_an_error_not_a_bug() -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:
        done = subprocess.run([*_python_m(), "codes", "--json"], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=60, check=False)
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.startswith("smtpdiag: error: ") and "No space left" in done.stderr


def _python_m() -> list[str]:
    import sys

    return [sys.executable, "-m", "smtpdiag"]


def test_the_exporter_listen_port_takes_ascii_digits_only() -> None:
    message = _usage(run_cli("exporter", "--listen", "127.0.0.1:²⁵"))
    assert "--listen '127.0.0.1:²⁵': port must be 0-65535" in message
