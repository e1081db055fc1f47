"""The catalogue commands as a user runs them: output, exit codes, JSON, languages, stdin."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import assert_no_traceback, assert_valid, run_cli


def test_explain_plain_output_has_no_escape_codes():
    result = run_cli("explain", "550")
    assert result.returncode == 0
    assert "\x1b" not in result.stdout
    assert result.stdout.startswith("550 ")
    assert "How to Fix" in result.stdout


def test_explain_on_a_forced_terminal_is_coloured():
    result = run_cli("explain", "550", env={"FORCE_COLOR": "1"})
    assert result.returncode == 0
    assert "\x1b[" in result.stdout



def test_a_terminal_wraps_long_lines_under_their_column():
    result = run_cli("explain", "454", env={"FORCE_COLOR": "1", "COLUMNS": "50"})
    lines = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout).splitlines()
    assert result.returncode == 0 and max(len(line) for line in lines) <= 50
    first = next(i for i, line in enumerate(lines) if line.startswith("  Description:"))
    assert lines[first + 1].startswith("  ") and lines[first + 1][2] != " "  # hanging indent
    wrapped = " ".join(lines[first:first + 3]).split()
    unwrapped = next(x for x in run_cli("explain", "454").stdout.splitlines()
                     if x.startswith("  Description:")).split()
    assert wrapped == unwrapped[:len(wrapped)]  # no word lost or reordered


def test_explain_reads_a_multi_line_bounce_from_stdin():
    bounce = ("550-5.7.26 This mail has been blocked because the sender is unauthenticated.\n"
              "550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM.\n"
              "550 5.7.26 Learn more. x1-20020a17.123 - gsmtp\n")
    result = run_cli("explain", "-", "--json", stdin=bounce)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert_valid(document, "explain")
    assert document["items"][0]["provider"]["provider"] == "Gmail"


@pytest.mark.parametrize("query", ["550", "5.7.1", "5.7.606", "259",
                                   "421 4.7.27 rate limited, SPF did not pass gsmtp"])
def test_explain_json_validates(query):
    result = run_cli("explain", query, "--json")
    assert result.returncode == 0, result.stderr
    assert_valid(json.loads(result.stdout), "explain")


@pytest.mark.parametrize(("bad", "message"), [
    ("699", "699 is not a valid SMTP reply code: the first digit must be 2-5 and the second "
     "0-5 (RFC 5321 §4.2)"),
    ("2500", "no SMTP reply code, enhanced status code or known bounce wording found in "
     "'2500'"),
    ("hello world", "no SMTP reply code, enhanced status code or known bounce wording found "
     "in 'hello world'"),
    ("", "nothing to explain: give a code (550, 5.7.1) or a reply text"),
    ("9.9.9", "9.9.9 is not a valid enhanced status code: the class must be 2, 4 or 5 "
     "(RFC 3463)"),
])
def test_explain_bad_input_is_a_usage_error_without_traceback(bad, message):
    result = run_cli("explain", bad)
    assert result.returncode == 2
    assert result.stderr == f"smtpdiag: error: {message}\n"
    assert_no_traceback(result)


@pytest.mark.parametrize("lang, heading", [
    ("en", "Key Differences"), ("id", "Perbedaan Utama"), ("vi", "Sự khác biệt chính"),
    ("zh", "主要区别"), ("tr", "Temel Farklar"),
])
def test_compare_in_every_language(lang, heading):
    result = run_cli("compare", "211", "250", "--lang", lang)
    assert result.returncode == 0
    assert heading in result.stdout
    assert "Both SMTP 211 (System Status) and 250 (OK) belong to the 2xx Positive Completion" \
        in result.stdout


def test_language_comes_from_the_environment():
    result = run_cli("compare", "211", "354", env={"LANG": "tr_TR.UTF-8"})
    assert "Hangisini Ne Zaman Kullanmalı" in result.stdout
    result = run_cli("compare", "211", "354", env={"LC_ALL": "zh_CN.UTF-8", "LANG": "tr_TR"})
    assert "何时使用哪个" in result.stdout


def test_unknown_language_is_a_usage_error():
    result = run_cli("compare", "211", "250", "--lang", "klingon")
    assert result.returncode == 2
    assert "unknown language" in result.stderr


def test_compare_json_validates():
    result = run_cli("compare", "4.2.0", "550", "--json", "--lang", "vi")
    assert result.returncode == 0
    document = json.loads(result.stdout)
    assert_valid(document, "compare")
    assert document["lang"] == "vi"


def test_codes_table_and_class_filter():
    result = run_cli("codes", "--class", "4", "--json")
    document = json.loads(result.stdout)
    assert_valid(document, "codes")
    assert document["codes"] and all(row["code"].startswith("4") for row in document["codes"])
    enhanced = json.loads(run_cli("codes", "--enhanced", "--json").stdout)["codes"]
    assert any(row["code"] == "X.7.27" for row in enhanced)
    providers = json.loads(run_cli("codes", "--providers", "--json").stdout)["codes"]
    assert len(providers) >= 60
    bad_class = run_cli("codes", "--class", "7")
    assert bad_class.returncode == 2 and bad_class.stdout == ""
    assert bad_class.stderr == "smtpdiag: error: --class must be one of 2, 3, 4, 5\n"


def test_help_documents_the_exit_codes():
    result = run_cli("--help")
    assert result.returncode == 0
    assert "Exit codes" in result.stdout and "3 could not complete" in result.stdout
    # every verdict's code, as probe --help and the README list them
    shown = " ".join(result.stdout.split())
    assert "4 deferred (4xx: retry later)" in shown and "5 accepted for some recipients" in shown


def test_python_dash_m_and_unknown_command():
    result = run_cli("no-such-command")
    assert result.returncode == 2
    assert "No such command 'no-such-command'." in result.stderr
    assert_no_traceback(result)


def test_a_closed_output_pipe_is_not_an_error():
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before we write (as with `| head`)
    try:
        result = subprocess.run([sys.executable, "-m", "smtpdiag", "explain", "550"],
                                stdout=write_end, stderr=subprocess.PIPE, text=True,
                                timeout=60, check=False)
    finally:
        os.close(write_end)
    assert result.returncode == 141
    assert result.stderr == ""


def test_serve_lists_its_scenarios():
    result = run_cli("serve", "--scenario", "list")
    assert result.returncode == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert {"healthy", "greylist", "relay-denied", "greeting-421", "tls-required"} <= set(names)
    unknown = run_cli("serve", "--scenario", "nope")
    assert unknown.returncode == 2 and "greylist" in unknown.stderr
