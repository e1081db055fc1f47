"""A server that echoes our AUTH secret back, changed: no output of any command shows it.

``test_safety.py`` holds the echo of exactly what was sent.  A hostile (or merely chatty)
server may change it first: upper-case it, hex it, URL-encode it, base64 the PLAIN string or
the password alone at another offset, or wrap it over the lines of a multi-line reply (as
servers wrap every long reply, each line led by its code and enhanced code).  Each form is
driven through ``probe`` (terminal view, coloured view, ``--json``, ``--transcript``) and
``check`` (every ``--format``), and every output is searched for the secret in any case and
in every encoding the server used.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from smtpdiag.fakeserver import Certs

from .conftest import assert_no_traceback, run_cli
from .hostile import (
    GREETING,
    Conn,
    HostileServer,
    Script,
    answering,
    close,
    expect,
    hang,
    send,
    smtp,
    start_tls,
)

USER = "alice@example.test"
PASSWORD = "hunter2 Sekr1t/+?"  # URL-encoding changes it
PLAIN = f"\0{USER}\0{PASSWORD}".encode()
TOKEN = base64.b64encode(PLAIN).decode()
STARTTLS_EHLO = b"250-hostile.test\r\n250 STARTTLS\r\n"
AUTH_EHLO = b"250-hostile.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"


def _wrap(prefix: str, text: str, width: int, last: str = "535 5.7.8 ") -> bytes:
    """``text`` wrapped over lines of ``width`` characters, each led by ``prefix``."""
    parts = [text[i:i + width] for i in range(0, len(text), width)]
    lines = [prefix + part for part in parts[:-1]] + [last + parts[-1]]
    return "".join(line + "\r\n" for line in lines).encode()


# Each echo: what the server answers to our AUTH PLAIN line, from the password it decoded.
ECHOES: dict[str, Callable[[str], bytes]] = {
    "upper-case": lambda pw: b"535 5.7.8 you sent " + TOKEN.upper().encode() + b"\r\n",
    "lower-case": lambda pw: b"535 5.7.8 you sent " + TOKEN.lower().encode() + b"\r\n",
    "password-upper": lambda pw: b"535 5.7.8 password " + pw.upper().encode() + b" wrong\r\n",
    "hex": lambda pw: b"535 5.7.8 pw=" + pw.encode().hex().encode() + b"\r\n",
    "hex-upper-spaced": lambda pw: b"535 5.7.8 " + pw.encode().hex(" ").upper().encode() + b"\r\n",
    "hex-of-plain": lambda pw: b"535 5.7.8 " + PLAIN.hex().encode() + b"\r\n",
    "url-encoded": lambda pw: b"535 5.7.8 user=alice&pass=" + quote(pw, safe="").upper().encode()
    + b"&x=1\r\n",
    "url-encoded-plus": lambda pw: b"535 5.7.8 pass=" + quote_plus(pw).encode() + b"\r\n",
    "base64-password": lambda pw: b"535 5.7.8 " + base64.b64encode(pw.encode()) + b"\r\n",
    "base64-shifted": lambda pw: b"535 5.7.8 "
    + base64.b64encode(b"pass:" + pw.encode() + b";") + b"\r\n",  # at another offset
    "base64-other-user": lambda pw: b"535 5.7.8 "
    + base64.b64encode(b"\0bob\0" + pw.encode()) + b"\r\n",
    "token-wrapped": lambda pw: _wrap("535-5.7.8 ", TOKEN, 10),
    "password-wrapped": lambda pw: _wrap("535-", "password " + pw, 13, last="535 "),
    "hex-wrapped": lambda pw: _wrap("535-5.7.8 ", PLAIN.hex(), 16),
}


def _echo_script(certs: Certs, name: str) -> Script:
    async def answer(conn: Conn) -> None:
        line = (await conn.line()).rstrip(b"\r\n")
        assert line.startswith(b"AUTH PLAIN "), line  # the one line this script answers
        password = base64.b64decode(line.split()[-1]).split(b"\0")[2].decode()
        await conn.send(ECHOES[name](password))

    return [send(GREETING), expect(b"EHLO"), send(STARTTLS_EHLO), expect(b"STARTTLS"),
            send(b"220 2.0.0 go ahead\r\n"), start_tls(certs.server_context()),
            expect(b"EHLO"), send(AUTH_EHLO), answer, smtp()]


def _needles() -> set[str]:
    """What must not show, in lower case: the password and every encoding the echoes use,
    and the pieces a wrapped echo cuts them into (eight characters or more)."""
    whole = {PASSWORD, TOKEN, PASSWORD.encode().hex(), PLAIN.hex(), PASSWORD.encode().hex(" "),
             quote(PASSWORD, safe=""), quote_plus(PASSWORD),
             base64.b64encode(PASSWORD.encode()).decode(),
             base64.b64encode(b"pass:" + PASSWORD.encode() + b";").decode()[8:-4],
             base64.b64encode(b"\0bob\0" + PASSWORD.encode()).decode()[8:]}
    pieces = {TOKEN[i:i + 10] for i in range(0, len(TOKEN) - 8, 10)}
    pieces |= {PLAIN.hex()[i:i + 16] for i in range(0, len(PLAIN.hex()) - 8, 16)}
    pieces |= {("password " + PASSWORD)[13:]}
    pieces |= {"hunter", "sekr1t", "er2 sek", "%2f%2b%3f", "2f2b3f", "2f 2b 3f"}
    return {needle.lower() for needle in whole | pieces}


NEEDLES = _needles()


def _assert_hidden(name: str, text: str) -> None:
    folded = text.lower()
    for needle in NEEDLES:
        assert needle not in folded, f"{name}: {needle!r} shows in {text[:3000]!r}"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return Certs.create(str(tmp_path_factory.mktemp("echo")))


@pytest.mark.parametrize("name", list(ECHOES))
def test_probe_hides_a_changed_echo_in_every_output(name: str, certs: Certs,
                                                    tmp_path: Path) -> None:
    transcript = tmp_path / "transcript.txt"
    args = ("probe", "--timeout", "10", "--dry-run", "--auth-user", USER,
            "--ca-file", certs.ca_file)
    env = {"SMTPDIAG_PASSWORD": PASSWORD}
    with HostileServer(_echo_script(certs, name)) as server:
        shown = run_cli(*args, server.target, "--transcript", str(transcript), env=env)
        coloured = run_cli(*args, server.target, env={**env, "FORCE_COLOR": "1"})
        as_json = run_cli(*args, server.target, "--json", env=env)
    assert TOKEN.encode() in b"".join(server.received)  # the secret went out: the test means it
    assert_no_traceback(shown)
    assert shown.returncode == 1, shown.stdout + shown.stderr
    assert "<redacted>" in shown.stdout
    for result in (shown, coloured, as_json):
        _assert_hidden(name, result.stdout + result.stderr)
    _assert_hidden(name, transcript.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["upper-case", "hex-upper-spaced", "url-encoded",
                                  "base64-shifted", "token-wrapped", "password-wrapped"])
@pytest.mark.parametrize("form", ["text", "json", "jsonl", "jsonl-full", "nagios", "junit"])
def test_check_hides_a_changed_echo_in_every_format(name: str, form: str, certs: Certs) -> None:
    fmt = ["--format", "jsonl", "--full"] if form == "jsonl-full" else ["--format", form]
    with HostileServer(_echo_script(certs, name)) as server:
        result = run_cli("check", server.target, "--timeout", "10", "--auth-user", USER,
                         "--ca-file", certs.ca_file, *fmt, env={"SMTPDIAG_PASSWORD": PASSWORD})
    assert_no_traceback(result)
    assert result.returncode == 2, result.stdout + result.stderr  # 535: CRITICAL
    assert ("&lt;redacted&gt;" if form == "junit" else "<redacted>") in result.stdout
    _assert_hidden(name, result.stdout + result.stderr)


def test_a_wrapped_token_is_hidden_in_every_line_it_touches(certs: Certs) -> None:
    with HostileServer(_echo_script(certs, "token-wrapped")) as server:
        result = run_cli("probe", server.target, "--timeout", "10", "--dry-run", "--auth-user",
                         USER, "--ca-file", certs.ca_file, env={"SMTPDIAG_PASSWORD": PASSWORD})
    shown = [line.strip() for line in result.stdout.splitlines() if "← 535" in line]
    assert shown == ["← 535-5.7.8 <redacted>"] * (len(TOKEN) // 10) + ["← 535 5.7.8 <redacted>"]


def test_a_password_wrapped_mid_word_is_hidden_in_both_lines(certs: Certs) -> None:
    with HostileServer(_echo_script(certs, "password-wrapped")) as server:
        result = run_cli("probe", server.target, "--timeout", "10", "--dry-run", "--auth-user",
                         USER, "--ca-file", certs.ca_file, env={"SMTPDIAG_PASSWORD": PASSWORD})
    shown = [line.strip() for line in result.stdout.splitlines() if "← 535" in line]
    assert shown == ["← 535-password <redacted>", "← 535 <redacted>"]


# Unasked, and unfinished: the text quoted in an error message is read across lines too.
UNASKED: dict[str, Callable[[str], list[object]]] = {
    # a success, then the token wrapped over lines nobody asked for, then a hang-up
    "unasked-wrapped": lambda token: [send(b"235 2.7.0 ok\r\nby the way: " + token[:20].encode()
                                           + b"\r\n" + token[20:].encode() + b"\r\n"), close()],
    # a multi-line reply that never ends, the token wrapped over its lines: a timeout
    "unfinished-wrapped": lambda token: [send(_wrap("535-5.7.8 ", token, 12, "535-5.7.8 ")),
                                         hang()],
    # a line that never ends, the token in it upper-cased: the timeout quotes how it began
    "unfinished-line": lambda token: [send(b"535 5.7.8 you sent " + token.upper().encode()),
                                      hang()],
}


@pytest.mark.parametrize("name", list(UNASKED))
def test_a_wrapped_echo_quoted_in_an_error_message_is_hidden(name: str, certs: Certs,
                                                             tmp_path: Path) -> None:
    async def answer(conn: Conn) -> None:
        line = (await conn.line()).rstrip(b"\r\n")
        for action in UNASKED[name](line.split()[-1].decode()):
            await action(conn)  # type: ignore[operator]

    script = [send(GREETING), expect(b"EHLO"), send(STARTTLS_EHLO), expect(b"STARTTLS"),
              send(b"220 2.0.0 go ahead\r\n"), start_tls(certs.server_context()),
              expect(b"EHLO"), send(AUTH_EHLO), answer]
    transcript = tmp_path / "transcript.txt"
    args = ("probe", "--timeout", "1", "--dry-run", "--auth-user", USER,
            "--ca-file", certs.ca_file)
    env = {"SMTPDIAG_PASSWORD": PASSWORD}
    with HostileServer(script) as server:
        shown = run_cli(*args, server.target, "--transcript", str(transcript), env=env)
        as_json = run_cli(*args, server.target, "--json", env=env)
    assert_no_traceback(shown)
    assert shown.returncode == 3, shown.stdout + shown.stderr
    assert re.search(r"<redacted>", shown.stdout)
    for text in (shown.stdout, shown.stderr, as_json.stdout, transcript.read_text("utf-8")):
        _assert_hidden(name, text)


def test_a_tiny_password_hides_its_echo_and_leaves_ordinary_words(certs: Certs) -> None:
    """A password "ok": its echo is hidden, but "Ok", "OK" and "token" are not the password
    (a short secret matches only as a whole word, in the case sent: README, --auth-user)."""
    words = {b"MAIL": b"250 2.1.0 Ok\r\n", b"RCPT": b"250 2.1.5 OK token\r\n",
             b"RSET": b"250 2.0.0 Ok\r\n"}
    script = [send(b"220 hostile.test ESMTP Ok\r\n"), expect(b"EHLO"), send(STARTTLS_EHLO),
              expect(b"STARTTLS"), send(b"220 2.0.0 go ahead\r\n"),
              start_tls(certs.server_context()), expect(b"EHLO"), send(AUTH_EHLO),
              expect(b"AUTH"), send(b"235 2.7.0 Ok, you sent ok\r\n"),
              answering({}, words=words)]
    with HostileServer(script) as server:
        shown = run_cli("probe", server.target, "--timeout", "10", "--dry-run", "--auth-user",
                        USER, "--ca-file", certs.ca_file, env={"SMTPDIAG_PASSWORD": "ok"})
    assert_no_traceback(shown)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    lines = [re.sub(r"\s+\d+ ms$", "", line).strip() for line in shown.stdout.splitlines()]
    assert "greeting     ← 220 hostile.test ESMTP Ok" in lines
    for reply in ("235 2.7.0 Ok, you sent <redacted>", "250 2.1.0 Ok", "250 2.1.5 OK token"):
        assert any(line.endswith("← " + reply) for line in lines), (reply, shown.stdout)
