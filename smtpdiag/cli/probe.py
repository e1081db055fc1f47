"""The ``probe``, ``demo`` and ``serve`` commands as typer declares them: their options, help and
output.  What ``probe`` does is in ``probe_run.py`` (typer-free, so that ``smtpdiag.cli`` can call
it directly for a command line it reads without doubt)."""

from __future__ import annotations

import errno
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from ..errors import UsageError, quoted
from . import probe_run as run
from .common import EXIT_OK, guarded
from .options import (
    CaFileOption,
    FromOption,
    HeloOption,
    NameserverOption,
    QuitAfterOption,
    TlsOption,
    ToOption,
)
from .probe_run import PASSWORD_ENV

if TYPE_CHECKING:
    from ..fakeserver.certs import Certs

__all__ = ["COMMANDS"]

_LISTEN_HINTS = {
    errno.EADDRINUSE: "another program listens there: choose another port with --port",
    errno.EACCES: "ports below 1024 need privileges: choose one above 1023 with --port",
    errno.EADDRNOTAVAIL: "this machine has no such address: try --host 127.0.0.1",
}


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
    raise typer.Exit(run.run_probe(
        target, port=port, tls=tls, timeout=timeout, data_timeout=data_timeout,
        deadline=deadline, helo=helo, mail_from=mail_from, rcpt_to=rcpt_to, auth_user=auth_user,
        ca_file=ca_file, insecure=insecure, dry_run=dry_run, quit_after=quit_after, no_mx=no_mx,
        all_mx=all_mx, nameserver=nameserver, json_output=json_output, transcript=transcript))

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
            code = run.run_report(target, options, json_output, None, command)
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

