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


def test_check_sending_a_message_is_critical_when_data_gets_250() -> None:
    with HostileServer(CASES["data-250"][0]) as server:
        result = run_cli("check", server.target, "--send", "--to", "a@b.test", "--timeout", "2",
                         "--format", "jsonl")
    assert_no_traceback(result)
    assert result.returncode == 2, result.stdout + result.stderr
    line = json.loads(result.stdout)
    assert line["state"] == "CRITICAL"
    assert "data" in line["summary"] and "354" in line["summary"], line["summary"]
