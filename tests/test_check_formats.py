"""``smtpdiag check``'s output formats, from the real CLI in a subprocess (as a monitor runs
it) over real fake servers on loopback: text, json, jsonl (compact and full), junit and
nagios, each over a mix of OK, WARNING and CRITICAL targets and a dead one.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest

from smtpdiag.fakeserver import FakeServer

from .check_servers import MIXED, MIXED_STATES, check, mixed_targets, running_servers, where
from .conftest import assert_valid, closed_port_held, load_schema


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, FakeServer]]:
    yield from running_servers(tmp_path_factory, (*MIXED, "healthy-tls"))


@pytest.fixture(scope="module")
def mixed(servers: dict[str, FakeServer]) -> Iterator[list[str]]:
    with closed_port_held() as dead:
        yield mixed_targets(servers, dead)


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


def test_a_step_s_head_is_the_encoder_s_whether_kept_or_not() -> None:
    """``_step_head`` keeps the heads it made (by code, then name) up to a bound: every head,
    kept, past the bound or asked twice, is what the encoder makes; True is not 1."""
    import json

    from smtpdiag.render.check_formats import _step_head

    def wanted(name: str, code: object) -> str:
        text = json.JSONEncoder(separators=(",", ":")).encode({"step": name, "code": code})
        return text[:-1] + ',"ms":'

    pairs = [(f"s{i % 40}", 200 + i // 40) for i in range(400)] + [
        ("ehlo", 250), ("ehlo", None), ("x", True), ("x", 1), ("é\x1b", 550), ("x", 1.0)]
    for _ in range(2):
        for name, code in pairs:
            assert _step_head(name, code) == wanted(name, code)  # type: ignore[arg-type]
