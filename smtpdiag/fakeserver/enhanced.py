"""RFC 3463 enhanced status codes for the replies aiosmtpd writes itself.

The fake server advertises ENHANCEDSTATUSCODES, and RFC 2034 then obliges it to prefix every
reply except the greeting and the answers to HELO/EHLO with one.  aiosmtpd's stock replies
("250 OK", "503 Error: need MAIL command", ...) carry none, so they are completed here, at the
one place where replies leave the server, instead of re-implementing aiosmtpd's command handlers.
Scenario replies already carry their codes and pass through unchanged.
"""

from __future__ import annotations

import re

__all__ = ["with_enhanced_code"]

_STATUS_LINE = re.compile(r"([245])(\d\d)([ -])(.*)\Z", re.DOTALL)
_HAS_ENHANCED = re.compile(r"[245]\.\d{1,3}\.\d{1,3}(?: |\Z)")

# aiosmtpd wordings replaced by the ones a Postfix server would send for the same event.
_REWORDED = {
    "552 Error: message size exceeds fixed maximum message size": (
        "552 5.3.4 Message size exceeds fixed limit"
    ),
    "552 Error: Too much mail data": "552 5.3.4 Error: message file too big",
}

_BY_CODE = {
    "220": "2.0.0",  # STARTTLS "Ready to start TLS" (the greeting never comes here)
    "221": "2.0.0",
    "235": "2.7.0",
    "250": "2.0.0",
    "252": "2.0.0",
    "451": "4.3.0",
    "454": "4.7.0",
    "500": "5.5.2",
    "501": "5.5.4",
    "502": "5.5.1",
    "503": "5.5.1",
    "504": "5.5.4",
    "530": "5.7.0",
    "535": "5.7.8",
    "538": "5.7.11",
    "552": "5.3.4",
    "553": "5.1.3",
    "554": "5.7.0",
    "555": "5.5.4",
}

# "250 OK" means different things after MAIL and RCPT (RFC 3463 section 3.2 and 3.3).
_BY_VERB = {("250", "MAIL"): "2.1.0", ("250", "RCPT"): "2.1.5"}


def _complete_line(line: str, verb: str | None) -> str:
    if line in _REWORDED:
        return _REWORDED[line]
    match = _STATUS_LINE.match(line)
    if match is None:  # 334 challenges, 354, or not a status line at all
        return line
    klass, rest, separator, text = match.groups()
    if _HAS_ENHANCED.match(text):
        return line
    code = klass + rest
    enhanced = _BY_VERB.get((code, verb or "")) or _BY_CODE.get(code) or f"{klass}.0.0"
    return f"{code}{separator}{enhanced} {text}".rstrip()


def with_enhanced_code(reply: str, verb: str | None) -> str:
    """``reply`` (one or more CRLF-separated lines) with an enhanced code on each status line.

    ``verb`` is the command being answered (None outside a command); it only refines 250.
    Lines that already carry an enhanced code are returned untouched.
    """
    return "\r\n".join(_complete_line(line, verb) for line in reply.split("\r\n"))
