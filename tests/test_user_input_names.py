"""Domain names as a user types them into probe, check and audit: a label posing as an IDNA
A-label that is none, a label over 63 octets, a name over 253, a backslash (a DNS escape, no
mail domain has one).  Each is one usage message naming the name, quoted as every other usage
message is (``core.errors.quoted``: no ``repr``, so a backslash is escaped once, where it is
shown); none reaches a resolver, none is an internal error."""

from __future__ import annotations

import subprocess

import pytest

from .conftest import assert_no_traceback, run_cli

NOWHERE = ["--nameserver", "127.0.0.1:9", "--timeout", "0.5"]  # never asked: refused first
CODES = {"probe": 2, "check": 3, "audit": 2}


def _usage(result: subprocess.CompletedProcess[str], command: str) -> str:
    assert_no_traceback(result)
    assert "internal error" not in result.stderr
    assert result.returncode == CODES[command], (result.returncode, result.stdout,
                                                 result.stderr)
    assert result.stderr.startswith("smtpdiag: error: "), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr


@pytest.mark.parametrize("command", ["probe", "check", "audit"])
def test_a_label_that_is_no_a_label_is_refused_by_name(command: str) -> None:
    """``xn--zz`` is no IDNA A-label: probe without --dry-run crashed announcing its
    recipient (exit 70), and audit asked the DNS about it."""
    message = _usage(run_cli(command, "xn--zz.test", *NOWHERE), command)
    assert "'xn--zz.test'" in message and "IDNA" in message, message


@pytest.mark.parametrize("command", ["probe", "check", "audit"])
def test_a_backslash_in_a_domain_is_refused_and_shown_once_escaped(command: str) -> None:
    message = _usage(run_cli(command, "exa\\mple.test", *NOWHERE), command)
    assert "'exa\\\\mple.test'" in message, message  # the one backslash, escaped where shown
    assert "\\\\\\\\" not in message


@pytest.mark.parametrize("command", ["probe", "check", "audit"])
@pytest.mark.parametrize("name", ["a" * 64 + ".test", ".".join(["a" * 60] * 5)])
def test_a_label_or_name_too_long_for_dns_is_refused(command: str, name: str) -> None:
    message = _usage(run_cli(command, name, *NOWHERE), command)
    assert "is not a valid host name" in message, message
    assert "codec" not in message and "UnicodeError" not in message


def test_every_layer_quotes_typed_input_as_the_cli_does(monkeypatch) -> None:
    """One form, ``core.errors.quoted``: the text in quotes as typed, escaped once where it is
    shown.  ``repr`` escaped it already, so a typed backslash showed doubled twice over."""
    import asyncio

    from smtpdiag.api import explain, probe_options
    from smtpdiag.errors import UsageError
    from smtpdiag.exporter.allow import AllowList
    from smtpdiag.exporter.config import parse_listen
    from smtpdiag.net.dns import Resolver

    def message(call) -> str:
        try:
            call()
        except UsageError as exc:
            return exc.message
        raise AssertionError("no UsageError")

    assert message(lambda: asyncio.run(Resolver(("127.0.0.1", 9), 0.5).addresses(
        "a\\ b.test"))) == "'a\\ b.test' is not a domain name: it contains whitespace"
    assert message(lambda: Resolver(("x\\y", 53))) == (
        "the nameserver must be an IP address, not 'x\\y'")
    assert message(lambda: parse_listen("x\\y:1")) == (
        "--listen 'x\\y:1': expected IP:PORT or [IPv6]:PORT, e.g. 127.0.0.1:9125")
    assert message(lambda: AllowList.parse(["a\\b"])).startswith("allow pattern 'a\\b': ")
    assert "not 'x\\y'" in message(lambda: probe_options(tls="x\\y"))
    assert message(lambda: explain("550", lang="x\\y")).startswith("unknown language 'x\\y';")
    from smtpdiag.net.eventloop import ENV, loop_factory

    monkeypatch.setenv(ENV, "a\\b")
    assert message(lambda: loop_factory(2)).startswith(f"{ENV}='a\\b': it must be one of")
