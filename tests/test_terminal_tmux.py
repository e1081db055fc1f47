"""A hostile server's report on a real terminal: tmux, 60 and 120 columns, colour on and off.

The other tests read what smtpdiag writes; this one reads what a terminal makes of it.  A
sequence that slipped through would act here: clear the screen, move the cursor over earlier
lines, set the window title, open a hyperlink.  In a tmux pane every one of them must show as
text, the title must stay ours, and smtpdiag (not the terminal) must have wrapped every line to
the pane's width.  Skipped where tmux is not installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .hostile import HostileServer, expect, send, smtp

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

EVIL = ("\x1b[2J\x1b[1;1H clear \x1b]0;PWNED-TITLE\x07 \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ "
        "bell\x07 c1\u009b31m \u202eevil\u202c [bold red]markup[/bold red] \u200bzw \x1b[5A up")
SCRIPT = [send(b"220-" + EVIL.encode() + b"\r\n220 ready " + b"word " * 30 + b"\r\n"),
          expect(b"EHLO"), send(b"250-x\r\n250 8BITMIME\r\n"), expect(b"MAIL"),
          send(b"250 ok\r\n"), expect(b"RCPT"),
          send(b"550 5.1.1 " + EVIL.encode() + b" " + b"longword " * 20 + b"\r\n"), smtp()]


def _in_tmux(target: str, width: int, colour: bool, tmp_path: Path) -> tuple[str, str]:
    """The probe run in a detached tmux pane of ``width`` columns: (the pane's text, lines
    joined where the terminal itself wrapped them; the pane's title)."""
    socket = f"smtpdiag-test-{os.getpid()}-{width}-{colour}"
    done = tmp_path / "done"
    env = "FORCE_COLOR=1" if colour else "NO_COLOR=1"
    # COLUMNS from the test run would win over the pane's own width: the pane must decide
    command = (f"env -u COLUMNS -u LINES {env} TERM=xterm-256color {sys.executable} -m smtpdiag "
               f"probe {target} --timeout 10 --dry-run --helo c.test; echo EXIT=$? > {done}; "
               "sleep 60")
    tmux = ["tmux", "-L", socket, "-f", "/dev/null"]
    subprocess.run([*tmux, "new-session", "-d", "-x", str(width), "-y", "50", command],
                   check=True, timeout=30)
    try:
        deadline = time.monotonic() + 60
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert done.read_text() == "EXIT=1\n"
        shown = subprocess.run([*tmux, "capture-pane", "-p", "-J", "-S", "-"],
                               capture_output=True, text=True, check=True, timeout=30).stdout
        title = subprocess.run([*tmux, "display-message", "-p", "#{pane_title}"],
                               capture_output=True, text=True, check=True, timeout=30).stdout
    finally:
        subprocess.run([*tmux, "kill-server"], check=False, timeout=30)
    return shown, title.strip()


@pytest.mark.parametrize("width", [60, 120])
@pytest.mark.parametrize("colour", [True, False], ids=["colour", "no-colour"])
def test_a_terminal_shows_every_escape_as_text(width: int, colour: bool, tmp_path: Path) -> None:
    with HostileServer(SCRIPT) as server:
        shown, title = _in_tmux(server.target, width, colour, tmp_path)
    assert "PWNED" not in title
    lines = shown.rstrip("\n").splitlines()
    assert lines[0].startswith("smtpdiag probe 127.0.0.1:")  # never cleared, never overwritten
    assert all(len(line) <= width for line in lines), [line for line in lines if len(line) > width]
    text = " ".join(line.strip() for line in lines)
    # (the OSC 8 link's terminator, ESC and a backslash, shows that backslash as \\)
    for visible in ("\\x1b[2J\\x1b[1;1H clear", "\\x1b]0;PWNED-TITLE\\x07",
                    "\\x1b]8;;http://x\\x1b\\\\link", "c1\\x9b31m", "\\u202eevil\\u202c",
                    "[bold red]markup[/bold red]", "\\u200bzw", "\\x1b[5A up"):
        assert visible in text, visible
    assert text.count("PWNED-TITLE") == 4  # greeting, rcpt reply, finding, verdict
    verdict = next(i for i, line in enumerate(lines) if line.startswith("Verdict: REFUSED"))
    assert lines[verdict - 1] == ""
    assert "refused at rcpt: 550" in lines[verdict]
