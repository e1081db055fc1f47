"""A positive reply that is not the one the step needs: a protocol violation, not a refusal.

A server that answers DATA with 250 instead of 354 never took the message; one that answers
EHLO with 220 has not done what was asked either.  Such a reply is
positive, so calling it a refusal ("refused the session", exit 1) misleads, and ``check``, which
judges replies by their class, called the first one OK.  Each must end the walk as "could not
complete" (probe exit 3, check CRITICAL), naming the step, the code seen and the code wanted,
and the walk still says QUIT (the server is talking SMTP, just not the right reply).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .conftest import assert_no_traceback, run_cli
from .hostile import EHLO_OK, GREETING, HostileServer, expect, send, smtp

AT_DATA = [send(GREETING), expect(b"EHLO"), send(EHLO_OK), expect(b"MAIL"),
           send(b"250 2.1.0 ok\r\n"), expect(b"RCPT"), send(b"250 2.1.5 ok\r\n"), expect(b"DATA")]
CASES = {
    "data-250": ([*AT_DATA, send(b"250 2.0.0 \x1b[31mno 354 here\r\n"), smtp()], "data",
                 ("250", "354")),
    "ehlo-220": ([send(GREETING), expect(b"EHLO"), send(b"220 hello again\r\n"), smtp()], "ehlo",
                 ("220", "250")),
    # RCPT answered 354: no recipient was taken, yet no recipient was refused either; the
    # walk had called that ACCEPTED (exit 0), a dry run's check OK
    "rcpt-354": ([*AT_DATA[:6], send(b"354 go ahead\r\n"), smtp()], "rcpt", ("354", "250")),
}


@pytest.mark.parametrize("name", CASES)
def test_probe_calls_a_wrong_positive_reply_a_failure_naming_the_step(name: str) -> None:
    script, step, codes = CASES[name]
    with HostileServer(script) as server:
        result = run_cli("probe", server.target, "--timeout", "2", "--to", "a@b.test",
                         "--helo", "client.test")
        report_run = run_cli("probe", server.target, "--timeout", "2", "--to", "a@b.test",
                             "--helo", "client.test", "--json")
    assert_no_traceback(result)
    assert result.returncode == 3, result.stdout + result.stderr
    verdict = next(line for line in result.stdout.splitlines() if line.startswith("Verdict:"))
    assert verdict.startswith("Verdict: FAILED"), verdict
    assert f": {step} failed: " in verdict
    assert all(code in verdict for code in codes), verdict
    assert "\x1b" not in result.stdout
    assert server.received[-1].upper().startswith(b"QUIT")
    report = json.loads(report_run.stdout)
    assert report_run.returncode == 3
    assert report["attempts"][-1]["error"]["kind"] == "protocol"
    assert report["attempts"][-1]["error"]["step"] == step


def test_check_dry_run_is_critical_when_rcpt_gets_354_and_never_reaches_data() -> None:
    with HostileServer(CASES["rcpt-354"][0]) as server:
        result = run_cli("check", server.target, "--no-mx", "--to", "a@b.test", "--timeout",
                         "2", "--format", "jsonl")
    assert_no_traceback(result)
    assert result.returncode == 2, result.stdout + result.stderr
    line = json.loads(result.stdout)
    assert line["state"] == "CRITICAL"
    assert "rcpt" in line["summary"] and "354" in line["summary"], line["summary"]
    assert not any(sent.upper().startswith((b"DATA", b"RSET")) for sent in server.received)


def test_check_sending_a_message_is_critical_when_data_gets_250() -> None:
    with HostileServer(CASES["data-250"][0]) as server:
        result = run_cli("check", server.target, "--send", "--to", "a@b.test", "--timeout", "2",
                         "--format", "jsonl")
    assert_no_traceback(result)
    assert result.returncode == 2, result.stdout + result.stderr
    line = json.loads(result.stdout)
    assert line["state"] == "CRITICAL"
    assert "data" in line["summary"] and "354" in line["summary"], line["summary"]


def _without_times(text: str) -> list[str]:
    return [re.sub(r"   \d+ ms$", "", line) for line in text.splitlines()]


def test_the_error_line_is_under_the_step_that_failed_not_under_quit(tmp_path: Path) -> None:
    transcript = tmp_path / "transcript.txt"
    with HostileServer(CASES["data-250"][0]) as server:
        result = run_cli("probe", server.target, "--timeout", "10", "--to", "a@b.test",
                         "--helo", "client.test", "--transcript", str(transcript))
    lines = _without_times(result.stdout)
    start = lines.index("data         → DATA")
    assert lines[start:start + 7] == [
        "data         → DATA",
        "             ← 250 2.0.0 \\x1b[31mno 354 here",
        "             250 OK · Positive Completion",
        "             ✗ the server answered 250 ('2.0.0 \\x1b[31mno 354 here') where 354 is the "
        "only reply that lets the session go on (RFC 5321 §4.3.2); smtpdiag stopped here",
        "quit         → QUIT",
        "             ← 221 2.0.0 bye",
        "             221 Closing Connection · Positive Completion",
    ]
    assert sum("smtpdiag stopped here" in line for line in lines) == 3  # step, finding, verdict
    kept = transcript.read_text(encoding="utf-8").splitlines()
    start = kept.index("C: DATA")
    assert kept[start:start + 5] == [
        "C: DATA", "S: 250 2.0.0 \\x1b[31mno 354 here",
        "#  data: the server answered 250 ('2.0.0 \\x1b[31mno 354 here') where 354 is the only "
        "reply that lets the session go on (RFC 5321 §4.3.2); smtpdiag stopped here",
        "C: QUIT", "S: 221 2.0.0 bye"]


def test_a_step_refused_before_it_was_sent_gets_a_line_of_its_own() -> None:
    """AUTH offered without STARTTLS: the password is never sent, and the line saying so is
    headed "auth", after EHLO's block, not tucked under EHLO's capabilities."""
    ehlo = b"250-hostile.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
    with HostileServer([send(GREETING), expect(b"EHLO"), send(ehlo), smtp()]) as server:
        result = run_cli("probe", server.target, "--timeout", "10", "--helo", "client.test",
                         "--auth-user", "alice", env={"SMTPDIAG_PASSWORD": "pw"})
    assert result.returncode == 3, result.stdout + result.stderr
    lines = _without_times(result.stdout)
    start = lines.index("             capabilities: 8BITMIME · AUTH PLAIN LOGIN")
    assert lines[start + 1] == (
        "auth         ✗ not sending the password unencrypted: no TLS was negotiated (the server "
        "did not offer STARTTLS); --tls none allows AUTH without TLS")
    # the connection is healthy: smtpdiag says goodbye (QUIT), then the findings follow
    assert lines[start + 2] == "quit         → QUIT" and server.received[-1] == b"QUIT\r\n"
    assert any(line.startswith("  ✗ critical: not sending the password unencrypted")
               for line in lines[start + 3:])
