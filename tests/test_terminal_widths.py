"""More of what a person sees, on a real pseudo-terminal at 60 and 120 columns and piped: the
notice before a probe delivers, rounded seconds, compare, serve's session log, and what check
shows while it waits (one target: probe's status line; many: the hosts still waited for)."""

from __future__ import annotations

import re
import socket

import pytest

from smtpdiag.cli.check_progress import Progress, lanes_for
from smtpdiag.fakeserver import FakeServer
from tests.conftest import run_cli
from tests.terminal import run_in_pty

WIDTHS = (60, 120)
SERVE_PORT = 31512  # issue 11's range


def widest(text: str) -> int:
    return max(len(line.rstrip()) for line in text.split("\n"))


# -- 1: a probe that will deliver says so first ------------------------------------------------

@pytest.mark.parametrize("columns", WIDTHS)
def test_the_notice_before_data_comes_first_and_wraps_at_a_word(columns):
    with FakeServer("healthy", tls="none") as server:
        target = f"127.0.0.1:{server.port}"
        screen = run_in_pty("probe", target, "--tls", "none", "--to", "ops@example.test",
                            columns=columns)
        dry = run_in_pty("probe", target, "--tls", "none", "--dry-run", columns=columns)
    assert screen.returncode == 0
    notice = screen.text[:screen.text.index("smtpdiag probe ")]
    words = " ".join(notice.split())
    assert "a test message will be delivered to ops@example.test" in words
    assert "--dry-run" in words
    assert widest(notice) <= columns
    assert "delivered" not in dry.seen


# -- 7: seconds rounded for people, on a terminal too -------------------------------------------

@pytest.mark.parametrize("columns", WIDTHS)
def test_check_on_a_terminal_rounds_seconds(columns):
    with FakeServer("slow-greeting", tls="none") as server:
        target = f"127.0.0.1:{server.port}"
        screen = run_in_pty("check", target, "--tls", "none", "--timeout", "1",
                            columns=columns)
    assert screen.returncode == 2
    flat = " ".join(screen.text.split())
    assert "within 1 s" in flat
    assert not re.search(r"\d\.\d{3,} ?s\b", flat)
    assert widest(screen.text) <= columns


def test_a_single_check_on_a_terminal_says_its_reason_once():
    with FakeServer("relay-denied", tls="none") as server:
        target = f"127.0.0.1:{server.port}"
        screen = run_in_pty("check", target, "--tls", "none", "--to", "a@b.test", columns=60)
    assert screen.returncode == 2
    # The heading says it in full; the row is cut; nothing below repeats it.
    assert " ".join(screen.text.split()).count("Relay access denied") == 1


# -- 10: compare says what differs, once --------------------------------------------------------

def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.;:])\s+|\n", text) if len(s.strip()) > 25]


@pytest.mark.parametrize("pair", [("550", "553"), ("450", "451"), ("5.1.1", "5.7.1"),
                                  ("450", "550")])
def test_compare_never_says_a_sentence_twice(pair):
    import json

    text = run_cli("compare", *pair).stdout
    start, end = text.index("Key Differences"), text.index("Learn More")
    own, rest = sentences(text[start:end]), sentences(text[:start] + text[end:])
    # The intro restates each description, as the seed pages do; the two sections that
    # follow the entries earn their headings: nothing in them is said anywhere else.
    repeated = {s for s in own if own.count(s) > 1 or s in rest}
    assert not repeated, repeated
    page = json.loads(run_cli("compare", *pair, "--json").stdout)
    for side in page["sides"]:  # the commands each answers: said in the differences only
        listed = ", ".join(side["commands"])
        if len(side["commands"]) > 1:
            assert listed not in page["which"]
        assert side["fix"] not in page["which"]


def test_compare_of_one_class_names_what_only_one_answers():
    import json

    page = json.loads(run_cli("compare", "550", "553", "--json").stdout)
    assert "Both answer MAIL, RCPT, VRFY; only 550 answers EHLO" in page["differences"][1]
    assert "550 (Mailbox Unavailable) or 553 (Mailbox Name Not Allowed)" in page["which"]


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("no_color", [False, True])
def test_compare_on_a_terminal_fits_and_keeps_every_word(columns, no_color):
    screen = run_in_pty("compare", "550", "553", columns=columns,
                        env={"NO_COLOR": "1"} if no_color else None)
    piped = run_cli("compare", "550", "553").stdout
    assert screen.returncode == 0
    assert widest(screen.text) <= columns
    assert screen.text.split() == piped.split()  # wrapped at words, nothing lost
    assert ("\x1b[" in screen.raw) is not no_color


# -- 13: serve logs each session on a terminal ----------------------------------------------------

def _session() -> None:
    with socket.create_connection(("127.0.0.1", SERVE_PORT), timeout=10) as sock:
        stream = sock.makefile("rwb")
        stream.readline()
        for command in (b"EHLO dev.example", b"HELP", b"MAIL FROM:<dev@example.test>",
                        b"RCPT TO:<\x1b[31mred@example.test>", b"RCPT TO:<a@example.test>",
                        b"DATA", b"Subject: hi\r\n\r\nbody\r\n.", b"QUIT"):
            stream.write(command + b"\r\n")
            stream.flush()
            while stream.readline()[3:4] == b"-":
                pass


@pytest.mark.parametrize("columns", WIDTHS)
def test_serve_on_a_terminal_logs_each_session_and_nothing_else(tmp_path, columns):
    screen = run_in_pty("serve", "--port", str(SERVE_PORT), "--cert-dir", str(tmp_path),
                        columns=columns, ready="AUTH test credentials", during=_session,
                        timeout=60)
    assert screen.returncode == 0
    lines = screen.text.split("\n")
    assert lines[0].startswith(f"listening on 127.0.0.1:{SERVE_PORT} ")
    assert lines[1] == f"CA file (pass as --ca-file): {tmp_path / 'ca.pem'}"
    # One session, the client's: the server's own start-up connection is not logged.
    assert screen.text.count(" connected") == 1 and screen.text.count(" disconnected") == 1
    assert re.search(r"127\.0\.0\.1:\d+ C: HELP\n127\.0\.0\.1:\d+ S: 214 ", screen.text)
    assert re.search(r"message: \d+ bytes from <dev@example.test> to 1 recipient", screen.text)
    assert "\x1b[31m" not in screen.raw and "\\x1b[31m" in screen.text  # client text escaped
    quiet = run_in_pty("serve", "--port", str(SERVE_PORT), "--cert-dir", str(tmp_path),
                       "--quiet", columns=columns, ready="AUTH test credentials",
                       during=_session, timeout=60)
    assert "C: HELP" not in quiet.text and str(tmp_path / "ca.pem") in quiet.text


# -- 12: what check shows while it waits -----------------------------------------------------------

@pytest.mark.parametrize("columns", WIDTHS)
def test_a_single_target_check_shows_the_status_line_of_probe(columns):
    with FakeServer("slow-greeting", tls="none") as server:
        target = f"127.0.0.1:{server.port}"
        screen = run_in_pty("check", target, "--tls", "none", columns=columns)
        quiet = run_in_pty("check", target, "--tls", "none", "--no-progress", columns=columns)
        piped = run_cli("check", target, "--tls", "none")
    assert screen.returncode == 0
    assert f"{target}: greeting …" in screen.seen  # the step under way, as probe shows it
    assert "━" not in screen.seen  # not a progress bar of one
    assert "greeting …" not in quiet.seen
    assert piped.stderr == "" and "greeting …" not in piped.stdout


def test_the_progress_bar_names_the_hosts_waited_for_with_workers():
    with FakeServer("healthy", tls="none") as fast, \
            FakeServer("slow-greeting", tls="none") as slow:
        slow_target = f"127.0.0.1:{slow.port}"
        screen = run_in_pty("check", f"127.0.0.1:{fast.port}", slow_target, "--tls", "none",
                            "--workers", "2", "--concurrency", "2", columns=120)
    assert screen.returncode == 0
    assert f"waiting for {slow_target}" in screen.seen
    assert re.search(r"1/2 +\d:\d\d:\d\d +waiting for " + re.escape(slow_target), screen.seen)


def test_the_targets_under_way_follow_how_each_lane_takes_them():
    names = [f"h{i}" for i in range(7)]
    one = Progress(7, False, names, lanes_for(7, 2))
    assert one.waiting() == "waiting for h0, h1"
    one.advance("OK", 1)
    assert one.waiting() == "waiting for h0, h2"
    # With workers, each takes the next target from one shared counter: still input order,
    # the whole concurrency under way, one lane.
    two = Progress(7, False, names, lanes_for(7, 3))
    assert [list(lane.indices) for lane in two.lanes] == [list(range(7))]
    assert two.waiting() == "waiting for h0, h1, h2"
    for index in (0, 2):
        two.advance("OK", index)
    assert two.waiting() == "waiting for h1, h3, h4"
    two.advance("WARNING", 1)
    assert two.waiting() == "waiting for h3, h4, h5"
    for index in (3, 4, 5, 6):
        two.advance("OK", index)
    assert two.waiting() == ""
    quiet = Progress(7, False, (), lanes_for(7, 3))  # no names: nothing to follow
    quiet.advance("OK", 0)
    assert quiet.waiting() == "" and quiet.lanes[0].finished == 0
    many = Progress(9, False, [*names, "h7", "h8"], lanes_for(9, 5))
    assert many.waiting() == "waiting for h0, h1, h2 +2"


# -- 9: the bottom line says who must act, and when ---------------------------------------------

@pytest.mark.parametrize("columns", WIDTHS)
def test_a_temporary_failure_needs_nobody_until_it_lasts(columns):
    screen = run_in_pty("explain", "450 4.2.0 Greylisted, please try again later",
                        columns=columns)
    flat = " ".join(screen.text.split())
    assert "(greylisted) — temporary: the sending server retries on its own; if it lasts, " \
           "the sending side's admin must act." in flat
    assert widest(screen.text) <= columns
    permanent = run_cli("explain", "550 5.1.1 no such user").stdout
    assert "(user-unknown) — permanent; the sender must act." in permanent


@pytest.mark.parametrize("columns", WIDTHS)
def test_explain_reads_unquoted_words_and_puts_the_named_step_first(columns):
    unquoted = run_in_pty("explain", "421", "4.7.0", columns=columns)
    assert unquoted.returncode == 0 and "unexpected extra argument" not in unquoted.text
    assert unquoted.text.startswith("> 421 4.7.0\n")
    pasted = ("host mx.example.org[192.0.2.1] said: 550-5.7.1 <a@example.org>: Recipient\n"
              "550 5.7.1 address rejected: Access denied (in reply to RCPT TO command)")
    screen = run_in_pty("explain", pasted, columns=columns)
    piped = run_cli("explain", pasted).stdout
    for text in (screen.text, piped):
        flat = " ".join(text.split())
        assert "> 550-5.7.1" in flat  # the continuation mark kept in the echo
        assert flat.index("Bottom line:") < flat.index("550 Mailbox Unavailable")
        assert "after RCPT)" in flat and "Also returned after" in flat
        assert "DATA-END:" not in flat  # the other steps folded into one line
    assert widest(screen.text) <= columns
    assert screen.text.split() == piped.split()
