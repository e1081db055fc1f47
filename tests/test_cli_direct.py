"""A command line of plain words runs its command without typer (``smtpdiag.cli.direct_call``),
and that changes nothing a user can see: the same output, messages and exit code as typer's
route, for good input, bad input, files and environments; and typer would pass exactly what the
direct call passes (the same parameters, every option at the same default).
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

from smtpdiag import cli

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

RUN = """
import sys
sys.argv = ["smtpdiag", *{argv!r}]
from smtpdiag.interrupt import install
install()
from smtpdiag.cli import main
main(direct={direct!r})
"""


def run(argv: list[str], direct: bool, env: dict[str, str] | None = None
        ) -> tuple[int, str, str]:
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("FORCE_COLOR", "NO_COLOR", "COLUMNS")}
    full_env.update({"LANG": "C.UTF-8", "LC_ALL": "", "PYTHONIOENCODING": "utf-8"})
    full_env.update(env or {})
    result = subprocess.run([sys.executable, "-c", RUN.format(argv=argv, direct=direct)],
                            capture_output=True, text=True, env=full_env, timeout=60,
                            check=False)
    return result.returncode, result.stdout, result.stderr


PLAIN = [
    ["explain", "550"],
    ["explain", "5.7.1"],
    ["explain", "421", "4.7.0", "Try", "again", "later"],
    ["explain", "550 5.7.26 unauthenticated sender gsmtp"],
    ["explain", "Diagnostic-Code: smtp; 550 5.1.1 <a@example.org>: Recipient address "
                "rejected: User unknown in virtual mailbox table"],
    ["explain", "Host unknown"],
    ["explain", "554 4.4.7 message expired"],
    ["explain", "550 \x1b[31mred\u202e text"],  # hostile text stays escaped
    ["explain", "999"],  # usage errors: exit 2 and one line
    ["explain", "6.0.0"],
    ["explain", "hello there"],
    ["explain", ""],
    ["explain", "   "],
    ["explain", "probe"],  # a command's name as a word
    ["explain", str(FIXTURES / "messages" / "postfix-dsn-two-recipients.eml")],
    ["explain", str(FIXTURES / "bounces.mbox")],
    ["explain", str(FIXTURES / "messages")],
    ["explain", "/nonexistent/bounce.eml"],
    ["compare", "211", "250"],
    ["compare", "550", "5.7.1"],
    ["compare", "211", "999"],
    ["compare", "abc", "def"],
]


@pytest.mark.parametrize("argv", PLAIN, ids=lambda argv: " ".join(argv)[:40])
def test_a_direct_run_is_the_typer_run(argv: list[str]) -> None:
    assert cli.direct_call(argv) is not None
    direct = run(argv, direct=True)
    assert direct == run(argv, direct=False)
    assert "Traceback" not in direct[2]


@pytest.mark.parametrize("env", [{"LANG": "zh_CN.UTF-8"}, {"LANG": "xx_YY.UTF-8"},
                                 {"LC_ALL": "id_ID.UTF-8"}])
def test_the_language_from_the_environment_is_read_the_same(env: dict[str, str]) -> None:
    for argv in (["explain", "550 5.1.1 User unknown"], ["compare", "450", "550"]):
        assert run(argv, direct=True, env=env) == run(argv, direct=False, env=env)


@pytest.mark.parametrize("argv", [
    [], ["explain"], ["compare", "211"], ["compare", "1", "2", "3"],  # typer's usage errors
    ["explain", "--json", "550"], ["explain", "550", "--lang", "vi"], ["explain", "-"],
    ["explain", "--", "550"], ["explain", "-h"], ["explain", "--help"], ["--help"],
    ["--version"], ["codes"], ["probe", "mx.example.org", "--help"], ["demo"],
    ["serve", "--port", "2525"], ["Explain", "550"],  # probe's own: test_cli_direct_options
])
def test_anything_else_goes_through_typer(argv: list[str]) -> None:
    assert cli.direct_call(argv) is None


def test_a_completion_request_goes_through_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_SMTPDIAG_COMPLETE", "bash_complete")
    assert cli.direct_call(["explain", "550"]) is None


def test_help_and_typer_usage_errors_are_unchanged() -> None:
    for argv, want in ((["explain", "--help"], 0), (["compare", "211"], 2)):
        code, out, err = run(argv, direct=True)
        assert (code, out, err) == run(argv, direct=False)
        assert code == want and "Usage: smtpdiag" in out + err


def test_typer_passes_what_the_direct_call_passes() -> None:
    """The direct call gives the words as the positional arguments and leaves every other
    parameter at the body's default: typer's command must have exactly those arguments and the
    same defaults, or the two routes could differ."""
    import typer

    from smtpdiag.cli.app import app, register_commands

    register_commands(None)
    group = typer.main.get_command(app)
    for name, (module, function, count) in cli.DIRECT.items():
        body = getattr(__import__(f"smtpdiag.cli.{module}", fromlist=[function]), function)
        signature = inspect.signature(body)
        command = group.commands[name]  # type: ignore[attr-defined]
        arguments = [p for p in command.params if p.param_type_name == "argument"]
        options = [p for p in command.params if p.param_type_name == "option"]
        positional = [p for p in signature.parameters.values()
                      if p.default is inspect.Parameter.empty]
        assert [a.name for a in arguments] == [p.name for p in positional]
        assert [a.nargs for a in arguments] == ([-1] if count is None else [1] * count)
        assert {o.name: o.default for o in options} == {
            p.name: p.default for p in signature.parameters.values() if p not in positional}
