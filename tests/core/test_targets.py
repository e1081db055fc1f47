"""Every rule of ``core/targets.py`` pinned by a table of inputs that must pass or be refused.

Pure and socket-free: these are among the tests ``mutmut`` runs per mutant (see README).
"""

from __future__ import annotations

import pytest

from smtpdiag.core.targets import (
    DEFAULT_PORT,
    QUIT_POINTS,
    Target,
    _parse_target,
    _plain_target,
    parse_nameserver,
    parse_target,
    refuse_controls,
    tls_mode_for,
    validate_address,
    validate_helo,
)
from smtpdiag.errors import TargetError, UsageError

LABEL_63 = "a" * 63
IDN_63 = "é" + "a" * 55  # "xn--" + its punycode: exactly 63 octets
NAME_253 = ".".join(["a" * 63] * 3 + ["b" * 61])  # 63*3 + 61 + 3 dots = 253

# ------------------------------------------------------------------ parse_target: accepted

ACCEPTED_TARGETS = [
    # text, kwargs, (host, port, literal, mail_domain)
    ("example.com", {}, ("example.com", None, False, True)),
    ("Example.COM", {}, ("example.com", None, False, True)),
    ("example.com.", {}, ("example.com", None, False, True)),
    ("  example.com  ", {}, ("example.com", None, False, True)),
    ("example.com", {"no_mx": True}, ("example.com", None, False, False)),
    ("example.com", {"port": 587}, ("example.com", 587, False, True)),
    ("mx.example.com:2525", {}, ("mx.example.com", 2525, False, False)),
    ("mx.example.com:2525", {"port": 587}, ("mx.example.com", 2525, False, False)),
    ("mx.example.com:1", {}, ("mx.example.com", 1, False, False)),
    ("mx.example.com:65535", {}, ("mx.example.com", 65535, False, False)),
    ("_srv.ex-ample.com", {}, ("_srv.ex-ample.com", None, False, True)),
    ("bücher.example", {}, ("bücher.example", None, False, True)),
    (f"{IDN_63}.example", {}, (f"{IDN_63}.example", None, False, True)),
    (f"{LABEL_63}.com", {}, (f"{LABEL_63}.com", None, False, True)),
    (NAME_253, {}, (NAME_253, None, False, True)),
    (NAME_253 + ".", {}, (NAME_253, None, False, True)),
    ("localhost", {}, ("localhost", None, False, True)),
    ("192.0.2.1", {}, ("192.0.2.1", None, True, False)),
    ("192.0.2.1", {"port": 465}, ("192.0.2.1", 465, True, False)),
    ("192.0.2.1:587", {}, ("192.0.2.1", 587, True, False)),
    ("2001:db8::1", {}, ("2001:db8::1", None, True, False)),
    ("2001:DB8:0:0::1", {}, ("2001:db8::1", None, True, False)),
    ("[2001:db8::1]", {}, ("2001:db8::1", None, True, False)),
    ("[2001:db8::1]:587", {}, ("2001:db8::1", 587, True, False)),
    ("[2001:db8::1]", {"port": 2525}, ("2001:db8::1", 2525, True, False)),
    ("[::1]:25", {}, ("::1", 25, True, False)),
]


@pytest.mark.parametrize(("text", "kwargs", "expected"), ACCEPTED_TARGETS)
def test_accepted_targets(text: str, kwargs: dict[str, object],
                          expected: tuple[str, int | None, bool, bool]) -> None:
    target = parse_target(text, **kwargs)  # type: ignore[arg-type]
    assert (target.host, target.port, target.literal, target.mail_domain) == expected
    assert target.text == text.strip()


# ------------------------------------------------------------------ parse_target: refused

REFUSED_TARGETS = [
    ("", "is empty or contains spaces"),
    ("   ", "is empty or contains spaces"),
    ("mx example.com", "is empty or contains spaces"),
    ("mx.example.com\r\nRCPT", r"control character \(\x0d\)"),
    ("mx\x00.com", r"control character \(\x00\)"),
    ("mx\x7f.com", r"control character \(\x7f\)"),
    ("mx\x9f.com", r"control character \(\x9f\)"),
    ("mx.example.com:0", "port '0' is not a number from 1 to 65535"),
    ("mx.example.com:65536", "port '65536' is not a number from 1 to 65535"),
    ("mx.example.com:", "port '' is not a number from 1 to 65535"),
    ("mx.example.com:smtp", "port 'smtp' is not a number"),
    ("mx.example.com:-1", "port '-1' is not a number"),
    ("mx.example.com:+25", r"port '\+25' is not a number"),
    ("[2001:db8::1", r"missing '\]' after the IPv6 address"),
    ("[2001:db8::1]587", r"expected ':PORT' after '\]'"),
    ("[2001:db8::1]:", "port '' is not a number"),
    ("[2001:db8::1]:0", "port '0' is not a number"),
    ("[2001:db8::1]:65536", "port '65536' is not a number"),
    ("[::1]:25]", r"^target '\[::1\]:25\]': port '25\]' is not a number from 1 to 65535$"),
    ("[::1]:0", r"^target '\[::1\]:0': port '0' is not a number from 1 to 65535$"),
    ("[mx.example.com]", "brackets are for IPv6 addresses only"),
    ("[mx.example.com]:25", "brackets are for IPv6 addresses only"),
    ("[192.0.2.1:25", r"missing '\]'"),
    ("2001:db8::zz", "is not a valid IPv6 address"),
    ("[2001:db8::zz]:25", "is not a valid IPv6 address"),
    ("2001:db8::1:25x", "is not a valid IPv6 address"),
    ("-mx.example.com", r"bad label '-mx'"),
    ("mx-.example.com", r"bad label 'mx-'"),
    ("mx..example.com", r"bad label ''"),
    (".example.com", r"bad label ''"),
    ("mx.exa$mple.com", r"bad label 'exa\$mple'"),
    ("mx.exa/mple.com", r"bad label 'exa/mple'"),
    (f"{'a' * 64}.com", "bad label 'a{64}'"),
    (f"{IDN_63}a.example", f"bad label '{IDN_63}a'"),              # its A-label is 64 octets
    # a bad label is quoted up to 70 characters, then its length is said
    (f"{'a' * 70}.com", r"\(bad label 'a{70}'\)$"),
    (f"{'a' * 71}.com", r"\(bad label 'a{70}'… \(71 characters\)\)$"),
    ("mx.example.com:" + "1" * 40, "port '1{40}' is not a number from 1 to 65535$"),
    ("mx.example.com:" + "1" * 41, r"port '1{40}'… \(41 characters\) is not a number"),
    ("a" * 254, "is not a valid host name$"),
    (NAME_253 + "a", "is not a valid host name$"),
    (".", "is not a valid host name$"),
]


@pytest.mark.parametrize(("text", "message"), REFUSED_TARGETS)
def test_refused_targets(text: str, message: str) -> None:
    with pytest.raises(TargetError, match=message) as info:
        parse_target(text)
    assert info.value.message.startswith("target ")


def test_a_refused_target_is_quoted_in_the_message() -> None:
    with pytest.raises(TargetError, match=r"^target 'mx\.example\.com:0': port '0'"):
        parse_target("mx.example.com:0")
    with pytest.raises(TargetError, match=r"^target 'a\$b' is not a valid host name "
                                          r"\(bad label 'a\$b'\)$"):
        parse_target("a$b")
    with pytest.raises(TargetError,
                       match=r"^target '\[x\]': brackets are for IPv6 addresses only$"):
        parse_target("[x]")


def test_the_control_message_says_why() -> None:
    with pytest.raises(TargetError, match=r"^target contains a control character \(\x0a\); "
                                          "CR, LF, NUL and other controls are refused so that "
                                          "no SMTP command can be injected$"):
        parse_target("a\nb")


@pytest.mark.parametrize("value", ["plain", "ünïcode", "tab-free", "~!#", "\xa0"])
def test_refuse_controls_accepts_printable_text(value: str) -> None:
    refuse_controls(value, "thing")


def test_refuse_controls_raises_the_given_error_class() -> None:
    with pytest.raises(TargetError, match=r"^thing contains a control character \(\x1f\)"):
        refuse_controls("x\x1f", "thing", TargetError)
    with pytest.raises(UsageError, match=r"^thing contains") as info:
        refuse_controls("\x01", "thing")
    assert type(info.value) is UsageError


# ------------------------------------------------------------------ Target.display

@pytest.mark.parametrize(("target", "shown"), [
    (Target("x", "mx.example.com", 25), "mx.example.com:25"),
    (Target("x", "mx.example.com", None), "mx.example.com"),
    (Target("x", "2001:db8::1", 587, literal=True), "[2001:db8::1]:587"),
    (Target("x", "2001:db8::1", None, literal=True), "[2001:db8::1]"),
    (Target("x", "192.0.2.1", 465, literal=True), "192.0.2.1:465"),
])
def test_display(target: Target, shown: str) -> None:
    assert target.display == shown


def test_target_defaults() -> None:
    target = Target("x", "h", 1)
    assert (target.literal, target.mail_domain) == (False, False)
    assert DEFAULT_PORT == 25
    assert QUIT_POINTS == ("connect", "greeting", "ehlo", "tls", "auth", "mail", "rcpt")


# ------------------------------------------------------------------ validate_address

LOCAL_64 = "l" * 64

ACCEPTED_ADDRESSES = [
    ("user@example.com", "user@example.com"),
    ("<user@example.com>", "user@example.com"),
    ("  <user@example.com>  ", "user@example.com"),
    ("  user@example.com ", "user@example.com"),
    ("", ""),
    ("<>", ""),
    ("  ", ""),
    ("first.last@example.com", "first.last@example.com"),
    ("a+tag@example.com", "a+tag@example.com"),
    ("!#$%&'*+/=?^_`{|}~-@example.com", "!#$%&'*+/=?^_`{|}~-@example.com"),
    ("jörg@bücher.example", "jörg@bücher.example"),
    (f"{LOCAL_64}@example.com", f"{LOCAL_64}@example.com"),
    ("user@[192.0.2.1]", "user@[192.0.2.1]"),
    ("user@[IPv6:2001:db8::1]", "user@[IPv6:2001:db8::1]"),
    ("user@Example.COM", "user@Example.COM"),
    ("user@example.com.", "user@example.com."),
]


@pytest.mark.parametrize(("value", "expected"),
                         ACCEPTED_ADDRESSES)
def test_accepted_addresses(value: str, expected: str) -> None:
    assert validate_address(value) == expected


REFUSED_ADDRESSES = [
    ("user", "is not a valid mailbox \\(expected local@domain\\)"),
    ("a@b@example.com", "is not a valid mailbox"),
    ("user@@example.com", "is not a valid mailbox"),
    ("us er@example.com", "is not a valid mailbox"),
    ("user@exa mple.com", "is not a valid mailbox"),
    ("<user@example.com", "is not a valid mailbox"),
    ("user@example.com>", "is not a valid mailbox"),
    ("<<user@example.com>>", "is not a valid mailbox"),
    ('"quoted"@example.com', "is not a valid mailbox"),
    ("a(comment)@example.com", "is not a valid mailbox"),
    ("a,b@example.com", "is not a valid mailbox"),
    ("a;b@example.com", "is not a valid mailbox"),
    ("a:b@example.com", "is not a valid mailbox"),
    ("a\\b@example.com", "is not a valid mailbox"),
    ("a:b@[IPv6:2001:db8::1]", "is not a valid mailbox"),  # ':' only inside the literal
    ("user@[IPv6:::1]>", "is not a valid mailbox"),
    ("user@[IPv6::1]@[IPv6::1]", "is not a valid mailbox"),
    ("a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 62, "is not a valid mailbox"),
    ("@example.com", "has an invalid local part ''"),
    (f"{LOCAL_64}l@example.com", "has an invalid local part 'l{65}'"),
    ("l" * 70 + "@example.com", "has an invalid local part 'l{70}'$"),
    ("l" * 71 + "@example.com", r"has an invalid local part 'l{70}'… \(71 characters\)$"),
    ("us[er@example.com", r"has an invalid local part 'us\[er'"),
    ("us]er@example.com", r"has an invalid local part 'us\]er'"),
    (".user@example.com", "has misplaced dots in its local part"),
    ("user.@example.com", "has misplaced dots in its local part"),
    ("us..er@example.com", "has misplaced dots in its local part"),
    ("user@", "^address domain in '' is not a valid host name$"),
    ("user@.", "is not a valid host name$"),
    ("user@-example.com", r"bad label '-example'"),
    ("user@example..com", r"bad label ''"),
    ("user@exa_mple$.com", r"bad label 'exa_mple\$'"),
    ("user@[192.0.2.300]", "has an invalid address literal"),
    ("user@[example.com]", "has an invalid address literal"),
    ("user@[]", "has an invalid address literal"),
    ("user@[192.0.2.1", r"bad label '\[192'"),
    ("user@ex\r\nample.com", r"control character \(\x0d\)"),
    ("user\x00@example.com", r"control character \(\x00\)"),
]


@pytest.mark.parametrize(("value", "message"), REFUSED_ADDRESSES)
def test_refused_addresses(value: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as info:
        validate_address(value)
    assert type(info.value) is UsageError
    assert info.value.message.startswith("address ")


def test_the_address_messages_name_the_option_and_quote_the_value() -> None:
    with pytest.raises(UsageError, match=r"^--to 'x' is not a valid mailbox \(expected "
                                         r"local@domain\)$"):
        validate_address("x", "--to")
    with pytest.raises(UsageError, match=r"^--from '\.a@b' has misplaced dots in its local part$"):
        validate_address(".a@b", "--from")
    with pytest.raises(UsageError, match=r"^--to '@b' has an invalid local part ''$"):
        validate_address("@b", "--to")
    with pytest.raises(UsageError, match=r"^--to 'a@\[1\]' has an invalid address literal$"):
        validate_address("a@[1]", "--to")
    with pytest.raises(UsageError, match=r"^--to domain in 'b\$' is not a valid host name "):
        validate_address("a@b$", "--to")
    with pytest.raises(UsageError, match=r"^--to contains a control character"):
        validate_address("a@b\n", "--to")


def test_address_length_limit_is_254() -> None:
    domain = "d" * 63 + "." + "e" * 63 + "." + "f" * 63 + "." + "g" * 57  # 249
    assert validate_address("abcd@" + domain) == "abcd@" + domain  # 254
    with pytest.raises(UsageError, match="is not a valid mailbox"):
        validate_address("abcde@" + domain)  # 255


# ------------------------------------------------------------------ validate_helo

@pytest.mark.parametrize(("value", "expected"), [
    ("client.example.com", "client.example.com"),
    ("Client.Example.COM", "client.example.com"),
    ("client.example.com.", "client.example.com"),
    (" client ", "client"),
    ("[192.0.2.1]", "[192.0.2.1]"),
    ("[IPv6:2001:db8::1]", "[IPv6:2001:db8::1]"),
    (" [192.0.2.1] ", "[192.0.2.1]"),
])
def test_accepted_helo_names(value: str, expected: str) -> None:
    assert validate_helo(value) == expected


@pytest.mark.parametrize(("value", "message"), [
    ("[192.0.2.300]", r"^HELO name '\[192\.0\.2\.300\]' is not a valid address literal$"),
    ("[client.example.com]", "is not a valid address literal"),
    ("[]", "is not a valid address literal"),
    ("[IPv6:]", "is not a valid address literal"),
    ("[192.0.2.1", r"^HELO name '\[192\.0\.2\.1' is not a valid host name \(bad label '\[192'\)$"),
    ("192.0.2.1]", r"bad label '1\]'"),
    ("", r"^HELO name '' is not a valid host name$"),
    ("bad name", r"bad label 'bad name'"),
    ("-client", r"bad label '-client'"),
    ("client\r\nMAIL FROM:<x>", r"^HELO name contains a control character \(\x0d\)"),
])
def test_refused_helo_names(value: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        validate_helo(value)


# ------------------------------------------------------------------ tls_mode_for

@pytest.mark.parametrize(("port", "requested", "mode"), [
    (25, "auto", "starttls"),
    (465, "auto", "implicit"),
    (587, "auto", "starttls-required"),
    (2525, "auto", "starttls"),
    (25, "starttls", "starttls-required"),
    (465, "starttls", "starttls-required"),
    (587, "starttls", "starttls-required"),
    (25, "implicit", "implicit"),
    (587, "none", "none"),
    (465, "none", "none"),
])
def test_tls_mode_for(port: int, requested: str, mode: str) -> None:
    assert tls_mode_for(port, requested) == mode


def test_tls_mode_defaults_to_auto() -> None:
    assert tls_mode_for(587) == "starttls-required"
    assert tls_mode_for(465) == "implicit"
    assert tls_mode_for(25) == "starttls"


# ------------------------------------------------------------------ parse_nameserver

@pytest.mark.parametrize(("text", "expected"), [
    ("192.0.2.53", ("192.0.2.53", 53)),
    (" 192.0.2.53 ", ("192.0.2.53", 53)),
    ("192.0.2.53:5353", ("192.0.2.53", 5353)),
    ("192.0.2.53:1", ("192.0.2.53", 1)),
    ("192.0.2.53:65535", ("192.0.2.53", 65535)),
    ("2001:db8::53", ("2001:db8::53", 53)),
    ("[2001:db8::53]", ("2001:db8::53", 53)),
    ("[2001:db8::53]:", ("2001:db8::53", 53)),
    ("[2001:db8::53]:5353", ("2001:db8::53", 5353)),
    ("::1", ("::1", 53)),
])
def test_accepted_nameservers(text: str, expected: tuple[str, int]) -> None:
    assert parse_nameserver(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("dns.example.test", r"^--nameserver 'dns\.example\.test': expected an IP address, "
                         r"optionally :PORT$"),
    ("192.0.2.300", "expected an IP address"),
    ("", "expected an IP address"),
    ("[2001:db8::53", "expected an IP address"),
    ("[dns.example]:53", "expected an IP address"),
    ("192.0.2.53:0", r"^--nameserver '192\.0\.2\.53:0': port '0' is not a number from 1 to 65535$"),
    ("192.0.2.53:65536", "is not a number from 1 to 65535"),
    ("192.0.2.53:dns", "is not a number from 1 to 65535"),
    ("192.0.2.53:", "is not a number from 1 to 65535"),
    ("[2001:db8::53]:0", "is not a number from 1 to 65535"),
    ("[2001:db8::53]x", "is not a number from 1 to 65535"),
    ("[::1]]:53", "is not a number from 1 to 65535"),  # the first ']' ends the address
])
def test_refused_nameservers(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_nameserver(text)


def _outcome(parse: object, text: str, port: int | None = None, no_mx: bool = False) -> object:
    try:
        return parse(text, port, no_mx)  # type: ignore[operator]
    except TargetError as exc:
        return str(exc)


PLAIN_EDGES = [
    "127.0.0.1", "127.0.0.1:25", "0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3", "1.2.3.4.5",
    "01.2.3.4", "1.2.3.04", "10.0.0.1.", "192.168.1.1:65535", "192.168.1.1:65536",
    "1.2.3.4:0", "1.2.3.4:", ":25", "mx.example.com", "MX.Example.COM:587", "example.com.",
    "example.com..", ".example.com", "-a.example", "a-.example", "a_b.example", "a--b.example",
    "a" * 63 + ".example", "a" * 64 + ".example", ("a" * 63 + ".") * 3 + "a" * 61,
    ("a" * 63 + ".") * 3 + "a" * 62, ("a" * 63 + ".") * 3 + "a" * 61 + ".", "host:2_5",
    "host:25:26", "host: 25", " host ", "x", "1", "[127.0.0.1]:25", "[::1]", "::1", "a.b:00025",
    "exämple.com", "a..b", "a/b", "a$b", "host:+25", "host:-1", "host:1e3", "host:123456",
    "host:000025", "host:٢٥", "host:²5",
]


@pytest.mark.parametrize("text", PLAIN_EDGES)
@pytest.mark.parametrize(("port", "no_mx"), [(None, False), (587, True)])
def test_the_fast_path_reads_every_target_as_the_full_parser_does(
        text: str, port: int | None, no_mx: bool) -> None:
    assert _outcome(_plain_target, text, port, no_mx) in (
        None, _outcome(_parse_target, text, port, no_mx))
    assert _outcome(lambda t, p, n: parse_target(t, port=p, no_mx=n), text, port, no_mx) == \
        _outcome(_parse_target, text, port, no_mx)


@pytest.mark.parametrize(("text", "taken"), [
    ("127.0.0.1:25", True), ("mx.example.com", True), ("example.com.", True),
    ("a" * 63 + ".example", True), (("a" * 63 + ".") * 3 + "a" * 61, True),
    (("a" * 63 + ".") * 3 + "a" * 61 + ".", True), ("1.2.3.4:65535", True),
    ("exämple.com", False), ("[::1]:25", False), ("::1", False), ("a b", False),
    ("host:", False), ("host:65536", False), ("host:0", False), ("a..b", False),
    (("a" * 63 + ".") * 3 + "a" * 62, False), ("-a.example", False),
])
def test_the_fast_path_takes_the_common_forms(text: str, taken: bool) -> None:
    assert (_plain_target(text, None, False) is not None) is taken
