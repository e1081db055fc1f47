"""``smtpdiag check`` against real fake servers on loopback: states, formats, the fleet.

Judging is probed once per server and then held against many thresholds (``judge`` is pure);
the CLI runs as a subprocess, as a monitor would run it.  Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import re
import socket
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import trustme

from smtpdiag.core.health import CheckRun, judge
from smtpdiag.core.thresholds import Thresholds, build_thresholds
from smtpdiag.fakeserver import DEMO_PASSWORD, DEMO_USER, Certs, FakeServer
from smtpdiag.model import Report
from smtpdiag.net.fleet import probe_many
from smtpdiag.net.probe import ProbeOptions, probe
from smtpdiag.render.check_formats import RENDERERS, STREAMERS, CheckFormat, render

from .conftest import assert_no_traceback, assert_valid, load_schema, run_cli

HELO = "check.smtpdiag.test"
FAST = ProbeOptions(timeout=3, deadline=3, helo=HELO, dry_run=True)
SERVERS = {  # name: (scenario, tls, certificate kind or days left)
    "healthy": ("healthy", "none", None),
    "healthy-tls": ("healthy", "starttls", "good"),
    "implicit": ("healthy", "implicit", "good"),
    "mail-refused": ("mail-refused", "none", None),
    "greylist": ("greylist", "none", None),
    "unknown-user": ("unknown-user", "none", None),
    "tempfail": ("tempfail", "none", None),
    "greeting-421": ("greeting-421", "none", None),
    "greeting-554": ("greeting-554", "none", None),
    "ehlo-refused": ("ehlo-refused", "none", None),
    "no-starttls": ("no-starttls", "starttls", "good"),
    "data-refused": ("data-refused", "none", None),
    "slow-greeting": ("slow-greeting", "none", None),
    "expired": ("healthy", "starttls", "expired"),
    "self-signed": ("healthy", "starttls", "self-signed"),
    "wrong-host": ("healthy", "starttls", "wrong-host"),
    "ten-days": ("healthy", "starttls", 10),
}
# Thresholds given a real probe of a server, and the state they must give.
CASES = [
    ("healthy", {}, {}, "OK"),
    ("healthy-tls", {"require_tls": True, "expect": ["tls=220", "mail=250"]}, {}, "OK"),
    ("implicit", {"require_tls": True, "expect": ["tls=220"]}, {"tls": "implicit"}, "OK"),
    ("healthy", {"require_tls": True}, {}, "CRITICAL"),
    ("no-starttls", {"require_tls": True}, {}, "CRITICAL"),
    ("no-starttls", {"expect": ["tls=220"]}, {}, "CRITICAL"),
    ("healthy", {"expect": ["mail=251"]}, {}, "CRITICAL"),
    ("healthy", {"expect": ["greeting=2xx", "ehlo=250", "mail=250", "rcpt=250"]}, {}, "OK"),
    ("mail-refused", {}, {}, "CRITICAL"),
    ("mail-refused", {"expect": ["mail=553"]}, {}, "OK"),
    ("greylist", {}, {}, "WARNING"),
    ("greylist", {"expect": ["rcpt=2xx,4xx"]}, {}, "OK"),
    ("greylist", {"expect": ["rcpt=250"]}, {}, "WARNING"),
    ("unknown-user", {}, {}, "CRITICAL"),
    ("unknown-user", {"expect": ["rcpt=550"]}, {}, "OK"),
    ("tempfail", {}, {}, "WARNING"),
    ("greeting-421", {}, {}, "WARNING"),
    ("greeting-554", {}, {}, "CRITICAL"),
    ("greeting-554", {"expect": ["greeting=554"]}, {"quit_after": "greeting"}, "OK"),
    ("ehlo-refused", {}, {}, "WARNING"),
    ("data-refused", {}, {"dry_run": False}, "CRITICAL"),
    ("healthy", {"expect": ["data=250"]}, {"dry_run": False}, "OK"),
    ("healthy-tls", {"expect": ["auth=235"]},
     {"auth_user": DEMO_USER, "auth_password": DEMO_PASSWORD}, "OK"),
    ("healthy-tls", {}, {"auth_user": DEMO_USER, "auth_password": "wrong"}, "CRITICAL"),
    ("expired", {}, {}, "CRITICAL"),
    ("self-signed", {}, {}, "CRITICAL"),
    ("self-signed", {}, {"insecure": True}, "CRITICAL"),
    ("wrong-host", {}, {}, "CRITICAL"),
    ("ten-days", {}, {}, "WARNING"),
    ("ten-days", {"cert_warn_days": 30, "cert_crit_days": 11}, {}, "CRITICAL"),
    ("ten-days", {"cert_warn_days": 5, "cert_crit_days": 3}, {}, "OK"),
    ("slow-greeting", {}, {}, "OK"),
    ("slow-greeting", {"warn_step": ["greeting=1"]}, {}, "WARNING"),
    ("slow-greeting", {"warn_step": ["greeting=0.5"], "crit_step": ["greeting=1"]}, {},
     "CRITICAL"),
    ("slow-greeting", {"warn_step": ["mail=1"], "crit_step": ["ehlo=1"]}, {}, "OK"),
    ("slow-greeting", {"warn": 1.0}, {}, "WARNING"),
    ("slow-greeting", {"warn": 1.0, "crit": 1.2}, {}, "CRITICAL"),
    ("slow-greeting", {"warn": 5.0, "crit": 6.0}, {}, "OK"),
]


def short_lived_certs(directory: Path, days: int) -> Certs:
    """A certificate from a trusted CA that expires in ``days`` days (and an hour)."""
    ca = trustme.CA()
    certs = Certs(str(directory / "ca.pem"), str(directory / "cert.pem"),
                  str(directory / "key.pem"))
    ca.cert_pem.write_to_path(certs.ca_file)
    leaf = ca.issue_cert("127.0.0.1", "localhost", not_after=datetime.datetime.now(
        datetime.UTC) + datetime.timedelta(days=days, hours=1))
    leaf.private_key_pem.write_to_path(certs.key_file)
    with open(certs.cert_file, "wb") as handle:
        for blob in leaf.cert_chain_pems:
            handle.write(blob.bytes())
    return certs


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, FakeServer]]:
    running: dict[str, FakeServer] = {}
    try:
        for name, (scenario, tls, kind) in SERVERS.items():
            certs = None
            if isinstance(kind, int):
                certs = short_lived_certs(tmp_path_factory.mktemp(name), kind)
            elif kind is not None:
                certs = Certs.create(str(tmp_path_factory.mktemp(name)), kind=kind)
            running[name] = FakeServer(scenario, tls=tls, certs=certs).start()  # type: ignore[arg-type]
        yield running
    finally:
        for server in running.values():
            server.stop()


def where(server: FakeServer) -> str:
    return f"127.0.0.1:{server.port}"


def options_for(server: FakeServer, **changes: Any) -> ProbeOptions:
    ca = server.certs.ca_file if server.certs is not None else None
    return replace(FAST, ca_file=ca, **changes)


@pytest.fixture(scope="module")
def probed(servers: dict[str, FakeServer]) -> dict[tuple[str, str], Report]:
    """Every distinct (server, probe options) of CASES probed once, all at the same time."""
    wanted = {(name, json.dumps(opts, sort_keys=True)): (name, opts)
              for name, _, opts, _ in CASES}

    async def run_all() -> list[Report]:
        return await asyncio.gather(*(probe(where(servers[name]),
                                            options_for(servers[name], **opts))
                                      for name, opts in wanted.values()))

    return dict(zip(wanted, asyncio.run(run_all()), strict=True))


@pytest.mark.parametrize(("name", "thresholds", "opts", "state"), CASES)
def test_every_threshold_and_expectation_on_a_real_server(probed, name, thresholds, opts,
                                                          state):
    report = probed[(name, json.dumps(opts, sort_keys=True))]
    result = judge(report, build_thresholds(**thresholds))
    assert result.state == state, (result.reasons, report.summary)
    assert bool(result.reasons) == (state != "OK")


def test_real_metrics(probed):
    report = probed[("healthy-tls", json.dumps({}))]
    result = judge(report, Thresholds())
    names = [name for name, _ in result.metrics.steps]
    assert names == ["connect", "greeting", "ehlo", "tls", "mail", "rcpt"]
    assert result.metrics.cert_days is not None and result.metrics.cert_days > 365
    assert result.metrics.tls_handshake is not None and result.metrics.tls_handshake > 0


# -- the fleet -----------------------------------------------------------------------------


def fleet(targets: list[str], opts: ProbeOptions, **kwargs: Any
          ) -> list[tuple[float, int, Report]]:
    async def run() -> list[tuple[float, int, Report]]:
        started = time.monotonic()
        return [(time.monotonic() - started, index, report)
                async for index, report in probe_many(targets, opts, **kwargs)]

    return asyncio.run(run())


def test_fleet_a_slow_host_does_not_hold_back_the_others(servers, silent_port, closed_port):
    targets = [f"127.0.0.1:{silent_port}", where(servers["healthy"]),
               f"127.0.0.1:{closed_port}", where(servers["greylist"])]
    got = fleet(targets, replace(FAST, timeout=10, deadline=10),
                deadline=0.8)
    assert sorted(index for _, index, _ in got) == [0, 1, 2, 3]
    by_index = {index: (at, report) for at, index, report in got}
    assert got[-1][1] == 0  # the silent host comes last
    for index in (1, 2, 3):
        assert by_index[index][0] < 0.5
    at, silent = by_index[0]
    assert 0.7 < at < 1.5
    assert silent.verdict == "failed"
    assert silent.error is not None and "overall deadline of 0.8 s" in silent.error.message
    assert judge(silent, Thresholds()).state == "CRITICAL"
    assert judge(by_index[1][1], Thresholds()).state == "OK"
    assert judge(by_index[2][1], Thresholds()).state == "CRITICAL"
    assert judge(by_index[3][1], Thresholds()).state == "WARNING"


def test_fleet_reports_targets_the_deadline_never_let_start(servers, silent_port):
    targets = [f"127.0.0.1:{silent_port}", where(servers["healthy"])]
    got = fleet(targets, FAST, concurrency=1, deadline=0.5)
    reports = {index: report for _, index, report in got}
    assert reports[1].verdict == "failed" and reports[1].error is not None
    assert reports[1].error.kind == "timeout"
    assert "not started" in reports[1].error.message
    assert judge(reports[0], Thresholds()).state == "CRITICAL"


def test_fleet_per_target_timeout_and_concurrency(servers, silent_port):
    targets = [where(servers["healthy"])] * 6 + [f"127.0.0.1:{silent_port}"]
    started = time.monotonic()
    got = fleet(targets, replace(FAST, timeout=0.4, deadline=0.4),
                concurrency=3)
    assert time.monotonic() - started < 2
    states = [judge(report, Thresholds()).state for _, _, report in sorted(
        got, key=lambda item: item[1])]
    assert states == ["OK"] * 6 + ["CRITICAL"]


# -- every output format ---------------------------------------------------------------------


def test_every_format_name_is_handled(probed):
    report = probed[("healthy", json.dumps({}))]
    run = CheckRun((judge(report, Thresholds()),), Thresholds())
    assert set(RENDERERS) == set(CheckFormat)
    assert set(STREAMERS) <= set(CheckFormat)
    for fmt in CheckFormat:
        assert render(run, fmt), fmt


@pytest.fixture(scope="module")
def mixed(servers) -> list[str]:
    """Three live servers (OK, WARNING, CRITICAL) and a dead one (nothing listens)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    dead = sock.getsockname()[1]
    sock.close()
    return [where(servers["healthy"]), where(servers["greylist"]),
            where(servers["mail-refused"]), f"127.0.0.1:{dead}"]


MIXED_STATES = ["OK", "WARNING", "CRITICAL", "CRITICAL"]


def check(*args: str) -> Any:
    result = run_cli("check", "--timeout", "3", "--helo", HELO, *args, timeout=30)
    assert_no_traceback(result)
    return result


def test_text_is_a_table_and_the_reasons(mixed):
    result = check(*mixed)
    assert result.returncode == 2, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("smtpdiag check: CRITICAL — 4 targets: 2 CRITICAL, 1 WARNING, 1 OK")
    rows = [line for line in lines if line.split(" ")[0] in ("OK", "WARNING", "CRITICAL")
            and "  " in line]
    assert [row.split()[0] for row in rows[:4]] == MIXED_STATES
    assert [row.split()[1] for row in rows[:4]] == mixed
    assert "mail refused: 553" in result.stdout
    assert "connection refused" in result.stdout
    assert "\x1b[" not in result.stdout  # piped: plain
    assert result.stderr == ""  # no progress bar when stderr is not a terminal


def test_json_matches_the_schema_and_embeds_full_reports(mixed):
    result = check(*mixed, "--format", "json", "--expect", "rcpt=250", "--warn", "5")
    assert result.returncode == 2, result.stderr
    document = json.loads(result.stdout)
    assert_valid(document, "check")
    assert (document["state"], document["exit_code"]) == ("CRITICAL", 2)
    assert document["counts"] == {"OK": 1, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 0}
    assert document["thresholds"]["expect"] == {"rcpt": "250"}
    assert [t["state"] for t in document["targets"]] == MIXED_STATES
    assert [t["target"] for t in document["targets"]] == mixed
    for target in document["targets"]:
        assert_valid(target["report"], "report")
        assert (target["reasons"] == []) == (target["state"] == "OK")
    assert document["dry_run"] is True
    assert all(t["report"]["dry_run"] for t in document["targets"])


def _line_schema(name: str) -> dict[str, Any]:
    schema = load_schema("check")
    return {"$defs": schema["$defs"], "$ref": f"#/$defs/{name}"}


def test_jsonl_streams_one_compact_line_per_target(mixed, tmp_path):
    import jsonschema

    out = tmp_path / "out.jsonl"
    result = check(*mixed, "--format", "jsonl", "--output", str(out))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = out.read_text().splitlines()
    assert len(lines) == len(mixed)
    items = {}
    for line in lines:
        assert line.isascii()  # server text escaped, never raw
        item = json.loads(line)
        jsonschema.validate(item, _line_schema("line"))
        assert item["schema"] == "smtpdiag.check-line/1" and "report" not in item
        items[item["index"]] = item
    assert [items[i]["state"] for i in range(len(mixed))] == MIXED_STATES
    assert [items[i]["target"] for i in range(len(mixed))] == mixed
    healthy, greylist, refused, dead = (items[i] for i in range(4))
    assert [s["step"] for s in healthy["steps"]] == [
        "connect", "greeting", "ehlo", "mail", "rcpt", "rset", "quit"]
    assert [s["code"] for s in healthy["steps"]] == [None, 220, 250, 250, 250, 250, 221]
    assert all(s["ms"] > 0 for s in healthy["steps"])
    assert (healthy["reasons"], healthy["verdict"], healthy["tls"]) == ([], "accepted", None)
    assert healthy["port"] == int(mixed[0].rsplit(":", 1)[1])
    assert greylist["reasons"][0]["state"] == "WARNING"
    assert refused["reasons"][0]["step"] == "mail" and "553" in refused["summary"]
    assert dead["steps"] == [{"step": "connect", "code": None, "ms": dead["steps"][0]["ms"],
                              "error": "connect"}]
    assert max(len(line) for line in lines) < 2000


def test_jsonl_full_carries_the_annotated_report(mixed, tmp_path):
    import jsonschema

    out = tmp_path / "out.jsonl"
    result = check(*mixed, "--format", "jsonl", "--full", "--output", str(out))
    assert result.returncode == 2
    states = {}
    for line in out.read_text().splitlines():
        item = json.loads(line)
        jsonschema.validate(item, _line_schema("target"))
        assert item["schema"] == "smtpdiag.check-target/1"
        assert_valid(item["report"], "report")
        states[item["index"]] = item["state"]
    assert [states[i] for i in range(len(mixed))] == MIXED_STATES
    refused = json.loads(next(line for line in out.read_text().splitlines()
                          if '"index": 2' in line))
    mail = next(s for s in refused["report"]["attempts"][-1]["steps"] if s["name"] == "mail")
    assert mail["annotation"]["code"] == 553  # the full report is annotated


def test_junit_has_a_testcase_per_target_and_step(mixed):
    result = check(*mixed, "--format", "junit")
    assert result.returncode == 2
    root = ET.fromstring(result.stdout)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == mixed
    total = failures = 0
    for suite, state in zip(suites, MIXED_STATES, strict=True):
        cases = suite.findall("testcase")
        names = [c.get("name") for c in cases]
        assert names[0] == "connect" and names[-1] == "session"
        assert int(suite.get("tests", "")) == len(cases)
        failed = [c for c in cases if c.find("failure") is not None]
        assert int(suite.get("failures", "")) == len(failed)
        assert bool(failed) == (state != "OK")
        for case in failed:
            failure = case.find("failure")
            assert failure is not None and failure.get("type") == state
        total, failures = total + len(cases), failures + len(failed)
        props = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert props["state"] == state
    # The wrapper is written before any result, so it has no totals (as pytest writes it);
    # they come in a comment before its end tag.
    assert root.attrib == {"name": "smtpdiag check"}
    tail = re.search(r"  <!-- smtpdiag check: CRITICAL; 4 targets: ([^;]*); (\d+) tests, "
                     r"(\d+) failures, 0 errors; \d+\.\d{3} s -->\n</testsuites>\n\Z",
                     result.stdout)
    assert tail is not None, result.stdout[-300:]
    assert (int(tail[2]), int(tail[3])) == (total, failures)
    assert tail[1] == "2 CRITICAL, 1 WARNING, 1 OK"
    healthy = [c.get("name") for c in suites[0].findall("testcase")]
    assert healthy == ["connect", "greeting", "ehlo", "mail", "rcpt", "session"]
    mail = next(c for c in suites[2].findall("testcase") if c.get("name") == "mail")
    failure = mail.find("failure")
    assert failure is not None and "553" in (failure.get("message") or "")
    dead = suites[3].findall("testcase")
    assert [c.get("name") for c in dead] == ["connect", "session"]


# 'label'=value[UOM];[warn];[crit];[min];[max] — the monitoring plugin guidelines' grammar.
_NUM = r"-?\d+(?:\.\d+)?"
_RANGE = rf"(?:@?(?:~|{_NUM})?(?::(?:{_NUM})?)?)"
PERF = re.compile(rf"'([^'=]+)'=({_NUM})(s|ms|us|%|B|KB|MB|TB|c)?"
                  rf"(?:;({_RANGE})?(?:;({_RANGE})?(?:;({_NUM})?(?:;({_NUM})?)?)?)?)?")
STATUS = re.compile(r"SMTPDIAG (OK|WARNING|CRITICAL|UNKNOWN) - ([^|]+?)(?: \| (.*))?")


def perfdata(text: str) -> dict[str, tuple[str | None, ...]]:
    items = text.split(" '")
    parsed = {}
    for i, item in enumerate(items):
        item = item if i == 0 else "'" + item
        match = PERF.fullmatch(item)
        assert match, item
        parsed[match.group(1)] = tuple(g or None for g in match.groups()[1:])
    return parsed


def test_nagios_single_target_with_thresholds(servers):
    server = servers["healthy-tls"]
    assert server.certs is not None
    result = check(where(server), "--format", "nagios", "--ca-file", server.certs.ca_file,
                   "--warn", "2", "--crit", "4", "--warn-step", "greeting=0.5",
                   "--crit-step", "greeting=1", "--cert-warn-days", "30",
                   "--cert-crit-days", "10")
    assert result.returncode == 0, result.stdout
    first, *rest = result.stdout.splitlines()
    match = STATUS.fullmatch(first)
    assert match, first
    assert match.group(1) == "OK"
    perf = perfdata(match.group(3))
    assert list(perf) == ["time", "connect", "greeting", "ehlo", "tls", "mail", "rcpt",
                          "tls_handshake", "cert_days"]
    assert perf["time"][1:4] == ("s", "2", "4")
    assert perf["greeting"][1:5] == ("s", "0.5", "1", "0")
    assert perf["connect"][1:5] == ("s", None, None, "0")
    assert perf["cert_days"][1:4] == (None, "30:", "10:")
    assert int(perf["cert_days"][0]) > 365
    assert rest == []


def test_nagios_many_targets_prefix_labels_and_the_worst_wins(mixed):
    result = check(*mixed, "--format", "nagios")
    assert result.returncode == 2
    first, *rest = result.stdout.splitlines()
    match = STATUS.fullmatch(first)
    assert match, first
    assert match.group(1) == "CRITICAL"
    assert match.group(2).startswith("4 targets: 2 CRITICAL, 1 WARNING, 1 OK")
    perf = perfdata(match.group(3))
    for target in mixed:
        assert f"{target}/time" in perf
    assert f"{mixed[0]}/rcpt" in perf
    assert len(rest) == 4 and [line.split()[0] for line in rest] == MIXED_STATES
    assert all("|" not in line for line in rest)


# -- exit codes and input --------------------------------------------------------------------


def test_exit_codes_ok_and_warning(servers):
    assert check(where(servers["healthy"])).returncode == 0
    assert check(where(servers["healthy"]), where(servers["greylist"])).returncode == 1


def test_deadline_on_the_command_line(servers, silent_port):
    started = time.monotonic()
    result = check(f"127.0.0.1:{silent_port}", where(servers["healthy"]), "--timeout", "20",
                   "--deadline", "1", "--format", "jsonl")
    elapsed = time.monotonic() - started
    assert result.returncode == 2
    assert elapsed < 6
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(item["index"], item["state"]) for item in lines] == [(1, "OK"), (0, "CRITICAL")]
    assert "deadline" in lines[1]["summary"]


def test_targets_file_with_comments(servers, tmp_path):
    listing = tmp_path / "targets.txt"
    listing.write_text(f"# our MX hosts\n\n{where(servers['healthy'])}   # primary\n"
                       f"  {where(servers['greylist'])}\n#{where(servers['mail-refused'])}\n")
    result = check("--targets-file", str(listing), "--format", "json")
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    assert [t["target"] for t in document["targets"]] == [where(servers["healthy"]),
                                                          where(servers["greylist"])]


@pytest.mark.parametrize(("args", "message"), [
    (("--bogus-option", "TARGET"), "No such option: --bogus-option"),
    (("--format", "xml", "TARGET"), "'xml' is not one of"),
    (("--concurrency", "many", "TARGET"), "'many' is not a valid int"),
    ((), "no targets: name them as arguments or give --targets-file"),
    (("127.0.0.1:99999",), "port '99999' is not a number from 1 to 65535"),
    (("--expect", "rcpt=999", "TARGET"), "'999' is not a reply code"),
    (("--expect", "data=250", "TARGET"), "a check sends no DATA unless --send is given"),
    (("--warn-step", "quit=1", "TARGET"), "unknown step 'quit'"),
    (("--warn", "3", "--crit", "2", "TARGET"), "--warn 3 is above --crit 2"),
    (("--concurrency", "0", "TARGET"), "--concurrency must be 1-1000"),
    (("--deadline", "0", "TARGET"), "--deadline must be a positive number of seconds"),
    (("--to", "bad\r\nRSET", "TARGET"), "control character"),
    (("--targets-file", "/nonexistent/targets.txt"), "/nonexistent/targets.txt"),
])
def test_usage_errors_are_unknown(args, message, closed_port):
    # TARGET is a loopback port nothing listens on: were the usage error missed, the check
    # would fail to connect (CRITICAL, 2), never reach a real server, and never say `message`
    args = [f"127.0.0.1:{closed_port}" if a == "TARGET" else a for a in args]
    result = run_cli("check", *args, timeout=30)
    assert_no_traceback(result)
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert message in " ".join(result.stderr.split()), result.stderr


def test_a_bad_line_in_the_targets_file_is_named(tmp_path, closed_port):
    # the good first line is a port nothing listens on: no real server is ever reached
    listing = tmp_path / "targets.txt"
    listing.write_text(f"127.0.0.1:{closed_port}\nnot a host\n")
    result = run_cli("check", "--targets-file", str(listing))
    assert_no_traceback(result)
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr == (f"smtpdiag: error: {listing}:2: target 'not a host' is empty or "
                             "contains spaces\n")


def test_a_bad_target_argument_is_named_once():
    result = run_cli("check", "bad host!")
    assert result.returncode == 3
    assert result.stderr == "smtpdiag: error: target 'bad host!' is empty or contains spaces\n"


def test_help_exits_zero():
    result = run_cli("check", "--help")
    assert result.returncode == 0
    assert "--expect" in result.stdout and "UNKNOWN" in result.stdout


def test_the_fast_report_dict_is_exactly_asdict(probed):
    import dataclasses

    for report in probed.values():
        fast = report.to_dict()
        slow = dataclasses.asdict(report)
        assert fast == json.loads(json.dumps(slow))
        assert list(fast) == list(slow)


def test_mail_domains_through_a_loopback_dns_server(servers):
    from .dnsserver import DnsServer

    records = {
        ("good.test", "MX"): ["10 mx1.good.test."],
        ("mx1.good.test", "A"): ["127.0.0.1"],
        ("backup.test", "MX"): ["10 dead.backup.test.", "20 mx1.good.test."],
        ("dead.backup.test", "A"): ["127.0.0.2"],  # loopback, but nothing listens there
        ("nullmx.test", "MX"): ["0 ."],
    }
    port = str(servers["healthy"].port)
    with DnsServer(records) as dns:
        result = check("good.test", "backup.test", "missing.test", "nullmx.test", "--port", port,
                       "--nameserver", f"127.0.0.1:{dns.port}", "--format", "json")
    assert result.returncode == 2, result.stderr
    document = json.loads(result.stdout)
    assert_valid(document, "check")
    states = {t["target"]: t for t in document["targets"]}
    assert states["good.test"]["state"] == "OK"
    assert states["backup.test"]["state"] == "WARNING"
    assert "dead.backup.test" in states["backup.test"]["summary"]
    assert states["missing.test"]["state"] == "CRITICAL"
    assert states["missing.test"]["reasons"][0]["step"] == "dns"
    assert states["nullmx.test"]["state"] == "CRITICAL"
    for target in document["targets"]:
        assert_valid(target["report"], "report")
