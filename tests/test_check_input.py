"""``smtpdiag check``'s input and exit codes, from the real CLI in a subprocess: states to exit
codes, the overall deadline, a targets file, every usage error (UNKNOWN, 3), mail domains
through a loopback DNS server.  Real fake servers on loopback; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from smtpdiag.fakeserver import FakeServer

from .check_servers import MIXED, check, running_servers, where
from .conftest import assert_no_traceback, assert_valid, run_cli


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, FakeServer]]:
    yield from running_servers(tmp_path_factory, MIXED)


def test_exit_codes_ok_and_warning(servers):
    assert check(where(servers["healthy"])).returncode == 0
    assert check(where(servers["healthy"]), where(servers["greylist"])).returncode == 1


def test_deadline_on_the_command_line(servers, silent_port):
    started = time.monotonic()
    result = check(f"127.0.0.1:{silent_port}", where(servers["healthy"]), "--timeout", "20",
                   "--deadline", "1", "--format", "jsonl")
    elapsed = time.monotonic() - started
    assert result.returncode == 2
    assert elapsed < 6
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(item["index"], item["state"]) for item in lines] == [(1, "OK"), (0, "CRITICAL")]
    assert "deadline" in lines[1]["summary"]


def test_targets_file_with_comments(servers, tmp_path):
    listing = tmp_path / "targets.txt"
    listing.write_text(f"# our MX hosts\n\n{where(servers['healthy'])}   # primary\n"
                       f"  {where(servers['greylist'])}\n#{where(servers['mail-refused'])}\n")
    result = check("--targets-file", str(listing), "--format", "json")
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    assert [t["target"] for t in document["targets"]] == [where(servers["healthy"]),
                                                          where(servers["greylist"])]


@pytest.mark.parametrize(("args", "message"), [
    (("--bogus-option", "TARGET"), "No such option: --bogus-option"),
    (("--format", "xml", "TARGET"), "'xml' is not one of"),
    (("--concurrency", "many", "TARGET"), "'many' is not a valid int"),
    ((), "no targets: name them as arguments or give --targets-file"),
    (("127.0.0.1:99999",), "port '99999' is not a number from 1 to 65535"),
    (("--expect", "rcpt=999", "TARGET"), "'999' is not a reply code"),
    (("--expect", "data=250", "TARGET"), "a check sends no DATA unless --send is given"),
    (("--warn-step", "quit=1", "TARGET"), "unknown step 'quit'"),
    (("--warn", "3", "--crit", "2", "TARGET"), "--warn 3 is above --crit 2"),
    (("--concurrency", "0", "TARGET"), "--concurrency must be 1-1000"),
    (("--deadline", "0", "TARGET"), "--deadline must be a positive number of seconds"),
    (("--to", "bad\r\nRSET", "TARGET"), "control character"),
    (("--targets-file", "/nonexistent/targets.txt"), "/nonexistent/targets.txt"),
])
def test_usage_errors_are_unknown(args, message, closed_port):
    # TARGET is a loopback port nothing listens on: were the usage error missed, the check
    # would fail to connect (CRITICAL, 2), never reach a real server, and never say `message`
    args = [f"127.0.0.1:{closed_port}" if a == "TARGET" else a for a in args]
    result = run_cli("check", *args, timeout=30)
    assert_no_traceback(result)
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert message in " ".join(result.stderr.split()), result.stderr


@pytest.mark.parametrize(("args", "line"), [
    (("--expect", "bogus", "TARGET"),
     "SMTPDIAG UNKNOWN - error: --expect 'bogus': expected STEP=VALUE, e.g. --expect mail=250"),
    (("a|b",), "SMTPDIAG UNKNOWN - error: target 'a¦b' is not a valid host name (bad label "
     "'a¦b')"),  # a | would start the performance data
    (("--targets-file", "/nonexistent/targets.txt"), "SMTPDIAG UNKNOWN - error: cannot read "
     "--targets-file /nonexistent/targets.txt: No such file or directory"),
])
def test_nagios_says_unknown_on_stdout_when_the_check_cannot_run(args, line, closed_port):
    """A monitoring system shows a plugin's first line of standard output: a check that could
    not run says why there too, as its one status line, not only on standard error."""
    args = [f"127.0.0.1:{closed_port}" if a == "TARGET" else a for a in args]
    result = run_cli("check", *args, "--format", "nagios")
    assert_no_traceback(result)
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert result.stdout == line + "\n"
    assert result.stderr.startswith("smtpdiag: error: ")


@pytest.mark.parametrize(("args", "line"), [
    (("--format", "nagios", "--bogus", "TARGET"),
     "SMTPDIAG UNKNOWN - error: No such option: --bogus"),
    (("--workers", "abc", "--format=NAGIOS", "TARGET"),
     "SMTPDIAG UNKNOWN - error: Invalid value for '--workers': 'abc' is not a valid int."),
    (("--format", "nagios", "--timeout", "x", "TARGET"),
     "SMTPDIAG UNKNOWN - error: Invalid value for '--timeout': 'x' is not a valid float."),
    (("--format", "nagios", "--\x1b[2Jx|y", "TARGET"), None),
])
def test_nagios_says_unknown_on_stdout_for_the_option_parsers_usage_errors(args, line,
                                                                          closed_port):
    """Click's own usage errors (an unknown option, a number it cannot read) are reported before
    the command runs; under --format nagios they still give the one status line, UNKNOWN, with
    click's usage text on standard error as before.  A hostile value is shown safe: no ESC, no
    ``|`` that would start the performance data."""
    args = [f"127.0.0.1:{closed_port}" if a == "TARGET" else a for a in args]
    result = run_cli("check", *args)
    assert_no_traceback(result)
    assert result.returncode == 3, (result.stdout, result.stderr)
    if line is not None:
        assert result.stdout == line + "\n"
    assert result.stdout.startswith("SMTPDIAG UNKNOWN - error: ")
    assert result.stdout.count("\n") == 1 and "|" not in result.stdout
    assert "\x1b" not in result.stdout
    assert "smtpdiag check [OPTIONS] [TARGET]..." in result.stderr


def test_option_parsers_usage_errors_give_no_status_line_in_other_formats(closed_port):
    result = run_cli("check", "--format", "json", "--bogus", f"127.0.0.1:{closed_port}")
    assert result.returncode == 3 and result.stdout == ""
    assert "No such option: --bogus" in result.stderr


def test_a_bad_line_in_the_targets_file_is_named(tmp_path, closed_port):
    # the good first line is a port nothing listens on: no real server is ever reached
    listing = tmp_path / "targets.txt"
    listing.write_text(f"127.0.0.1:{closed_port}\nnot a host\n")
    result = run_cli("check", "--targets-file", str(listing))
    assert_no_traceback(result)
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr == (f"smtpdiag: error: {listing}:2: target 'not a host' is empty or "
                             "contains spaces\n")


def test_a_bad_target_argument_is_named_once():
    result = run_cli("check", "bad host!")
    assert result.returncode == 3
    assert result.stderr == "smtpdiag: error: target 'bad host!' is empty or contains spaces\n"


def test_help_exits_zero():
    result = run_cli("check", "--help")
    assert result.returncode == 0
    assert "--expect" in result.stdout and "UNKNOWN" in result.stdout


def test_mail_domains_through_a_loopback_dns_server(servers):
    from .dnsserver import DnsServer

    records = {
        ("good.test", "MX"): ["10 mx1.good.test."],
        ("mx1.good.test", "A"): ["127.0.0.1"],
        ("backup.test", "MX"): ["10 dead.backup.test.", "20 mx1.good.test."],
        ("dead.backup.test", "A"): ["127.0.0.2"],  # loopback, but nothing listens there
        ("nullmx.test", "MX"): ["0 ."],
        ("mixed.test", "MX"): ["0 .", "10 mx1.good.test."],  # RFC 7505 §3: '.' must be alone
    }
    port = str(servers["healthy"].port)
    with DnsServer(records) as dns:
        result = check("good.test", "backup.test", "missing.test", "nullmx.test", "mixed.test",
                       "--port", port,
                       "--nameserver", f"127.0.0.1:{dns.port}", "--format", "json")
    assert result.returncode == 2, result.stderr
    document = json.loads(result.stdout)
    assert_valid(document, "check")
    states = {t["target"]: t for t in document["targets"]}
    assert states["good.test"]["state"] == "OK"
    assert states["backup.test"]["state"] == "WARNING"
    assert "dead.backup.test" in states["backup.test"]["summary"]
    assert states["missing.test"]["state"] == "CRITICAL"
    assert states["missing.test"]["reasons"][0]["step"] == "dns"
    assert states["nullmx.test"]["state"] == "CRITICAL"
    # the stray '.' is no server to try: the real host is walked, and the MX set is CRITICAL
    # as in audit (mx.null-mixed): a sender that reads MX 0 . first bounces every message
    assert states["mixed.test"]["state"] == "CRITICAL"
    assert states["mixed.test"]["summary"].startswith("dns: MX 0 . (a null MX) is listed "
                                                      "beside other MX records")
    for target in document["targets"]:
        assert_valid(target["report"], "report")
