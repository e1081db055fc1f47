"""The API's records keep the exact server text; each record holding a sentence or a reply also
offers it as every smtpdiag output shows it (``shown``: ESC, NUL, bidi overrides, bytes that are
not UTF-8 and backslashes escaped), and ``smtpdiag.shown`` does so for any text, so a library
user prints the shown form without having to know the escaping.  A real hostile server on
loopback."""

from __future__ import annotations

import re

import smtpdiag

from .hostile import GREETING, HostileServer, answering, send

SAID = b"5.1.1 \x1b[31mred \x00nul \xe2\x80\xae rtl \xff byte \\x1b spelled"
EXACT = SAID.decode("utf-8", "surrogateescape")
SHOWN = "5.1.1 \\x1b[31mred \\x00nul \\u202e rtl \\xff byte \\\\x1b spelled"
RAW = re.compile("[\x00-\x1f\x7f-\x9f\u202e\ud800-\udfff]")
SCRIPT = [send(GREETING), answering({b"RCPT": [b"550 " + SAID + b"\r\n"]})]


def test_shown_escapes_any_text_as_the_outputs_do() -> None:
    assert "shown" in smtpdiag.__all__
    assert smtpdiag.shown(EXACT) == SHOWN
    assert smtpdiag.shown("250 OK") == "250 OK"


def test_a_probes_records_keep_the_exact_text_and_offer_it_shown() -> None:
    with HostileServer(SCRIPT) as server:
        report = smtpdiag.probe_sync(server.target, dry_run=True, tls="none", timeout=5)
    rcpt = next(s for s in report.attempts[-1].steps if s.name == "rcpt")
    assert rcpt.reply is not None and rcpt.reply.lines == (EXACT,)
    assert rcpt.reply.shown == f"550 {SHOWN}"
    assert EXACT in report.summary and SHOWN in report.shown and not RAW.search(report.shown)
    findings = [f for a in report.attempts for f in a.findings if EXACT in f.message]
    assert findings and all(SHOWN in f.shown and not RAW.search(f.shown) for f in findings)


def test_a_checks_records_offer_their_sentences_shown() -> None:
    with HostileServer(SCRIPT) as server:
        run = smtpdiag.check_sync([server.target], tls="none", timeout=5)
    result = run.results[0]
    assert result.state == "CRITICAL"
    assert EXACT in result.summary and SHOWN in result.shown and not RAW.search(result.shown)
    assert any(SHOWN in reason.shown for reason in result.reasons)
    assert all(not RAW.search(reason.shown) for reason in result.reasons)


def test_an_error_is_offered_shown_too() -> None:
    from smtpdiag.model import ErrorInfo

    error = ErrorInfo("protocol", f"greeting: {EXACT}", "greeting")
    assert error.shown == f"greeting: {SHOWN}"
