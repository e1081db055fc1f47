"""``probe`` with options runs without typer when ``smtpdiag.cli.direct_arguments`` can read its
command line, and that changes nothing a user can see: typer would pass the command exactly what
the direct reading passes, a line it might read otherwise goes to typer, and whole runs against
a real server on loopback print the same and exit alike both ways.
"""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from smtpdiag import cli
from smtpdiag.cli import probe_run
from smtpdiag.fakeserver import FakeServer

RUN = """
import sys
sys.argv = ["smtpdiag", *{argv!r}]
from smtpdiag.interrupt import install
install()
from smtpdiag.cli import main
main(direct={direct!r})
"""


def typer_command(name: str) -> typing.Any:
    """The click command typer builds for ``name``, as the command line registers it."""
    import typer

    from smtpdiag.cli.app import app, register_commands

    register_commands([name])
    return typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]


def test_the_table_is_typers_command() -> None:
    """Every option typer declares for ``probe``, spelt, typed and defaulted as ``OPTIONS`` and
    ``run_probe`` say, and nothing more; ``probe_command`` hands each on under its own name."""
    command = typer_command("probe")
    declared = {}
    for param in command.params:
        if param.param_type_name == "argument":
            assert (param.name, param.nargs) == ("target", 1)
            continue
        assert len(param.opts) == 1 and not param.secondary_opts, param.opts
        kind: object = ("flag" if param.is_flag else
                        Path if getattr(param.type, "name", "") == "path" else
                        {"INT": int, "FLOAT": float, "STRING": str}[repr(param.type)])
        if param.multiple:
            assert kind is str
            kind = "many"
        declared[param.opts[0]] = (param.name, kind, param.default)
    body = inspect.signature(probe_run.run_probe).parameters
    assert {spelling: (name, kind, body[name].default)
            for spelling, (name, kind) in probe_run.OPTIONS.items()} == declared
    from smtpdiag.cli.probe import probe_command

    assert list(inspect.signature(probe_command).parameters) == list(body)


def typer_reads(argv: list[str], command: typing.Any = None) -> dict[str, object] | None:
    """What typer passes ``command``'s function (``probe``'s unless told) for ``argv`` (None
    when it refuses the line)."""
    import typer
    from typer.testing import CliRunner

    if command is None:
        from smtpdiag.cli.probe import probe_command as command

    passed: list[dict[str, object]] = []

    def recorder(**kwargs: object) -> None:
        passed.append(kwargs)

    recorder.__signature__ = inspect.signature(command, eval_str=True)  # type: ignore[attr-defined]
    recorder.__annotations__ = typing.get_type_hints(command, include_extras=True)
    app = typer.Typer()
    app.command()(recorder)
    result = CliRunner().invoke(app, argv)
    return passed[0] if result.exit_code == 0 and passed else None


READABLE = str(Path(__file__))
READ_ALIKE = [
    ["mx.example.org"],
    ["mx.example.org", "--dry-run"],
    ["--dry-run", "mx.example.org", "--json"],
    ["127.0.0.1:2525", "--tls", "none", "--dry-run", "--helo", "bench.smtpdiag.test"],
    ["example.org", "--port", "587", "--tls=starttls", "--timeout", "2.5", "--deadline=30"],
    ["example.org", "--port", " 25 ", "--timeout", "1e1", "--data-timeout", "inf"],
    ["example.org", "--port", "2_5", "--timeout", "٣"],  # int() and float() read these
    ["example.org", "--to", "a@example.org", "--to=b@example.org", "--from", "me@example.org"],
    ["example.org", "--to", "only@example.org"],
    ["example.org", "--auth-user", "demo", "--ca-file", READABLE, "--insecure"],
    ["example.org", "--ca-file", "/nonexistent/ca.pem", "--transcript", "out/t.txt"],
    ["example.org", "--quit-after", "ehlo", "--no-mx", "--all-mx"],
    ["example.org", "--nameserver", "127.0.0.1:5353", "--helo", "a=b"],
    ["example.org", "--helo", "name with spaces", "--tls", "bogus", "--port", "0"],
    ["example.org", "--timeout", "0", "--port", "99999"],  # nonsense, refused later
]


def read_probe(argv: list[str]) -> tuple[str, dict[str, object]] | None:
    """The target and options ``direct_arguments`` reads for ``probe``: one target, no more."""
    read = cli.direct_arguments(argv, probe_run.OPTIONS)
    return None if read is None or len(read[0]) != 1 else (read[0][0], read[1])


@pytest.mark.parametrize("argv", READ_ALIKE, ids=lambda argv: " ".join(argv)[:50])
def test_typer_passes_what_the_direct_reading_passes(argv: list[str]) -> None:
    found = read_probe(argv)
    assert found is not None
    target, options = found
    defaults = {name: p.default for name, p in
                inspect.signature(probe_run.run_probe).parameters.items() if name != "target"}
    assert typer_reads(argv) == {"target": target, **defaults, **options}


@pytest.mark.parametrize("argv", [
    [], ["--help"], ["mx.example.org", "-h"], ["mx.example.org", "--help"],
    ["a.example", "b.example"], [""], ["mx.example.org", "-"], ["--", "mx.example.org"],
    ["mx.example.org", "--"], ["mx.example.org", "--bogus"], ["mx.example.org", "--dry"],
    ["mx.example.org", "--port"], ["mx.example.org", "--port", "x"], ["--port", "25"],
    ["mx.example.org", "--port", "25", "--port", "26"], ["mx.example.org", "--port", "-1"],
    ["mx.example.org", "--timeout", "1,5"], ["mx.example.org", "--helo", ""],
    ["mx.example.org", "--helo="], ["mx.example.org", "--helo", "-x"],
    ["mx.example.org", "--dry-run=yes"], ["mx.example.org", "--dry-run", "--dry-run"],
    ["mx.example.org", "--to", "--dry-run"], ["mx.example.org", "--json", "-V"],
    ["mx.example.org", "--install-completion"], ["mx.example.org", "--version"],
])
def test_a_line_typer_might_read_otherwise_goes_to_typer(argv: list[str]) -> None:
    assert read_probe(argv) is None
    assert cli.direct_call(["probe", *argv]) is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_a_path_there_but_unreadable_goes_to_typer(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    ca.chmod(0)
    assert cli.direct_options(["mx.example.org", "--ca-file", str(ca)], probe_run.OPTIONS) is None
    assert typer_reads(["mx.example.org", "--ca-file", str(ca)]) is None


def test_a_completion_request_goes_through_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli.direct_call(["probe", "mx.example.org"]) is not None
    monkeypatch.setenv("_SMTPDIAG_COMPLETE", "bash_complete")
    assert cli.direct_call(["probe", "mx.example.org"]) is None


def run(argv: list[str], direct: bool) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("FORCE_COLOR", "NO_COLOR", "COLUMNS", "SMTPDIAG_PASSWORD")}
    env.update({"LANG": "C.UTF-8", "LC_ALL": "", "PYTHONIOENCODING": "utf-8"})
    result = subprocess.run([sys.executable, "-c", RUN.format(argv=argv, direct=direct)],
                            capture_output=True, text=True, env=env, timeout=60, check=False)
    return result.returncode, same_every_run(result.stdout), same_every_run(result.stderr)


def same_every_run(text: str) -> str:
    """The text without what differs from run to run: times, and the queue id of a message."""
    return re.sub(r"\d+", "N", re.sub(r"queued as \w+", "queued as ID", text))


@pytest.fixture(scope="module")
def target() -> typing.Iterator[str]:
    with FakeServer("healthy", tls="none") as server:
        yield f"127.0.0.1:{server.port}"


@pytest.mark.parametrize("extra", [
    ["--dry-run", "--tls", "none", "--helo", "client.smtpdiag.test"],
    ["--dry-run", "--tls=none", "--json"],
    ["--tls", "none", "--to", "postmaster@smtpdiag.test", "--from", "me@smtpdiag.test"],
    ["--tls", "none", "--quit-after", "ehlo"],
    ["--tls", "starttls", "--dry-run"],  # the server offers no STARTTLS
    ["--dry-run", "--tls", "none", "--helo", "bad helo"],  # refused by our own checks
    ["--dry-run", "--timeout", "0"],
    ["--dry-run", "--tls", "none", "--transcript", "/nonexistent/dir/t.txt"],
    ["--dry-run", "--tls", "none", "--auth-user", "demo"],  # no password, no terminal
], ids=lambda extra: " ".join(extra)[:50])
def test_a_direct_probe_is_the_typer_probe(target: str, extra: list[str]) -> None:
    argv = ["probe", target, *extra]
    assert cli.direct_call(argv) is not None
    direct = run(argv, direct=True)
    assert direct == run(argv, direct=False)
    assert "Traceback" not in direct[2]


def test_a_refused_connection_is_the_same_both_ways() -> None:
    argv = ["probe", "127.0.0.1:1", "--tls", "none", "--dry-run", "--timeout", "2"]
    direct = run(argv, direct=True)
    assert direct == run(argv, direct=False)
    assert direct[0] == 3
