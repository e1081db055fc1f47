"""``core/findings``: the default recipient's finding word for word, and which RCPT refusal is
the recipient's own (the first refused RCPT not refused for the client's sake)."""

from __future__ import annotations

from smtpdiag.core.findings import recipient_findings, refused_recipient, with_findings
from smtpdiag.model import Attempt, Finding, Reply, Step

CHOSEN = ("postmaster@mx.example.test", "no --to was given; postmaster must be accepted")


def attempt(*steps: Step) -> Attempt:
    return Attempt("mx.example.test", "192.0.2.1", 25, "starttls", steps)


def rcpt(code: int | None) -> Step:
    return Step("rcpt", "RCPT", None if code is None else Reply(code, ("x",)))


def test_the_first_refused_rcpt_is_the_recipients_refusal() -> None:
    later = rcpt(551)
    assert refused_recipient(attempt(rcpt(250), rcpt(None), later, rcpt(550))) is later.reply
    assert refused_recipient(attempt(Step("mail", "MAIL", Reply(550, ("no",))), rcpt(250))) \
        is None
    assert refused_recipient(attempt(rcpt(250), rcpt(None))) is None


def test_a_refused_default_recipient_says_to_name_one() -> None:
    assert recipient_findings(attempt(rcpt(250), rcpt(553)), CHOSEN) == (Finding(
        "warning", "the recipient <postmaster@mx.example.test> was refused (553): no --to was "
        "given; postmaster must be accepted. Probe again with --to and an address you mean to "
        "reach", "rcpt"),)


def test_the_recipient_finding_comes_after_the_attempts_own() -> None:
    judged = with_findings(attempt(rcpt(550)), recipient=CHOSEN)
    assert [(f.severity, f.message[:24]) for f in judged.findings] == [
        ("critical", "rcpt refused: 550 x"), ("warning", "the recipient <postmaste")]
