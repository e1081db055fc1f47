"""The pytest plugin, driven as its users drive it: test files run by pytester.

Each inner test talks to the fake server with a real client (smtplib, aiosmtplib) over real
loopback sockets, and asserts on what the server received.
"""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys

import pytest

# pytester's in-process runs forget the modules a run imported; cryptography's Rust core cannot
# be imported twice in one process, so the server's libraries are loaded here, once, first.
import smtpdiag.fakeserver.server  # noqa: F401

pytest_plugins = ("pytester",)


def test_the_plugin_is_registered_by_the_package_entry_point():
    found = [ep for ep in importlib.metadata.entry_points(group="pytest11")
             if ep.name == "smtpdiag"]
    assert [ep.value for ep in found] == ["smtpdiag.fakeserver.pytest_plugin"]


def test_smtplib_against_the_default_healthy_server(pytester):
    pytester.makepyfile("""
        import smtplib
        from email.message import EmailMessage

        def test_send(smtp_server):
            assert (smtp_server.scenario, smtp_server.tls) == ("healthy", "none")
            assert smtp_server.ca_file is None
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = "a@example.test", "b@example.test", "Hi"
            msg.set_content("hello")
            with smtplib.SMTP(smtp_server.host, smtp_server.port) as client:
                client.send_message(msg)
            assert smtp_server.envelope.mail_from == "a@example.test"
            assert smtp_server.envelope.rcpt_tos == ("b@example.test",)
            assert smtp_server.envelope.reply.startswith("250 2.0.0")
            assert smtp_server.message["Subject"] == "Hi"
            assert smtp_server.message.get_content().strip() == "hello"
            assert [c.split()[0] for c in smtp_server.commands] == [
                "EHLO", "MAIL", "RCPT", "DATA", "QUIT"]
    """)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_marker_chooses_scenario_and_starttls_with_a_trusted_ca(pytester):
    pytester.makepyfile("""
        import smtplib
        import pytest

        @pytest.mark.smtp_server("greylist", tls="starttls")
        def test_greylisted(smtp_server):
            with smtplib.SMTP(smtp_server.host, smtp_server.port) as client:
                client.starttls(context=smtp_server.client_context())
                client.login(smtp_server.user, smtp_server.password)
                with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
                    client.sendmail("a@example.test", ["b@example.test"], b"x")
            code, text = refused.value.recipients["b@example.test"]
            assert code == 450 and b"Greylisted" in text
            assert smtp_server.tls_sessions == 1
            assert smtp_server.envelope is None and smtp_server.message is None
            assert "AUTH PLAIN <redacted>" in smtp_server.commands
            assert smtp_server.password not in " ".join(smtp_server.commands)
    """)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_implicit_tls_and_a_full_mailbox(pytester):
    pytester.makepyfile("""
        import smtplib
        import pytest

        @pytest.mark.smtp_server(scenario="mailbox-full", tls="implicit")
        def test_full(smtp_server):
            context = smtp_server.client_context()
            with smtplib.SMTP_SSL(smtp_server.host, smtp_server.port, context=context) as c:
                with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
                    c.sendmail("a@example.test", ["full@example.test"], b"x")
            assert refused.value.recipients["full@example.test"][0] == 552
    """)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_indirect_parametrization_runs_one_test_per_scenario(pytester):
    pytester.makepyfile("""
        import smtplib
        import pytest

        @pytest.mark.parametrize("smtp_server", [
            "healthy", {"scenario": "relay-denied"}, {"scenario": "greeting-421"},
        ], indirect=True)
        def test_each(smtp_server):
            try:
                with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
                    client.sendmail("a@example.test", ["b@example.test"], b"x")
                outcome = "sent"
            except smtplib.SMTPRecipientsRefused:
                outcome = "refused"
            except smtplib.SMTPConnectError as exc:
                outcome = f"greeting {exc.smtp_code}"
            expected = {"healthy": "sent", "relay-denied": "refused",
                        "greeting-421": "greeting 421"}
            assert outcome == expected[smtp_server.scenario]
    """)
    pytester.runpytest("-p", "no:cacheprovider", "-v").assert_outcomes(passed=3)


def test_aiosmtplib_and_the_factory(pytester):
    pytester.makepyfile("""
        import asyncio
        import aiosmtplib

        def test_two_servers(smtp_server_factory):
            good = smtp_server_factory("healthy", tls="starttls")
            failing = smtp_server_factory("tempfail")

            async def send(server, **tls):
                return await aiosmtplib.send(
                    "Subject: hi\\r\\n\\r\\nhello\\r\\n", sender="a@example.test",
                    recipients=["b@example.test"], hostname=server.host, port=server.port,
                    **tls)

            asyncio.run(send(good, start_tls=True, tls_context=good.client_context()))
            assert good.message["Subject"] == "hi"
            try:
                asyncio.run(send(failing))
            except aiosmtplib.SMTPSenderRefused as exc:
                assert exc.code == 451
            else:
                raise AssertionError("tempfail accepted the sender")
            assert failing.envelopes == []
    """)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


@pytest.mark.parametrize(("decorator", "message"), [
    ('@pytest.mark.smtp_server("no-such")', "unknown scenario 'no-such'"),
    ('@pytest.mark.smtp_server(tls="sometimes")', "tls must be one of"),
    ('@pytest.mark.smtp_server("healthy", "none")', "expected (scenario, tls=...)"),
])
def test_a_wrong_marker_fails_the_test_with_one_clear_line(pytester, decorator, message):
    pytester.makepyfile(f"""
        import pytest

        {decorator}
        def test_it(smtp_server):
            pass
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*{message}*"])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_servers_are_stopped_after_the_test(pytester):
    pytester.makepyfile("""
        import socket

        ports = []

        def test_one(smtp_server):
            ports.append(smtp_server.port)

        def test_after():
            with socket.socket() as sock:
                assert sock.connect_ex(("127.0.0.1", ports[0])) != 0
    """)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_a_fresh_pytest_process_finds_the_marker_and_fixture(pytester):
    """The entry point, not this process's plugin manager: a new pytest knows the plugin."""
    def run(option: str) -> str:
        return subprocess.run([sys.executable, "-m", "pytest", option, "-p", "no:cacheprovider"],
                              cwd=pytester.path, capture_output=True, text=True, timeout=120,
                              check=False).stdout

    assert "@pytest.mark.smtp_server(scenario='healthy', *, tls='none')" in run("--markers")
    fixtures = run("--fixtures")
    assert "smtp_server_factory" in fixtures and "smtp_server --" in fixtures


LOADED = """
import sys, pytest
rc = pytest.main(["-q", "-p", "no:cacheprovider", {path!r}])
heavy = ("aiosmtpd", "trustme", "cryptography", "smtpdiag.fakeserver.server")
print("LOADED:" + ",".join(sorted(m for m in sys.modules if m in heavy)))
"""


def test_a_suite_that_never_uses_the_fixture_loads_no_server(pytester):
    """Installed everywhere smtpdiag is, the plugin must cost suites that ignore it nothing."""
    path = pytester.makepyfile("def test_nothing():\n    assert True\n")
    result = subprocess.run([sys.executable, "-c", LOADED.format(path=str(path))],
                            cwd=pytester.path, capture_output=True, text=True, timeout=120,
                            check=False)
    assert "1 passed" in result.stdout
    assert "LOADED:\n" in result.stdout + "\n"


def readme_examples() -> list[str]:
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## pytest plugin", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.+?)\n```", section, re.DOTALL)


def test_the_readme_examples_pass_as_written(pytester):
    examples = readme_examples()
    assert len(examples) == 2
    for number, example in enumerate(examples):
        pytester.makepyfile(**{f"test_readme_{number}": example})
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=5)
