"""The public Python API: exactly the names ``__all__`` promises, cheap to import, and working
against real fake servers on loopback."""

from __future__ import annotations

import asyncio
import inspect
import subprocess
import sys
import types

import pytest

import smtpdiag
from smtpdiag.fakeserver import DEMO_PASSWORD, DEMO_USER, FakeServer
from tests.conftest import assert_valid


def test_public_names_are_exactly_all():
    """Every public attribute is in ``__all__`` and every name there resolves (httpx's test)."""
    for name in smtpdiag.__all__:
        getattr(smtpdiag, name)
    public = {name for name in dir(smtpdiag)
              if not name.startswith("_") and not isinstance(getattr(smtpdiag, name),
                                                              types.ModuleType)}
    assert public == {name for name in smtpdiag.__all__ if not name.startswith("_")}
    assert sorted(smtpdiag.__all__) == smtpdiag.__all__


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        smtpdiag.nope  # noqa: B018


def test_the_error_tree_is_public_and_rooted():
    errors = [getattr(smtpdiag, n) for n in smtpdiag.__all__ if n.endswith(("Error", "Timeout"))]
    assert len(errors) == 8
    assert all(issubclass(e, smtpdiag.SmtpdiagError) for e in errors)
    assert issubclass(smtpdiag.TargetError, smtpdiag.UsageError)


def test_coroutines_and_sync_wrappers():
    assert inspect.iscoroutinefunction(smtpdiag.probe)
    assert inspect.iscoroutinefunction(smtpdiag.check)
    assert not inspect.iscoroutinefunction(smtpdiag.probe_sync)
    assert not inspect.iscoroutinefunction(smtpdiag.explain)


LOADED = """
import sys
import smtpdiag
{use}
heavy = ("asyncio", "aiosmtplib", "dns", "rich", "typer", "cryptography", "aiosmtpd", "aiohttp",
         "prometheus_client", "smtpdiag.model", "smtpdiag.net")
print(",".join(sorted(m for m in sys.modules if m.split(".")[0] in heavy or m in heavy
                      or any(m.startswith(h + ".") for h in heavy))))
"""


@pytest.mark.parametrize(("use", "allowed"), [
    ("", set()),
    ("smtpdiag.UsageError", set()),
    ("smtpdiag.explain('550')", set()),
    ("smtpdiag.Reply", {"smtpdiag.model"}),
])
def test_import_smtpdiag_stays_cheap(use, allowed):
    out = subprocess.run([sys.executable, "-c", LOADED.format(use=use)], capture_output=True,
                         text=True, check=True, timeout=60).stdout.strip()
    assert {m for m in out.split(",") if m} == allowed


@pytest.fixture
def server():
    with FakeServer("healthy", tls="starttls") as running:
        yield running


def test_probe_sync_walks_a_real_server_and_returns_the_records(server):
    report = smtpdiag.probe_sync(
        f"127.0.0.1:{server.port}", helo="client.smtpdiag.test", mail_from="a@client.test",
        rcpt_to=["b@x.test"], auth_user=DEMO_USER, auth_password=DEMO_PASSWORD,
        ca_file=server.certs.ca_file, timeout=5)
    assert isinstance(report, smtpdiag.Report)
    assert report.verdict == "accepted"
    attempt = report.attempts[-1]
    assert isinstance(attempt.tls, smtpdiag.TlsInfo) and attempt.tls.verified
    assert [s.name for s in attempt.steps if s.name in ("auth", "data")] == ["auth", "data"]
    assert len(server.recorded.messages) == 1


def test_probe_is_a_coroutine_for_code_with_a_loop(server):
    async def main() -> smtpdiag.Report:
        return await smtpdiag.probe(f"127.0.0.1:{server.port}", dry_run=True, timeout=5,
                                    helo="client.smtpdiag.test", ca_file=server.certs.ca_file)

    report = asyncio.run(main())
    assert report.verdict == "accepted" and report.dry_run
    assert server.recorded.messages == []


def test_sync_wrapper_inside_a_running_loop_says_what_to_do_instead(closed_port):
    async def main() -> None:
        smtpdiag.probe_sync(f"127.0.0.1:{closed_port}")

    with pytest.raises(smtpdiag.UsageError, match=r"await smtpdiag.probe"):
        asyncio.run(main())


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"rcpt_to": ["a@b.test\r\nRSET"]}, "rcpt_to"),
    ({"helo": "bad name"}, "HELO"),
    ({"tls": "sometimes"}, "tls must be one of"),
    ({"port": 70000}, "port must be"),
    ({"auth_user": "me"}, "auth_password"),
    ({"quit_after": "never"}, "quit_after"),
    ({"ca_file": "/no/such/ca.pem"}, "ca_file"),
    ({"nameserver": "dns.example"}, "nameserver"),
    ({"colour": True}, "unknown option"),
    ({"helo": ""}, r"^HELO name '' is not a valid host name$"),
    ({"data_timeout": 0}, r"^data_timeout must be a positive number of seconds, at most 3600$"),
    # a number out of range is told the range, not only "positive"
    ({"timeout": 7200}, r"^timeout must be a positive number of seconds, at most 3600, not 7200$"),
    ({"timeout": 1, "deadline": 1e6},
     r"^deadline must be a positive number of seconds, at most 86400, not 1000000.0$"),
    ({"timeout": -1}, r"^timeout must be a positive number of seconds, at most 3600, not -1$"),
    ({"ca_file": __file__}, r"^ca_file '.*test_api\.py': holds no PEM certificate"),
])
def test_bad_input_raises_usage_error_before_anything_is_sent(server, kwargs, message):
    with pytest.raises(smtpdiag.UsageError, match=message):
        smtpdiag.probe_sync(f"127.0.0.1:{server.port}", **kwargs)
    assert server.recorded.commands == []


def test_a_bad_target_is_a_target_error():
    with pytest.raises(smtpdiag.TargetError,
                       match=r"^target 'mx.example.com:99999': port '99999' is not a number "
                             r"from 1 to 65535$"):
        smtpdiag.probe_sync("mx.example.com:99999")


def test_a_server_refusal_is_in_the_report_not_raised():
    with FakeServer("relay-denied", tls="none") as refusing:
        report = smtpdiag.probe_sync(f"127.0.0.1:{refusing.port}", dry_run=True, timeout=5,
                                     helo="client.smtpdiag.test")
    assert report.verdict == "refused"
    rcpt = next(s for s in report.attempts[-1].steps if s.name == "rcpt")
    assert rcpt.reply is not None and rcpt.reply.code == 554


def test_check_sync_judges_each_target_in_input_order():
    with FakeServer("healthy", tls="none") as good, FakeServer("greylist", tls="none") as grey:
        run = smtpdiag.check_sync([f"127.0.0.1:{good.port}", f"127.0.0.1:{grey.port}"],
                                  helo="client.smtpdiag.test", timeout=5)
    assert isinstance(run, smtpdiag.CheckRun)
    assert [r.state for r in run.results] == ["OK", "WARNING"]
    assert run.state == "WARNING" and run.dry_run
    assert isinstance(run.results[1].reasons[0], smtpdiag.Reason)


def test_check_expectations_are_validated_up_front(closed_port):
    target = f"127.0.0.1:{closed_port}"
    with pytest.raises(smtpdiag.UsageError,
                       match=r"^--expect data=…: a check sends no DATA unless --send is given$"):
        smtpdiag.check_sync(target, expect=["data=250"])
    with pytest.raises(smtpdiag.TargetError,
                       match=r"^target 'bad target:' is empty or contains spaces$"):
        smtpdiag.check_sync([target, "bad target:"])
    with pytest.raises(smtpdiag.UsageError, match=r"^no targets to check$"):
        smtpdiag.check_sync([])


def test_explain_returns_the_documented_json_shape():
    result = smtpdiag.explain("550 5.7.1 <a@b.test>: Relay access denied")
    assert_valid(result, "explain")
    assert result["items"][0]["reply"]["code"] == 550
    with pytest.raises(smtpdiag.UsageError, match=r"^nothing to explain: give a code"):
        smtpdiag.explain("")
    with pytest.raises(smtpdiag.UsageError, match="language"):
        smtpdiag.explain("550", lang="xx")
