"""What ``probe`` does once its options are known, without typer.

``probe.py`` declares the command's argument and options for typer (help, usage errors) and
calls ``run_probe`` here with all of them.  Typer's import and the building of the command are a
quarter of a dry-run probe's instructions, so ``smtpdiag.cli`` calls ``run_probe`` directly for a
command line it can read without doubt: the target and options spelled as ``OPTIONS`` says,
each at most once (``--to`` any number of times), every value there and not an option's
look-alike.  Anything else (help, a misspelt option, a bad number, completion) goes to typer.
``tests/test_cli_direct_options.py`` holds ``OPTIONS`` and the defaults below to typer's
command and runs lines both ways.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from ..errors import UsageError, quoted
from .common import (
    EXIT_DEFERRED,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_REFUSED,
    emit_doc,
    emit_json,
    guarded,
    say,
    step_status,
)

__all__ = ["CLI_NAMES", "OPTIONS", "PASSWORD_ENV", "VERDICT_EXIT", "build_options", "cli_name",
           "run_probe", "run_report"]

VERDICT_EXIT = {"accepted": EXIT_OK, "partial": EXIT_PARTIAL, "deferred": EXIT_DEFERRED,
                "refused": EXIT_REFUSED, "no-mail": EXIT_REFUSED, "failed": EXIT_FAILED}
PASSWORD_ENV = "SMTPDIAG_PASSWORD"

# The command line's spelling of each option -> (the parameter of ``run_probe``, how its value is
# read): "flag" takes none, "many" may repeat (a list), else the type typer converts it with.
OPTIONS: dict[str, tuple[str, object]] = {
    "--port": ("port", int), "--tls": ("tls", str), "--timeout": ("timeout", float),
    "--data-timeout": ("data_timeout", float), "--deadline": ("deadline", float),
    "--helo": ("helo", str), "--from": ("mail_from", str), "--to": ("rcpt_to", "many"),
    "--auth-user": ("auth_user", str), "--ca-file": ("ca_file", Path),
    "--insecure": ("insecure", "flag"), "--dry-run": ("dry_run", "flag"),
    "--quit-after": ("quit_after", str), "--no-mx": ("no_mx", "flag"),
    "--all-mx": ("all_mx", "flag"), "--nameserver": ("nameserver", str),
    "--json": ("json_output", "flag"), "--transcript": ("transcript", Path),
}


def run_probe(target: str, port: int | None = None, tls: str = "auto", timeout: float = 20.0,
          data_timeout: float = 600.0, deadline: float | None = None, helo: str | None = None,
          mail_from: str = "", rcpt_to: list[str] | None = None, auth_user: str | None = None,
          ca_file: Path | None = None, insecure: bool = False, dry_run: bool = False,
          quit_after: str | None = None, no_mx: bool = False, all_mx: bool = False,
          nameserver: str | None = None, json_output: bool = False,
          transcript: Path | None = None) -> int:
    """Walk a mail server through a session and explain every reply; the exit code."""
    code = EXIT_OK
    with guarded():
        options = build_options(
            port=port, tls=tls, timeout=timeout, deadline=deadline, helo=helo,
            mail_from=mail_from, rcpt_to=rcpt_to or [], auth_user=auth_user,
            ca_file=ca_file, insecure=insecure, dry_run=dry_run, quit_after=quit_after,
            no_mx=no_mx, all_mx=all_mx, nameserver=nameserver, target=target,
            data_timeout=data_timeout,
        )
        announce_delivery(target, options)
        import shlex

        code = run_report(target, options, json_output, transcript,
                          "smtpdiag " + shlex.join(sys.argv[1:]))
    return code


def read_password(user: str | None) -> str | None:
    """From SMTPDIAG_PASSWORD, else a prompt on a terminal; never from the command line."""
    if user is None:
        return None
    password = os.environ.get(PASSWORD_ENV)
    if password is not None:
        return password
    if not sys.stdin.isatty():
        raise UsageError(f"--auth-user needs a password: set {PASSWORD_ENV} (stdin is not a "
                         "terminal, so smtpdiag cannot prompt)")
    import getpass

    return getpass.getpass(f"Password for {user}: ")


def open_transcript(path: Path | None) -> TextIO | None:
    """Open ``--transcript`` for writing before anything is sent, so that a directory, a missing
    folder or a read-only place is said at once, not after a whole probe."""
    if path is None:
        return None
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write --transcript {quoted(str(path))}: "
                         f"{exc.strerror or exc}") from None


def run_report(target: str, options: object, json_output: bool, transcript: Path | None,
               command: str | None = None) -> int:
    """Run one probe, render it (headed by ``command``), write the transcript; return the
    exit code."""
    import asyncio

    from ..net.probe import ProbeOptions, probe
    from ..render.report_view import report_doc, transcript_text

    assert isinstance(options, ProbeOptions)
    handle = open_transcript(transcript)
    try:
        with step_status(target) as progress:
            # The report comes back beside the main task, not as its result: when asyncio.run
            # puts back the SIGINT handler it had installed, Python's signal module builds the
            # repr of that handler, which holds the task and so the repr of a whole report
            # (twice: ~1.8 M instructions, half a percent of a dry-run probe).
            reports: list[Any] = []
            asyncio.run(_into(reports, probe(target, replace(options, progress=progress))))
            report = reports[0]
        if handle is not None:
            try:
                handle.write(transcript_text(report))
                handle.close()
            except OSError as exc:
                raise UsageError(f"cannot write --transcript {quoted(str(transcript))}: "
                                 f"{exc.strerror or exc}") from None
    finally:
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.close()
    if json_output:
        from ..render.json_report import report_json

        emit_json(report_json(report))
    else:
        emit_doc(report_doc(report, command))
    return VERDICT_EXIT[report.verdict]


async def _into(box: list[Any], coroutine: Coroutine[Any, Any, Any]) -> None:
    """Await ``coroutine`` and put what it returns in ``box``."""
    box.append(await coroutine)


def announce_delivery(target: str, options: object) -> None:
    """Say on stderr, before anything is sent, that this probe will deliver a message."""
    from ..core.targets import parse_target
    from ..net.probe import ProbeOptions, default_recipient

    assert isinstance(options, ProbeOptions)
    if options.dry_run or options.quit_after is not None:
        return
    recipients = options.rcpt_to or (default_recipient(
        parse_target(target, port=options.port, no_mx=options.no_mx)),)
    say(f"this probe sends DATA: a test message will be delivered to {', '.join(recipients)} "
        "(--dry-run stops before DATA)")


def cli_name(keyword: str) -> str:
    """How the command line spells the option behind an API keyword, for usage messages."""
    return CLI_NAMES.get(keyword) or "--" + keyword.replace("_", "-")


CLI_NAMES = {"rcpt_to": "--to", "mail_from": "--from"}


def build_options(*, target: str, port: int | None, tls: str, timeout: float,
                  deadline: float | None, helo: str | None, mail_from: str,
                  rcpt_to: list[str], auth_user: str | None, ca_file: Path | None,
                  insecure: bool, dry_run: bool, quit_after: str | None, no_mx: bool,
                  all_mx: bool, nameserver: str | None, data_timeout: float = 600.0) -> object:
    """Validate every option with the API's rules (nothing unchecked reaches the wire), then
    ask for the password, and build ProbeOptions."""
    from ..api import probe_fields
    from ..net.probe import ProbeOptions

    fields = probe_fields(
        target, timeout=timeout, deadline=deadline, dry_run=dry_run,
        options={"port": port, "tls": tls, "helo": helo, "mail_from": mail_from,
                 "rcpt_to": rcpt_to, "auth_user": auth_user, "ca_file": ca_file,
                 "insecure": insecure, "quit_after": quit_after, "no_mx": no_mx,
                 "all_mx": all_mx, "nameserver": nameserver, "data_timeout": data_timeout},
        name=cli_name)
    if insecure:
        say("warning: --insecure: certificate problems are reported but do not stop the "
            "probe; the session may be intercepted")
    return ProbeOptions(**fields, auth_password=read_password(auth_user))
