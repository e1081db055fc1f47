"""Hostile servers that crawl or flood: the probe ends in bounded time with bounded output.

A tarpit (slow but correct) is a warning, not a failure; a server slow at every step is cut by
the overall deadline; a 20,000-line EHLO is counted, not kept; a 60,000-byte line is cut and
said to be.  Split from ``test_hostile.py`` (the table of broken servers), driven the same way:
the real CLI against a scripted server on loopback.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from smtpdiag.core.replies import MAX_LINES_KEPT

from .conftest import assert_valid, run_cli
from .hostile import EHLO_OK, GREETING, HostileServer, expect, hang, send, sleep, smtp

SLACK = 1.0  # the brief: a deadline is honoured within one second


def test_a_tarpit_is_reported_as_slow_not_as_broken() -> None:
    with HostileServer([sleep(1.5), send(GREETING), smtp()]) as server:
        result = run_cli("probe", server.target, "--timeout", "5", "--dry-run", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert_valid(report, "report")
    assert report["verdict"] == "accepted"
    (slow,) = [f for f in report["attempts"][0]["findings"] if f["message"].startswith("slow")]
    assert slow["severity"] == "warning"
    assert slow["step"] == "greeting"
    # the number, not the text: a loaded machine may take 1.56 s (shown as 1.6)
    took = re.fullmatch(r"slow: the greeting step took (\d+\.\d) s \(.*\)", slow["message"])
    assert took is not None, slow["message"]
    greeting_ms = report["attempts"][0]["steps"][1]["elapsed_ms"]
    assert float(took.group(1)) == pytest.approx(greeting_ms / 1000, abs=0.05)
    assert 1.45 <= float(took.group(1)) <= 4.0


def test_the_overall_deadline_cuts_a_server_that_is_slow_at_every_step() -> None:
    def slow(reply: bytes) -> list[Any]:
        return [sleep(0.6), send(reply)]
    script = [*slow(GREETING), expect(b"EHLO"), *slow(EHLO_OK), expect(b"MAIL"),
              *slow(b"250 ok\r\n"), expect(b"RCPT"), *slow(b"250 ok\r\n"), smtp()]
    with HostileServer(script) as server:
        result = run_cli("probe", server.target, "--timeout", "1", "--deadline", "1.5",
                         "--dry-run", "--json")
    assert result.returncode == 3, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert_valid(report, "report")
    assert report["elapsed_ms"] < (1.5 + SLACK) * 1000
    error = report["attempts"][0]["error"]
    assert error["kind"] == "timeout"
    # the step had only what the slow steps before it left: a slow server, not a dead one
    assert "that was all that was left of the probe's overall time limit" in error["message"]
    assert "not necessarily one that stopped answering" in error["message"]


def test_checks_run_deadline_names_the_step_and_what_a_dripping_server_had_sent() -> None:
    """A greeting sent a byte at a time outlasts ``check --deadline``: the one reason (the
    status line a monitor shows) names the step it was waiting at and what had come, not only
    "probe: cut off by the overall deadline" with the rest hidden behind "(+1 more)"."""
    from .hostile import trickle

    with HostileServer([trickle(b"220 slow greeting, one byte at a time\r\n", 0.2)]) as server:
        result = run_cli("check", server.target, "--tls", "none", "--timeout", "10",
                         "--deadline", "1.5", "--format", "jsonl")
    assert result.returncode == 2, result.stdout + result.stderr
    line = json.loads(result.stdout)
    assert line["summary"].startswith("greeting: cut off by the overall deadline of 1.5 s: "), \
        line["summary"]
    assert "'220 s" in line["summary"] and "(+" not in line["summary"]
    assert [reason["step"] for reason in line["reasons"]] == ["greeting"]


def test_a_server_that_stops_answering_is_not_called_slow_for_the_deadline() -> None:
    script = [send(GREETING), expect(b"EHLO"), send(EHLO_OK), expect(b"MAIL"), hang()]
    with HostileServer(script) as server:
        result = run_cli("probe", server.target, "--timeout", "5", "--deadline", "1",
                         "--dry-run", "--json")
    error = json.loads(result.stdout)["attempts"][0]["error"]
    assert error["kind"] == "timeout" and error["step"] == "mail"
    assert "left of the probe's overall time limit" not in error["message"]


def test_a_20000_line_ehlo_is_counted_not_kept(tmp_path: Path) -> None:
    ehlo = b"".join(b"250-X-LINE-%d\r\n" % i for i in range(20_000)) + b"250 8BITMIME\r\n"
    script = [send(GREETING), expect(b"EHLO"), send(ehlo), smtp()]
    transcript = tmp_path / "transcript.txt"
    with HostileServer(script) as server:
        shown = run_cli("probe", server.target, "--timeout", "2", "--dry-run",
                        "--transcript", str(transcript))
        result = run_cli("probe", server.target, "--timeout", "2", "--dry-run", "--json")
    assert shown.returncode == result.returncode == 0, shown.stdout + shown.stderr
    not_kept = f"[smtpdiag: {20_001 - MAX_LINES_KEPT} further lines not kept]"
    assert not_kept in shown.stdout
    assert len(shown.stdout) < 20_000
    assert f"#  {not_kept}" in transcript.read_text(encoding="utf-8")
    assert len(result.stdout) < 100_000
    report = json.loads(result.stdout)
    assert_valid(report, "report")
    ehlo_step = report["attempts"][0]["steps"][2]
    assert ehlo_step["name"] == "ehlo"
    reply = ehlo_step["reply"]
    assert reply["truncated"] is True
    assert len(reply["raw"]) == MAX_LINES_KEPT
    assert reply["lines"][-1] == not_kept
    assert any("longer than smtpdiag keeps" in f["message"]
               for f in report["attempts"][0]["findings"])


def test_a_long_line_with_a_line_end_is_cut_and_says_so() -> None:
    with HostileServer([send(b"220 " + b"y" * 60_000 + b"\r\n"), smtp()]) as server:
        result = run_cli("probe", server.target, "--timeout", "1", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "a reply line was longer than smtpdiag keeps and was cut" in result.stdout
    assert len(result.stdout) < 20_000


def test_keywords_listed_after_a_thousand_extensions_still_count() -> None:
    """Past the lines a reply keeps, an EHLO line naming an extension smtpdiag acts on is still
    read: SIZE and STARTTLS at the end of a 1,000-line EHLO are not taken for missing."""
    ehlo = (b"250-hostile.test\r\n" + b"".join(b"250-X-EXT-%d arg\r\n" % i for i in range(1000))
            + b"250-PIPELINING\r\n250 SIZE 1000000\r\n")
    script = [send(GREETING), expect(b"EHLO"), send(ehlo), smtp(ehlo)]
    with HostileServer(script) as server:
        result = run_cli("probe", server.target, "--timeout", "2", "--dry-run", "--json",
                         "--from", "a@example.test", "--tls", "none")
    assert result.returncode == 0, result.stdout + result.stderr
    caps = json.loads(result.stdout)["attempts"][0]["capabilities"]
    assert (caps["size"], caps["pipelining"], len(caps["other"])) == (1_000_000, True, 50)
    assert caps["other_more"] == 950  # the 1,000 others: 50 kept, the rest counted
    mail = next(line for line in server.received if line.startswith(b"MAIL"))
    assert re.fullmatch(rb"MAIL FROM:<a@example\.test> SIZE=\d+\r\n", mail)


def test_a_reply_that_never_ends_is_said_to_be_as_long_as_it_was() -> None:
    """Lines past those kept still count: 5,000 ``250-`` lines and then silence were said to
    be 200 lines (MAX_LINES_KEPT) of an unfinished reply."""
    lines = b"".join(b"250-line %d\r\n" % i for i in range(5000))
    with HostileServer([send(GREETING), expect(b"EHLO"), send(lines), hang()]) as server:
        result = run_cli("probe", server.target, "--timeout", "1", "--dry-run")
    assert result.returncode == 3, result.stdout + result.stderr
    assert ("(5000 lines of an unfinished reply arrived, with no last line: '250-line 0', "
            "'250-line 1', '250-line 2' and 4997 more)") in result.stdout
    assert len(result.stdout) < 20_000


def test_a_thousand_auth_mechanisms_are_named_a_few_and_counted() -> None:
    """The reply line is cut at what a person reads; the capabilities summary is too: a few
    mechanisms, then how many more, never a screen of them.  ``--json`` keeps them all."""
    names = b" ".join(b"M%d" % i for i in range(1000))
    ehlo = b"250-hostile.test\r\n250-AUTH " + names + b"\r\n250 8BITMIME\r\n"
    script = [send(GREETING), expect(b"EHLO"), send(ehlo), smtp(ehlo)]
    with HostileServer(script) as server:
        shown = run_cli("probe", server.target, "--timeout", "2", "--dry-run", "--tls", "none")
        as_json = run_cli("probe", server.target, "--timeout", "2", "--dry-run", "--tls", "none",
                          "--json")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    caps = next(line for line in shown.stdout.splitlines() if "capabilities:" in line)
    assert caps.endswith("· AUTH M0 M1 M2 M3 M4 M5 M6 M7 M8 M9 M10 M11 and 988 more"), caps
    assert len(json.loads(as_json.stdout)["attempts"][0]["capabilities"]["auth"]) == 1000


def test_a_thousand_mechanisms_none_usable_are_named_a_few_in_the_error() -> None:
    names = b" ".join(b"M%d" % i for i in range(1000))
    ehlo = b"250-hostile.test\r\n250-AUTH " + names + b"\r\n250 8BITMIME\r\n"
    with HostileServer([send(GREETING), expect(b"EHLO"), send(ehlo), smtp(ehlo)]) as server:
        result = run_cli("check", server.target, "--no-mx", "--tls", "none", "--auth-user", "a",
                         "--timeout", "3", "--format", "nagios", env={"SMTPDIAG_PASSWORD": "pw"})
    assert result.returncode == 2, result.stdout + result.stderr
    first = result.stdout.splitlines()[0]
    assert "it offers: M0, M1, M2, M3, M4, M5, M6, M7, M8, M9, M10, M11 and 988 more (" in first
    assert len(result.stdout) < 2000
