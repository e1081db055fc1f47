"""Where every run starts: ``python -m smtpdiag`` and the ``smtpdiag`` console script.

Ctrl-C first: the handler that makes an interrupt quiet (``interrupt.py``) is installed by the
package's ``__init__`` already, and again here for a caller that imports this module in a
process not named smtpdiag; either way before the command line's imports start.

A run is a short-lived process that allocates a few hundred thousand long-lived objects while
importing (typer, asyncio, aiosmtplib) and little garbage after.  With the collector's default
settings, CPython spends about a sixth of a dry-run probe collecting those objects: during the
imports, and again in the full collection at interpreter exit.  So a run raises the first
collection threshold (garbage is still collected, just in larger batches, which matters for
``check`` over thousands of hosts) and freezes what is left before exiting, which skips that
last collection; nothing else about exit changes (atexit handlers and stream flushing still run).
Measured with ``bench/bench_probe.py``: about 20 ms of a 125 ms probe.
"""

from .interrupt import install as _quiet_interrupts

_quiet_interrupts()

import gc  # noqa: E402  (after the interrupt handler, on purpose)


def main() -> None:
    """Console-script entry point (see ``smtpdiag.cli.main`` for the command line itself)."""
    _quiet_interrupts()
    gc.set_threshold(50_000, 10, 10)
    from .cli import main as run_cli

    try:
        run_cli()
    finally:
        gc.freeze()


if __name__ == "__main__":
    main()
