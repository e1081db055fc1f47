"""What ``check`` does once its options are known, without typer.

``check.py`` declares the command's arguments and options for typer (help, usage errors) and
calls ``run_check_command`` here with all of them.  Typer's import and the building of the
command were some 85 M of a one-target check's 477 M instructions, so ``smtpdiag.cli`` calls
``run_check_command`` directly for a command line it can read without doubt: targets and
options spelled as ``OPTIONS`` says, each at most once (the repeatable ones any number of
times), every value there and not an option's look-alike.  Anything else (help, a misspelt
option, a bad number, a format in capitals, completion) goes to typer.
``tests/test_cli_direct_check.py`` holds ``OPTIONS`` and the defaults below to typer's command
and runs lines both ways.

Exit codes follow the monitoring-plugins convention: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
(bad input, or the check could not run); over many targets the worst wins.
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
from typing import IO, TYPE_CHECKING

from ..errors import UsageError
from ..render.check_formats import CheckFormat
from .check_output import BATCH_SECONDS
from .check_progress import Progress, lanes_for
from .common import (
    guarded,
    output_width,
    person_watches,
    step_status,
    use_color,
    wrap_width,
)

if TYPE_CHECKING:
    from ..core.health import CheckResult
    from ..core.targets import Target
    from ..core.thresholds import Thresholds
    from ..net.audit import AuditOptions
    from ..net.probe import ProbeOptions
    from ..render.check_totals import RunTotals
    from .check_writers import Writer

__all__ = ["AUTO_WORKERS_FROM", "EXIT_UNKNOWN", "OPTIONS", "choose_workers", "run_check",
           "run_check_command"]

EXIT_UNKNOWN = 3
MAX_CONCURRENCY = 1000
MAX_WORKERS = 64
AUTO_WORKERS_FROM = 1000  # targets; below this, forking costs more than it saves


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


# The command line's spelling of each option -> (the parameter of ``run_check_command``, how its
# value is read): "flag" takes none and sets True, "off" takes none and sets False (the
# ``--no-`` half of a pair), "many" may repeat (a list), else the type typer converts it with.
OPTIONS: dict[str, tuple[str, object]] = {
    "--targets-file": ("targets_file", Path), "--port": ("port", int), "--tls": ("tls", str),
    "--timeout": ("timeout", float), "--deadline": ("deadline", float),
    "--concurrency": ("concurrency", int), "--workers": ("workers", int),
    "--helo": ("helo", str), "--from": ("mail_from", str), "--to": ("rcpt_to", "many"),
    "--auth-user": ("auth_user", str), "--ca-file": ("ca_file", Path),
    "--insecure": ("insecure", "flag"), "--send": ("send", "flag"),
    "--quit-after": ("quit_after", str), "--no-mx": ("no_mx", "flag"),
    "--all-mx": ("all_mx", "flag"), "--nameserver": ("nameserver", str),
    "--expect": ("expect", "many"), "--warn": ("warn", float), "--crit": ("crit", float),
    "--warn-step": ("warn_step", "many"), "--crit-step": ("crit_step", "many"),
    "--cert-warn-days": ("cert_warn_days", int), "--cert-crit-days": ("cert_crit_days", int),
    "--require-tls": ("require_tls", "flag"), "--format": ("fmt", CheckFormat),
    "--full": ("full", "flag"), "--output": ("output", Path),
    "--audit": ("audit", "flag"), "--no-audit": ("audit", "off"),
    "--https-port": ("https_port", int),
    "--progress": ("progress", "flag"), "--no-progress": ("progress", "off"),
}


def _nagios_unknown(message: str) -> None:
    from ..render.check_nagios import unknown_line

    sys.stdout.write(unknown_line(message))
    sys.stdout.flush()


def run_check_command(
        targets: list[str] | None = None, targets_file: Path | None = None,
        port: int | None = None, tls: str = "auto", timeout: float = 10.0,
        deadline: float | None = None, concurrency: int = 20, workers: int | None = None,
        helo: str | None = None, mail_from: str = "", rcpt_to: list[str] | None = None,
        auth_user: str | None = None, ca_file: Path | None = None, insecure: bool = False,
        send: bool = False, quit_after: str | None = None, no_mx: bool = False,
        all_mx: bool = False, nameserver: str | None = None, expect: list[str] | None = None,
        warn: float | None = None, crit: float | None = None,
        warn_step: list[str] | None = None, crit_step: list[str] | None = None,
        cert_warn_days: int = 14, cert_crit_days: int = 7, require_tls: bool = False,
        fmt: CheckFormat = CheckFormat.text, full: bool = False, output: Path | None = None,
        audit: bool = False, https_port: int = 443, progress: bool | None = None) -> int:
    """Health-check the targets against the thresholds; the monitoring exit code."""
    code = EXIT_UNKNOWN
    with guarded(usage_code=EXIT_UNKNOWN, failure_code=EXIT_UNKNOWN, internal_code=EXIT_UNKNOWN,
                 status=_nagios_unknown if fmt is CheckFormat.nagios else None):
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
    return code
