"""Safety: server text is data, user input is checked before any connection, secrets stay secret.

* Terminal: control characters, ANSI/OSC sequences, C1 controls, bidi overrides and rich markup
  a server sends are shown escaped and visible — on a terminal (through rich), piped, in the
  ``--transcript`` file — and survive exactly in ``--json``.
* Input: CR, LF, NUL and other controls in addresses, HELO names and targets end in exit 2, and
  nothing reaches the (listening) server.
* Secrets: the AUTH password and its base64 forms appear in no output, even when the server
  echoes them back; AUTH is never sent without TLS unless ``--tls none`` asks for it; TLS
  verification is on unless ``--insecure``, which warns.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from smtpdiag.core.replies import MAX_LINE_KEPT
from smtpdiag.core.targets import parse_target, validate_address, validate_helo
from smtpdiag.errors import TargetError, UsageError
from smtpdiag.fakeserver import Certs

from .conftest import assert_no_traceback, assert_valid, run_cli
from .hostile import (
    GREETING,
    Conn,
    HostileServer,
    Script,
    close,
    expect,
    hang,
    send,
    smtp,
    start_tls,
)

EVIL = ("\x1b[2J\x1b[1;1H clear \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ bell\x07 c1\u009b31m "
        "\u202eevil\u202c [bold red]markup[/bold red] [link=http://x]here[/link] \x7f\x00")
EVIL_BYTES = EVIL.encode() + b" raw\x9b\x1b"  # a lone 0x9b is not UTF-8: kept as "\x9b" text
SGR = re.compile("\x1b\\[[0-9;]*m")
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return Certs.create(str(tmp_path_factory.mktemp("good")))


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return Certs.create(str(tmp_path_factory.mktemp("self")), kind="self-signed")


# ---------------------------------------------------------------- terminal safety

EVIL_SESSION: Script = [
    send(b"220-" + EVIL_BYTES + b"\r\n220 ready\r\n"), expect(b"EHLO"),
    send(b"250-hostile.test\r\n250-X-" + EVIL_BYTES + b"\r\n250 8BITMIME\r\n"),
    expect(b"MAIL"), send(b"250 2.1.0 ok\r\n"), expect(b"RCPT"),
    send(b"550 5.1.1 " + EVIL_BYTES + b"\r\n"), smtp(),
]
# Not SMTP: the error path, which quotes the start of the line (so it is kept short).
EVIL_GREETING: Script = [send("[bold red]x[/bold red] [link=http://x]y[/link] \x1b[2J\x07\u009b "
                              "\u202ez".encode() + b"\x9b\r\n"), hang()]


def _probe(server: HostileServer, *args: str, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess[str]:
    return run_cli("probe", server.target, "--timeout", "1", "--dry-run", *args, env=env)


def _assert_visible(text: str) -> None:
    """The escapes are shown, and rich markup is shown as the text it is."""
    assert "\\x1b[2J" in text
    assert "\\x07" in text
    assert "\\x9b" in text
    assert "\\u202e" in text
    assert "[bold red]" in text
    assert "[link=http://x]" in text


@pytest.mark.parametrize("script", [EVIL_SESSION, EVIL_GREETING], ids=["session", "error"])
def test_on_a_terminal_only_rich_colour_codes_are_sent(script: Script) -> None:
    with HostileServer(script) as server:
        result = _probe(server, env={"FORCE_COLOR": "1"})
    assert_no_traceback(result)
    assert result.returncode in (1, 3), result.stdout + result.stderr
    assert SGR.search(result.stdout), "FORCE_COLOR=1 should render through rich"
    stripped = SGR.sub("", result.stdout)
    assert "\x1b" not in stripped
    assert not UNSAFE.search(stripped)
    _assert_visible(stripped)
    assert not UNSAFE.search(result.stderr)


@pytest.mark.parametrize("script", [EVIL_SESSION, EVIL_GREETING], ids=["session", "error"])
def test_piped_output_and_transcript_hold_no_escape_at_all(script: Script, tmp_path: Path
                                                          ) -> None:
    transcript = tmp_path / "transcript.txt"
    with HostileServer(script) as server:
        result = _probe(server, "--transcript", str(transcript))
    assert_no_traceback(result)
    assert result.returncode in (1, 3)
    for text in (result.stdout, result.stderr, transcript.read_text(encoding="utf-8")):
        assert "\x1b" not in text
        assert not UNSAFE.search(text)
    _assert_visible(result.stdout)
    if script is EVIL_SESSION:
        _assert_visible(transcript.read_text(encoding="utf-8"))


def test_json_keeps_the_exact_server_text_and_holds_no_raw_escape() -> None:
    with HostileServer(EVIL_SESSION) as server:
        result = _probe(server, "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "\x1b" not in result.stdout
    assert not re.search("[\x00-\x09\x0b-\x1f]", result.stdout)
    assert not re.search("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]", result.stdout)
    report = json.loads(result.stdout)
    assert_valid(report, "report")
    steps = {step["name"]: step for step in report["attempts"][0]["steps"]}
    exact = EVIL + " raw\\x9b\x1b"  # what the server sent; the undecodable byte as \x9b text
    assert steps["greeting"]["reply"]["raw"][0] == "220-" + exact
    assert steps["ehlo"]["reply"]["lines"][1] == "X-" + exact
    assert steps["rcpt"]["reply"]["lines"] == ["5.1.1 " + exact]


# ---------------------------------------------------------------- input safety

@pytest.mark.parametrize(("option", "value"), [
    ("--to", "victim@example.test\r\nRCPT TO:<other@example.test>"),
    ("--to", "victim@example.test\n"),
    ("--to", "vic\x7ftim@example.test"),
    ("--to", "vic\u0085tim@example.test"),
    ("--from", "me@example.test\rDATA"),
    ("--from", "me\x1b[2J@example.test"),
    ("--helo", "client.test\r\nMAIL FROM:<x@example.test>"),
    ("--helo", "client\ttest"),
    ("--helo", "client\x1b]8;;http://x\x1b\\.test"),
    ("--auth-user", "alice\r\nQUIT"),
    ("target", "127.0.0.1\r\nQUIT"),
    ("target", "127.0.0.1\x1b[2J"),
])
def test_control_characters_in_user_input_are_refused_before_any_connection(
        option: str, value: str) -> None:
    with HostileServer([send(GREETING), smtp()]) as server:
        if option == "target":
            args = ["probe", value.replace("127.0.0.1", server.target, 1)]
        else:
            args = ["probe", server.target, option, value]
        result = run_cli(*args, "--timeout", "1", env={"SMTPDIAG_PASSWORD": "pw"})
    assert_no_traceback(result)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "control character" in result.stderr
    assert not UNSAFE.search(result.stderr)  # the offending character is named, not echoed
    assert result.stdout == ""
    assert server.connections == 0
    assert server.received == []


@pytest.mark.parametrize("check", [
    lambda: validate_address("a\x00b@example.test"),
    lambda: validate_address("ab@exam\x00ple.test", "--to"),
    lambda: validate_helo("client\x00.test"),
    lambda: parse_target("mail\x00.example.test"),
])
def test_nul_is_refused_in_every_user_string(check: Callable[[], object]) -> None:
    with pytest.raises(UsageError, match=r"control character \(\x00\)"):
        check()


def test_a_bad_target_is_a_target_error() -> None:
    with pytest.raises(TargetError, match=r"control character \(\x0d\)"):
        parse_target("127.0.0.1:25\r\nQUIT")


# ---------------------------------------------------------------- secrets

USER = "alice@example.test"
PASSWORD = "hunter2-Sekr1t"  # 14 bytes: its base64 form ends in "="
PLAIN = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()
LOGIN = base64.b64encode(PASSWORD.encode()).decode()
SECRETS = (PASSWORD, PLAIN, LOGIN, PLAIN.rstrip("="), LOGIN.rstrip("="))
AUTH_EHLO = b"250-hostile.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
STARTTLS_EHLO = b"250-hostile.test\r\n250 STARTTLS\r\n"


def _echo(build: Callable[[bytes], bytes]) -> Callable[[Conn], object]:
    """Read the next command and answer with ``build(command)``: the server repeats our line."""
    async def action(conn: Conn) -> None:
        line = (await conn.line()).rstrip(b"\r\n")
        await conn.send(build(line))
    return action


def _over_starttls(certs: Certs, *actions: object, ehlo: bytes = AUTH_EHLO) -> Script:
    return [send(GREETING), expect(b"EHLO"), send(STARTTLS_EHLO), expect(b"STARTTLS"),
            send(b"220 2.0.0 go ahead\r\n"), start_tls(certs.server_context()),
            expect(b"EHLO"), send(ehlo), *actions]  # type: ignore[list-item]


ECHOES: dict[str, Callable[[Certs], Script]] = {
    # a proper refusal that quotes the AUTH PLAIN line
    "plain-in-reply": lambda certs: _over_starttls(
        certs, _echo(lambda line: b"535 5.7.8 bad credentials in " + line + b"\r\n"), smtp()),
    # AUTH LOGIN: the password's own base64, echoed, and decoded for good measure
    "login-in-reply": lambda certs: _over_starttls(
        certs, expect(b"AUTH LOGIN"), send(b"334 VXNlcm5hbWU6\r\n"), expect(b""),
        send(b"334 UGFzc3dvcmQ6\r\n"),
        _echo(lambda line: b"535-5.7.8 you sent " + line + b"\r\n535 5.7.8 that is "
              + base64.b64decode(line) + b"\r\n"), smtp(),
        ehlo=b"250-hostile.test\r\n250 AUTH LOGIN\r\n"),
    # an echo that is not SMTP: the error message quotes it
    "plain-in-garbage": lambda certs: _over_starttls(
        certs, _echo(lambda line: b"you said: " + line + b"\r\n"), hang()),
    # an echo in a line that never ends: the error message quotes its start
    "plain-in-endless-line": lambda certs: _over_starttls(
        certs, _echo(lambda line: b"535 " + line + b" " + b"x" * 100_000), hang()),
    # an echo cut where smtpdiag stops keeping a line: half a secret is still a secret
    "plain-cut-in-half": lambda certs: _over_starttls(
        certs, _echo(lambda line: b"535 " + b"x" * (MAX_LINE_KEPT - 4 - 16) + line[11:]
                     + b"\r\n"), smtp()),
    # unasked, after a success, then a hang-up: the disconnect message quotes it
    "plain-unsolicited": lambda certs: _over_starttls(
        certs, _echo(lambda line: b"235 2.7.0 ok\r\nby the way: " + line + b"\r\n"), close()),
}


def _assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret[:8] not in text, f"{secret[:8]!r} leaked into {text[:2000]!r}"


@pytest.mark.parametrize("name", list(ECHOES))
def test_the_password_never_shows_even_when_the_server_echoes_it(
        name: str, certs: Certs, tmp_path: Path) -> None:
    transcript = tmp_path / "transcript.txt"
    args = ("--auth-user", USER, "--ca-file", certs.ca_file)
    env = {"SMTPDIAG_PASSWORD": PASSWORD}
    with HostileServer(ECHOES[name](certs)) as server:
        shown = _probe(server, *args, "--transcript", str(transcript), env=env)
        coloured = _probe(server, *args, env={**env, "FORCE_COLOR": "1"})
        as_json = _probe(server, *args, "--json", env=env)
    assert_no_traceback(shown)
    assert shown.returncode in (1, 3), shown.stdout + shown.stderr
    sent = b"".join(server.received).decode()
    assert PLAIN in sent or LOGIN in sent  # the secret did go out, so the check means something
    assert "<redacted>" in shown.stdout
    assert_valid(json.loads(as_json.stdout), "report")
    _assert_no_secret(shown.stdout, shown.stderr, coloured.stdout, coloured.stderr,
                      as_json.stdout, as_json.stderr, transcript.read_text(encoding="utf-8"))


def test_a_successful_auth_shows_no_secret_either(certs: Certs, tmp_path: Path) -> None:
    transcript = tmp_path / "transcript.txt"
    script = _over_starttls(certs, expect(b"AUTH PLAIN"), send(b"235 2.7.0 ok\r\n"), smtp())
    with HostileServer(script) as server:
        result = _probe(server, "--auth-user", USER, "--ca-file", certs.ca_file,
                        "--transcript", str(transcript), env={"SMTPDIAG_PASSWORD": PASSWORD})
    assert result.returncode == 0, result.stdout + result.stderr
    kept = transcript.read_text(encoding="utf-8")
    assert "C: AUTH PLAIN <redacted>" in kept
    _assert_no_secret(result.stdout, result.stderr, kept)


def test_auth_is_not_sent_without_tls(certs: Certs) -> None:
    """A server (or a man in the middle) that drops STARTTLS does not get the password."""
    script = [send(GREETING), expect(b"EHLO"), send(AUTH_EHLO), smtp()]
    with HostileServer(script) as server:
        result = _probe(server, "--auth-user", USER, "--json",
                        env={"SMTPDIAG_PASSWORD": PASSWORD})
    assert result.returncode == 3, result.stdout + result.stderr
    error = json.loads(result.stdout)["attempts"][0]["error"]
    assert error["step"] == "auth"
    assert "not sending the password unencrypted" in error["message"]
    assert not any(line.upper().startswith(b"AUTH") for line in server.received)
    _assert_no_secret(b"".join(server.received).decode(), result.stdout)


def test_tls_none_allows_auth_in_clear_and_still_redacts() -> None:
    script = [send(GREETING), expect(b"EHLO"), send(AUTH_EHLO),
              _echo(lambda line: b"535 5.7.8 nope: " + line + b"\r\n"), smtp()]
    with HostileServer(script) as server:
        result = _probe(server, "--auth-user", USER, "--tls", "none",
                        env={"SMTPDIAG_PASSWORD": PASSWORD})
    assert result.returncode == 1, result.stdout + result.stderr
    assert any(line.startswith(b"AUTH PLAIN") for line in server.received)
    assert "535 5.7.8 nope: AUTH PLAIN <redacted>" in result.stdout
    _assert_no_secret(result.stdout, result.stderr)


# ---------------------------------------------------------------- TLS verification

def test_tls_is_verified_by_default(certs: Certs) -> None:
    """Without --ca-file, a certificate from a CA the system does not trust is refused."""
    with HostileServer([send(GREETING), smtp()], ssl_context=certs.server_context()) as server:
        result = _probe(server, "--tls", "implicit")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "tls failed: certificate verification failed" in result.stdout
    assert "insecure" not in result.stderr


def test_insecure_warns_on_stderr_and_carries_on(self_signed: Certs) -> None:
    context = self_signed.server_context()
    with HostileServer([send(GREETING), smtp()], ssl_context=context) as server:
        strict = _probe(server, "--tls", "implicit", "--json")
        loose = _probe(server, "--tls", "implicit", "--insecure", "--json")
    assert strict.returncode == 3
    assert "warning" not in strict.stderr
    assert "smtpdiag: warning: --insecure" in loose.stderr
    assert loose.stdout.lstrip().startswith("{")  # the warning stays off stdout
    report = json.loads(loose.stdout)
    assert_valid(report, "report")
    attempt = report["attempts"][0]
    assert attempt["tls"]["verified"] is False
    assert "self-signed" in attempt["tls"]["verify_error"]
    assert any(f["severity"] == "critical" and "certificate not trusted" in f["message"]
               for f in attempt["findings"])
    assert [s["name"] for s in attempt["steps"]][-1] == "quit"  # the walk went on to the end
