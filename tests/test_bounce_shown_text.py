"""What ``explain`` shows of a bounce's own text: every character of a recipient and a reply is
shown (escaped where it would act on a terminal), in plain output and through rich alike, and
never cut to a part that looks like another address."""

from __future__ import annotations

import re

import pytest

from tests.conftest import run_cli

SGR = re.compile("\x1b\\[[0-9;]*m")


def _dsn(recipient: str, reply: str) -> str:
    return ("From: MAILER-DAEMON@mx.example.net\nTo: bob@example.net\nMIME-Version: 1.0\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
            "--B\nContent-Type: text/plain\n\nReport.\n--B\n"
            "Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
            f"Final-Recipient: rfc822; {recipient}\nAction: failed\nStatus: 5.1.1\n"
            f"Diagnostic-Code: smtp; {reply}\n\n--B--\n")


@pytest.mark.parametrize("env", [{}, {"FORCE_COLOR": "1"}], ids=["plain", "rich"])
def test_a_recipient_and_reply_with_escapes_and_markup_are_shown_whole(tmp_path, env):
    path = tmp_path / "bounce.eml"
    path.write_text(_dsn("\x1b[31m[bold]ann@example.org", "550 5.1.1 [bold]no[/bold] such user"))
    result = run_cli("explain", str(path), env=env)
    assert result.returncode == 0, result.stderr
    shown = SGR.sub("", result.stdout)
    assert "\x1b" not in shown
    assert "> 550 5.1.1 [bold]no[/bold] such user\n" in shown
    assert "Bounce: recipient \\x1b[31m[bold]ann@example.org, action failed, status 5.1.1\n" \
        in shown
