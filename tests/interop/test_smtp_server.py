"""smtpdiag against nodemailer's smtp-server (npm) on loopback.

``node/smtp_server.js`` runs three listeners with the handlers a user of the library writes:
``open`` (STARTTLS, AUTH optional; its onData answers ``hang@`` never, ``slow@`` late and
``defer@`` with a 451), ``auth`` (AUTH PLAIN LOGIN required, offered only after STARTTLS, the
library's default) and ``small`` (SIZE 300).  Every reply asserted here is smtp-server's own
wording, except the 451 text that the handler chose.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

from smtpdiag.core.annotate import annotate_reply
from smtpdiag.core.replies import parse_reply
from smtpdiag.model import Report, Step
from smtpdiag.net.probe import ProbeOptions, probe
from tests.interop.node_servers import (
    PASSWORD,
    SLOW_MS,
    USER,
    NodeServer,
    running,
    start_smtp_server,
)

FQDN = "client.interop.test"


@pytest.fixture(scope="module")
def smtp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeServer]:
    yield from running(start_smtp_server, str(tmp_path_factory.mktemp("smtp-server-certs")))


def run(server: NodeServer, listener: str, **options: object) -> Report:
    options.setdefault("helo", FQDN)
    options.setdefault("timeout", 10.0)
    options.setdefault("mail_from", f"sender@{FQDN}")
    options.setdefault("rcpt_to", ("alice@interop.test",))
    options.setdefault("ca_file", server.ca_file)
    target = f"127.0.0.1:{server.ports[listener]}"
    return asyncio.run(probe(target, ProbeOptions(**options)))  # type: ignore[arg-type]


def step(report: Report, name: str) -> Step:
    return next(s for s in report.attempts[-1].steps if s.name == name)


def test_smtp_server_greets_and_queues_over_verified_starttls(smtp_server: NodeServer) -> None:
    report = run(smtp_server, "open")
    attempt = report.attempts[-1]
    greeting = step(report, "greeting").reply
    assert greeting is not None and greeting.text == "mx.smtp-server.interop.test ESMTP"
    before, after = attempt.capabilities_before_tls, attempt.capabilities
    assert before is not None and before.starttls
    assert after is not None and not after.starttls
    # AUTH is listed in plaintext too, though smtp-server takes it only over TLS (below)
    assert set(before.auth) == set(after.auth) == {"LOGIN", "PLAIN"}
    assert after.size == 10 * 1024 * 1024
    assert attempt.tls is not None and attempt.tls.verified
    message = step(report, "message").reply
    assert message is not None and (message.code, message.text) == (250, "OK: message queued")
    assert report.verdict == "accepted", report.summary


def test_a_late_reply_to_the_final_dot_is_still_shown(smtp_server: NodeServer) -> None:
    report = run(smtp_server, "open", rcpt_to=("slow@interop.test",), timeout=1.0, tls="none")
    message = step(report, "message")
    assert message.error is None and message.reply is not None and message.reply.code == 250
    assert message.elapsed_ms >= SLOW_MS - 100
    assert report.verdict == "accepted", report.summary


def test_an_ondata_error_is_a_deferral(smtp_server: NodeServer) -> None:
    report = run(smtp_server, "open", rcpt_to=("defer@interop.test",), tls="none")
    message = step(report, "message").reply
    assert message is not None and message.code == 451
    assert report.verdict == "deferred", report.summary


def test_no_reply_within_the_data_timeout_may_still_be_delivered(smtp_server: NodeServer) -> None:
    report = run(smtp_server, "open", rcpt_to=("hang@interop.test",), timeout=1.0,
                 data_timeout=1.5, tls="none")
    message = step(report, "message")
    assert message.reply is None and message.error is not None
    assert message.error.kind == "timeout" and "may still be delivered" in message.error.message
    assert "1.5 s" in message.error.message
    assert report.verdict == "failed"


def test_auth_required_without_a_login_is_refused_as_auth_required(
        smtp_server: NodeServer) -> None:
    report = run(smtp_server, "auth", dry_run=True)
    assert report.attempts[-1].capabilities is not None
    assert report.attempts[-1].capabilities.auth  # offered (over TLS) and not used
    mail = step(report, "mail")
    assert mail.reply is not None
    assert (mail.reply.code, mail.reply.text) == (530, "Error: authentication Required")
    assert mail.annotation is not None and mail.annotation.reason is not None
    assert mail.annotation.reason.name == "auth-required"
    assert report.verdict == "refused"


def test_with_a_login_the_auth_listener_accepts(smtp_server: NodeServer) -> None:
    report = run(smtp_server, "auth", auth_user=USER, auth_password=PASSWORD, mail_from=USER)
    assert step(report, "auth").reply.code == 235  # type: ignore[union-attr]
    assert report.verdict == "accepted", report.summary


def test_a_login_in_plaintext_is_refused_as_tls_required(smtp_server: NodeServer) -> None:
    report = run(smtp_server, "auth", tls="none", auth_user=USER, auth_password=PASSWORD,
                 mail_from=USER, dry_run=True)
    auth = step(report, "auth")
    assert auth.reply is not None and auth.reply.code == 538
    assert auth.reply.text == "Error: Must issue a STARTTLS command first"
    assert auth.annotation is not None and auth.annotation.reason is not None
    assert auth.annotation.reason.name == "tls-required"
    assert report.verdict == "refused"


def test_a_declared_size_over_the_limit_is_refused_at_mail(smtp_server: NodeServer) -> None:
    report = run(smtp_server, "small", tls="none", dry_run=True)
    assert report.attempts[-1].capabilities.size == 300  # type: ignore[union-attr]
    mail = step(report, "mail").reply
    assert mail is not None and mail.code == 552
    assert mail.text == "Error: message exceeds fixed maximum message size 300"
    assert report.verdict == "refused"


def test_a_client_that_talks_before_the_greeting_is_an_early_talker(
        smtp_server: NodeServer) -> None:
    # smtp-server waits 100 ms before its 220; a client that speaks first is told so and dropped.
    with socket.create_connection(("127.0.0.1", smtp_server.ports["open"]), timeout=5) as sock:
        sock.sendall(b"EHLO client.interop.test\r\n")
        received = sock.makefile("rb").read()
    line = received.decode().splitlines()[-1]
    assert line == "421 mx.smtp-server.interop.test You talk too soon", received
    annotation = annotate_reply(parse_reply(line.encode() + b"\r\n"), "greeting")
    assert annotation.provider is not None and "smtp-server" in annotation.provider.provider
    assert annotation.reason is not None and annotation.reason.name == "syntax"


def exchange(port: int, *commands: str) -> list[str]:
    """Each command's reply line as smtp-server sends it (a raw client: smtpdiag never sends
    such commands), after the greeting."""
    replies = []
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        stream = sock.makefile("rb")
        stream.readline()
        for command in commands:
            sock.sendall(command.encode() + b"\r\n")
            replies.append(stream.readline().decode().rstrip("\r\n"))
    return replies


@pytest.mark.parametrize(("command", "code", "step"), [
    ("MAIL FROM:<a@client.interop.test>", 503, "mail"),  # about the order, not the sender
    ("FROB", 500, "ehlo"),
])
def test_its_protocol_refusals_are_read_as_client_syntax_errors(
        smtp_server: NodeServer, command: str, code: int, step: str) -> None:
    # Postfix's wording, word for word: the catalogue entry that matches names both servers.
    (line,) = exchange(smtp_server.ports["open"], command)
    reply = parse_reply(line.encode() + b"\r\n")
    assert reply.code == code, line
    annotation = annotate_reply(reply, step)
    assert annotation.provider is not None, line
    assert annotation.reason is not None and annotation.reason.name == "syntax", line
