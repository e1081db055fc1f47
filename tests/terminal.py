"""Run the real CLI on a real pseudo-terminal of a given size, as a person would see it.

``CliRunner`` and pipes never show what a terminal shows: whether a person is watching is
decided by ``isatty`` and the window size by ``TIOCGWINSZ``.  Here stdin, stdout and stderr are
the secondary side of a pty sized ``columns`` x ``rows``; what the program writes is read back
from the primary side (stdout and stderr together, as on a screen).
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

SGR = re.compile(r"\x1b\[[0-9;]*m")
ANY_ESCAPE = re.compile(r"\x1b(\[[0-9;?]*[A-Za-z]|\][^\x07]*\x07)")


@dataclass
class Screen:
    returncode: int
    raw: str  # everything written, escape sequences included, newlines normalised

    @property
    def seen(self) -> str:
        """Everything that was ever shown, transient lines included, without escapes."""
        return ANY_ESCAPE.sub("", self.raw)

    @property
    def text(self) -> str:
        """What is left once escape sequences are taken out; of a line rewritten in place
        (``\r``, a progress bar), its last state."""
        plain = ANY_ESCAPE.sub("", self.raw)
        return "\n".join(line.rsplit("\r", 1)[-1] for line in plain.split("\n"))

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


def run_in_pty(*args: str, columns: int, rows: int = 50, env: dict[str, str] | None = None,
               timeout: float = 60, ready: str | None = None,
               during: Callable[[], None] | None = None) -> Screen:
    """Run ``python -m smtpdiag ARGS`` on a ``columns``-wide pseudo-terminal.

    For a command that runs until stopped (``serve``): once ``ready`` has been shown,
    ``during()`` runs (in a thread, while the screen is still read), then the command gets
    SIGINT, as Ctrl-C sends it.
    """
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("FORCE_COLOR", "NO_COLOR", "COLUMNS", "LINES")}
    full_env.update({"TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "",
                     "PYTHONIOENCODING": "utf-8"})
    full_env.update(env or {})
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    try:
        process = subprocess.Popen([sys.executable, "-m", "smtpdiag", *args], stdin=secondary,
                                   stdout=secondary, stderr=secondary, env=full_env,
                                   start_new_session=True)
        os.close(secondary)
        secondary = -1
        seen = b""
        end = time.monotonic() + timeout
        helper: threading.Thread | None = None
        failed: list[BaseException] = []

        def act() -> None:
            try:
                assert during is not None
                during()
            except BaseException as exc:  # re-raised in the test's thread
                failed.append(exc)
            finally:
                os.killpg(process.pid, signal.SIGINT)

        while time.monotonic() < end:
            if (ready is not None and helper is None
                    and ready in ANY_ESCAPE.sub("", seen.decode("utf-8", "replace"))):
                helper = threading.Thread(target=act if during else lambda: os.killpg(
                    process.pid, signal.SIGINT), daemon=True)
                helper.start()
            if not select.select([primary], [], [], 0.2)[0]:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # Linux reports the closed far end as EIO
                break
            if not chunk:
                break
            seen += chunk
        returncode = process.wait(timeout=max(1.0, end - time.monotonic()))
        if helper is not None:
            helper.join(timeout=10)
        if failed:
            raise failed[0]
    finally:
        os.close(primary)
        if secondary != -1:
            os.close(secondary)
    return Screen(returncode, seen.decode("utf-8", "replace").replace("\r\n", "\n"))
