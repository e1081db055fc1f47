"""``check`` with options runs without typer when ``smtpdiag.cli.direct_arguments`` can read its
command line, and that changes nothing a user can see: typer would pass the command exactly what
the direct reading passes, a line it might read otherwise goes to typer, and whole runs against
a real server on loopback print the same and exit alike both ways (monitoring exit codes too).
"""

from __future__ import annotations

import inspect
import os
import re
import typing
from pathlib import Path

import pytest

from smtpdiag import cli
from smtpdiag.cli import check_run
from smtpdiag.fakeserver import FakeServer
from smtpdiag.render.check_formats import CheckFormat
from tests.test_cli_direct_options import run as run_as_text
from tests.test_cli_direct_options import typer_command
from tests.test_cli_direct_options import typer_reads as typer_passes


def run(argv: list[str], direct: bool) -> tuple[int, str, str]:
    """``argv`` run as the command line runs it, without what differs from run to run (times,
    some of which JSON writes with an exponent, and the width of a table's time column)."""
    code, out, err = run_as_text(argv, direct)
    return code, same_every_run(out), same_every_run(err)


def same_every_run(text: str) -> str:
    return re.sub(r" +", " ", re.sub(r"N\.Ne[-+]N", "N.N", text))


def kind_of(param: typing.Any) -> object:
    """How ``OPTIONS`` should say typer reads this option's value."""
    if param.is_flag:
        return "flag"
    if param.multiple:
        assert repr(param.type) == "STRING"
        return "many"
    if getattr(param.type, "name", "") == "path":
        return Path
    if getattr(param.type, "name", "") == "choice":
        assert list(param.type.choices) == [f.value for f in CheckFormat]
        return CheckFormat
    return {"INT": int, "FLOAT": float, "STRING": str}[repr(param.type)]


def test_the_table_is_typers_command() -> None:
    """Every option typer declares for ``check`` (both halves of a ``--x/--no-x`` pair), spelt,
    typed and defaulted as ``OPTIONS`` and ``run_check_command`` say, and nothing more; the
    typer command hands each on under its own name."""
    command = typer_command("check")
    declared = {}
    for param in command.params:
        if param.param_type_name == "argument":
            assert (param.name, param.nargs) == ("targets", -1)
            continue
        assert len(param.opts) == 1, param.opts
        declared[param.opts[0]] = (param.name, kind_of(param), param.default)
        if param.secondary_opts:
            assert param.is_flag and len(param.secondary_opts) == 1
            declared[param.secondary_opts[0]] = (param.name, "off", param.default)
    body = inspect.signature(check_run.run_check_command).parameters
    assert {spelling: (name, kind, body[name].default)
            for spelling, (name, kind) in check_run.OPTIONS.items()} == declared
    from smtpdiag.cli.check import check

    assert list(inspect.signature(check).parameters) == list(body)


def typer_reads(argv: list[str]) -> dict[str, object] | None:
    """What typer passes ``check``'s function for ``argv`` (None when it refuses the line)."""
    from smtpdiag.cli.check import check

    return typer_passes(argv, check)


READABLE = str(Path(__file__))
READ_ALIKE = [
    ["mx.example.org"],
    ["a.example", "b.example", "c.example"],
    ["--targets-file", READABLE],
    ["--targets-file=/nonexistent/targets.txt", "extra.example"],
    ["127.0.0.1:2525", "--tls", "none", "--helo", "bench.smtpdiag.test"],
    ["--targets-file", READABLE, "--concurrency", "100", "--timeout", "60", "--helo",
     "bench.smtpdiag.test", "--format", "jsonl", "--output", "out.jsonl", "--no-progress",
     "--workers", "2"],  # bench/bench_check.py's line
    ["a.example", "--format", "json"], ["a.example", "--format=nagios", "--full"],
    ["a.example", "--format", "junit", "--progress"], ["a.example", "--format", "text"],
    ["a.example", "--expect", "ehlo=250", "--expect=mail=2xx", "--expect", "rcpt=250,251"],
    ["a.example", "--expect", "only=1"],
    ["a.example", "--warn-step", "ehlo=1", "--warn-step", "tls=2", "--crit-step", "mail=3"],
    ["a.example", "--warn", "1.5", "--crit", "inf", "--cert-warn-days", " 30 ",
     "--cert-crit-days", "2_0"],
    ["a.example", "--to", "a@example.org", "--to=b@example.org", "--from", "me@example.org",
     "--send"],
    ["a.example", "--port", "587", "--tls=starttls", "--deadline=30", "--require-tls"],
    ["a.example", "--auth-user", "demo", "--ca-file", READABLE, "--insecure"],
    ["a.example", "--quit-after", "ehlo", "--no-mx", "--all-mx", "--nameserver", "127.0.0.1"],
    ["a.example", "--audit", "--https-port", "8443"], ["a.example", "--no-audit"],
    ["a.example", "--no-progress", "b.example", "--workers", "64"],
    ["a.example", "--concurrency", "0", "--workers", "0", "--port", "99999"],
]


@pytest.mark.parametrize("argv", READ_ALIKE, ids=lambda argv: " ".join(argv)[:50])
def test_typer_passes_what_the_direct_reading_passes(argv: list[str]) -> None:
    found = cli.direct_arguments(argv, check_run.OPTIONS)
    assert found is not None
    targets, options = found
    defaults = {name: p.default for name, p in
                inspect.signature(check_run.run_check_command).parameters.items()
                if name != "targets"}
    passed = typer_reads(argv)
    assert passed is not None
    assert list(typing.cast(list[str], passed.pop("targets")) or []) == targets
    assert passed == {**defaults, **options}


@pytest.mark.parametrize("argv", [
    ["--help"], ["mx.example.org", "-h"], ["mx.example.org", "--help"], [""],
    ["mx.example.org", "-"], ["--", "mx.example.org"], ["mx.example.org", "--"],
    ["mx.example.org", "--bogus"], ["mx.example.org", "--form", "json"],
    ["--targets-file", "-"], ["mx.example.org", "--targets-file"],
    ["mx.example.org", "--format", "JSON"], ["mx.example.org", "--format", "xml"],
    ["mx.example.org", "--format", "json", "--format", "text"],
    ["mx.example.org", "--workers", "x"], ["mx.example.org", "--workers", "-1"],
    ["mx.example.org", "--workers", "2", "--workers", "3"],
    ["mx.example.org", "--concurrency", "1.5"], ["mx.example.org", "--warn", "1,5"],
    ["mx.example.org", "--expect", ""], ["mx.example.org", "--expect="],
    ["mx.example.org", "--expect", "--send"], ["mx.example.org", "--send=yes"],
    ["mx.example.org", "--progress", "--no-progress"], ["mx.example.org", "--audit", "--audit"],
    ["mx.example.org", "--no-send"], ["mx.example.org", "--json"], ["mx.example.org", "-V"],
    ["mx.example.org", "--install-completion"], ["mx.example.org", "--version"],
])
def test_a_line_typer_might_read_otherwise_goes_to_typer(argv: list[str]) -> None:
    assert cli.direct_arguments(argv, check_run.OPTIONS) is None
    assert cli.direct_call(["check", *argv]) is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_a_targets_file_there_but_unreadable_goes_to_typer(tmp_path: Path) -> None:
    listing = tmp_path / "targets.txt"
    listing.write_text("mx.example.org\n")
    listing.chmod(0)
    assert cli.direct_arguments(["--targets-file", str(listing)], check_run.OPTIONS) is None
    assert typer_reads(["--targets-file", str(listing)]) is None


def test_no_target_and_no_file_is_the_commands_own_usage_error() -> None:
    """Typer passes no target on to the command, which says so itself (UNKNOWN)."""
    assert cli.direct_call(["check", "--tls", "none"]) is not None
    direct = run(["check", "--tls", "none"], direct=True)
    assert direct == run(["check", "--tls", "none"], direct=False)
    assert direct[0] == 3


@pytest.fixture(scope="module")
def target() -> typing.Iterator[str]:
    with FakeServer("healthy", tls="none") as server:
        yield f"127.0.0.1:{server.port}"


@pytest.mark.parametrize("extra", [
    ["--tls", "none", "--helo", "bench.smtpdiag.test"],
    ["--tls=none", "--format", "json"],
    ["--tls", "none", "--format", "jsonl", "--no-progress", "TARGET"],
    ["--tls", "none", "--format", "nagios", "--full", "--expect", "ehlo=250"],
    ["--tls", "none", "--format", "junit", "--expect", "mail=5xx"],  # CRITICAL
    ["--tls", "none", "--warn-step", "ehlo=0", "--crit", "1000"],
    ["--tls", "none", "--send", "--to", "postmaster@smtpdiag.test", "--from", "m@smtpdiag.test"],
    ["--tls", "none", "--quit-after", "ehlo", "--require-tls"],
    ["--tls", "starttls"],  # the server offers no STARTTLS
    ["--tls", "none", "--concurrency", "0"],  # usage errors: UNKNOWN
    ["--tls", "none", "--expect", "bogus"],
    ["--tls", "none", "--helo", "bad helo"],
    ["--tls", "none", "--output", "/nonexistent/dir/out.txt"],
    ["--tls", "none", "--auth-user", "demo"],  # no password, no terminal
], ids=lambda extra: " ".join(extra)[:50])
def test_a_direct_check_is_the_typer_check(target: str, extra: list[str]) -> None:
    argv = ["check", target, *[target if word == "TARGET" else word for word in extra]]
    assert cli.direct_call(argv) is not None
    direct = run(argv, direct=True)
    assert direct == run(argv, direct=False)
    assert "Traceback" not in direct[2]


def test_a_targets_file_over_two_workers_is_the_same_both_ways(target: str,
                                                               tmp_path: Path) -> None:
    listing = tmp_path / "targets.txt"
    listing.write_text(f"{target}\n# a comment\n{target}\n127.0.0.1:1\n")
    argv = ["check", "--targets-file", str(listing), "--tls", "none", "--timeout", "5",
            "--workers", "2", "--format", "jsonl"]
    assert cli.direct_call(argv) is not None
    code, out, err = run(argv, direct=True)
    typer_code, typer_out, typer_err = run(argv, direct=False)
    # jsonl streams each line as its target finishes, whichever worker probed it
    assert (code, sorted(out.splitlines()), err) == (
        typer_code, sorted(typer_out.splitlines()), typer_err)
    assert code == 2 and out.count("\n") == 3


def test_a_refused_connection_is_critical_both_ways() -> None:
    argv = ["check", "127.0.0.1:1", "--tls", "none", "--timeout", "2"]
    direct = run(argv, direct=True)
    assert direct == run(argv, direct=False)
    assert direct[0] == 2


def test_an_internal_error_is_unknown_on_either_path(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A bug under ``check`` exits 3 (UNKNOWN) with one line, as monitoring reads it, whether
    the command line went through typer or not: both run ``run_check_command``'s guard."""
    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(check_run, "run_check", broken)
    call = cli.direct_call(["check", "127.0.0.1:1", "--tls", "none"])
    assert call is not None
    with pytest.raises(SystemExit) as direct:
        call()
    with pytest.raises(SystemExit) as through_typer:
        check_run.run_check_command(["127.0.0.1:1"], tls="none")
    assert direct.value.code == through_typer.value.code == 3
    err = capsys.readouterr().err
    assert err.count("internal error (RuntimeError): boom") == 2 and "Traceback" not in err
