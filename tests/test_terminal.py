"""What a person sees: the real CLI on a real pseudo-terminal at 60 and 120 columns, with and
without NO_COLOR, and the same commands piped.  Each test names the habit it protects."""

from __future__ import annotations

import re

import pytest

from smtpdiag.fakeserver import FakeServer
from tests.conftest import run_cli
from tests.terminal import SGR, run_in_pty

WIDTHS = (60, 120)
COLOUR = re.compile(r"\x1b\[[0-9;]*(3[0-7]|9[0-7]|38;[0-9;]+)[0-9;]*m")  # a foreground colour


def screen_lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.split("\n")]


# -- NO_COLOR means no colour, nothing else -------------------------------------------------

@pytest.mark.parametrize("columns", WIDTHS)
def test_no_color_still_wraps_at_a_word_under_its_column(columns):
    screen = run_in_pty("explain", "454", columns=columns, env={"NO_COLOR": "1"})
    assert screen.returncode == 0
    assert "\x1b[" not in screen.raw  # not even bold
    lines = screen_lines(screen.text)
    assert max(len(line) for line in lines) <= columns
    piped = run_cli("explain", "454").stdout
    assert screen.text.split() == piped.split()  # no word split (allow⏎ed) or lost
    label = next(i for i, line in enumerate(lines) if line.startswith("  Description:"))
    if len(piped.splitlines()[label]) > columns:  # it had to wrap: under its column
        assert lines[label + 1].startswith("  ") and lines[label + 1][2] != " "


@pytest.mark.parametrize("columns", WIDTHS)
def test_colour_on_a_terminal_and_none_piped(columns):
    screen = run_in_pty("explain", "550", columns=columns)
    assert COLOUR.search(screen.raw)
    assert max(len(line) for line in screen_lines(screen.text)) <= columns
    assert "\x1b" not in run_cli("explain", "550").stdout


def test_no_color_keeps_the_status_line():
    with FakeServer("slow-greeting", tls="none") as server:
        target = f"127.0.0.1:{server.port}"
        screen = run_in_pty("probe", target, "--dry-run", "--tls", "none", columns=80,
                            env={"NO_COLOR": "1"})
    assert screen.returncode == 0
    assert f"{target}: greeting" in screen.seen
    assert not COLOUR.search(screen.raw)


# -- habits ----------------------------------------------------------------------------------

@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag):
    from smtpdiag import __version__

    result = run_cli(flag)
    assert result.returncode == 0 and result.stdout == f"smtpdiag {__version__}\n"


def test_no_arguments_prints_help_and_exits_0():
    result = run_cli()
    assert result.returncode == 0
    assert result.stdout.startswith("Usage: ") and "Commands:" in result.stdout


@pytest.mark.parametrize("columns", WIDTHS)
def test_help_names_every_exit_code_and_never_cuts_a_summary(columns):
    screen = run_in_pty("--help", columns=columns)
    assert screen.returncode == 0
    flat = " ".join(screen.text.split())
    for code in ("0 OK", "2 usage error", "70 internal error", "130 interrupted",
                 "141 output pipe closed early", "3 UNKNOWN"):
        assert code in flat
    assert "..." not in screen.text.split("Commands:")[1]
    assert "--install-completion" in flat and "-V, --version" in flat
    assert max(len(line) for line in screen_lines(screen.text)) <= columns


def test_probe_and_check_read_the_same_boolean_flags_and_usage():
    probe = run_cli("probe", "--help").stdout
    check = run_cli("check", "--help").stdout
    assert "smtpdiag probe [OPTIONS] TARGET\n" in probe.splitlines(True)[0]
    assert "smtpdiag check [OPTIONS] [TARGET]...\n" in check.splitlines(True)[0]
    for text in (probe, check):
        assert "--no-no-mx" not in text and "--no-all-mx" not in text
        assert "--no-insecure" not in text and "{" not in text.splitlines()[0]
    for flag in ("--no-mx ", "--all-mx ", "--insecure "):
        assert flag in probe and flag in check
    assert "--dry-run " in probe and "--no-dry-run" not in probe
    assert "130" in probe and "141" in probe and "130" in check


# -- probe: says it delivers, says things once ------------------------------------------------

def test_probe_says_before_data_that_it_delivers_a_message():
    with FakeServer("healthy", tls="none") as server:
        target = f"127.0.0.1:{server.port}"
        sending = run_cli("probe", target, "--tls", "none", "--to", "ops@example.test")
        dry = run_cli("probe", target, "--tls", "none", "--dry-run")
        early = run_cli("probe", target, "--tls", "none", "--quit-after", "rcpt")
    assert sending.returncode == 0
    assert "a test message will be delivered to ops@example.test" in sending.stderr
    assert "--dry-run" in sending.stderr
    assert "delivered" not in dry.stderr and "delivered" not in early.stderr


@pytest.mark.parametrize("columns", WIDTHS)
def test_probe_report_says_each_thing_once(columns):
    with FakeServer("gmail-dmarc", tls="none") as server:
        target = f"127.0.0.1:{server.port}"
        screen = run_in_pty("probe", target, "--tls", "none", "--to", "a@example.test",
                            columns=columns)
        piped = run_cli("probe", target, "--tls", "none", "--to", "a@example.test")
    for text in (screen.text, piped.stdout):
        assert f"smtpdiag probe {target} --tls none --to a@example.test" in " ".join(
            text.split())
        assert "advice:" not in text
        assert len(re.findall(r"^\s+fix: ", text, re.M)) == 1  # one refusal, one fix
        assert "Other undefined Status" not in text and "Other address status" not in text
        assert "Destination address valid" in text  # a specific X.Y.Z still says itself
    assert max(len(line) for line in screen_lines(screen.text)) <= columns


@pytest.mark.parametrize("columns", WIDTHS)
def test_the_verdict_cuts_a_long_reply_at_a_word(columns):
    with FakeServer("gmail-dmarc", tls="none") as server:
        target = f"127.0.0.1:{server.port}"
        screen = run_in_pty("probe", target, "--tls", "none", columns=columns)
        piped = run_cli("probe", target, "--tls", "none")
    for text in (" ".join(screen.text.split()), piped.stdout):
        verdict = text[text.index("Verdict: "):]
        assert "Lear " not in verdict
        cut = verdict[:verdict.index("…")]
        assert re.search(r"[\w.)>] ?$", cut) and cut.split()[-1] in piped.stdout.split()


# -- check: a table that fits ----------------------------------------------------------------

@pytest.fixture
def fleet():
    with FakeServer("greylist", tls="none") as grey, \
            FakeServer("gmail-dmarc", tls="none") as fine, \
            FakeServer("relay-denied", tls="none") as relay:
        yield [f"127.0.0.1:{grey.port}", f"127.0.0.1:{fine.port}", f"127.0.0.1:{relay.port}"]


@pytest.mark.parametrize("columns", WIDTHS)
def test_check_table_fits_the_terminal_and_says_nothing_twice(fleet, columns):
    screen = run_in_pty("check", *fleet, "--tls", "none", "--to", "x@elsewhere.test",
                        columns=columns)
    assert screen.returncode == 2
    lines = screen_lines(screen.text)
    assert max(len(line) for line in lines) <= columns
    head = next(line for line in lines if line.startswith("STATE"))
    assert head.split()[-1] == "SUMMARY"
    rows = [line for line in lines if re.match(r"(OK|WARNING|CRITICAL) {2,}127\.0\.0\.1:", line)]
    assert sorted(row.split()[1] for row in rows) == sorted(fleet)
    text = screen.text
    for message in ("Greylisted, please try again later", "Relay access denied"):
        assert text.count(message) <= 1  # shown once: in its row or below, never both


def test_check_piped_keeps_every_word(fleet):
    result = run_cli("check", *fleet, "--tls", "none", "--to", "x@elsewhere.test")
    assert result.returncode == 2
    assert "\x1b" not in result.stdout
    assert result.stdout.count("Greylisted, please try again later") == 1
    assert result.stdout.count("Relay access denied") == 1
    narrow = run_cli("check", *fleet, "--tls", "none", "--to", "x@elsewhere.test",
                     env={"COLUMNS": "60"})
    table = narrow.stdout.split("\n\n")[1].splitlines()
    assert table[0].startswith("STATE") and len(table) == 4
    assert max(len(line) for line in table) <= 60 and "…" in narrow.stdout
    assert "Greylisted, please try again later" in narrow.stdout  # below the table, whole


def test_check_rounds_seconds_for_people():
    with FakeServer("slow-greeting", tls="none") as server:
        target = f"127.0.0.1:{server.port}"
        text = run_cli("check", target, "--tls", "none", "--timeout", "1")
        nagios = run_cli("check", target, "--tls", "none", "--timeout", "1",
                         "--format", "nagios")
    assert text.returncode == 2
    assert re.search(r"within 1 s", text.stdout), text.stdout
    first, *rest = nagios.stdout.splitlines()
    words = first.split(" | ")[0] + "\n" + "\n".join(rest)
    assert not re.search(r"\d\.\d{4,} s", words + text.stdout)
    assert re.search(r"'time'=\d\.\d{3,}s", first)  # perfdata keeps its precision


# -- colours mean the same everywhere ---------------------------------------------------------

@pytest.mark.parametrize("columns", WIDTHS)
def test_a_certificate_that_fails_verification_is_red(tmp_path, columns):
    with FakeServer("healthy") as server:
        screen = run_in_pty("probe", f"127.0.0.1:{server.port}", "--dry-run", "--insecure",
                            columns=columns)
    assert screen.returncode == 0
    line = next(x for x in screen.raw.split("\n") if "NOT verified" in x)
    before = line[:line.index("NOT verified")]
    assert re.search(r"\x1b\[[0-9;]*31m$", before) or re.search(r"\x1b\[1;31m$", before), line
    good = next(x for x in screen.raw.split("\n") if "name matches" in x)
    assert re.search(r"\x1b\[[0-9;]*32m", good)
    plain = SGR.sub("", line)
    assert "NOT verified" in plain
    assert max(len(x) for x in screen_lines(screen.text)) <= columns


# -- codes, compare, serve -------------------------------------------------------------------

@pytest.mark.parametrize("columns", WIDTHS)
def test_codes_providers_keeps_columns_apart_and_labels_each_class(columns):
    screen = run_in_pty("codes", "--providers", columns=columns)
    lines = [line for line in screen_lines(screen.text) if line.strip()]
    assert screen.returncode == 0 and max(len(line) for line in lines) <= columns
    assert all(re.match(r"^[\d/a-z]+ {2,}\S", line) for line in lines)  # never run together
    mixed = next(line for line in lines if line.startswith("421/550 "))
    if columns >= 120:
        assert mixed.endswith("4xx / 5xx")
    permanent = run_cli("codes", "--providers", "--class", "5").stdout.splitlines()
    assert not any(line.startswith("421") or "Transient" in line for line in permanent)
    assert any(line.startswith("550 ") and "Low Sender Reputation" in line
               for line in permanent)


def test_compare_says_what_differs_not_the_same_text_again():
    import json

    result = json.loads(run_cli("compare", "450", "550", "--json").stdout)
    for side in result["sides"]:
        assert not any(side["description"] in line for line in result["differences"])
        assert side["fix"] not in result["which"]
    text = " ".join(result["differences"])
    assert "retries later" in text and "bounce" in text and "RCPT" in text
    assert "Send 450 when" in result["which"] and "Send 550 when" in result["which"]


def test_serve_logs_sessions_answers_help_214_refuses_null_recipient(tmp_path):
    import socket
    import subprocess
    import sys

    def start(*extra: str) -> tuple[subprocess.Popen[str], str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "smtpdiag", "serve", "--port", "31511", "--cert-dir",
             str(tmp_path / "certs"), *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(2)]
        return process, lines[1].split(": ", 1)[1].strip()

    def session() -> list[str]:
        with socket.create_connection(("127.0.0.1", 31511), timeout=10) as sock:
            stream = sock.makefile("rwb")
            answers = [stream.readline().decode()]
            for command in ("EHLO t.example", "HELP", "MAIL FROM:<>", "RCPT TO:<>", "QUIT"):
                stream.write(command.encode() + b"\r\n")
                stream.flush()
                while True:
                    line = stream.readline().decode()
                    answers.append(f"{command} {line}")
                    if line[3:4] != "-":
                        break
        return answers

    process, ca = start()
    try:
        answers = session()
    finally:
        process.terminate()
        _, log = process.communicate(timeout=30)
    assert any(a.startswith("HELP 214") for a in answers), answers
    assert any(a.startswith("RCPT TO:<> 501 5.1.3") for a in answers), answers
    assert "C: HELP" in log and "S: 214" in log and "connected" in log and "S: 501" in log
    again, ca_again = start("--quiet")
    try:
        session()
    finally:
        again.terminate()
        _, quiet_log = again.communicate(timeout=30)
    assert ca_again == ca and "C: HELP" not in quiet_log


def test_check_progress_names_the_hosts_still_waited_for():
    with FakeServer("healthy", tls="none") as fast, \
            FakeServer("slow-greeting", tls="none") as slow:
        slow_target = f"127.0.0.1:{slow.port}"
        screen = run_in_pty("check", f"127.0.0.1:{fast.port}", slow_target, "--tls", "none",
                            columns=120)
        piped = run_cli("check", f"127.0.0.1:{fast.port}", slow_target, "--tls", "none")
    assert screen.returncode == 0
    assert f"waiting for {slow_target}" in screen.seen
    assert re.search(r"\d:\d\d:\d\d", screen.seen)  # the time elapsed
    assert "waiting for" not in piped.stderr + piped.stdout


@pytest.mark.parametrize("flag", [(), ("--progress",)])
def test_check_of_one_target_shows_the_step_under_way_not_a_bar_of_one(flag):
    with FakeServer("slow-greeting", tls="none") as slow:
        target = f"127.0.0.1:{slow.port}"
        screen = run_in_pty("check", target, "--tls", "none", *flag, columns=120)
    assert screen.returncode == 0
    assert f"{target}: greeting" in screen.seen
    assert "waiting for" not in screen.seen
