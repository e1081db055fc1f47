"""Start-up discipline: quick commands never import the heavy I/O libraries.

The speed itself is measured in bench/bench_startup.py (never timed here); this checks the
design that makes it possible, so a careless top-level import fails a test instead of quietly
costing every user 50 ms.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("asyncio", "aiosmtplib", "dns", "rich", "cryptography", "aiosmtpd", "trustme",
         "pydantic", "smtpdiag.net.session", "smtpdiag.net.steps", "smtpdiag.net.dialogue",
         "smtpdiag.fakeserver.server")

# Only what the command loads counts: a module the interpreter had before it started is not its
# doing (coverage's subprocess measurement in CI loads multiprocessing into every Python).
PROBE = """
import atexit, sys
heavy = {heavy!r}
before = set(sys.modules)
def report():
    loaded = sorted(m for m in sys.modules
                    if m not in before and (m in heavy or m.split(".")[0] in heavy))
    sys.stderr.write("LOADED:" + ",".join(loaded) + "\\n")
atexit.register(report)
sys.argv = ["smtpdiag", *{argv!r}]
from smtpdiag.cli import main
main()
"""


def loaded_modules(*argv: str, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    code = PROBE.format(heavy=heavy, argv=list(argv))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=False)
    line = next(x for x in result.stderr.splitlines() if x.startswith("LOADED:"))
    return [m for m in line.removeprefix("LOADED:").split(",") if m]


@pytest.mark.parametrize("argv", [
    ("explain", "550"),
    ("explain", "550 5.7.1 Relay access denied"),
    ("compare", "211", "250"),
    ("codes", "--class", "5"),
    ("--help",),
    ("exporter", "--help"),
])
def test_quick_commands_import_no_heavy_library(argv):
    assert loaded_modules(*argv) == []


# Typer (with its click and inspect work) is for command lines that have options to parse; the
# mailbox and email packages are for messages and mailboxes; the regex parser behind the
# catalogue's needles only for a pattern that needles.json does not know; the report records of
# model.py (a reply needs only smtpdiag.reply) for a probe.
NOT_FOR_PLAIN_WORDS = ("typer", "click", "shellingham", "mailbox", "email",
                       "smtpdiag.cli.app", "smtpdiag.catalogue.needles", "smtpdiag.model")


@pytest.mark.parametrize("argv", [
    ("explain", "550"),
    ("explain", "550", "5.7.1", "Relay", "access", "denied"),
    ("explain", "550 5.7.26 unauthenticated sender gsmtp"),
    ("explain", "Diagnostic-Code: smtp; 550 5.1.1 <a@example.org>: Recipient address rejected: "
                "User unknown in virtual mailbox table"),
    ("compare", "211", "250"),
])
def test_a_quick_command_of_plain_words_starts_without_typer(argv):
    assert loaded_modules(*argv, heavy=HEAVY + NOT_FOR_PLAIN_WORDS) == []


def test_reading_many_lines_loads_no_mailbox_code():
    assert loaded_modules("explain", "--lines", "/dev/null", "--jsonl",
                          heavy=("mailbox", "email", "smtpdiag.catalogue.needles",
                                 "smtpdiag.model")) == []


@pytest.mark.parametrize("argv", [("check", "--help"), ("probe", "--help"), ("--help",)])
def test_the_command_line_itself_does_not_load_the_catalogue(argv):
    # --lang is checked against smtpdiag.languages; the catalogue loads when text is explained
    assert loaded_modules(*argv, heavy=("smtpdiag.catalogue",)) == []


def test_a_check_in_one_process_loads_no_sharding_machinery():
    # multiprocessing is for --workers 2 and more (check_shards), the spool (pickle, a temporary
    # file) for the formats that wait for the end; a refused port makes the check quick, and
    # its result is not what this is about
    assert loaded_modules("check", "127.0.0.1:1", "127.0.0.1:2", "--workers", "1",
                          "--format", "jsonl",
                          heavy=("multiprocessing", "smtpdiag.cli.check_shards", "pickle",
                                 "smtpdiag.cli.check_spool", "smtpdiag.catalogue")) == []


# What a probe whose command line smtpdiag.cli reads itself (probe_run.OPTIONS) does not load:
# typer, click and their helpers, the command's typer declarations, and the catalogue's
# commands.
NOT_FOR_A_DIRECT_PROBE = ("typer", "click", "shellingham", "smtpdiag.cli.app",
                          "smtpdiag.cli.probe", "smtpdiag.cli.options", "smtpdiag.cli.catalogue",
                          "cryptography", "trustme")


def test_a_probe_with_options_starts_without_typer():
    from smtpdiag.fakeserver import FakeServer

    with FakeServer("healthy", tls="none") as server:
        assert loaded_modules("probe", f"127.0.0.1:{server.port}", "--dry-run", "--tls", "none",
                              "--helo", "client.smtpdiag.test", "--timeout=5", "--json",
                              heavy=NOT_FOR_A_DIRECT_PROBE) == []
        # and a line it leaves to typer does load typer (what the test above can see)
        assert "typer" in loaded_modules("probe", f"127.0.0.1:{server.port}", "--dry-run",
                                         "--tls", "none", "--port=25", "--port=26",
                                         heavy=NOT_FOR_A_DIRECT_PROBE)


NOT_FOR_A_DIRECT_CHECK = tuple(name.replace("cli.probe", "cli.check")
                               for name in NOT_FOR_A_DIRECT_PROBE)


def test_a_check_with_options_starts_without_typer():
    from smtpdiag.fakeserver import FakeServer

    with FakeServer("healthy", tls="none") as server:
        assert loaded_modules("check", f"127.0.0.1:{server.port}", "--tls", "none",
                              "--helo", "client.smtpdiag.test", "--timeout=5",
                              "--format", "jsonl", "--no-progress",
                              heavy=NOT_FOR_A_DIRECT_CHECK) == []
        # and a line it leaves to typer does load typer (what the test above can see)
        assert "typer" in loaded_modules("check", f"127.0.0.1:{server.port}", "--tls", "none",
                                         "--format", "JSONL", heavy=NOT_FOR_A_DIRECT_CHECK)


def test_a_plain_probe_loads_no_certificate_code():
    # cryptography (some 40 ms of imports) verifies a chain: a session without TLS never needs it
    from smtpdiag.fakeserver import FakeServer

    with FakeServer("healthy", tls="none") as server:
        assert loaded_modules("probe", f"127.0.0.1:{server.port}", "--dry-run", "--tls", "none",
                              "--helo", "client.smtpdiag.test",
                              heavy=("cryptography", "trustme")) == []


def test_typer_is_given_every_command_s_annotations_as_objects():
    # typer evaluates a postponed (string) annotation each time it looks at a command, four
    # times while building it; register_commands hands them over evaluated once
    import typing

    from smtpdiag.cli.app import app, register_commands, root

    register_commands(None)
    for function in (root, *(info.callback for info in app.registered_commands)):
        assert function.__annotations__, function
        assert not any(isinstance(value, str) for value in function.__annotations__.values())
        assert function.__annotations__ == typing.get_type_hints(function, include_extras=True)
