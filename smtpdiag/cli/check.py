"""The ``check`` command for typer: its arguments, options and help; ``check_run.py`` runs it.

Exit codes follow the monitoring-plugins convention: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
(bad input, or the check could not run); over many targets the worst wins.  Click's own usage
errors exit 2, which here would read as CRITICAL, so ``main()`` runs this command through
``run_standalone``, which turns them into 3.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..render.check_formats import CheckFormat
from .check_run import (
    AUTO_WORKERS_FROM,
    EXIT_UNKNOWN,
    _nagios_unknown,
    choose_workers,
    run_check,
)
from .common import EXIT_INTERNAL
from .options import (
    CaFileOption,
    FromOption,
    HeloOption,
    NameserverOption,
    QuitAfterOption,
    TlsOption,
    ToOption,
)

__all__ = ["AUTO_WORKERS_FROM", "COMMANDS", "EXIT_UNKNOWN", "choose_workers", "run_check",
           "run_standalone"]

_outcome: list[int] = []  # the exit code the command chose, for run_standalone


def check(
    targets: Annotated[list[str] | None, typer.Argument(
        metavar="[TARGET]...",
        help="Targets, as for probe: host, host:port, [IPv6]:port, an IP, a mail domain.",
        show_default=False)] = None,
    targets_file: Annotated[Path | None, typer.Option(
        help="Read more targets from this file (one a line, # comments; - for stdin).")
    ] = None,
    port: Annotated[int | None, typer.Option(
        help="Port when a target has none: 25 (default), 465, 587.")] = None,
    tls: TlsOption = "auto",
    timeout: Annotated[float, typer.Option(
        help="Seconds each target may take in all (every step, every MX host).")] = 10.0,
    deadline: Annotated[float | None, typer.Option(
        help="Seconds for the whole run; targets still unfinished then are CRITICAL.")
    ] = None,
    concurrency: Annotated[int, typer.Option(
        help="How many targets to probe at once (in all, over every worker).")] = 20,
    workers: Annotated[int | None, typer.Option(
        help="Processes to share the targets (default: one per CPU from "
             f"{AUTO_WORKERS_FROM:,} targets on, else 1); same results, same order.",
        show_default=False)] = None,
    helo: HeloOption = None,
    mail_from: FromOption = "",
    rcpt_to: ToOption = None,
    auth_user: Annotated[str | None, typer.Option(
        help="Authenticate as this user; password from $SMTPDIAG_PASSWORD.")] = None,
    ca_file: CaFileOption = None,
    insecure: Annotated[bool, typer.Option(
        "--insecure", help="Carry on past a certificate failure (still CRITICAL).")] = False,
    send: Annotated[bool, typer.Option(
        "--send", help="Send a test message (DATA); by default a check stops at RSET.")
    ] = False,
    quit_after: QuitAfterOption = None,
    no_mx: Annotated[bool, typer.Option(
        "--no-mx", help="Connect to each target itself instead of its MX hosts.")] = False,
    all_mx: Annotated[bool, typer.Option(
        "--all-mx", help="Probe and judge every MX host and address.")] = False,
    nameserver: NameserverOption = None,
    expect: Annotated[list[str] | None, typer.Option(
        help="STEP=CODE: the reply wanted at greeting, ehlo, tls, auth, mail, rcpt or data "
             "(250, 2xx, or 250,251); repeatable.")] = None,
    warn: Annotated[float | None, typer.Option(
        help="WARNING when the whole session takes more seconds than this.")] = None,
    crit: Annotated[float | None, typer.Option(
        help="CRITICAL when the whole session takes more seconds than this.")] = None,
    warn_step: Annotated[list[str] | None, typer.Option(
        help="STEP=SECONDS: WARNING when that step takes longer; repeatable.")] = None,
    crit_step: Annotated[list[str] | None, typer.Option(
        help="STEP=SECONDS: CRITICAL when that step takes longer; repeatable.")] = None,
    cert_warn_days: Annotated[int, typer.Option(
        help="WARNING when the certificate has fewer days left.")] = 14,
    cert_crit_days: Annotated[int, typer.Option(
        help="CRITICAL when the certificate has fewer days left.")] = 7,
    require_tls: Annotated[bool, typer.Option(
        "--require-tls", help="CRITICAL when a session goes on without TLS.")] = False,
    fmt: Annotated[CheckFormat, typer.Option(
        "--format", case_sensitive=False,
        help="text | json | jsonl (streamed, one compact line per target) | junit (streamed) | "
             "nagios.")
    ] = CheckFormat.text,
    full: Annotated[bool, typer.Option(
        "--full", help="jsonl: the full annotated report in every line (about 10x larger).")
    ] = False,
    output: Annotated[Path | None, typer.Option(
        help="Write the results to this file instead of stdout.")] = None,
    audit: Annotated[bool, typer.Option(
        help="Also audit each target's mail domain (MX set, TLS, MTA-STS, DANE, SPF, DMARC): "
             "critical findings are CRITICAL, warnings WARNING.")] = False,
    https_port: Annotated[int, typer.Option(
        help="With --audit: the MTA-STS policy host's HTTPS port (443; another only for test "
             "servers).")] = 443,
    progress: Annotated[bool | None, typer.Option(
        "--progress/--no-progress",
        help="Progress on stderr (default: on a terminal): a bar naming the targets waited "
             "for, or for one target the step under way.")
    ] = None,
) -> None:
    """Health-check one or many mail servers, for CI and Nagios/Icinga-style monitoring.

    Walks each target like probe (but dry-run: no DATA unless --send), judges every reply,
    time and certificate against the thresholds. Exit codes: 0 OK · 1 WARNING ·
    2 CRITICAL · 3 UNKNOWN (usage error, could not run); the worst target wins;
    130/143 stopped by SIGINT/SIGTERM (the targets finished so far are written);
    141 output pipe closed early.
    """
    from .check_run import run_check_command

    code = run_check_command(
        targets=targets, targets_file=targets_file, port=port, tls=tls, timeout=timeout,
        deadline=deadline, concurrency=concurrency, workers=workers, helo=helo,
        mail_from=mail_from, rcpt_to=rcpt_to, auth_user=auth_user, ca_file=ca_file,
        insecure=insecure, send=send, quit_after=quit_after, no_mx=no_mx, all_mx=all_mx,
        nameserver=nameserver, expect=expect, warn=warn, crit=crit, warn_step=warn_step,
        crit_step=crit_step, cert_warn_days=cert_warn_days, cert_crit_days=cert_crit_days,
        require_tls=require_tls, fmt=fmt, full=full, output=output, audit=audit,
        https_port=https_port, progress=progress)
    _outcome.append(code)
    raise typer.Exit(code)


COMMANDS = {"check": check}


def run_standalone(app: typer.Typer) -> int:
    """Run the CLI for ``check``, mapping exit codes to the monitoring convention.

    Click exits 2 on its own usage errors, which here would read as CRITICAL; the command
    records the code it chose in ``_outcome``, so a 2 without a recorded outcome is click's
    and becomes UNKNOWN (3), as does an internal error (70).  Click reports its usage errors
    (an unknown option, a number it cannot read) before the command runs, so under
    ``--format nagios`` the status line a monitoring system reads is written here.
    """
    from typer._click import exceptions as click

    _outcome.clear()
    try:
        returned = app(standalone_mode=False)  # an exit code (help: 0, Ctrl-C: 130) or None
    except click.ClickException as exc:
        exc.show()
        if isinstance(exc, click.UsageError) and _asks_for_nagios(sys.argv[1:]):
            _nagios_unknown(f"error: {exc.format_message()}")
        code = exc.exit_code
    except typer.Abort:
        sys.stderr.write("Aborted!\n")
        code = EXIT_UNKNOWN
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else EXIT_UNKNOWN
    else:
        code = returned if isinstance(returned, int) else 0
    if _outcome:
        return _outcome[-1]
    return EXIT_UNKNOWN if code in (2, EXIT_INTERNAL) else code


def _asks_for_nagios(argv: list[str]) -> bool:
    """Whether ``argv`` asks for ``--format nagios`` (any case, as the option reads it)."""
    for word, following in zip(argv, [*argv[1:], ""], strict=True):
        name, equals, value = word.partition("=")
        if name == "--format":
            return (value if equals else following).lower() == CheckFormat.nagios.value
    return False
