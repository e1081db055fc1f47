"""The exporter's TOML configuration: its settings and its modules.

    [exporter]
    allow = ["*.example.com", "192.0.2.0/24"]   # targets /probe may touch (none by default)
    concurrency = 10                             # probes at once; more wait for a free slot
    timeout_offset = 0.5                         # seconds kept back from the scrape timeout

    [modules.submission]
    port = 587
    helo = "monitor.example.com"
    auth_user = "monitor@example.com"
    password_file = "/etc/smtpdiag/monitor.pass"   # or password_env = "SMTP_MONITOR_PASSWORD"
    expect = { greeting = "220", rcpt = "2xx" }
    require_tls = true

A module holds the options of ``smtpdiag check`` under the same names (``from`` and ``to`` for
the envelope); a probe is a dry run unless ``send = true``.  Every value is checked when the
file is read, so a typo stops the exporter at start with the file, module and key named,
instead of failing every scrape.  The password is read from its file or variable then, kept only
in the probe options (never in a repr), and never written anywhere.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..core.thresholds import Thresholds, build_thresholds, check_reachable
from ..errors import UsageError, quoted
from ..net.probe import ProbeOptions, default_helo
from .allow import AllowList

__all__ = ["DEFAULT_MODULE", "ExporterConfig", "Module", "load_config", "parse_listen"]

DEFAULT_MODULE = "default"
_MODULE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_EXPORTER_KEYS = {"allow", "concurrency", "timeout_offset", "listen"}
_PROBE_KEYS = {"port", "tls", "helo", "from", "to", "auth_user", "ca_file", "insecure",
               "quit_after", "no_mx", "all_mx", "nameserver"}
_MODULE_KEYS = _PROBE_KEYS | {
    "password_file", "password_env", "timeout", "send", "expect", "warn", "crit", "warn_step",
    "crit_step", "cert_warn_days", "cert_crit_days", "require_tls", "fail_on_warning",
    "audit", "audit_https_port"}
MAX_TIMEOUT = 300.0


@dataclass(frozen=True)
class Module:
    """How a /probe with ``module=NAME`` probes and judges its target."""

    name: str
    options: ProbeOptions  # holds the AUTH password, if any; its repr never shows it
    thresholds: Thresholds = field(default_factory=Thresholds)
    timeout: float = 10.0  # seconds for the whole probe, unless the scrape allows less
    fail_on_warning: bool = False
    audit: bool = False  # also run `smtpdiag audit` when the target is a mail domain
    audit_https_port: int = 443

    @property
    def secrets(self) -> tuple[str, ...]:
        password = self.options.auth_password
        return (password,) if password else ()


@dataclass(frozen=True)
class ExporterConfig:
    modules: Mapping[str, Module]
    allow: AllowList = field(default_factory=AllowList)
    concurrency: int = 10
    timeout_offset: float = 0.5
    listen: str | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for module in self.modules.values() for s in module.secrets)


def _typed(where: str, key: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise UsageError(f"{where}: {key} must be {kinds[0].__name__}, not a boolean")
    if not isinstance(value, kinds):
        raise UsageError(f"{where}: {key} must be {' or '.join(k.__name__ for k in kinds)}, "
                         f"not {type(value).__name__}")
    return value


def _pairs(where: str, key: str, value: Any) -> list[str]:
    """``{ step = value }`` or ``["step=value", …]`` as the ``STEP=VALUE`` texts of the CLI."""
    if isinstance(value, dict):
        return [f"{step}={_typed(where, f'{key}.{step}', v, (str, int, float))}"
                for step, v in value.items()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise UsageError(f"{where}: {key} must be a table (step = value) or a list of "
                     "\"step=value\" strings")


def _password(where: str, table: Mapping[str, Any], base: Path) -> str | None:
    file, env = table.get("password_file"), table.get("password_env")
    if file is not None and env is not None:
        raise UsageError(f"{where}: give password_file or password_env, not both")
    if (file is not None or env is not None) and table.get("auth_user") is None:
        raise UsageError(f"{where}: a password needs auth_user")
    if table.get("auth_user") is not None and file is None and env is None:
        raise UsageError(f"{where}: auth_user needs password_file or password_env (a password "
                         "is never written in the configuration itself)")
    if env is not None:
        value = os.environ.get(_typed(where, "password_env", env, str))
        if value is None:
            raise UsageError(f"{where}: password_env: the variable {env} is not set")
        return value
    if file is not None:
        path = base / str(_typed(where, "password_file", file, str))
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise UsageError(f"{where}: password_file {path}: {why}") from None
        password = text.rstrip("\r\n")
        if not password:
            raise UsageError(f"{where}: password_file {path} is empty")
        return password
    return None


def build_module(name: str, table: Mapping[str, Any], *, where: str = "",
                 base: Path = Path()) -> Module:
    """One ``[modules.NAME]`` table, checked key by key (``UsageError`` naming the key)."""
    from ..api import probe_options

    where = f"{where}module {quoted(name, 80)}"
    if not _MODULE_NAME.fullmatch(name):
        raise UsageError(f"{where}: a module name is letters, digits, '_', '-' or '.'")
    unknown = set(table) - _MODULE_KEYS
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; known: "
                         f"{', '.join(sorted(_MODULE_KEYS))}")
    timeout = float(_typed(where, "timeout", table.get("timeout", 10.0), (int, float)))
    if not 0 < timeout <= MAX_TIMEOUT:
        raise UsageError(f"{where}: timeout must be above 0 and at most {MAX_TIMEOUT:g} s")
    send = _typed(where, "send", table.get("send", False), bool)
    to = table.get("to", [])
    if not isinstance(to, str) and not (isinstance(to, list)
                                        and all(isinstance(a, str) for a in to)):
        raise UsageError(f"{where}: to must be an address or a list of addresses")
    keywords: dict[str, Any] = {
        "rcpt_to": [to] if isinstance(to, str) else to,
        "mail_from": _typed(where, "from", table.get("from", ""), str),
    }
    kinds: dict[str, type | tuple[type, ...]] = {
        "port": int, "tls": str, "helo": str, "auth_user": str, "ca_file": str,
        "insecure": bool, "quit_after": str, "no_mx": bool, "all_mx": bool, "nameserver": str}
    for key, kind in kinds.items():
        if key in table:
            keywords[key] = _typed(where, key, table[key], kind)
    if "ca_file" in keywords:
        keywords["ca_file"] = str(base / keywords["ca_file"])
    keywords["auth_password"] = _password(where, table, base)
    try:
        options = probe_options(None, timeout=timeout, deadline=timeout, dry_run=not send,
                                **keywords)
        thresholds = build_thresholds(
            expect=_pairs(where, "expect", table.get("expect", [])),
            warn=table.get("warn"), crit=table.get("crit"),
            warn_step=_pairs(where, "warn_step", table.get("warn_step", [])),
            crit_step=_pairs(where, "crit_step", table.get("crit_step", [])),
            cert_warn_days=_typed(where, "cert_warn_days", table.get("cert_warn_days", 14), int),
            cert_crit_days=_typed(where, "cert_crit_days", table.get("cert_crit_days", 7), int),
            require_tls=_typed(where, "require_tls", table.get("require_tls", False), bool))
        check_reachable(thresholds, dry_run=not send, quit_after=options.quit_after,
                        auth=options.auth_user is not None, tls=options.tls)
    except UsageError as exc:
        raise UsageError(f"{where}: {exc.message}") from None
    options = replace(options, helo=options.helo or default_helo())
    https_port = _typed(where, "audit_https_port", table.get("audit_https_port", 443), int)
    if not 0 < https_port < 65536:
        raise UsageError(f"{where}: audit_https_port must be 1-65535")
    return Module(name, options, thresholds, timeout,
                  _typed(where, "fail_on_warning", table.get("fail_on_warning", False), bool),
                  _typed(where, "audit", table.get("audit", False), bool), https_port)


def load_config(path: Path | None, *, allow: Sequence[str] = (),
                concurrency: int | None = None) -> ExporterConfig:
    """Read and check the file (None: defaults only); command-line values win over it."""
    data: dict[str, Any] = {}
    base = Path()
    where = ""
    if path is not None:
        where, base = f"{path}: ", path.parent
        try:
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
        except OSError as exc:
            raise UsageError(f"cannot read --config {path}: {exc.strerror}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UsageError(f"{where}not valid TOML: {exc}") from None
    unknown = set(data) - {"exporter", "modules"}
    if unknown:
        raise UsageError(f"{where}unknown table(s) {', '.join(sorted(unknown))}; expected "
                         "[exporter] and [modules.NAME]")
    settings = _typed(f"{where}[exporter]", "table", data.get("exporter", {}), dict)
    unknown = set(settings) - _EXPORTER_KEYS
    if unknown:
        raise UsageError(f"{where}[exporter]: unknown key(s) {', '.join(sorted(unknown))}")
    patterns = list(_typed(f"{where}[exporter]", "allow", settings.get("allow", []), list))
    count = concurrency if concurrency is not None else settings.get("concurrency", 10)
    _typed(f"{where}[exporter]", "concurrency", count, int)
    if not 0 < count <= 1000:
        raise UsageError(f"{where}concurrency must be 1-1000")
    offset = float(_typed(f"{where}[exporter]", "timeout_offset",
                          settings.get("timeout_offset", 0.5), (int, float)))
    if not 0 <= offset < 10:
        raise UsageError(f"{where}[exporter]: timeout_offset must be 0 to 10 seconds")
    tables = _typed(f"{where}[modules]", "table", data.get("modules", {}), dict)
    modules = {name: build_module(name, _typed(f"{where}module {quoted(name, 80)}", "table",
                                               table, dict), where=where, base=base)
               for name, table in tables.items()}
    if not modules:
        modules[DEFAULT_MODULE] = build_module(DEFAULT_MODULE, {})
    listen = settings.get("listen")
    if listen is not None:
        parse_listen(_typed(f"{where}[exporter]", "listen", listen, str),
                     f"{where}[exporter] listen")
    try:
        allowed = AllowList.parse([*patterns, *allow])
    except UsageError as exc:
        raise UsageError(f"{where}{exc.message}") from None
    return ExporterConfig(modules=modules, allow=allowed, concurrency=count,
                          timeout_offset=offset, listen=listen)


def parse_listen(text: str, what: str = "--listen") -> tuple[str, int]:
    """``HOST:PORT`` or ``[IPv6]:PORT``; HOST an IP address or ``localhost``."""
    value = text.strip()
    if value.startswith("[") and "]:" in value:
        host, _, port = value[1:].partition("]:")
    else:
        host, _, port = value.rpartition(":")
    host = "127.0.0.1" if host == "localhost" else host
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise UsageError(f"{what} {quoted(text)}: expected IP:PORT or [IPv6]:PORT, e.g. "
                         "127.0.0.1:9125") from None
    # ASCII digits only: isdigit() is true of "²⁵", which int() then refuses (a crash).
    if not (port.isascii() and port.isdigit()) or not 0 <= int(port) < 65536:
        raise UsageError(f"{what} {quoted(text)}: port must be 0-65535")
    return host, int(port)
