"""The ``exporter`` command: read the configuration, listen, serve until stopped.  Nothing more.

Exit codes: 0 after Ctrl-C or SIGTERM; 2 for a bad option or configuration file (named with
the key at fault) or an address it cannot listen on; 70 for a bug.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError
from .common import EXIT_OK, guarded

__all__ = ["COMMANDS"]

DEFAULT_LISTEN = "127.0.0.1:9125"
EXTRA_HINT = ("the exporter needs the exporter extra: pip install 'smtpdiag[exporter]' "
              "(prometheus-client and aiohttp)")


def exporter(
    listen: Annotated[str | None, typer.Option(
        help=f"HOST:PORT to serve on (default {DEFAULT_LISTEN}, or listen in the config); "
             "loopback unless you say otherwise.")] = None,
    config: Annotated[Path | None, typer.Option(
        help="TOML file with [exporter] settings and [modules.NAME] probe options.")] = None,
    allow: Annotated[list[str] | None, typer.Option(
        help="Targets /probe may touch: a host name, *.domain, an IP, a CIDR, or *; "
             "repeatable (added to the config's allow). Nothing is allowed by default.")
    ] = None,
    concurrency: Annotated[int | None, typer.Option(
        help="Probes run at once (default 10); more wait for a slot within their timeout.")
    ] = None,
) -> None:
    """Prometheus exporter: GET /probe?target=HOST:PORT&module=NAME runs one dry-run probe.

    /metrics has the exporter's own metrics. Exit codes: 0 stopped (Ctrl-C, SIGTERM) ·
    2 bad option or configuration, or cannot listen.
    """
    with guarded():
        try:
            import aiohttp  # noqa: F401
            import prometheus_client  # noqa: F401
        except ImportError:
            raise UsageError(EXTRA_HINT) from None
        import asyncio
        import logging

        from ..exporter.config import load_config, parse_listen
        from ..exporter.server import serve

        settings = load_config(config, allow=allow or [], concurrency=concurrency)
        host, port = parse_listen(listen or settings.listen or DEFAULT_LISTEN)
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger = logging.getLogger("smtpdiag.exporter")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)

        def announce(line: str) -> None:
            sys.stderr.write(f"smtpdiag exporter: {line}\n")
            sys.stderr.flush()

        asyncio.run(serve(settings, host, port, announce))
    raise typer.Exit(EXIT_OK)


COMMANDS = {"exporter": exporter}
