"""The ``audit`` command: the delivery posture of a mail domain, option parsing and output."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError
from .common import EXIT_FAILED, EXIT_OK, EXIT_REFUSED, emit_doc, emit_json, guarded
from .options import CaFileOption, HeloOption, NameserverOption

__all__ = ["COMMANDS", "VERDICT_EXIT"]

VERDICT_EXIT = {"pass": EXIT_OK, "warn": EXIT_REFUSED, "fail": EXIT_REFUSED}
UNFINISHED = frozenset({"mx.lookup-failed"})  # nothing about the mail hosts could be learnt


def _domain(text: str) -> str:
    """A mail domain as given (lower-cased, no trailing dot); IDNs as their A-label."""
    from ..core.targets import mail_domain

    return mail_domain(text)


def audit_command(
    domain: Annotated[str, typer.Argument(help="The mail domain to audit (example.com).")],
    nameserver: NameserverOption = None,
    timeout: Annotated[float, typer.Option(
        help="Seconds each DNS question, SMTP step or HTTPS fetch may take.")] = 10.0,
    ca_file: CaFileOption = None,
    port: Annotated[int, typer.Option(
        help="SMTP port of the MX hosts (25; another only for test servers).")] = 25,
    https_port: Annotated[int, typer.Option(
        help="HTTPS port of the MTA-STS policy host (443; another only for test servers).")
    ] = 443,
    helo: HeloOption = None,
    dnsbl: Annotated[bool, typer.Option(
        help="Look each MX address up in block lists (off by default).")] = False,
    dnsbl_zones: Annotated[str | None, typer.Option(
        help="Comma-separated DNSBL zones to use (implies --dnsbl; default: the catalogue's "
             "list).")] = None,
    submission: Annotated[bool, typer.Option(
        help="Also check the submission ports of the hosts in _submission._tcp and "
             "_submissions._tcp SRV records, else of the MX hosts: 587 (STARTTLS posture) and "
             "465 (implicit TLS), and their certificates.")] = False,
    submission_port: Annotated[int | None, typer.Option(
        help="The STARTTLS submission port (implies --submission; default 587).")] = None,
    submissions_port: Annotated[int | None, typer.Option(
        help="The implicit-TLS submission port (implies --submission; default 465; another "
             "only for test servers).")] = None,
    json_output: Annotated[bool, typer.Option(
        "--json", help="Print the report as JSON (schema shipped in the package).")] = False,
    lang: Annotated[str | None, typer.Option(
        help="Language of the report's headings: en, id, vi, zh, tr (default: from LANG); "
             "the findings' texts and --json stay English.")] = None,
) -> None:
    """Audit a mail domain: MX set, every MX host's SMTP and TLS, policies; each finding with
    what it means, why it matters and how to fix it.

    Exit codes: 0 every check passed · 1 problems found (warning or critical) · 2 usage
    error · 3 could not complete (the MX lookup itself failed).
    """
    code = EXIT_OK
    with guarded():
        import asyncio

        from ..core.targets import parse_nameserver, validate_helo
        from ..net.audit import AuditOptions, audit
        from .common import choose_lang

        language = choose_lang(lang)
        name = _domain(domain)
        if not 0 < timeout <= 3600:
            raise UsageError("--timeout must be a positive number of seconds (at most 3600)")
        for option, value in (("--port", port), ("--https-port", https_port),
                              ("--submission-port", submission_port or 587),
                              ("--submissions-port", submissions_port or 465)):
            if not 0 < value < 65536:
                raise UsageError(f"{option} must be 1-65535")
        if ca_file is not None and not Path(ca_file).is_file():
            raise UsageError(f"--ca-file {ca_file}: no such file")
        zones: tuple[str, ...] = ()
        if dnsbl_zones is not None:
            zones = tuple(_domain(z) for z in dnsbl_zones.split(",") if z.strip())
            if not zones:
                raise UsageError("--dnsbl-zones needs at least one zone")
        elif dnsbl:
            from ..catalogue.audit import default_dnsbl_zones

            zones = default_dnsbl_zones()
        asked = submission or submission_port is not None or submissions_port is not None
        options = AuditOptions(
            nameserver=parse_nameserver(nameserver) if nameserver is not None else None,
            timeout=timeout, ca_file=str(ca_file) if ca_file else None, port=port,
            https_port=https_port, helo=validate_helo(helo) if helo else "", dnsbl=zones,
            submission=(submission_port or 587,) if asked else (),
            submissions=(submissions_port or 465,) if asked else ())
        report = asyncio.run(audit(name, options))
        if json_output:
            from ..render.audit_view import audit_json

            emit_json(audit_json(report))
        else:
            from ..render.audit_view import audit_doc

            emit_doc(audit_doc(report, language))
        code = VERDICT_EXIT[report.verdict]
        if any(f.id in UNFINISHED for a in report.areas for f in a.findings):
            code = EXIT_FAILED  # the report says what was asked and what failed
    raise typer.Exit(code)


COMMANDS = {"audit": audit_command}
