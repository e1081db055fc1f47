"""The ``probe``, ``demo`` and ``serve`` commands: option parsing and output, nothing more."""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, TextIO

import typer

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
    from ..fakeserver.certs import Certs

__all__ = ["COMMANDS", "build_options"]

VERDICT_EXIT = {"accepted": EXIT_OK, "partial": EXIT_PARTIAL, "deferred": EXIT_DEFERRED,
                "refused": EXIT_REFUSED, "no-mail": EXIT_REFUSED, "failed": EXIT_FAILED}
PASSWORD_ENV = "SMTPDIAG_PASSWORD"
_LISTEN_HINTS = {
    errno.EADDRINUSE: "another program listens there: choose another port with --port",
    errno.EACCES: "ports below 1024 need privileges: choose one above 1023 with --port",
    errno.EADDRNOTAVAIL: "this machine has no such address: try --host 127.0.0.1",
}


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
            report = asyncio.run(probe(target, replace(options, progress=progress)))
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


def probe_command(
    target: Annotated[str, typer.Argument(
        metavar="TARGET", show_default=False,
        help="host, host:port, [IPv6]:port, an IP address, or a mail domain (MX lookup).")],
    port: Annotated[int | None, typer.Option(
        help="Port when TARGET has none: 25 (default), 465 = implicit TLS, "
             "587 = STARTTLS required.")] = None,
    tls: TlsOption = "auto",
    timeout: Annotated[float, typer.Option(
        help="Seconds each step may take (connect included).")] = 20.0,
    data_timeout: Annotated[float, typer.Option(
        help="Seconds to wait for the reply to the message's final dot (RFC 5321: 10 min; "
             "giving up early may deliver the message twice).")] = 600.0,
    deadline: Annotated[float | None, typer.Option(
        help="Seconds for the whole probe, all hosts (default 4 x --timeout, plus "
             "--data-timeout when a message is sent).")] = None,
    helo: HeloOption = None,
    mail_from: FromOption = "",
    rcpt_to: ToOption = None,
    auth_user: Annotated[str | None, typer.Option(
        help=f"Authenticate as this user; password from ${PASSWORD_ENV} or a prompt.")
    ] = None,
    ca_file: CaFileOption = None,
    insecure: Annotated[bool, typer.Option(
        "--insecure",
        help="Carry on past a certificate verification failure (still reported).")] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Never send DATA: RSET and QUIT after RCPT.")] = False,
    quit_after: QuitAfterOption = None,
    no_mx: Annotated[bool, typer.Option(
        "--no-mx", help="Connect to TARGET itself instead of its MX hosts.")] = False,
    all_mx: Annotated[bool, typer.Option(
        "--all-mx", help="Probe every MX host and address.")] = False,
    nameserver: NameserverOption = None,
    json_output: Annotated[bool, typer.Option(
        "--json", help="Print the report as JSON (schema shipped in the package).")] = False,
    transcript: Annotated[Path | None, typer.Option(
        help="Write the raw dialogue (secrets redacted) to this file.")] = None,
) -> None:
    """Walk a mail server through a session and explain every reply.

    Without --dry-run the walk ends with DATA: a small, clearly labelled test message is
    delivered to the recipient (default postmaster@DOMAIN).

    Exit codes: 0 accepted (every step answered positively) · 1 refused for good (5xx), or
    the domain accepts no mail · 2 usage error · 3 could not complete (DNS, connect, TLS,
    timeout, protocol violation) · 4 deferred (4xx: retry later) · 5 accepted for some
    recipients only · 70 internal error · 130 interrupted · 141 output pipe closed early.
    """
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
        code = run_report(target, options, json_output, transcript,
                          "smtpdiag " + shlex.join(sys.argv[1:]))
    raise typer.Exit(code)

def demo_command(
    scenario: Annotated[str, typer.Option(help="Fake-server scenario to probe.")] = "healthy",
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Start the embedded fake server on loopback and probe it: a real, annotated session."""
    code = EXIT_OK
    with guarded():
        from ..fakeserver import DEMO_PASSWORD, DEMO_USER, SCENARIOS, FakeServer
        from ..net.probe import ProbeOptions

        if scenario not in SCENARIOS:
            raise UsageError(f"unknown scenario {quoted(scenario)}; choose one of "
                             f"{', '.join(SCENARIOS)}")
        with FakeServer(scenario, host="127.0.0.1") as server:
            assert server.certs is not None
            sys.stderr.write(f"smtpdiag demo: fake server ({scenario}) listening on "
                             f"127.0.0.1:{server.port}\n")
            options = ProbeOptions(
                timeout=10, helo="demo-client.smtpdiag.test",
                mail_from="demo@smtpdiag.test", rcpt_to=("postmaster@smtpdiag.test",),
                auth_user=DEMO_USER, auth_password=DEMO_PASSWORD,
                ca_file=server.certs.ca_file, tls="starttls",
            )
            target = f"127.0.0.1:{server.port}"
            command = (f"smtpdiag demo: probe {target} --tls starttls --auth-user "
                       f"{DEMO_USER} (fake server, scenario {scenario})")
            code = run_report(target, options, json_output, None, command)
    raise typer.Exit(code)

def serve_command(
    scenario: Annotated[str, typer.Option(
        help="How the fake server behaves; 'list' prints every scenario.")] = "healthy",
    host: Annotated[str, typer.Option(help="Loopback address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 2525,
    tls: Annotated[str, typer.Option(help="starttls | implicit | none.")] = "starttls",
    cert_dir: Annotated[Path | None, typer.Option(
        help="Keep the CA and certificate here and reuse them on restart (a stable CA path "
             "to trust).")] = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Do not log sessions on stderr.")] = False,
) -> None:
    """Run the embedded fake SMTP server, for testing your own mail code (Ctrl-C stops).

    Each session is logged on stderr (client, commands, replies, message size) unless
    --quiet; AUTH secrets are never shown.
    """
    with guarded():
        from ..fakeserver import SCENARIOS, serve_forever

        if scenario == "list":
            for name, text in SCENARIOS.items():
                print(f"{name:<16} {text}")
            return
        if scenario not in SCENARIOS:
            listing = "; ".join(f"{name}: {text}" for name, text in SCENARIOS.items())
            raise UsageError(f"unknown scenario {quoted(scenario)}. Scenarios: {listing}")
        if tls not in ("starttls", "implicit", "none"):
            raise UsageError("--tls must be starttls, implicit or none")
        mode: Literal["starttls", "implicit", "none"] = tls  # type: ignore[assignment]
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise UsageError("the fake server binds to loopback only: 127.0.0.1 or ::1")
        if not 0 < port < 65536:
            raise UsageError("--port must be 1-65535")
        from ..fakeserver.server import ListenError

        try:
            serve_forever(scenario, host=host, port=port, tls=mode,
                          announce=lambda line: print(line, flush=True),
                          log=None if quiet else session_log,
                          certs=kept_certs(cert_dir) if cert_dir is not None and mode != "none"
                          else None)
        except ListenError as exc:
            raise UsageError(f"{exc}; {_LISTEN_HINTS.get(exc.errno, 'choose another --port')}"
                             ) from None


def session_log(line: str) -> None:
    """One line of ``serve``'s session log on stderr; what a client sent is shown escaped."""
    from ..render.doc import clean

    sys.stderr.write(f"{clean(line)}\n")
    sys.stderr.flush()


def kept_certs(directory: Path) -> Certs:
    """The certificates in ``directory``, made there on first use, reused after."""
    from ..fakeserver.certs import Certs

    files = [directory / name for name in ("ca.pem", "cert.pem", "key.pem")]
    if all(path.is_file() for path in files):
        return Certs(str(files[0]), str(files[1]), str(files[2]))
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot use --cert-dir {directory}: {exc.strerror}") from None
    return Certs.create(str(directory))


COMMANDS = {"probe": probe_command, "demo": demo_command, "serve": serve_command}


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
