"""The pure rules behind round two of the hostile servers, tested without sockets: how a server
talked (core/conduct.py), how good its TLS is (core/tlsgrade.py), what its MX set says
(core/findings.mx_findings), and how user text and long lines are read."""

from __future__ import annotations

import pytest

from smtpdiag.core.capabilities import parse_capabilities
from smtpdiag.core.conduct import conduct_findings
from smtpdiag.core.findings import mx_findings
from smtpdiag.core.replies import MAX_LINE_KEPT, ReplyReader, parse_reply
from smtpdiag.core.targets import parse_port, parse_target
from smtpdiag.core.tlsgrade import cipher_weaknesses, refusal_message, tls_grade_findings
from smtpdiag.errors import UsageError, quoted
from smtpdiag.model import Attempt, Capabilities, MxHost, Reply, Resolution, Step, TlsInfo
from smtpdiag.render.doc import clean


def _attempt(*steps: Step, caps: Capabilities | None = None) -> Attempt:
    return Attempt("mx.test", "192.0.2.1", 25, "starttls", steps=steps, capabilities=caps)


def _messages(attempt: Attempt) -> list[str]:
    found = conduct_findings(attempt)
    assert all(f.severity == "warning" for f in found)
    return [f.message for f in found]


# --- conduct


def test_unasked_data_is_a_warning_on_the_step_it_followed() -> None:
    step = Step("ehlo", "EHLO c", parse_reply(b"250 ok\r\n"), unasked="250 again")
    (finding,) = conduct_findings(_attempt(step))
    assert finding.step == "ehlo"
    assert finding.message.startswith("unasked: after its ehlo reply the server sent "
                                      "'250 again' without being asked")


def test_nothing_unasked_nothing_said() -> None:
    assert _messages(_attempt(Step("mail", "MAIL", parse_reply(b"250 2.1.0 ok\r\n")))) == []


def test_control_characters_in_ehlo_lines_are_named_escaped() -> None:
    reply = Reply(250, ("name", "STARTTLS\x01", "8BITMIME", "AU\x1bTH PLAIN", "X\tTAB"))
    (message,) = _messages(_attempt(Step("ehlo", "EHLO c", reply)))
    assert "'STARTTLS\\x01', 'AU\\x1bTH PLAIN'" in clean(message)  # escaped where shown
    assert "8BITMIME" not in message and "TAB" not in message  # a tab is spacing


def test_many_control_lines_are_counted_after_five() -> None:
    reply = Reply(250, ("name", *(f"K{i}\x02" for i in range(8))))
    (message,) = _messages(_attempt(Step("ehlo-tls", "EHLO c", reply)))
    assert "and 3 more" in message and "K5" not in message


def test_the_server_name_line_may_hold_anything() -> None:
    assert _messages(_attempt(Step("ehlo", "EHLO c", Reply(250, ("na\x01me", "SIZE 10"))))) == []


@pytest.mark.parametrize(("size", "said"), [(510, None), (511, "513 bytes"), (600, "602 bytes")])
def test_an_ehlo_line_over_512_bytes_is_a_warning(size: int, said: str | None) -> None:
    line = "X" * (size - 4)
    reply = Reply(250, ("name", line), raw=("250-name", f"250 {line}"))
    messages = _messages(_attempt(Step("ehlo", "EHLO c", reply)))
    if said is None:
        assert messages == []
    else:
        (message,) = messages
        assert f"a line of {said}" in message and "read whole" not in message


def test_a_cut_ehlo_line_says_it_was_cut_and_read_whole() -> None:
    kept = "250 AUTH " + "X" * (MAX_LINE_KEPT - 9)  # a line kept up to the cut
    reply = Reply(250, ("name", kept[4:]), raw=("250-name", kept), truncated=True)
    (message,) = _messages(_attempt(Step("ehlo", "EHLO c", reply)))
    assert f"more than {MAX_LINE_KEPT} bytes" in message
    assert "read whole for their keywords" in message


def test_a_reply_cut_for_its_number_of_lines_is_not_called_a_long_line() -> None:
    reply = Reply(250, ("name", "AUTH X"), raw=("250-name", "250 AUTH X"), truncated=True)
    assert _messages(_attempt(Step("ehlo", "EHLO c", reply))) == []


@pytest.mark.parametrize(("text", "why"), [
    ("2.0.99999 ok", "subject and detail are 1 to 3 digits each"),
    ("2.0000.0 ok", "subject and detail are 1 to 3 digits each"),
    ("9.9.9 ok", "class 9 is not 2, 4 or 5"),
    ("5.1.0 ok", "class 5 does not match the reply code 250"),
])
def test_a_malformed_enhanced_code_says_why(text: str, why: str) -> None:
    reply = parse_reply(f"250 {text}\r\n".encode())
    assert reply.enhanced is None
    (message,) = _messages(_attempt(Step("rcpt", "RCPT", reply)))
    code = text.split()[0]
    assert message == (f"the rcpt reply has a malformed enhanced status code '{code}': {why} "
                       "(RFC 3463)")


def test_two_part_codes_count_only_after_enhancedstatuscodes() -> None:
    step = Step("mail", "MAIL", parse_reply(b"250 2.0 ok\r\n"))
    assert _messages(_attempt(step)) == []
    (message,) = _messages(_attempt(step, caps=Capabilities(enhancedstatuscodes=True)))
    assert "it has two parts, not three" in message


@pytest.mark.parametrize("text", ["2.1.0 ok", "ok 2.0.99999", "1.2.3.4 relayed", "250 fine"])
def test_well_formed_or_absent_enhanced_codes_are_fine(text: str) -> None:
    step = Step("mail", "MAIL", parse_reply(f"250 {text}\r\n".encode()))
    assert _messages(_attempt(step, caps=Capabilities(enhancedstatuscodes=True))) == []


def test_ehlo_replies_are_not_read_for_enhanced_codes() -> None:
    assert _messages(_attempt(Step("ehlo", "EHLO c", Reply(250, ("9.9.9 name",))))) == []


def test_quit_unanswered_or_not_221() -> None:
    (none,) = _messages(_attempt(Step("quit", "QUIT", None)))
    assert none.startswith("QUIT got no answer")
    (wrong,) = _messages(_attempt(Step("quit", "QUIT", parse_reply(b"250 bye\r\n"))))
    assert wrong.startswith("QUIT was answered 250, not 221")
    assert _messages(_attempt(Step("quit", "QUIT", parse_reply(b"221 bye\r\n")))) == []


# --- TLS grades


@pytest.mark.parametrize(("cipher", "weak"), [
    ("TLS_AES_256_GCM_SHA384", ()),
    ("ECDHE-RSA-AES128-GCM-SHA256", ()),
    ("ECDHE-ECDSA-CHACHA20-POLY1305", ()),
    ("ECDHE-ECDSA-AES128-SHA256", ("CBC",)),
    ("DHE-RSA-AES256-SHA", ("CBC",)),
    ("AES128-GCM-SHA256", ("forward secrecy",)),
    ("AES256-SHA", ("CBC", "forward secrecy")),
    ("RC4-SHA", ("RC4", "CBC", "forward secrecy")),
    ("DES-CBC3-SHA", ("3DES", "CBC", "forward secrecy")),
    ("ADH-AES128-SHA", ("no authentication", "CBC", "forward secrecy")),
])
def test_cipher_weaknesses(cipher: str, weak: tuple[str, ...]) -> None:
    found = cipher_weaknesses(cipher)
    assert len(found) == len(weak)
    for text, word in zip(found, weak, strict=True):
        assert word in text


def test_tls_grade_findings_for_old_versions_and_weak_ciphers() -> None:
    old = tls_grade_findings(TlsInfo("starttls", version="TLSv1", cipher="AES256-SHA"))
    assert [f.message.split(":")[0] for f in old] == [
        "outdated TLS version TLSv1 (TLS 1.0, deprecated by RFC 8996)", "weak cipher AES256-SHA"]
    assert all(f.severity == "warning" and f.step == "tls" for f in old)
    good = TlsInfo("starttls", version="TLSv1.3", cipher="TLS_AES_128_GCM_SHA256")
    assert tls_grade_findings(good) == ()
    assert tls_grade_findings(TlsInfo("starttls")) == ()


def test_refusal_message_names_the_version_or_the_ciphers() -> None:
    old = refusal_message("TLSv1.1", "ECDHE-RSA-AES128-SHA")
    assert old.startswith("the server offers only TLS 1.1 with ECDHE-RSA-AES128-SHA: ")
    assert "TLS 1.2 or later" in old and "diagnostic-only connection" in old
    ciphers = refusal_message("TLSv1.2", "AES128-SHA")
    assert ciphers.startswith("the server offers only ciphers smtpdiag refuses (TLS 1.2 with "
                              "AES128-SHA)")


# --- the MX set


def test_mx_findings_aliases_and_equal_preferences() -> None:
    resolution = Resolution("d.test", "mx", mx=(
        MxHost(10, "a.d.test", "real.d.test"), MxHost(10, "b.d.test"), MxHost(20, "c.d.test"),
        MxHost(30, "e.d.test"), MxHost(30, "f.d.test"), MxHost(30, "g.d.test")))
    warning, *infos = mx_findings(resolution)
    assert warning.severity == "warning" and warning.step == "dns"
    assert warning.message.startswith("the MX host a.d.test is an alias (CNAME) of real.d.test")
    assert [(f.severity, f.message.split(":")[0]) for f in infos] == [
        ("info", "the MX hosts a.d.test, b.d.test share preference 10"),
        ("info", "the MX hosts e.d.test, f.d.test, g.d.test share preference 30")]


def test_a_single_plain_mx_has_no_findings() -> None:
    assert mx_findings(Resolution("d.test", "mx", mx=(MxHost(0, "mx.d.test"),))) == ()


# --- long lines, keywords, user numbers


def test_a_cut_line_is_kept_whole_in_full_lines_only() -> None:
    line = b"250-AUTH " + b"X" * 3000 + b" PLAIN\r\n250 8BITMIME\r\n"
    reader = ReplyReader()
    reply = reader.feed(line)
    assert reply is not None and reply.truncated
    assert len(reply.lines[0]) == MAX_LINE_KEPT - 4
    assert reader.full_lines[0].endswith(" PLAIN") and reader.full_lines[1] == "8BITMIME"
    caps = parse_capabilities(Reply(250, ("name", *reply.lines)),
                              ("name", *reader.full_lines))
    assert caps.auth == ("PLAIN",)
    assert parse_capabilities(Reply(250, ("name", *reply.lines))).auth == ()


def test_sasl_names_only_and_size_in_ascii_digits() -> None:
    caps = parse_capabilities(Reply(250, (
        "name", "AUTH PLAIN login X-OAUTH2 ÜBER TOO-LONG-A-NAME-FOR-SASL", "AUTH=CRAM-MD5",
        "SIZE ²⁵")))
    assert caps.auth == ("PLAIN", "LOGIN", "X-OAUTH2", "CRAM-MD5")
    assert caps.size == 0
    assert parse_capabilities(Reply(250, ("n", "SIZE 1" + "0" * 30))).size == 0
    assert parse_capabilities(Reply(250, ("n", "SIZE 1000"))).size == 1000


@pytest.mark.parametrize("text", ["25", "1", "65535", "00025"])
def test_parse_port_takes_ascii_ports(text: str) -> None:
    assert parse_port(text, "x") == int(text)


@pytest.mark.parametrize("text", ["0", "65536", "²⁵", "２５", "", "+25", " 25", "123456"])
def test_parse_port_refuses_the_rest(text: str) -> None:
    with pytest.raises(UsageError, match="is not a number from 1 to 65535"):
        parse_port(text, "x")


def test_nfd_and_nfc_targets_are_the_same_name() -> None:
    assert parse_target("bu\u0308cher.test").host == parse_target("bücher.test").host


def test_quoted_cuts_long_input_and_says_how_long() -> None:
    assert quoted("abc") == "'abc'"
    assert quoted("x" * 200) == repr("x" * 200)
    assert quoted("x" * 201) == f"{'x' * 200!r}… (201 characters)"
    assert quoted("y" * 50, 10) == f"{'y' * 10!r}… (50 characters)"


def test_other_readers_of_server_and_dns_text_take_ascii_digits_only() -> None:
    """The audit's own small reply reader and TLSA parser: ``"²⁵⁰".isdigit()`` is true."""
    import asyncio

    from smtpdiag.core.policy.dane import parse_tlsa
    from smtpdiag.net.submission import _reply

    assert parse_tlsa("³ 1 1 abcd") is None
    assert parse_tlsa("3 1 1 abcd") is not None

    async def read(data: bytes) -> object:
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        try:
            return await _reply(reader)
        except ConnectionError as exc:
            return str(exc)

    assert "not an SMTP reply" in str(asyncio.run(read("²⁵⁰ hi\r\n".encode())))
    assert asyncio.run(read(b"250 hi\r\n")) == (250, ["250 hi"])


@pytest.mark.parametrize(("code", "warned"), [(220, False), (421, False), (554, False),
                                               (450, True), (550, True), (451, True)])
def test_a_greeting_refusing_in_a_code_rfc_5321_does_not_give_it_is_a_warning(
        code: int, warned: bool) -> None:
    attempt = _attempt(Step("greeting", None, Reply(code, ("x",), raw=(f"{code} x",))))
    expected = [f"the greeting refused with {code}, a code RFC 5321 §3.1 does not give a "
                "greeting (220 to serve, 554 or 421 to refuse); clients read it by its first "
                "digit"] if warned else []
    assert _messages(attempt) == expected


@pytest.mark.parametrize(("value", "shown"), [
    ("-5", "'-5'"), ("0x10", "'0x10'"), ("1e9", "'1e9'"), ("\\xff\\xfe", "'\\xff\\xfe'"),
    ("1" * 21, "'" + "1" * 21 + "'"),
])
def test_a_size_that_is_not_a_number_of_bytes_is_said_so(value: str, shown: str) -> None:
    reply = Reply(250, ("name", "PIPELINING", f"SIZE {value}"))
    assert _messages(_attempt(Step("ehlo", "EHLO c", reply))) == [
        f"the ehlo reply advertises SIZE with {shown}, not a number of bytes (RFC 1870: digits "
        "only); smtpdiag reads it as no stated limit"]
    assert parse_capabilities(reply).size == 0


@pytest.mark.parametrize("line", ["SIZE", "SIZE 0", "SIZE 10240000", "SIZE " + "9" * 20,
                                  "size 100"])
def test_a_size_that_is_a_number_or_none_says_nothing(line: str) -> None:
    assert _messages(_attempt(Step("ehlo", "EHLO c", Reply(250, ("name", line))))) == []
