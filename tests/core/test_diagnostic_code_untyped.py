"""A Diagnostic-Code without its type (``Diagnostic-Code: 550 5.7.1 ...``, no ``smtp;``).

RFC 3464 §2.3.6 asks for a type, but home-grown and some appliance MTAs leave it out.  The
type was matched as any run of letters, digits and hyphens, so the reply code itself was taken
for the type: ``550 5.7.1 rejected`` lost its 550 (and a multi-line ``550-5.7.1`` first line
lost its enhanced code too, read as ``.7.1 rejected``).  A type begins with a letter.  Pure.
"""

from __future__ import annotations

import pytest

from smtpdiag.core.bounce import read_diagnostic
from smtpdiag.core.dsn import read_message


@pytest.mark.parametrize(("field", "code", "enhanced", "message"), [
    ("Diagnostic-Code: 550 5.7.1 rejected", 550, "5.7.1", "rejected"),
    ("Diagnostic-Code: 550-5.7.1 rejected", 550, "5.7.1", "rejected"),
    ("Diagnostic-Code: 452 4.2.2 over quota", 452, "4.2.2", "over quota"),
    ("Diagnostic-Code: 550 user unknown", 550, None, "user unknown"),
    # with a type, as before
    ("Diagnostic-Code: smtp; 550 5.7.1 rejected", 550, "5.7.1", "rejected"),
    ("Diagnostic-Code: SMTP 550 5.7.1 rejected", 550, "5.7.1", "rejected"),
])
def test_the_reply_code_is_never_taken_for_the_type(field: str, code: int,
                                                     enhanced: str | None,
                                                     message: str) -> None:
    found = read_diagnostic(field)
    assert (found.code, found.enhanced, found.message) == (code, enhanced, message), found


def test_a_bounce_with_an_untyped_diagnostic_code_keeps_the_code() -> None:
    message = (
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"Q\"\n\n"
        "--Q\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.test\n\n"
        "Final-Recipient: rfc822; x@y.test\nAction: failed\nStatus: 5.7.1\n"
        "Diagnostic-Code: 550 5.7.1 rejected by policy\n\n--Q--\n")
    records = read_message(message.encode())
    assert len(records) == 1
    found = records[0].diagnostic
    assert (found.code, found.enhanced, found.message) == (550, "5.7.1", "rejected by policy")
