"""The public Python API behind ``import smtpdiag``: ``probe``, ``check``, ``explain``.

These are what the command line does, as functions: the same validation (nothing unchecked
reaches the wire), the same engine, the same frozen records back.  What a server or the network
does never raises: it is inside the returned ``Report`` (``verdict``, ``error``) or judged in the
``CheckRun``.  Bad input raises ``UsageError`` (``TargetError`` for a target) before anything is
sent.  ``probe`` and ``check`` are coroutines; ``probe_sync`` and ``check_sync`` run them for
code that has no event loop.  Every heavy import happens inside a call, so ``import smtpdiag``
stays cheap (``tests/test_startup.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, Unpack

from .errors import UsageError, quoted

if TYPE_CHECKING:
    from .core.health import CheckRun
    from .model import Report
    from .net.probe import ProbeOptions

__all__ = ["ProbeKeywords", "check", "check_sync", "explain", "probe", "probe_options",
           "probe_sync", "shown"]

TLS_MODES = ("auto", "starttls", "implicit", "none")
_T = TypeVar("_T")


class ProbeKeywords(TypedDict, total=False):
    """The options ``probe`` and ``check`` share; each as the command line's option of that name."""

    port: int | None
    tls: str
    helo: str | None
    mail_from: str
    rcpt_to: Sequence[str]
    auth_user: str | None
    auth_password: str | None
    ca_file: str | Path | None
    insecure: bool
    quit_after: str | None
    no_mx: bool
    all_mx: bool
    nameserver: str | None
    data_timeout: float


def probe_options(target: str | None = None, *, timeout: float = 20.0,
                  deadline: float | None = None, dry_run: bool = False,
                  **options: Unpack[ProbeKeywords]) -> ProbeOptions:
    """Validate every option (``UsageError`` naming it) and build the engine's ``ProbeOptions``.

    ``target``, when given, is parsed too, so a bad one is refused here and not mid-run.
    """
    from .net.probe import ProbeOptions

    unknown = set(options) - set(ProbeKeywords.__annotations__)
    if unknown:
        raise UsageError(f"unknown option(s): {', '.join(sorted(unknown))}")
    fields = probe_fields(target, timeout=timeout, deadline=deadline, dry_run=dry_run,
                          options=options, name=str)
    password = options.get("auth_password")
    if fields["auth_user"] is not None and password is None:
        raise UsageError("auth_user needs auth_password")
    return ProbeOptions(**fields,
                        auth_password=password if fields["auth_user"] is not None else None)


def probe_fields(target: str | None, *, timeout: float, deadline: float | None, dry_run: bool,
                 options: ProbeKeywords,
                 name: Callable[[str], str]) -> dict[str, Any]:
    """Every ``ProbeOptions`` field but the password, validated: the API and the command line
    share these rules and differ only in how a message spells an option (``name("rcpt_to")``
    is ``rcpt_to`` here, ``--to`` on the command line)."""
    from .core.targets import (
        QUIT_POINTS,
        parse_nameserver,
        parse_target,
        refuse_controls,
        validate_address,
        validate_helo,
    )

    port = options.get("port")
    tls = options.get("tls", "auto")
    quit_after = options.get("quit_after")
    ca_file = options.get("ca_file")
    no_mx = options.get("no_mx", False)
    data_timeout = options.get("data_timeout", 600.0)
    if target is not None:
        parse_target(target, port=port, no_mx=no_mx)
    if tls not in TLS_MODES:
        raise UsageError(f"{name('tls')} must be one of {', '.join(TLS_MODES)}, "
                         f"not {quoted(str(tls), 40)}")
    if port is not None and not (isinstance(port, int) and 0 < port < 65536):
        raise UsageError(f"{name('port')} must be 1-65535, not {port!r}")
    for option, value, most in (("timeout", timeout, 3600), ("deadline", deadline, 86400)):
        if value is not None and not 0 < value <= most:  # NaN too
            raise UsageError(f"{name(option)} must be a positive number of seconds, at most "
                             f"{most}, not {value!r}")
    if not 0 < data_timeout <= 3600:
        raise UsageError(f"{name('data_timeout')} must be a positive number of seconds, "
                         "at most 3600")
    if quit_after is not None and quit_after not in QUIT_POINTS:
        raise UsageError(f"{name('quit_after')} must be one of {', '.join(QUIT_POINTS)}")
    if ca_file is not None:
        check_ca_file(Path(ca_file), name("ca_file"))
    rcpt_to = options.get("rcpt_to", ())
    recipients = tuple(
        "postmaster" if r.strip().lower() in ("postmaster", "<postmaster>")
        else validate_address(r, name("rcpt_to"))
        for r in ((rcpt_to,) if isinstance(rcpt_to, str) else rcpt_to))
    if "" in recipients:
        raise UsageError(f"{name('rcpt_to')} cannot hold an empty address")
    auth_user = options.get("auth_user")
    if auth_user is not None:
        refuse_controls(auth_user, name("auth_user"))
        if not auth_user.strip():
            raise UsageError(f"{name('auth_user')} must not be empty")
    helo = options.get("helo")
    nameserver = options.get("nameserver")
    return {
        "port": port, "tls": tls, "helo": validate_helo(helo) if helo is not None else "",
        "mail_from": validate_address(options.get("mail_from", ""), name("mail_from")),
        "rcpt_to": recipients, "auth_user": auth_user, "timeout": timeout,
        "data_timeout": data_timeout, "deadline": deadline,
        "ca_file": str(ca_file) if ca_file is not None else None,
        "insecure": options.get("insecure", False), "dry_run": dry_run,
        "quit_after": quit_after, "no_mx": no_mx, "all_mx": options.get("all_mx", False),
        "nameserver": parse_nameserver(nameserver) if nameserver is not None else None,
    }


def check_ca_file(path: Path, name: str = "ca_file") -> None:
    """Load the CA file once now: a missing, unreadable or non-PEM file is a usage error
    before anything is sent, not a failure in the middle of a TLS handshake."""
    import ssl

    shown = quoted(str(path))
    if not path.is_file():
        raise UsageError(f"{name} {shown}: no such file" if not path.exists()
                         else f"{name} {shown}: not a regular file")
    try:
        # a bare context: loading the system's roots too would cost ~60 ms and prove nothing
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=str(path))
    except (ssl.SSLError, ValueError):  # SSLError first: it is an OSError too
        raise UsageError(f"{name} {shown}: holds no PEM certificate that can be loaded"
                         ) from None
    except OSError as exc:
        raise UsageError(f"{name} {shown}: cannot read it: {exc.strerror or exc}") from None


async def probe(target: str, *, timeout: float = 20.0, deadline: float | None = None,
                dry_run: bool = False, **options: Unpack[ProbeKeywords]) -> Report:
    """Walk one target (``host``, ``host:port``, ``[v6]:port``, an IP or a mail domain).

    ``timeout`` bounds each step, ``deadline`` the whole probe (default 4 x ``timeout``);
    ``dry_run`` stops before DATA.  Returns the ``Report`` whatever the server did.
    """
    from .net.probe import probe as run_probe

    opts = probe_options(target, timeout=timeout, deadline=deadline, dry_run=dry_run, **options)
    return await run_probe(target, opts)


async def check(targets: str | Sequence[str], *, expect: Sequence[str] = (),
                warn: float | None = None, crit: float | None = None,
                warn_step: Sequence[str] = (), crit_step: Sequence[str] = (),
                cert_warn_days: int = 14, cert_crit_days: int = 7, require_tls: bool = False,
                send: bool = False, timeout: float = 10.0, deadline: float | None = None,
                concurrency: int = 20, **options: Unpack[ProbeKeywords]) -> CheckRun:
    """Health-check targets as ``smtpdiag check`` does; the ``CheckRun`` holds every result.

    ``expect`` takes ``"STEP=CODE"`` texts (``"rcpt=250,4xx"``), ``warn_step``/``crit_step``
    ``"STEP=SECONDS"``.  A check is a dry run unless ``send``; ``timeout`` bounds each target in
    all, ``deadline`` the whole run.  ``run.state`` is OK, WARNING, CRITICAL or UNKNOWN.
    """
    import time
    from dataclasses import replace
    from datetime import UTC, datetime

    from .core.health import CheckResult, CheckRun, judge
    from .core.targets import parse_target
    from .core.thresholds import build_thresholds, check_reachable
    from .net.fleet import probe_many
    from .net.probe import default_helo

    names = [targets] if isinstance(targets, str) else list(targets)
    if not names:
        raise UsageError("no targets to check")
    if not 0 < concurrency <= 1000:
        raise UsageError("concurrency must be 1-1000")
    if deadline is not None and not 0 < deadline <= 86400:
        raise UsageError("deadline must be a positive number of seconds")
    thresholds = build_thresholds(
        expect=expect, warn=warn, crit=crit, warn_step=warn_step, crit_step=crit_step,
        cert_warn_days=cert_warn_days, cert_crit_days=cert_crit_days, require_tls=require_tls)
    check_reachable(thresholds, dry_run=not send, quit_after=options.get("quit_after"),
                    auth=options.get("auth_user") is not None, tls=options.get("tls", "auto"))
    opts = probe_options(names[0], timeout=timeout, dry_run=not send, **options)
    for name in names[1:]:
        parse_target(name, port=opts.port, no_mx=opts.no_mx)
    opts = replace(opts, deadline=timeout, helo=opts.helo or default_helo())
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.perf_counter()
    results: list[CheckResult | None] = [None] * len(names)
    async for index, report in probe_many(names, opts, concurrency=concurrency,
                                          deadline=deadline):
        results[index] = judge(report, thresholds, index=index, all_hosts=opts.all_mx)
    elapsed = time.perf_counter() - started
    return CheckRun(tuple(r for r in results if r is not None), thresholds,
                    started_at=started_at, elapsed_ms=elapsed * 1000,
                    deadline_reached=deadline is not None and elapsed >= deadline,
                    dry_run=not send)


def explain(text: str, lang: str = "en") -> dict[str, Any]:
    """Explain a code (``550``, ``5.7.1``) or pasted reply text, as ``smtpdiag explain --json``.

    The result follows ``smtpdiag/schema/explain.schema.json``; malformed input raises
    ``UsageError``.  Pure: no network, no event loop.
    """
    from .core.explain import explain as run_explain

    if lang != "en":
        from .catalogue import LANGUAGES

        if lang not in LANGUAGES:
            raise UsageError(f"unknown language {quoted(lang, 40)}; choose one of "
                             f"{', '.join(LANGUAGES)}")
    return run_explain(text, lang)


def shown(text: str) -> str:
    """``text`` (a reply line, a DNS record, anything a server sent) as every smtpdiag output
    shows it: controls, ANSI sequences, bidi overrides and bytes that are not UTF-8 escaped
    (``\\x1b``, ``\\u202e``, ``\\xff``), a backslash doubled.  The records keep the exact
    text; their ``shown`` property is this of their sentence."""
    from .core.text import clean

    return clean(text)


def _run(coroutine: Coroutine[Any, Any, _T], name: str) -> _T:
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    coroutine.close()
    raise UsageError(f"{name}_sync() cannot run inside a running event loop; "
                     f"use 'await smtpdiag.{name}(...)' there")


def probe_sync(target: str, *, timeout: float = 20.0, deadline: float | None = None,
               dry_run: bool = False, **options: Unpack[ProbeKeywords]) -> Report:
    """``probe`` for code without an event loop (it runs one)."""
    return _run(probe(target, timeout=timeout, deadline=deadline, dry_run=dry_run, **options),
                "probe")


def check_sync(targets: str | Sequence[str], **keywords: Any) -> CheckRun:
    """``check`` for code without an event loop (it runs one); same keywords as ``check``."""
    return _run(check(targets, **keywords), "check")
