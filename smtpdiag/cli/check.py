"""The ``check`` command: many targets, thresholds, monitoring exit codes.  Parsing and output only.

Exit codes follow the monitoring-plugins convention: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
(bad input, or the check could not run); over many targets the worst wins.  Click's own usage
errors exit 2, which here would read as CRITICAL, so ``main()`` runs this command through
``run_standalone``, which turns them into 3.
"""

from __future__ import annotations

import contextlib
import gc
import sys
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

from ..errors import UsageError
from ..render.check_formats import CheckFormat
from .check_output import BATCH_SECONDS
from .check_progress import Progress, lanes_for
from .common import (
    EXIT_INTERNAL,
    guarded,
    output_width,
    person_watches,
    step_status,
    use_color,
    wrap_width,
)
from .options import (
    CaFileOption,
    FromOption,
    HeloOption,
    NameserverOption,
    QuitAfterOption,
    TlsOption,
    ToOption,
)

if TYPE_CHECKING:
    from ..core.health import CheckResult
    from ..core.targets import Target
    from ..core.thresholds import Thresholds
    from ..net.audit import AuditOptions
    from ..net.probe import ProbeOptions
    from ..render.check_totals import RunTotals
    from .check_writers import Writer

__all__ = ["COMMANDS", "EXIT_UNKNOWN", "choose_workers", "run_check", "run_standalone"]

EXIT_UNKNOWN = 3
MAX_CONCURRENCY = 1000
MAX_WORKERS = 64
AUTO_WORKERS_FROM = 1000  # targets; below this, forking costs more than it saves
_outcome: list[int] = []  # the exit code the command chose, for run_standalone


def choose_workers(asked: int | None, targets: int, concurrency: int) -> int:
    """``--workers``, or one per CPU this process may use for a large run; never more than
    there are targets or concurrent probes to share."""
    import os

    if asked is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
            os.cpu_count() or 1)
        asked = cpus if targets >= AUTO_WORKERS_FROM else 1
    return max(1, min(asked, targets, concurrency))


def _open_output(output: Path | None) -> IO[str]:
    if output is None:
        return sys.stdout
    try:
        return open(output, "w", encoding="utf-8")  # closed by run_check
    except OSError as exc:
        raise UsageError(f"cannot write --output {output}: {exc.strerror}") from None


async def _collect(targets: Collection[str | Target], options: ProbeOptions,
                   thresholds: Thresholds, concurrency: int, deadline: float | None,
                   on_result: Callable[[CheckResult], None], tick: Callable[[], None],
                   audit: AuditOptions | None = None) -> None:
    import asyncio

    from ..net.fleet import probe_many
    from .check_audit import Auditor, judge_all

    loop = asyncio.get_running_loop()
    ticker: asyncio.TimerHandle | None = None

    def tick_again() -> None:  # write waiting lines while no result comes
        nonlocal ticker
        tick()
        ticker = loop.call_later(BATCH_SECONDS, tick_again)

    tick_again()
    auditor = None if audit is None else Auditor(
        audit, None if deadline is None else time.monotonic() + deadline,
        f"{deadline:g}" if deadline is not None else "-", options.progress)
    try:
        await judge_all(lambda on_report: probe_many(targets, options, concurrency=concurrency,
                                                     deadline=deadline, deliver=on_report),
                        thresholds, all_hosts=options.all_mx, deliver=on_result,
                        auditor=auditor, concurrency=concurrency)
    finally:
        if ticker is not None:
            ticker.cancel()


def run_check(targets: Collection[str | Target], options: ProbeOptions, thresholds: Thresholds,
              *, concurrency: int, deadline: float | None, fmt: CheckFormat,
              output: Path | None, progress: bool | None, full: bool = False,
              workers: int = 1, audit: AuditOptions | None = None) -> int:
    """Probe every target, judge, write; return the monitoring exit code.

    No format keeps the results themselves: jsonl and junit write each one as it comes;
    nagios, text and json, whose heads need the whole run, keep each target's part of the
    output on disk for the end (``check_writers``).  With ``workers`` > 1 the targets are
    sharded over that many processes (``check_shards``).  A run stopped by SIGINT or
    SIGTERM keeps every result it wrote, writes what the format still owes for the targets
    finished, and exits 130 or 143.
    """
    from ..core.health import STATES, exit_code, worst
    from ..net import eventloop
    from ..render.check_formats import shows_annotations
    from ..render.check_totals import RunTotals
    from .check_output import stop_on_sigterm
    from .check_writers import writer_for

    if not shows_annotations(fmt, full):  # compute only what the format shows
        options = replace(options, explain=False)
    stream = _open_output(output)
    watched = output is None and sys.stdout.isatty()
    here = output is None and fmt is CheckFormat.text
    writer = writer_for(fmt, stream, size=len(targets), thresholds=thresholds, full=full,
                        watched=watched, color=here and use_color(stream),
                        fit=output_width(stream) if here else None,
                        wrap=wrap_width(stream) if here else None)
    # No bar by default when results stream onto the same terminal: they are the progress.
    streaming_here = writer.streams and watched
    # One target on a terminal, asked for or by default: probe's status line (the step under
    # way), not a bar of one; --progress off a terminal keeps the bar it asked for.
    status = (len(targets) == 1 and workers == 1 and progress is not False
              and (progress is None or person_watches(sys.stderr)))
    show = not status and (progress if progress is not None else (
        len(targets) > 1 and sys.stderr.isatty() and not streaming_here))
    # Names for the bar, read as it needs them: the targets are never all held (check_targets).
    names = (t if isinstance(t, str) else t.text for t in targets) if show else ()
    counts = dict.fromkeys(STATES, 0)
    bar: Progress | None = None

    def on_line(index: int, state: str, piece: object) -> None:  # a piece, here or a worker's
        counts[state] += 1
        if bar is not None:
            bar.advance(state, index)
        writer.add(index, state, piece)

    def on_result(result: CheckResult) -> None:
        on_line(result.index, result.state, writer.piece(result))

    def on_lines(indexes: Sequence[int], states: list[str], text: str) -> None:
        """A worker's batch of lines, joined (``writer.only_joins``)."""
        for state in states:
            counts[state] += 1
        if bar is not None and bar.shows:
            for index, state in zip(indexes, states, strict=True):
                bar.advance(state, index)
        writer.add_lines(text, len(states))

    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.perf_counter()

    def totals(stopped: str | None = None) -> RunTotals:
        elapsed = time.perf_counter() - started
        return RunTotals(dict(counts), started_at, elapsed * 1000,
                         deadline is not None and elapsed >= deadline, options.dry_run,
                         targets=len(targets), stopped=stopped)

    stop_on_sigterm()
    # What is alive now (modules, the parsed targets) lives as long as the run: out of the
    # collector's way, so that its full collections scan only what the probes create.
    gc.freeze()
    try:
        if workers > 1:
            from .check_shards import run_sharded

            bar = Progress(len(targets), show, names, lanes_for(len(targets), concurrency))
            run_sharded(targets, options, thresholds, workers=workers,
                        concurrency=concurrency, deadline=deadline, streamer=writer.piece,
                        on_line=on_line, on_result=on_result, tick=writer.tick,
                        started=started, audit=audit,
                        on_lines=on_lines if writer.only_joins else None)
        else:
            bar = Progress(len(targets), show, names, lanes_for(len(targets), concurrency))
            first = next(iter(targets))
            with step_status(first if isinstance(first, str) else first.text) if status \
                    else contextlib.nullcontext() as step:
                eventloop.run(_collect(targets, options if step is None else replace(
                    options, progress=step), thresholds, concurrency, deadline, on_result,
                    writer.tick, audit), len(targets))
        done = totals()
        if bar is not None:
            bar.stop()
        writer.finish(done)
        return exit_code(worst(s for s, n in counts.items() if n))
    except KeyboardInterrupt as exc:
        if bar is not None:
            bar.stop()
        return _interrupted(exc, writer, totals, len(targets))
    finally:
        writer.close()
        if bar is not None:
            bar.stop()
        if output is not None:
            stream.close()


def _interrupted(exc: KeyboardInterrupt, writer: Writer,
                 totals: Callable[[str | None], RunTotals], total: int) -> int:
    """Write what a stopped run keeps and say so; the shell's 128 + signal number (130 for
    Ctrl-C)."""
    import signal

    from .check_output import Interrupted

    signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
    name = signal.Signals(signum).name
    stopped = totals(name)
    kept = "nothing was written"
    with contextlib.suppress(OSError):
        kept = writer.stop(stopped)
    sys.stderr.write(f"smtpdiag check: stopped by {name} after {stopped.done} of {total} "
                     f"targets; {kept}\n")
    return 128 + signum


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
    code = EXIT_UNKNOWN
    with guarded(usage_code=EXIT_UNKNOWN, failure_code=EXIT_UNKNOWN):
        from ..core.thresholds import build_thresholds, check_reachable
        from ..net.probe import ProbeOptions, default_helo
        from .check_targets import read_targets
        from .probe_run import build_options

        names = read_targets(targets or [], targets_file, port=port, no_mx=no_mx)
        try:
            if not 0 < concurrency <= MAX_CONCURRENCY:
                raise UsageError(f"--concurrency must be 1-{MAX_CONCURRENCY}")
            if deadline is not None and not 0 < deadline <= 86400:
                raise UsageError("--deadline must be a positive number of seconds")
            if workers is not None and not 0 < workers <= MAX_WORKERS:
                raise UsageError(f"--workers must be 1-{MAX_WORKERS}")
            thresholds = build_thresholds(
                expect=expect or [], warn=warn, crit=crit, warn_step=warn_step or [],
                crit_step=crit_step or [], cert_warn_days=cert_warn_days,
                cert_crit_days=cert_crit_days, require_tls=require_tls)
            check_reachable(thresholds, dry_run=not send, quit_after=quit_after,
                            auth=auth_user is not None, tls=tls)
            options = build_options(
                port=port, tls=tls, timeout=timeout, deadline=None, helo=helo,
                mail_from=mail_from, rcpt_to=rcpt_to or [], auth_user=auth_user,
                ca_file=ca_file, insecure=insecure, dry_run=not send, quit_after=quit_after,
                no_mx=no_mx, all_mx=all_mx, nameserver=nameserver, target=names.first().text)
            assert isinstance(options, ProbeOptions)
            options = replace(options, deadline=timeout, helo=options.helo or default_helo())
            audit_options = None
            if audit:  # each target's audit runs after its probe, in the process that probed it
                from ..net.audit import AuditOptions

                if not 0 < https_port < 65536:
                    raise UsageError("--https-port must be 1-65535")
                audit_options = AuditOptions(
                    nameserver=options.nameserver, timeout=timeout, ca_file=options.ca_file,
                    port=port or 25, https_port=https_port, helo=options.helo)
            code = run_check(names, options, thresholds, concurrency=concurrency,
                             deadline=deadline, fmt=fmt, output=output, progress=progress,
                             full=full, audit=audit_options,
                             workers=choose_workers(workers, len(names), concurrency))
        finally:
            names.close()
        _outcome.append(code)
    raise typer.Exit(code)


COMMANDS = {"check": check}


def run_standalone(app: typer.Typer) -> int:
    """Run the CLI for ``check``, mapping exit codes to the monitoring convention.

    Click exits 2 on its own usage errors, which here would read as CRITICAL; the command
    records the code it chose in ``_outcome``, so a 2 without a recorded outcome is click's
    and becomes UNKNOWN (3), as does an internal error (70).
    """
    _outcome.clear()
    try:
        app()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else EXIT_UNKNOWN
    else:
        code = 0
    if _outcome:
        return _outcome[-1]
    return EXIT_UNKNOWN if code in (2, EXIT_INTERNAL) else code
