"""The exporter's HTTP side: an aiohttp application on the probes' own event loop.

``/probe`` answers 200 with ``smtpdiag_probe_success 0`` when a server misbehaves (that is a
result); an HTTP error status only means the request itself was refused: 400 (no or bad target,
unknown module, bad scrape-timeout header), 403 (target not on the allow-list), 503 (no free
probe slot in time).  A probe never outlives the scrape: it gets the
``X-Prometheus-Scrape-Timeout-Seconds`` header less ``timeout_offset``, or the module's timeout
when that is shorter, waiting for a slot included.  The AUTH passwords of the configuration are
scrubbed from every response body and log line as a last line of defence; none is ever put in
one to begin with.
"""

from __future__ import annotations

import asyncio
import html
import logging
import math
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from .. import __version__
from ..core.health import judge
from ..core.replies import Redactor, secret_forms
from ..core.targets import parse_target
from ..core.text import shorten
from ..errors import UsageError, quoted
from ..model import AuditReport, Report
from ..net.fleet import probe_many
from ..render.doc import clean
from .config import DEFAULT_MODULE, ExporterConfig, Module
from .metrics import AuditCollector, ProbeCollector, success

__all__ = ["TIMEOUT_HEADER", "Exporter", "redactor"]

TIMEOUT_HEADER = "X-Prometheus-Scrape-Timeout-Seconds"
MIN_BUDGET = 0.2  # seconds: less than this left for a probe is not worth starting
QUEUE_FACTOR = 10  # requests that may wait for a slot, per slot; more are refused at once
log = logging.getLogger("smtpdiag.exporter")


class _OneLine(logging.Filter):
    """aiohttp logs a request it could not parse (a request line beyond its 8190 bytes, a
    header it refuses) with a traceback: one escaped, shortened line instead, a warning (the
    client's fault, answered 400)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            said = " ".join(str(exc).split())
            where = record.getMessage().replace("Error handling request", "").strip()
            record.msg = clean(shorten(f"refused a malformed HTTP request {where}: "
                                       f"{type(exc).__name__}: {said}", 300))
            record.args, record.exc_info, record.exc_text = (), None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


http_log = logging.getLogger("smtpdiag.exporter.http")  # aiohttp's own messages
http_log.addFilter(_OneLine())


def redactor(secrets: tuple[str, ...], users: tuple[str, ...] = ()) -> Redactor:
    """Hides every secret of the config, and each form AUTH sends it in, in what is served.

    Forms shorter than three characters are left: hiding every "0" of a metrics page would
    break the page and hide nothing a reader could not guess.
    """
    forms = (form for secret in secrets for form in secret_forms(secret, (*users, "")))
    return Redactor(form for form in forms if len(form) >= 3)


class _Metrics:
    """The exporter's own metrics, in a registry of its own (served on /metrics)."""

    def __init__(self) -> None:
        # the *_created series only double what Prometheus stores itself
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        info = Gauge("smtpdiag_exporter_build_info", "smtpdiag version", ["version"],
                     registry=self.registry)
        info.labels(__version__).set(1)
        self.probes = Counter("smtpdiag_exporter_probes", "Probes run, by module and result",
                              ["module", "result"], registry=self.registry)
        self.refused = Counter("smtpdiag_exporter_requests_refused", "Probe requests refused "
                               "before probing, by reason", ["reason"], registry=self.registry)
        self.in_flight = Gauge("smtpdiag_exporter_probes_in_flight", "Probes running now",
                               registry=self.registry)
        self.waiting = Gauge("smtpdiag_exporter_probes_waiting", "Requests waiting for a slot",
                             registry=self.registry)
        self.duration = Histogram("smtpdiag_exporter_probe_duration_seconds",
                                  "Seconds each probe took, by module", ["module"],
                                  registry=self.registry,
                                  buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))


class _Refused(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message


class Exporter:
    """The application: ``app`` for aiohttp, the state behind it (slots, metrics)."""

    def __init__(self, config: ExporterConfig) -> None:
        self.config = config
        users = tuple(m.options.auth_user for m in config.modules.values()
                      if m.options.auth_user)
        self.redact = redactor(config.secrets, users)
        self.metrics = _Metrics()
        self.slots = asyncio.Semaphore(config.concurrency)
        self.waiting = 0
        self.app = web.Application(middlewares=[self._guard])
        self.app.router.add_get("/", self.index)
        self.app.router.add_get("/probe", self.probe)
        self.app.router.add_get("/metrics", self.own_metrics)

    def _text(self, status: int, text: str) -> web.Response:
        return web.Response(status=status, text=self.redact(clean(text)) + "\n")

    def _log(self, level: int, text: str) -> None:
        log.log(level, self.redact(clean(text)))

    @web.middleware
    async def _guard(self, request: web.Request,
                     handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                     ) -> web.StreamResponse:
        """A refusal becomes its status and one line; a bug one line too, never a traceback."""
        try:
            return await handler(request)
        except _Refused as refusal:
            self.metrics.refused.labels(refusal.reason).inc()
            self._log(logging.INFO, f"refused {request.path_qs}: {refusal.message}")
            return self._text(refusal.status, refusal.message)
        except web.HTTPException:
            raise
        except Exception as exc:  # a bug: one line in the log and in the answer
            self._log(logging.ERROR, f"internal error ({type(exc).__name__}) on "
                      f"{request.path_qs}: {exc}")
            return self._text(500, f"internal error ({type(exc).__name__}); see the log")

    def _module(self, request: web.Request) -> Module:
        name = request.query.get("module", DEFAULT_MODULE)
        module = self.config.modules.get(name)
        if module is None:
            known = ", ".join(sorted(self.config.modules))
            raise _Refused(400, "unknown-module",
                           f"unknown module {quoted(name, 80)}; known: {known}")
        return module

    def _budget(self, request: web.Request, module: Module) -> float:
        header = request.headers.get(TIMEOUT_HEADER)
        if header is None:
            return module.timeout
        try:
            scrape = float(header)
        except ValueError:
            scrape = math.nan
        if not math.isfinite(scrape) or scrape <= 0:
            raise _Refused(400, "bad-request", f"{TIMEOUT_HEADER}: {quoted(header, 80)} is not a "
                           "positive number of seconds")
        offset = self.config.timeout_offset
        # A scrape timeout shorter than the offset still leaves the probe half of it.
        return min(module.timeout, scrape - offset if scrape > 2 * offset else scrape / 2)

    async def probe(self, request: web.Request) -> web.Response:
        started = time.monotonic()
        target = request.query.get("target", "").strip()
        if not target:
            raise _Refused(400, "bad-request", "the target parameter is missing "
                           "(/probe?target=mx.example.com:25&module=NAME)")
        module = self._module(request)
        try:
            host = parse_target(target, port=module.options.port,
                                no_mx=module.options.no_mx).host
        except UsageError as exc:
            raise _Refused(400, "bad-target", str(exc)) from None  # it names the target
        if not self.config.allow.allows(host):
            why = ("no target is allowed: start the exporter with --allow PATTERN or set "
                   "allow in [exporter]" if self.config.allow.empty else
                   f"{host} is not on the allow-list")
            raise _Refused(403, "not-allowed", f"target {quoted(target)} refused: {why}")
        budget = self._budget(request, module)
        if self.waiting >= self.config.concurrency * QUEUE_FACTOR:
            raise _Refused(503, "busy", f"{self.waiting} probe requests are already waiting")
        self.waiting += 1
        self.metrics.waiting.inc()
        try:
            async with asyncio.timeout(budget):
                await self.slots.acquire()
        except TimeoutError:
            raise _Refused(503, "busy", f"no free probe slot within {budget:g} s "
                           f"({self.config.concurrency} probes running)") from None
        finally:
            self.waiting -= 1
            self.metrics.waiting.dec()
        try:
            self.metrics.in_flight.inc()
            left = budget - (time.monotonic() - started)
            if left < MIN_BUDGET:
                raise _Refused(503, "busy", f"waited {budget - left:.2f} s for a probe slot; "
                               "too little of the scrape timeout is left to probe")
            return await self._run(request, module, target, left)
        finally:
            self.metrics.in_flight.dec()
            self.slots.release()

    async def _run(self, request: web.Request, module: Module, target: str,
                   left: float) -> web.Response:
        from dataclasses import replace

        options = replace(module.options, timeout=min(module.options.timeout, left),
                          deadline=left)
        async def run_probe() -> Report:
            # The fleet's one-target run: a report whatever happens, cut off at the deadline.
            found = [r async for _, r in probe_many([target], options, concurrency=1,
                                                    deadline=left)]
            return found[0]

        parsed = parse_target(target, port=options.port, no_mx=options.no_mx)
        audit_report: AuditReport | None = None
        if module.audit and parsed.mail_domain:
            report, audit_report = await asyncio.gather(
                run_probe(), self._audit(module, parsed.host, left))
        else:
            report = await run_probe()
        result = judge(report, module.thresholds, all_hosts=options.all_mx)
        ok = success(result, fail_on_warning=module.fail_on_warning)
        self.metrics.probes.labels(module.name, "success" if ok else "failure").inc()
        self.metrics.duration.labels(module.name).observe(report.elapsed_ms / 1000)
        self._log(logging.INFO, f"probe module={module.name} target={target} "
                  f"state={result.state} success={int(ok)} "
                  f"seconds={report.elapsed_ms / 1000:.3f}: {result.summary}")
        registry = CollectorRegistry(auto_describe=False)
        registry.register(ProbeCollector(result, fail_on_warning=module.fail_on_warning))
        if module.audit and parsed.mail_domain:
            registry.register(AuditCollector(audit_report))
        return self._exposition(request, registry)

    async def _audit(self, module: Module, domain: str, left: float) -> AuditReport | None:
        """The audit of ``domain`` with the module's options, or None if it ran out of time."""
        from ..net.audit import AuditOptions, audit

        options = module.options
        settings = AuditOptions(nameserver=options.nameserver,
                                timeout=min(options.timeout, left), ca_file=options.ca_file,
                                port=options.port or 25, https_port=module.audit_https_port,
                                helo=options.helo)
        try:
            async with asyncio.timeout(left):
                return await audit(domain, settings)
        except TimeoutError:
            return None

    def _exposition(self, request: web.Request, registry: CollectorRegistry) -> web.Response:
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        body = self.redact(encoder(registry).decode()).encode()
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def own_metrics(self, request: web.Request) -> web.Response:
        return self._exposition(request, self.metrics.registry)

    async def index(self, request: web.Request) -> web.Response:
        modules = "".join(
            f"<li><code>{html.escape(m.name)}</code>: port {m.options.port or 25}, tls "
            f"{html.escape(m.options.tls)}, timeout {m.timeout:g} s"
            f"{', AUTH' if m.options.auth_user else ''}"
            f"{'' if m.options.dry_run else ', sends a test message'}</li>"
            for m in self.config.modules.values())
        example = html.escape(f"/probe?target=mx.example.com:25&module="
                              f"{next(iter(self.config.modules))}")
        page = (
            "<!doctype html><html><head><meta charset='utf-8'><title>smtpdiag exporter</title>"
            "</head><body><h1>smtpdiag exporter</h1>"
            f"<p>Version {html.escape(__version__)}. Probe a mail server: "
            f"<a href='{example}'>{example}</a>. The exporter's own metrics: "
            "<a href='/metrics'>/metrics</a>.</p>"
            f"<p>Allowed targets: {html.escape(self.config.allow.describe())}. "
            f"At most {self.config.concurrency} probes at once.</p>"
            f"<h2>Modules</h2><ul>{modules}</ul></body></html>")
        return web.Response(text=self.redact(page), content_type="text/html")


def _where(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def serve(config: ExporterConfig, host: str, port: int,
                announce: Callable[[str], None], stop: asyncio.Event | None = None) -> None:
    """Listen until ``stop`` is set (or SIGINT/SIGTERM); ``announce`` gets the start-up lines.

    Port 0 picks a free port; the announced address has the real one.
    """
    import ipaddress
    import signal
    import socket

    family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {_where(host, port)}: {exc.strerror}") from None
    exporter = Exporter(config)
    runner = web.AppRunner(exporter.app, access_log=None, handle_signals=False, logger=http_log)
    await runner.setup()
    stop = stop if stop is not None else asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await web.SockSite(runner, sock).start()
        bound = sock.getsockname()
        announce(f"listening on http://{_where(host, bound[1])}/ (modules: "
                 f"{', '.join(config.modules)}; concurrency {config.concurrency})")
        if config.allow.empty:
            announce("warning: no target is allowed yet; every /probe is refused until you "
                     "give --allow PATTERN (or allow in the config)")
        else:
            announce(f"allowed targets: {config.allow.describe()}")
        if not ipaddress.ip_address(host).is_loopback:
            announce(f"warning: listening beyond loopback ({host}): anyone who reaches this "
                     "port can make it probe the allowed targets")
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await runner.cleanup()
        sock.close()
