"""What real MTAs showed, replayed by scripted servers (issue 9, points 4 and 6): the bytes and
pauses are the ones Postfix (postscreen, smtputf8_enable = no) sent on loopback; the interop
tier runs the same cases against the real server where one can be started.  Point 9 (a silent
port that speaks implicit TLS) is an implicit-TLS server that --tls auto probes on a port
other than 465."""

from __future__ import annotations

import json
import ssl
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from smtpdiag.fakeserver import Certs

from .conftest import assert_no_traceback, assert_valid, run_cli
from .hostile import GREETING, HostileServer, Script, answering, expect, hang, send, sleep, smtp

NO_UTF8_EHLO = b"250-mx.interop.test\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n"


def _probe(script: Script, *args: str, timeout: str = "2") -> tuple[
        subprocess.CompletedProcess[str], dict[str, Any], list[bytes]]:
    with HostileServer(script) as server:
        result = run_cli("probe", server.target, "--timeout", timeout, "--dry-run", "--json",
                         "--tls", "none", *args)
        received = list(server.received)
    assert_no_traceback(result)
    report = json.loads(result.stdout)
    assert_valid(report, "report")
    return result, report, received


def test_a_non_ascii_local_part_never_reaches_a_server_without_smtputf8() -> None:
    script = [send(GREETING), expect(b"EHLO"), send(NO_UTF8_EHLO), expect(b"QUIT"),
              send(b"221 bye\r\n")]
    result, report, received = _probe(script, "--from", "a@client.test",
                                      "--to", "jörg@example.test")
    assert result.returncode == 3 and report["verdict"] == "failed"
    error = report["attempts"][0]["error"]
    assert error["step"] == "mail" and "SMTPUTF8" in error["message"]
    assert "<jörg@example.test>" in error["message"] and "RFC 6531" in error["message"]
    assert not any(line.upper().startswith((b"MAIL", b"RCPT")) for line in received)
    assert received[-1].upper().startswith(b"QUIT")  # it still says goodbye


def test_smtputf8_is_declared_when_only_a_recipient_needs_it() -> None:
    ehlo = b"250-mx.test\r\n250-SMTPUTF8\r\n250 8BITMIME\r\n"
    result, report, received = _probe([send(GREETING), smtp(ehlo)], "--from", "a@client.test",
                                      "--to", "jörg@bücher.example", "--helo", "mx.bücher.example")
    assert result.returncode == 0, report["summary"]
    assert b"EHLO mx.xn--bcher-kva.example\r\n" in received
    mail = next(line for line in received if line.startswith(b"MAIL"))
    assert mail.rstrip().endswith(b" SMTPUTF8")
    assert "RCPT TO:<jörg@bücher.example>\r\n".encode() in received


def test_an_idn_domain_with_an_ascii_local_part_goes_as_a_labels_without_smtputf8() -> None:
    result, report, received = _probe([send(GREETING), smtp()], "--from", "a@bücher.example",
                                      "--to", "b@münchen.example")
    assert result.returncode == 0, report["summary"]
    assert b"MAIL FROM:<a@xn--bcher-kva.example> SIZE=" in b"".join(received)
    assert not any(b"SMTPUTF8" in line for line in received)
    assert b"RCPT TO:<b@xn--mnchen-3ya.example>\r\n" in received


def test_a_bad_idn_name_is_refused_before_anything_is_sent() -> None:
    with HostileServer([send(GREETING), smtp()]) as server:
        result = run_cli("probe", server.target, "--to", "a@xn--ls8h.example", "--dry-run")
        assert server.connections == 0
    assert result.returncode == 2 and "A-label" in result.stderr
    assert_no_traceback(result)


# point 6: postscreen's pre-greet pause, and a timeout inside a multi-line reply


def test_a_220_dash_then_a_pause_is_named_postscreens_pre_greet_test() -> None:
    script = [send(b"220-mx.interop.test ESMTP interop\r\n"), sleep(1.3),
              send(b"220 mx.interop.test ESMTP interop\r\n"), smtp()]
    result, report, _ = _probe(script)
    assert result.returncode == 0
    findings = report["attempts"][0]["findings"]
    greeting = [f for f in findings if f["step"] == "greeting"]
    assert len(greeting) == 1 and greeting[0]["severity"] == "info", findings
    assert "pre-greet" in greeting[0]["message"] and "postscreen" in greeting[0]["message"]
    assert not any(f["message"].startswith("slow:") for f in findings)
    step = report["attempts"][0]["steps"][1]
    assert step["first_line_ms"] < 1000 <= step["elapsed_ms"]


def test_a_greeting_that_is_slow_as_a_whole_is_still_called_slow() -> None:
    script = [sleep(1.3), send(b"220-mx.test first\r\n220 mx.test ready\r\n"), smtp()]
    _, report, _ = _probe(script)
    said = [f["message"] for f in report["attempts"][0]["findings"] if f["step"] == "greeting"]
    assert said and said[0].startswith("slow:") and "pre-greet" not in said[0]


def test_a_timeout_inside_a_multi_line_reply_shows_the_lines_that_came() -> None:
    script = [send(b"220-mx.test first line\r\n220-mx.test \x1b[31msecond\r\n"), hang()]
    result, report, _ = _probe(script, timeout="0.5")
    assert result.returncode == 3
    message = report["attempts"][0]["error"]["message"]
    assert "2 lines of an unfinished reply" in message, message
    # a JSON sentence quotes the server as shown, like every output
    assert "220-mx.test first line" in message and "220-mx.test \\x1b[31msecond" in message
    assert "\x1b" not in result.stdout + result.stderr  # server text is escaped


# point 9: a silent port that speaks implicit TLS, under --tls auto


def _implicit_server(certs: Certs) -> HostileServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certs.cert_file, certs.key_file)
    return HostileServer([send(GREETING), smtp()], ssl_context=context)


def test_a_silent_port_that_completes_a_tls_handshake_is_walked_as_implicit_tls(
        tmp_path: Path) -> None:
    certs = Certs.create(str(tmp_path), kind="good")
    started = time.monotonic()
    with _implicit_server(certs) as server:
        result = run_cli("probe", server.target, "--timeout", "8", "--dry-run", "--json",
                         "--ca-file", certs.ca_file)
    took = time.monotonic() - started
    assert_no_traceback(result)
    report = json.loads(result.stdout)
    assert_valid(report, "report")
    assert result.returncode == 0 and report["verdict"] == "accepted", report["summary"]
    attempt = report["attempts"][0]
    assert attempt["tls_mode"] == "implicit" and attempt["tls"]["verified"] is True
    names = [s["name"] for s in attempt["steps"]]
    assert names[:4] == ["connect", "greeting", "connect", "tls"], names
    assert "implicit TLS" in attempt["steps"][1]["error"]["message"]
    assert any("implicit TLS" in f["message"] and f["severity"] == "info"
               for f in attempt["findings"])
    assert took < 8  # not the step timeout: found after a short silence (2 s)


def test_a_silent_port_that_is_not_tls_either_says_so_within_one_timeout() -> None:
    started = time.monotonic()
    with HostileServer([hang()]) as server:
        result = run_cli("probe", server.target, "--timeout", "4", "--dry-run", "--json")
    took = time.monotonic() - started
    report = json.loads(result.stdout)
    message = report["attempts"][0]["error"]["message"]
    assert result.returncode == 3 and "nothing was received" in message
    assert "did not complete either: not implicit TLS" in message
    assert took < 7.5  # one step timeout (4 s), not two


def test_with_a_short_timeout_no_handshake_is_tried() -> None:
    with HostileServer([hang()]) as server:
        result = run_cli("probe", server.target, "--timeout", "1", "--dry-run", "--json")
        assert server.connections == 1 and server.received == []
    assert "implicit" not in json.loads(result.stdout)["attempts"][0]["error"]["message"]


def test_tls_none_never_tries_a_handshake_on_a_silent_port() -> None:
    with HostileServer([hang()]) as server:
        result = run_cli("probe", server.target, "--timeout", "0.6", "--dry-run", "--json",
                         "--tls", "none")
        assert server.connections == 1
    assert "implicit" not in json.loads(result.stdout)["attempts"][0]["error"]["message"]


# Postfix's HELO checks answered at EHLO itself (smtpd_delay_reject = no): the name refused is
# the one smtpdiag announced, so the advice is --helo, not "the server speaks only old SMTP"

NOT_FQDN = b"504 5.5.2 <client>: Helo command rejected: need fully-qualified hostname\r\n"


def test_an_ehlo_refused_for_its_name_says_to_give_helo_a_real_name() -> None:
    script = [send(GREETING), expect(b"EHLO"), send(NOT_FQDN), expect(b"HELO"), send(NOT_FQDN),
              expect(b"QUIT"), send(b"221 2.0.0 Bye\r\n")]
    result, report, _ = _probe(script, "--helo", "client")
    assert result.returncode == 1 and report["verdict"] == "refused"
    for step in report["attempts"][0]["steps"][2:4]:  # ehlo, helo
        note = step["annotation"]
        assert "smtpdiag announced" in note["description"], note["description"]
        assert "--helo NAME" in note["advice"][0] and "old SMTP" not in note["advice"][0]
        assert "--helo NAME" in note["provider"]["fix"]  # the fix the text report shows


# Postfix's reject_unverified_recipient: only "undeliverable address" says the address is bad

VERIFY = b"450 4.1.1 <x@example.org>: Recipient address rejected: "


@pytest.mark.parametrize(("said", "reason", "who"), [
    (b"unverified address: Address verification in progress", "greylisted", "sender-admin"),
    (b"unverified address: connect to mx.example.org[192.0.2.1]:25: Connection refused",
     "network", "recipient-admin"),
    (b"unverified address: Host or domain name not found. Name service error for "
     b"name=example.org type=MX: Host not found, try again", "network", "recipient-admin"),
    (b"undeliverable address: host mx.example.org[192.0.2.1] said: 550 5.1.1 <x@example.org>: "
     b"User unknown (in reply to RCPT TO command)", "user-unknown", "sender"),
    (b"unverified address: host mx.example.org[192.0.2.1] said: 550 5.1.1 <x@example.org>: "
     b"User unknown (in reply to RCPT TO command)", "user-unknown", "sender"),
])
def test_an_unverified_recipient_is_unknown_only_when_the_next_hop_said_so(
        said: bytes, reason: str, who: str) -> None:
    script = [send(GREETING), answering({b"RCPT": [VERIFY + said + b"\r\n"]})]
    result, report, _ = _probe(script, "--from", "a@client.test", "--to", "x@example.org")
    assert result.returncode == 4 and report["verdict"] == "deferred"
    rcpt = next(s for s in report["attempts"][0]["steps"] if s["name"] == "rcpt")
    got = rcpt["annotation"]["reason"]
    assert (got["name"], got["who"]) == (reason, who), got
    if reason != "greylisted":  # the advice does not guess greylisting either
        assert "greylisting is likely" not in rcpt["annotation"]["advice"][0]


# smtpdiag declining to go on (no password without TLS, no usable AUTH, STARTTLS required and
# not offered) over a healthy connection still says goodbye, as every other early end does

AUTH_EHLO = b"250-mx.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"


@pytest.mark.parametrize(("ehlo", "args", "said"), [
    (AUTH_EHLO, ("--tls", "auto", "--auth-user", "u"), "not sending the password unencrypted"),
    (b"250-mx.test\r\n250-STARTTLS\r\n250 8BITMIME\r\n", ("--auth-user", "u"),
     "offers no AUTH before TLS"),
    (b"250-mx.test\r\n250-AUTH CRAM-MD5\r\n250 8BITMIME\r\n", ("--auth-user", "u"),
     "offers no AUTH mechanism smtpdiag can use"),
    (AUTH_EHLO, ("--tls", "starttls"), "STARTTLS is required here but the server does not"),
])
def test_declining_to_go_on_still_ends_with_quit(ehlo: bytes, args: tuple[str, ...],
                                                 said: str) -> None:
    script = [send(GREETING), expect(b"EHLO"), send(ehlo), expect(b"QUIT"),
              send(b"221 2.0.0 Bye\r\n")]
    with HostileServer(script) as server:
        result = run_cli("probe", server.target, "--timeout", "3", "--dry-run", "--json",
                         "--tls", "none", *args, env={"SMTPDIAG_PASSWORD": "pw"})
        received = list(server.received)
    assert_no_traceback(result)
    report = json.loads(result.stdout)
    attempt = report["attempts"][0]
    assert report["verdict"] == "failed" and said in attempt["error"]["message"]
    assert received[-1] == b"QUIT\r\n", received
    assert attempt["steps"][-1]["name"] == "quit" and attempt["steps"][-1]["reply"]["code"] == 221


# Dovecot's LMTP service (RFC 2033) on loopback: EHLO and HELO unknown, LHLO answered

DOVECOT_LMTP = [b"220 mx.interop.test Dovecot (Debian) ready.\r\n",
                b"500 5.5.1 Unknown command\r\n",
                b"250-mx.interop.test\r\n250-8BITMIME\r\n250-CHUNKING\r\n"
                b"250-ENHANCEDSTATUSCODES\r\n250 PIPELINING\r\n"]


def test_an_lmtp_port_is_named_lmtp_not_an_smtp_server_refusing_helo() -> None:
    greeting, unknown, lhlo = DOVECOT_LMTP
    script = [send(greeting), expect(b"EHLO"), send(unknown), expect(b"HELO"), send(unknown),
              expect(b"LHLO"), send(lhlo), expect(b"QUIT"), send(b"221 2.0.0 Bye\r\n")]
    result, report, received = _probe(script, "--helo", "client.test")
    assert result.returncode == 3 and report["verdict"] == "failed"
    error = report["attempts"][0]["error"]
    assert error["step"] == "lhlo" and "this port speaks LMTP, not SMTP" in error["message"]
    assert "this port speaks LMTP" in report["summary"]
    assert received[-1] == b"QUIT\r\n"
    # EHLO's and HELO's 500 are LMTP's, not an old server's or a client's syntax error, and
    # the HELO refusal is no finding of its own beside the error that names LMTP
    for refused in report["attempts"][0]["steps"][2:4]:
        note = refused["annotation"]
        assert "speaks LMTP (RFC 2033)" in note["description"], note
        assert "old SMTP" not in note["advice"][0] and "probe the MTA's SMTP port" in \
            note["advice"][0]
    said = [f["message"] for f in report["attempts"][0]["findings"]]
    assert not any("helo refused" in message for message in said), said
    with HostileServer(script) as server:
        checked = run_cli("check", server.target, "--timeout", "3", "--tls", "none",
                          "--helo", "client.test", "--format", "nagios")
    assert checked.returncode == 2 and "speaks LMTP" in checked.stdout
    assert "helo refused" not in checked.stdout, checked.stdout


def test_a_server_refusing_ehlo_helo_and_lhlo_is_refused_at_helo() -> None:
    unknown = b"502 5.5.2 Error: command not recognized\r\n"
    script = [send(GREETING), expect(b"EHLO"), send(unknown), expect(b"HELO"), send(unknown),
              expect(b"LHLO"), send(unknown), expect(b"QUIT"), send(b"221 2.0.0 Bye\r\n")]
    result, report, _ = _probe(script)
    assert result.returncode == 1 and report["verdict"] == "refused"
    assert " refused at helo: 502 " in report["summary"], report["summary"]
    assert not any(f["step"] == "lhlo" for f in report["attempts"][0]["findings"])
    with HostileServer(script) as server:  # check: the LHLO's refusal is no reason either
        checked = run_cli("check", server.target, "--timeout", "3", "--tls", "none",
                          "--format", "nagios")
    assert checked.returncode == 2 and "helo refused: 502" in checked.stdout
    assert "lhlo" not in checked.stdout.split("|")[0] + checked.stdout.split("\n", 1)[1]


# Postfix with a recipient access table it cannot read (tests/interop "lookup" listener)

def test_a_451_whose_words_name_the_cause_is_not_advised_as_greylisting() -> None:
    from smtpdiag.core.annotate import annotate_reply
    from smtpdiag.core.replies import parse_reply

    said = parse_reply(b"451 4.3.5 <alice@interop.test>: Recipient address rejected: "
                       b"Server configuration error\r\n")
    note = annotate_reply(said, "rcpt")
    assert note.reason is not None and note.reason.name == "system-error"
    assert "greylisting is likely" not in note.advice[0]
    assert note.reason.summary in note.advice[0]
    # a 451 that says nothing of its cause keeps the step's advice: greylisting is likely
    bare = annotate_reply(parse_reply(b"451 later\r\n"), "rcpt")
    assert "greylisting is likely" in bare.advice[0]


def test_a_server_too_busy_at_the_greeting_is_load_not_greylisting() -> None:
    # Haraka's toobusy plugin (DENYSOFTDISCONNECT at connect): its words, then it hangs up
    result, report, _ = _probe([send(b"421 Too busy; please try again later\r\n")])
    assert result.returncode == 4
    assert report["verdict"] == "deferred", report["summary"]
    note = report["attempts"][0]["steps"][1]["annotation"]
    assert note["reason"]["name"] == "system-error", note["reason"]
    assert "greylist" not in json.dumps(note).lower()


def test_try_again_later_at_the_greeting_is_not_greylisting() -> None:
    # Haraka's connect hook answering DENYSOFT without words of its own (its default text)
    _, report, _ = _probe([send(b"421 Come back later\r\n")])
    assert report["verdict"] == "deferred", report["summary"]
    note = report["attempts"][0]["steps"][1]["annotation"]
    assert note["reason"]["name"] == "unknown", note["reason"]
