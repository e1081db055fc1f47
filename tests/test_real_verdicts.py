"""What real mail servers showed (issue 9), replayed by scripted servers on loopback.

Each test here failed before its fix: the reply to the final dot cut by the step timeout
(Haraka's 30 s ``450 plugin timeout``), a second connection for ``--insecure`` (answered 421 by a
rate limit), one refused recipient reported as a refused message, a 4xx read as a 5xx.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from smtpdiag.fakeserver import Certs
from tests.conftest import assert_no_traceback, assert_valid, run_cli
from tests.hostile import (
    GREETING,
    Action,
    Conn,
    HostileServer,
    answering,
    send,
    smtp,
    start_tls,
)

SENDER = ("--from", "a@client.test", "--helo", "client.test")


def probe_json(server: HostileServer, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = run_cli("probe", server.target, "--tls", "none", *SENDER, *args, "--json")
    assert_no_traceback(result)
    report = json.loads(result.stdout)
    assert_valid(report, "report")
    return result.returncode, report


# -- point 5: accepted for some, deferred, refused ---------------------------------------------


def test_one_recipient_refused_and_one_accepted_is_partial_acceptance() -> None:
    script = [send(GREETING), answering({b"RCPT": [b"550 5.1.1 <gone@x.test>: no such user\r\n",
                                                   b"250 2.1.5 ok\r\n"]})]
    with HostileServer(script) as server:
        code, report = probe_json(server, "--to", "gone@x.test", "--to", "here@x.test")
        text = run_cli("probe", server.target, "--tls", "none", *SENDER, "--to", "gone@x.test",
                       "--to", "here@x.test")
    assert code == 5 and text.returncode == 5
    assert report["verdict"] == report["attempts"][0]["outcome"] == "partial"
    assert "accepted the message for 1 of 2 recipients" in report["summary"]
    assert "550" in report["summary"]
    assert "Verdict: PARTLY ACCEPTED" in text.stdout
    assert [s["name"] for s in report["attempts"][0]["steps"]][-3:] == ["data", "message", "quit"]


@pytest.mark.parametrize(("rcpt", "verdict", "code"), [
    ([b"450 4.2.0 <a@x.test>: Recipient address rejected: Greylisted\r\n"], "deferred", 4),
    ([b"550 5.1.1 no such user\r\n"], "refused", 1),
    # every recipient refused, one for now and one for good: the permanent one decides
    ([b"450 4.2.0 greylisted\r\n", b"550 5.1.1 no such user\r\n"], "refused", 1),
    ([b"450 4.2.0 greylisted\r\n", b"451 4.3.0 try later\r\n"], "deferred", 4),
])
def test_a_temporary_refusal_is_deferred_and_a_permanent_one_refused(
        rcpt: list[bytes], verdict: str, code: int) -> None:
    recipients = [arg for i in range(len(rcpt)) for arg in ("--to", f"r{i}@x.test")]
    with HostileServer([send(GREETING), answering({b"RCPT": rcpt})]) as server:
        exit_code, report = probe_json(server, *recipients)
    assert (exit_code, report["verdict"]) == (code, verdict), report["summary"]
    assert (" deferred at rcpt: 45" if verdict == "deferred" else " refused at rcpt: ") \
        in report["summary"]
    assert b"DATA\r\n" not in server.received


def test_postscreen_style_450_at_the_greeting_is_deferred_not_refused() -> None:
    with HostileServer([send(b"450 4.3.2 Service currently unavailable\r\n"), smtp()]) as server:
        code, report = probe_json(server)
    assert (code, report["verdict"]) == (4, "deferred")
    assert "retry later" in report["summary"]


# -- point 1: the reply to the final dot gets its own, longer wait ------------------------------


def test_a_slow_reply_to_the_final_dot_is_waited_for_and_shown() -> None:
    # Haraka answers the dot at 30 s with "450 plugin timeout"; here: 2 s, with a 1 s step
    # timeout.  The step timeout must not cut it.
    script = [send(GREETING), answering({}, dot=b"450 4.3.2 plugin timeout\r\n", dot_delay=2.0)]
    with HostileServer(script) as server:
        code, report = probe_json(server, "--to", "b@x.test", "--timeout", "1")
    message = next(s for s in report["attempts"][0]["steps"] if s["name"] == "message")
    assert message["error"] is None and message["reply"]["code"] == 450
    assert (code, report["verdict"]) == (4, "deferred")
    assert "plugin timeout" in report["summary"]


def test_giving_up_on_the_final_dot_says_the_message_may_still_be_delivered() -> None:
    script = [send(GREETING), answering({}, dot_delay=5.0)]
    with HostileServer(script) as server:
        result = run_cli("probe", server.target, "--tls", "none", *SENDER, "--to", "b@x.test",
                         "--timeout", "1", "--data-timeout", "1.5")
    assert_no_traceback(result)
    assert result.returncode == 3
    assert "within 1.5 s" in result.stdout
    assert "may still be delivered" in result.stdout and "twice" in result.stdout


def test_the_default_deadline_leaves_room_for_the_end_of_data_wait() -> None:
    from smtpdiag.net.probe import ProbeOptions, default_deadline

    assert default_deadline(ProbeOptions(timeout=5, data_timeout=30)) == 50
    assert default_deadline(ProbeOptions(timeout=5, data_timeout=30, dry_run=True)) == 20
    assert default_deadline(ProbeOptions(timeout=5, data_timeout=30, quit_after="rcpt")) == 20
    assert default_deadline(ProbeOptions(timeout=5, data_timeout=30, quit_after="data")) == 50


def test_data_timeout_is_validated() -> None:
    result = run_cli("probe", "127.0.0.1:1", "--data-timeout", "0")
    assert result.returncode == 2 and "--data-timeout" in result.stderr


# -- point 2: one connection per address, also with a certificate that does not verify ----------


def rate_limited(then: Action) -> Callable[[Conn], object]:
    """A connection-rate limit of one: the second connection is answered 421 and closed."""
    seen = [0]

    async def script(conn: Conn) -> None:
        seen[0] += 1
        if seen[0] > 1:
            await conn.send(b"421 4.7.0 Error: too many connections from 127.0.0.1\r\n")
            return
        await then(conn)
    return script


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return Certs.create(str(tmp_path_factory.mktemp("selfsigned")), kind="self-signed")


def test_insecure_walks_on_over_the_one_connection_and_reports_the_verification(
        self_signed: Certs) -> None:
    server = HostileServer(rate_limited(_implicit_smtp(self_signed)))  # type: ignore[arg-type]
    with server:
        result = run_cli("probe", server.target, "--tls", "implicit", *SENDER, "--to",
                         "b@x.test", "--insecure", "--json", "--timeout", "3")
    assert_no_traceback(result)
    report = json.loads(result.stdout)
    assert server.connections == 1
    attempt = report["attempts"][0]
    assert report["verdict"] == "accepted", report["summary"]
    assert attempt["tls"]["verified"] is False
    assert "self-signed" in attempt["tls"]["verify_error"]
    assert any("not trusted" in f["message"] for f in attempt["findings"])


def test_a_failed_verification_costs_no_second_connection_and_keeps_the_facts(
        self_signed: Certs) -> None:
    server = HostileServer(rate_limited(_implicit_smtp(self_signed)))  # type: ignore[arg-type]
    with server:
        result = run_cli("probe", server.target, "--tls", "implicit", *SENDER, "--json",
                         "--timeout", "3")
    report = json.loads(result.stdout)
    assert result.returncode == 3 and server.connections == 1
    attempt = report["attempts"][0]
    assert attempt["error"]["kind"] == "tls" and "self-signed" in attempt["error"]["message"]
    assert attempt["tls"]["subject"] and attempt["tls"]["not_after"]  # from that handshake
    assert b"MAIL" not in b"".join(server.received)


def _implicit_smtp(certs: Certs) -> Action:
    """Implicit TLS set up by the script, so that ``connections`` counts TCP connections (a
    handshake the client gave up on included)."""
    context = certs.server_context()

    async def action(conn: Conn) -> None:
        await start_tls(context)(conn)
        await conn.send(GREETING)
        await smtp()(conn)
    return action


def test_schema_documents_every_verdict_and_its_exit_code() -> None:
    from smtpdiag.cli.probe_run import VERDICT_EXIT
    from smtpdiag.core.verdicts import VERDICTS

    schema = json.loads((Path(__file__).parent.parent / "smtpdiag" / "schema" /
                         "report.schema.json").read_text())
    assert schema["properties"]["verdict"]["enum"] == list(VERDICTS)
    assert set(VERDICT_EXIT) == set(VERDICTS)
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for verdict, code in VERDICT_EXIT.items():
        assert f"{verdict} {code} — " in schema["description"]
        assert f"| {code} |" in readme


# -- point 10: STARTTLS refused on port 25 ------------------------------------------------------

TLS_UNAVAILABLE = b"454 4.7.0 TLS not available due to local problem\r\n"
STARTTLS_EHLO = b"250-hostile.test\r\n250-SIZE 1000000\r\n250 STARTTLS\r\n"


def test_starttls_refused_opportunistically_carries_on_in_plaintext_loudly() -> None:
    script = [send(GREETING), answering({b"EHLO": [STARTTLS_EHLO], b"STAR": [TLS_UNAVAILABLE]})]
    with HostileServer(script) as server:
        result = run_cli("probe", server.target, *SENDER, "--to", "b@x.test", "--json")
    report = json.loads(result.stdout)
    names = [s["name"] for s in report["attempts"][0]["steps"]]
    assert names[names.index("starttls") + 1] == "mail"  # no second EHLO: nothing changed
    assert "message" in names and report["verdict"] == "accepted"
    assert "only in plaintext" in report["summary"]
    critical = [f["message"] for f in report["attempts"][0]["findings"]
                if f["severity"] == "critical"]
    assert any("without encryption" in m and "454" in m for m in critical)


def test_starttls_refused_where_it_is_required_stops_the_walk() -> None:
    script = [send(GREETING), answering({b"EHLO": [STARTTLS_EHLO], b"STAR": [TLS_UNAVAILABLE]})]
    with HostileServer(script) as server:
        result = run_cli("probe", server.target, "--tls", "starttls", *SENDER, "--to",
                         "b@x.test", "--json")
    report = json.loads(result.stdout)
    assert b"MAIL" not in b"".join(server.received)
    assert result.returncode == 4 and report["verdict"] == "deferred"


# -- the verdict's refusal is the one that decided it ------------------------------------------

USER_UNKNOWN = b"550 5.1.1 <r0@x.test>: Recipient address rejected: User unknown in local " \
    b"recipient table\r\n"


@pytest.mark.parametrize("rcpt", [
    [USER_UNKNOWN, b"450 4.2.0 <r1@x.test>: Recipient address rejected: Greylisted\r\n"],
    # Postfix's smtpd_hard_error_limit: a 421 after the refusals, and the line closes
    [USER_UNKNOWN, USER_UNKNOWN, b"421 4.7.0 mx.x.test Error: too many errors\r\n"],
])
def test_a_walk_refused_for_good_quotes_the_permanent_refusal(rcpt: list[bytes]) -> None:
    recipients = [arg for i in range(len(rcpt)) for arg in ("--to", f"r{i}@x.test")]
    with HostileServer([send(GREETING), answering({b"RCPT": rcpt})]) as server:
        code, report = probe_json(server, *recipients, "--dry-run")
    assert (code, report["verdict"]) == (1, "refused"), report["summary"]
    assert " refused at rcpt: 550 5.1.1 <r0@x.test>: " in report["summary"], report["summary"]


@pytest.mark.parametrize(("rcpt", "says"), [
    # Postfix's default relay rule (defer_unauth_destination), and soft_bounce = yes
    (b"454 4.7.1 <x@elsewhere.test>: Relay access denied\r\n", "will not relay"),
    (b"450 4.1.1 <x@x.test>: Recipient address rejected: User unknown in local recipient "
     b"table\r\n", "does not exist"),
])
def test_a_deferral_whose_words_are_permanent_says_retrying_will_not_help(
        rcpt: bytes, says: str) -> None:
    with HostileServer([send(GREETING), answering({b"RCPT": [rcpt]})]) as server:
        code, report = probe_json(server, "--to", "x@x.test", "--dry-run")
    assert (code, report["verdict"]) == (4, "deferred")
    assert "temporary by its code" in report["summary"] and says in report["summary"]
    assert "retrying will not help until that changes" in report["summary"], report["summary"]


def test_a_greylisting_deferral_still_says_a_sender_would_retry() -> None:
    rcpt = b"450 4.2.0 <x@x.test>: Recipient address rejected: Greylisted, see x\r\n"
    with HostileServer([send(GREETING), answering({b"RCPT": [rcpt]})]) as server:
        _, report = probe_json(server, "--to", "x@x.test", "--dry-run")
    assert report["summary"].endswith("(temporary: a sending server would retry later)")
