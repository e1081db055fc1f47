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
import struct
import subprocess
import sys
import termios
import time
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
               timeout: float = 60) -> Screen:
    """Run ``python -m smtpdiag ARGS`` on a ``columns``-wide pseudo-terminal."""
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
        while time.monotonic() < end:
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
    finally:
        os.close(primary)
        if secondary != -1:
            os.close(secondary)
    return Screen(returncode, seen.decode("utf-8", "replace").replace("\r\n", "\n"))
