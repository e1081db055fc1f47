"""Hostile servers: every one ends in one clear message naming the step, within the deadline.

Each case is driven through the real CLI twice, as a user would: once for the human view (and
the ``--transcript`` file), once with ``--json``.  Exit codes, as decided for this tool:

* 1 ("refused"): the server gave a proper SMTP refusal, a well-formed 4xx/5xx reply — a 421 or
  554 greeting, a 421 answer in the middle of the session;
* 3 ("could not complete"): anything else that stops the walk — a closed connection, silence,
  bytes that are not SMTP, a failed TLS handshake or certificate.

A 421 the server sends unasked and then hangs up (RFC 5321 §3.8 allows it at any time) is the
answer to the command in flight — a refusal, exit 1 — whether it arrived just before or just
after that command went out; other unasked bytes before a hang-up are quoted in the message.

The JSON report stays valid against the shipped schema in every case, and carries the error
(kind, step, message) in the attempt that failed.  Servers that crawl or flood (a tarpit, a
20,000-line EHLO) are in ``test_hostile_volume.py``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from smtpdiag.fakeserver import Certs

from .conftest import assert_no_traceback, assert_valid, run_cli
from .hostile import (
    EHLO_OK,
    GREETING,
    HostileServer,
    Script,
    close,
    expect,
    hang,
    receive,
    send,
    sleep,
    smtp,
    start_tls,
    trickle,
)

STARTTLS_EHLO = b"250-hostile.test\r\n250 STARTTLS\r\n"
STARTTLS_OK = [send(GREETING), expect(b"EHLO"), send(STARTTLS_EHLO), expect(b"STARTTLS"),
               send(b"220 2.0.0 go ahead\r\n")]
AT_MAIL = [send(GREETING), expect(b"EHLO"), send(EHLO_OK), expect(b"MAIL")]
AT_RCPT = [*AT_MAIL, send(b"250 2.1.0 ok\r\n"), expect(b"RCPT")]
SLACK = 1.0  # the brief: a deadline is honoured within one second
STARTUP = 3.0  # what a subprocess may add on a busy machine (typically 0.2 s)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Certs]:
    found = {}
    for kind in ("good", "expired", "self-signed", "wrong-host"):
        directory = tmp_path_factory.mktemp(kind)
        found[kind] = Certs.create(str(directory), kind=kind)  # type: ignore[arg-type]
    return found


@dataclass(frozen=True)
class Case:
    """A hostile server and what smtpdiag must make of it."""

    name: str
    script: Callable[[dict[str, Certs]], Script]
    exit: int
    step: str | None = None  # the step named in the message
    kind: str | None = None  # the error kind in the JSON
    words: tuple[str, ...] = ()  # must appear in the message
    implicit: str | None = None  # the certificate kind of an implicit-TLS server
    shown: tuple[str, ...] = ()  # must appear in the human view
    timeout: float = 1.0


def _s(*actions: Any) -> Callable[[dict[str, Certs]], Script]:
    return lambda certs: list(actions)


def _starttls_then(*actions: Any) -> Callable[[dict[str, Certs]], Script]:
    return lambda certs: [*STARTTLS_OK, *actions]


CASES = [
    # proper refusals: exit 1 (for good, 5xx) or 4 (for now, 4xx: deferred)
    Case("421-greeting", _s(send(b"421 4.3.2 too busy, try later\r\n"), close()), 4,
         "greeting", None, ("421", "too busy")),
    Case("554-greeting", _s(send(b"554 5.7.1 no service for you\r\n"), smtp()), 1,
         "greeting", None, ("554", "no service")),
    Case("554-greeting-then-silent", _s(send(b"554 5.7.1 go away\r\n"), hang()), 1,
         "greeting", None, ("554", "go away"), timeout=0.5),  # QUIT gets no answer, in time
    Case("421-mid-session", _s(*AT_MAIL, send(b"421 4.4.2 idle too long\r\n"), close()), 4,
         "mail", None, ("421", "idle too long")),
    # RFC 5321 §3.8: a 421 sent unasked before a hang-up answers the next command (whether it
    # arrives before or after that command went out, the outcome is the same)
    Case("unsolicited-421-then-close",
         _s(send(GREETING), expect(b"EHLO"), send(EHLO_OK + b"421 4.3.2 shutting down\r\n"),
            close()), 4, "mail", None, ("421", "shutting down")),
    Case("421-after-a-pause-then-close",
         _s(send(GREETING), expect(b"EHLO"), send(EHLO_OK), sleep(0.05),
            send(b"421 4.3.2 shutting down\r\n"), close()), 4, "mail", None,
         ("421", "shutting down")),
    # closed connections: exit 3
    Case("closed-before-greeting", _s(close()), 3, "greeting", "connect",
         ("closed the connection",)),
    Case("closed-after-greeting", _s(send(GREETING), close()), 3, "ehlo", "connect",
         ("closed the connection",)),
    Case("closed-at-ehlo", _s(send(GREETING), expect(b"EHLO"), close()), 3, "ehlo", "connect",
         ("closed the connection",)),
    Case("closed-after-ehlo-reply", _s(send(GREETING), expect(b"EHLO"), send(EHLO_OK), close()),
         3, "mail", "connect", ("closed the connection",)),
    Case("closed-at-mail", _s(*AT_MAIL, close()), 3, "mail", "connect",
         ("closed the connection",)),
    Case("closed-at-rcpt", _s(*AT_RCPT, close()), 3, "rcpt", "connect",
         ("closed the connection",)),
    Case("closed-at-starttls", _s(send(GREETING), expect(b"EHLO"), send(STARTTLS_EHLO),
                                  expect(b"STARTTLS"), close()),
         3, "starttls", "connect", ("closed the connection",)),
    Case("closed-after-starttls-220", _starttls_then(close()), 3, "tls", "connect",
         ("closed the connection before the TLS handshake completed",)),
    Case("closed-during-handshake", _starttls_then(receive(), close()), 3, "tls", "connect",
         ("closed the connection before the TLS handshake completed",)),
    Case("unsolicited-junk-then-close",
         _s(send(GREETING), expect(b"EHLO"), send(EHLO_OK + b"are you there?\r\n"), close()),
         3, "mail", "connect", ("closed the connection", "unasked", "are you there?")),
    # not SMTP: exit 3
    Case("not-smtp", _s(send(b"HELLO I AM NOT SMTP\r\n"), hang()), 3, "greeting", "protocol",
         ("not an SMTP reply line", "HELLO I AM NOT SMTP")),
    Case("no-code", _s(send(b"Welcome to my server\r\n"), hang()), 3, "greeting", "protocol",
         ("not an SMTP reply line", "Welcome")),
    Case("code-699", _s(send(b"699 six hundred\r\n"), hang()), 3, "greeting", "protocol",
         ("699", "not an SMTP code")),
    Case("code-2500", _s(send(b"2500 two thousand\r\n"), hang()), 3, "greeting", "protocol",
         ("2500", "not three digits")),
    Case("mixed-codes", _s(send(GREETING), expect(b"EHLO"),
                           send(b"250-hostile.test\r\n251-SIZE 100\r\n250 8BITMIME\r\n"), hang()),
         3, "ehlo", "protocol", ("mixes codes 250 and 251",)),
    Case("2mb-line", _s(send(b"220 " + b"x" * 2_000_000), hang()), 3, "greeting", "protocol",
         ("reply line with no line end in its first 65536 bytes (RFC 5321 allows 512 in "
          "all); it began '220 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'",)),
    # a megabyte, then a line end: still no line end where smtpdiag stopped reading
    Case("1mb-line-with-crlf", _s(send(GREETING), expect(b"EHLO"),
                                  send(b"250 " + b"A" * 1_000_000 + b"\r\n"), hang()), 3,
         "ehlo", "protocol", ("reply line with no line end in its first 65536 bytes",)),
    # silence and slowness: exit 3 within the deadline
    Case("never-speaks", _s(hang()), 3, "greeting", "timeout",
         ("no complete answer within 0.5 s", "nothing was received"), timeout=0.5),
    Case("trickles", _s(trickle(GREETING, 1.0)), 3, "greeting", "timeout",
         ("no complete answer within 0.5 s", "(1 byte of an unfinished reply was received: "
          "'2')"), timeout=0.5),
    Case("no-line-end-then-silent", _s(send(b"220 ready \x1b[2J"), hang()), 3, "greeting",
         "timeout", ("no complete answer within 0.5 s", "(14 bytes of an unfinished reply were "
                     "received: '220 ready \\x1b[2J')"), timeout=0.5),
    Case("silent-after-starttls-220", _starttls_then(hang()), 3, "tls", "timeout",
         ("TLS handshake", "did not finish within 0.5 s"), timeout=0.5),
    # TLS: exit 3, each failure named
    Case("starttls-garbage", _starttls_then(receive(), send(b"NOT TLS AT ALL\r\n" * 20), hang()),
         3, "tls", "tls", ("handshake", "did not answer with TLS")),
    Case("implicit-expired", _s(send(GREETING), smtp()), 3, "tls", "tls",
         ("certificate verification failed", "expired"), implicit="expired"),
    Case("implicit-self-signed", _s(send(GREETING), smtp()), 3, "tls", "tls",
         ("certificate verification failed", "self-signed"), implicit="self-signed"),
    Case("implicit-wrong-host", _s(send(GREETING), smtp()), 3, "tls", "tls",
         ("certificate verification failed", "mismatch", "not valid for '127.0.0.1'"),
         implicit="wrong-host"),
    # odd but harmless: exit 0
    Case("bare-lf", _s(send(b"220 lf.test ready\n"), expect(b"EHLO"),
                       send(b"250-lf.test\n250 SIZE 1000000\n"), smtp(b"250 lf.test\n")), 0,
         shown=("220 lf.test ready", "250 SIZE 1000000", "SIZE 976.6 KiB")),
    Case("invalid-utf8-and-latin1", _s(send(b"220 caf\xe9 \xff\xfe\xc3 ready\r\n"), smtp()), 0,
         shown=("220 caf\\xe9 \\xff\\xfe\\xc3 ready",)),
]


# What smtpdiag sent each server (the verbs the server read): no QUIT into a protocol error or a
# closed connection, a QUIT after a refusal, and nothing past the step that failed.
WALK = ["EHLO", "MAIL", "RCPT", "RSET", "QUIT"]
SENT = {
    "421-greeting": [], "554-greeting": ["QUIT"], "554-greeting-then-silent": ["QUIT"],
    "421-mid-session": ["EHLO", "MAIL"], "unsolicited-421-then-close": ["EHLO"],
    "421-after-a-pause-then-close": ["EHLO"], "closed-before-greeting": [],
    "closed-after-greeting": [], "closed-at-ehlo": ["EHLO"], "closed-after-ehlo-reply": ["EHLO"],
    "closed-at-mail": ["EHLO", "MAIL"], "closed-at-rcpt": ["EHLO", "MAIL", "RCPT"],
    "closed-at-starttls": ["EHLO", "STARTTLS"],
    # a hang-up inside the handshake may be a refused TLS version: one diagnostic connection
    # walks to the handshake again to see what the server offers, and sends nothing after it
    "closed-after-starttls-220": [["EHLO", "STARTTLS"], ["EHLO", "STARTTLS"] * 2],
    "closed-during-handshake": [["EHLO", "STARTTLS"], ["EHLO", "STARTTLS"] * 2],
    "unsolicited-junk-then-close": ["EHLO"],
    "not-smtp": [], "no-code": [], "code-699": [], "code-2500": [], "mixed-codes": ["EHLO"],
    "2mb-line": [], "1mb-line-with-crlf": ["EHLO"], "never-speaks": [], "trickles": [],
    "no-line-end-then-silent": [],
    "silent-after-starttls-220": ["EHLO", "STARTTLS"], "starttls-garbage": ["EHLO", "STARTTLS"],
    # the certificate is recorded over a second, unverified connection that stops after TLS
    # (EHLO, QUIT; on a loaded machine the 1 s step timeout may end it first): never MAIL
    "implicit-expired": [[], ["EHLO", "QUIT"]], "implicit-self-signed": [[], ["EHLO", "QUIT"]],
    "implicit-wrong-host": [[], ["EHLO", "QUIT"]],
    "bare-lf": WALK, "invalid-utf8-and-latin1": WALK,
}


def verbs(received: list[bytes]) -> list[str]:
    """The command verbs read; a TLS ClientHello a hanging script reads as "lines" is not one
    (whether its bytes are read before the server stops depends on timing)."""
    found = []
    for line in received:
        if line.startswith(b"\x16\x03"):  # a TLS record: the rest is the handshake's bytes
            break
        found.append(line.split(b" ")[0].strip().decode("ascii", "replace"))
    return found


def test_every_case_says_what_smtpdiag_sends() -> None:
    assert sorted(SENT) == sorted(case.name for case in CASES)


def _server(case: Case, certs: dict[str, Certs]) -> HostileServer:
    context = certs[case.implicit].server_context() if case.implicit else None
    return HostileServer(case.script(certs), ssl_context=context)


def _args(case: Case, server: HostileServer, certs: dict[str, Certs]) -> list[str]:
    args = ["probe", server.target, "--timeout", f"{case.timeout:g}", "--dry-run",
            "--helo", "client.test", "--ca-file", certs[case.implicit or "good"].ca_file]
    if case.step == "tls" and not case.implicit:  # on port 25's STARTTLS-when-offered a
        args += ["--tls", "starttls"]  # failed handshake walks again in plaintext (fallback)
    return [*args, "--tls", "implicit"] if case.implicit else args


def _tls_work(case: Case, certs: dict[str, Certs]) -> tuple[float, float]:
    """What the CLI takes (wall, walk) for an implicit-TLS case's work done right, just before
    it: on a loaded machine loading the TLS verifier took 9 s of wall and 2.1 s of walk; only
    the wait beyond that work is the deadline's to bound.  Other cases only wait: (0, 0)."""
    return _work_done_right(certs, implicit=True) if case.implicit else (0.0, 0.0)


def _work_done_right(certs: dict[str, Certs], *, implicit: bool) -> tuple[float, float]:
    """(wall, walk) of the same CLI probing a well-behaved server now, on this machine."""
    good = certs["good"]
    tls = ["--tls", "implicit"] if implicit else []
    with HostileServer([send(GREETING), smtp()],
                       ssl_context=good.server_context() if implicit else None) as server:
        started = time.monotonic()
        result = run_cli("probe", server.target, "--timeout", "30", "--dry-run", "--json",
                         "--ca-file", good.ca_file, *tls)
        wall = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    return wall, json.loads(result.stdout)["elapsed_ms"]


def _verdict(stdout: str) -> str:
    lines = [line for line in stdout.splitlines() if line.startswith("Verdict: ")]
    assert len(lines) == 1, stdout
    return lines[0]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_human_view_gives_one_clear_message_naming_the_step(
        case: Case, certs: dict[str, Certs], tmp_path: Path) -> None:
    transcript = tmp_path / "transcript.txt"
    work = _tls_work(case, certs)[0]
    with _server(case, certs) as server:
        started = time.monotonic()
        result = run_cli(*_args(case, server, certs), "--transcript", str(transcript))
        wall = time.monotonic() - started
    assert_no_traceback(result)
    assert result.returncode == case.exit, result.stdout + result.stderr
    if wall >= case.timeout + SLACK + max(STARTUP, work):  # a loaded machine (CI: 6.7 s of a
        work = max(work, _work_done_right(certs, implicit=False)[0])  # 1-s case): time it now
    assert wall < case.timeout + SLACK + max(STARTUP, work)
    verdict = _verdict(result.stdout)
    if case.exit == 3:
        assert verdict.startswith("Verdict: FAILED"), verdict
        assert f": {case.step} failed: " in verdict
    elif case.exit == 1:
        assert verdict.startswith("Verdict: REFUSED"), verdict
        assert f" refused at {case.step}: " in verdict
    elif case.exit == 4:
        assert verdict.startswith("Verdict: DEFERRED"), verdict
        assert f" deferred at {case.step}: " in verdict
    else:
        assert verdict.startswith("Verdict: ACCEPTED"), verdict
    for word in case.words:
        assert word in verdict
    for text in case.shown:
        assert text in result.stdout
    assert len(result.stdout) < 20_000  # whatever the server sent, the terminal is not flooded
    kept = transcript.read_text(encoding="utf-8")
    assert len(kept) < 20_000
    assert not any(ord(c) < 32 and c != "\n" for c in kept)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_json_report_is_valid_and_carries_the_error(case: Case, certs: dict[str, Certs]) -> None:
    work_ms = _tls_work(case, certs)[1]
    with _server(case, certs) as server:
        result = run_cli(*_args(case, server, certs), "--json")
    sent, wanted = verbs(server.received), SENT[case.name]
    assert sent in wanted if wanted and isinstance(wanted[0], list) else sent == wanted
    assert_no_traceback(result)
    assert result.returncode == case.exit, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert_valid(report, "report")
    assert report["elapsed_ms"] < (case.timeout + SLACK) * 1000 + work_ms
    attempt = report["attempts"][-1]
    if case.exit == 3:
        assert report["verdict"] == attempt["outcome"] == "failed"
        error = attempt["error"]
        assert error["step"] == case.step
        if case.kind:
            assert error["kind"] == case.kind
        for word in case.words:  # a sentence: server text in it as shown, as in the words
            assert word in error["message"]
        failed = [step for step in attempt["steps"] if step["error"]]
        assert failed and failed[-1]["name"] == case.step
    elif case.exit in (1, 4):
        word = "refused" if case.exit == 1 else "deferred"
        assert report["verdict"] == attempt["outcome"] == word
        assert attempt["error"] is None
        step = next(step for step in attempt["steps"] if step["name"] == case.step)
        assert str(step["reply"]["code"]) in case.words
        assert " ".join(case.words[1:]) in step["reply"]["lines"][0]
    else:
        assert report["verdict"] == "accepted"


def test_invalid_utf8_is_kept_as_visible_escapes_in_json(certs: dict[str, Certs]) -> None:
    with HostileServer([send(b"220 caf\xe9 \xff ok\r\n"), smtp()]) as server:
        result = run_cli("probe", server.target, "--timeout", "1", "--dry-run", "--json")
    greeting = json.loads(result.stdout)["attempts"][0]["steps"][1]
    assert greeting["name"] == "greeting"
    assert greeting["reply"]["raw"] == ["220 caf\\xe9 \\xff ok"]


def test_a_bad_certificate_shows_only_what_came_before_the_handshake(
        certs: dict[str, Certs]) -> None:
    """What smtpdiag learned over the unverified channel (to describe the certificate) is not
    shown as part of the walk: not an implicit-TLS greeting, not the EHLO sent inside TLS."""
    expired = certs["expired"]
    starttls = [*STARTTLS_OK, start_tls(expired.server_context()), smtp()]
    with HostileServer(starttls) as server:
        over_starttls = run_cli("probe", server.target, "--timeout", "1", "--dry-run", "--json",
                                "--ca-file", expired.ca_file, "--tls", "starttls")
    with HostileServer([send(GREETING), smtp()],
                       ssl_context=expired.server_context()) as server:
        implicit = run_cli("probe", server.target, "--timeout", "1", "--dry-run", "--json",
                           "--ca-file", expired.ca_file, "--tls", "implicit")
    first = json.loads(over_starttls.stdout)["attempts"][0]
    assert [s["name"] for s in first["steps"]] == ["connect", "greeting", "ehlo", "starttls",
                                                    "tls"]
    assert first["capabilities"]["starttls"] is True
    assert first["capabilities"]["size"] is None  # advertised only inside the unverified TLS
    second = json.loads(implicit.stdout)["attempts"][0]
    assert [s["name"] for s in second["steps"]] == ["connect", "tls"]
    assert second["capabilities"] is None
    for attempt in (first, second):
        assert attempt["tls"]["days_left"] < 0
        assert attempt["error"]["message"] == (
            "certificate verification failed: certificate has expired")
