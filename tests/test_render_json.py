"""``json_text``: the one way JSON is written, safe for a terminal and exact for a parser."""

from __future__ import annotations

import json

import pytest

from smtpdiag.render.doc import json_text


@pytest.mark.parametrize("text", [
    "550 5.1.1 plain ASCII",
    "550 DEL\x7f in ASCII",  # the one ASCII character json.dumps leaves raw
    "550 bidi \u202eevil\u202c and C1 \x85",
    "550 中文 ü and \u2028 a line separator",
])
@pytest.mark.parametrize("indent", [None, 2])
def test_json_text_escapes_what_a_terminal_acts_on_and_parses_back(text, indent):
    data = {"input": text, "reason": {"name": "x", "n": [1, None, True]}}
    out = json_text(data, indent=indent)
    assert json.loads(out) == data
    assert not any(0x7f <= ord(c) <= 0x9f or c in "\u061c\u200e\u200f" or 0x2028 <= ord(c) <= 0x202e
                   or 0x2066 <= ord(c) <= 0x2069 for c in out)
    if text.isascii() and "\x7f" not in text:  # nothing to escape: json's own text
        assert out == json.dumps(data, ensure_ascii=False, indent=indent)
    else:
        assert "\\u" in out


@pytest.mark.parametrize(("value", "shown"), [
    (4.9e-05, "0.000049"),  # a greeting answered in 49 µs, in seconds (check's metrics)
    (7.842700000537661e-05, "0.00007842700000537661"),
    (-7.8e-07, "-0.00000078"),
    (1e-4, "0.0001"),  # the smallest json writes plainly itself
    (0.25, "0.25"),
    (1e16, "10000000000000000.0"),  # still a float when read back
    (0.0, "0.0"),
])
@pytest.mark.parametrize("indent", [None, 2])
def test_a_number_is_never_written_in_exponent_form(value, shown, indent):
    data = {"ms": value, "steps": [value], "text": "5e-05 \"1e+16\" \\", "n": 3}
    out = json_text(data, indent=indent)
    assert json.loads(out) == data
    assert type(json.loads(out)["ms"]) is float
    assert f'"ms": {shown}' in out
    assert '"text": "5e-05 \\"1e+16\\" \\\\"' in out  # strings are left as they are


def test_a_probe_report_writes_tiny_times_plainly():
    from smtpdiag.model import Attempt, Report, Step
    from smtpdiag.render.json_report import report_json

    step = Step("greeting", None, None, elapsed_ms=4.9e-05, first_line_ms=1.2e-06)
    report = Report("127.0.0.1:25", "failed", "x", attempts=(
        Attempt("127.0.0.1", "127.0.0.1", 25, "none", steps=(step,), elapsed_ms=3e-05),))
    out = json_text(report_json(report))
    assert '"elapsed_ms": 0.000049,' in out
    assert '"first_line_ms": 0.0000012' in out
    assert '"elapsed_ms": 0.00003,' in out
    assert "e-0" not in out


def test_audit_json_quotes_server_text_in_its_sentences_as_shown() -> None:
    """``audit --json`` as ``probe --json``: its attempts' findings are sentences (shown), their
    replies data (exact)."""
    from smtpdiag.model import Attempt, AuditReport, Finding, Reply, Step
    from smtpdiag.render.audit_view import audit_json

    said = "5.1.1 \x1b[31mno such user \u202e"
    attempt = Attempt(host="mx.test", address="192.0.2.1", port=25, tls_mode="starttls",
                      steps=(Step("rcpt", "RCPT TO:<postmaster@a.test>", Reply(550, (said,))),),
                      findings=(Finding("critical", f"rcpt refused: 550 {said}", "rcpt"),))
    document = audit_json(AuditReport(domain="a.test", verdict="fail",
                                      summary=f"mx.test: 550 {said}", attempts=(attempt,)))
    shown = "5.1.1 \\x1b[31mno such user \\u202e"
    assert document["summary"] == f"mx.test: 550 {shown}"
    assert document["attempts"][0]["findings"][0]["message"] == f"rcpt refused: 550 {shown}"
    assert document["attempts"][0]["steps"][0]["reply"]["lines"] == [said]


def test_audit_json_shows_dns_and_certificate_text_in_findings_and_facts() -> None:
    """An audit finding's ``detail`` and ``subject``, and an area's ``facts``, are sentences
    quoting DNS records, certificate names and banners: ``jq -r`` prints them to a terminal or
    an alert, so an ESC or a bidi override in a TXT record is shown escaped there, as in the
    text report."""
    from smtpdiag.model import AuditArea, AuditFinding, AuditReport
    from smtpdiag.render.audit_view import audit_json

    txt = "v=spf1 include:\x1b[31m\u202eevil -all"
    finding = AuditFinding(id="spf.syntax", area="spf", severity="critical",
                           subject="h\x1b]0;x\x07.test",
                           title="SPF", detail=f"include: needs a domain (in '{txt}')",
                           meaning="m", why="w", fix="f")
    area = AuditArea("spf", "SPF", "fail", facts=(f"h.test TXT: {txt}",), findings=(finding,))
    document = audit_json(AuditReport(domain="h.test", verdict="fail", summary="s",
                                      areas=(area,)))
    shown = "v=spf1 include:\\x1b[31m\\u202eevil -all"
    assert document["areas"][0]["facts"] == [f"h.test TXT: {shown}"]
    assert document["areas"][0]["findings"][0]["detail"] == \
        f"include: needs a domain (in '{shown}')"
    assert document["areas"][0]["findings"][0]["subject"] == "h\\x1b]0;x\\x07.test"
