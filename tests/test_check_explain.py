"""``check`` annotates a report only for the formats that show annotations (json, jsonl --full).

Annotating every reply and adding the findings costs milliseconds a probe and only the full
report shows them; text, nagios, junit and the compact jsonl line are built from the judged
states, reasons and numbers.  These tests hold that claim: real probes of real loopback
servers (refusals, TLS good and bad, a refused connection, a timeout) are judged and rendered
in every format twice, from the report as ``check`` now makes it and from the same report
annotated by the probe's own ``explain_attempts``, and the two outputs are equal byte for byte.
Then the CLI itself is asked which formats load the annotator at all.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from dataclasses import replace

import pytest

from smtpdiag.core import targets
from smtpdiag.core.health import CheckRun, judge
from smtpdiag.core.thresholds import build_thresholds
from smtpdiag.fakeserver import Certs, FakeServer
from smtpdiag.model import Report
from smtpdiag.net.probe import ProbeOptions, explain_attempts, probe
from smtpdiag.render.check_formats import (
    STREAMERS,
    CheckFormat,
    jsonl_full_line,
    render,
    shows_annotations,
    write_rendered,
)

from .conftest import closed_port_held, silent_listener
from .test_startup import loaded_modules

HELO = "explain.smtpdiag.test"
SERVERS = {  # name: (scenario, tls, certificate kind)
    "healthy-tls": ("healthy", "starttls", "good"),
    "self-signed": ("healthy", "starttls", "self-signed"),
    "implicit": ("healthy", "implicit", "good"),
    "mail-refused": ("mail-refused", "none", None),
    "unknown-user": ("unknown-user", "none", None),
    "greylist": ("greylist", "none", None),
    "greeting-554": ("greeting-554", "none", None),
    "ehlo-refused": ("ehlo-refused", "none", None),
    "no-starttls": ("no-starttls", "starttls", "good"),
}


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, FakeServer]]:
    running: dict[str, FakeServer] = {}
    try:
        for name, (scenario, tls, kind) in SERVERS.items():
            certs = None if kind is None else Certs.create(
                str(tmp_path_factory.mktemp(name)), kind=kind)
            running[name] = FakeServer(scenario, tls=tls, certs=certs).start()  # type: ignore[arg-type]
        yield running
    finally:
        for server in running.values():
            server.stop()


@pytest.fixture(scope="module")
def silent_port() -> Iterator[int]:
    """Module-wide: its one connection stays open while every format is rendered."""
    with silent_listener() as port:
        yield port


def options(server: FakeServer | None) -> ProbeOptions:
    ca = server.certs.ca_file if server is not None and server.certs is not None else None
    return ProbeOptions(timeout=1, deadline=1, helo=HELO, dry_run=True, ca_file=ca,
                        tls="implicit" if server is not None and server.tls == "implicit"
                        else "auto", explain=False)


@pytest.fixture(scope="module")
def pairs(servers: dict[str, FakeServer], silent_port: int) -> list[tuple[Report, Report]]:
    """Each target probed once as check does (no annotations), and the same report annotated."""
    # the self-signed server with TLS required: its certificate ends the walk (a tls error)
    jobs = [(f"127.0.0.1:{s.port}", replace(options(s), tls="starttls") if name == "self-signed"
             else options(s)) for name, s in servers.items()]
    with closed_port_held() as closed:
        jobs += [(f"127.0.0.1:{closed}", options(None)),
                 (f"127.0.0.1:{silent_port}", options(None))]

        async def run() -> list[Report]:
            return await asyncio.gather(*(probe(target, opts) for target, opts in jobs))

        plain_reports = asyncio.run(run())
    found = []
    for (target, opts), plain in zip(jobs, plain_reports, strict=True):
        chosen = targets.default_recipient(targets.parse_target(target))
        annotated = explain_attempts(list(plain.attempts), replace(opts, explain=True), chosen)
        found.append((plain, replace(plain, attempts=tuple(annotated))))
    return found


def _rendered(run: CheckRun, fmt: CheckFormat) -> list[str]:
    """``run`` in ``fmt`` as check writes it: plain, and styled and wrapped as on a terminal."""
    outputs = []
    for color, width in ((False, None), (True, 60), (True, 120)):
        stream = io.StringIO()
        write_rendered(render(run, fmt, width), stream, color=color, width=width)
        outputs.append(stream.getvalue())
    if fmt in STREAMERS:
        outputs.append("".join(STREAMERS[fmt](result) for result in run.results))
    return outputs


@pytest.mark.parametrize("thresholds", [
    {}, {"require_tls": True, "expect": ["rcpt=250"], "cert_warn_days": 400_000},
    {"warn": 0.000001, "crit_step": ["greeting=0.000001"]}])
def test_every_format_without_annotations_is_the_same_byte_for_byte(pairs, thresholds):
    limits = build_thresholds(**thresholds)
    plain_run, annotated_run = (CheckRun(tuple(
        judge(pair[which], limits, index=i) for i, pair in enumerate(pairs)), limits,
        started_at="2026-12-02T00:00:00+00:00", elapsed_ms=1234.5) for which in (0, 1))
    # The pair differs where annotations show: otherwise this test could not fail.
    assert "CRITICAL" in {r.state for r in plain_run.results}
    assert render(plain_run, CheckFormat.json) != render(annotated_run, CheckFormat.json)
    assert [jsonl_full_line(r) for r in plain_run.results] != [
        jsonl_full_line(r) for r in annotated_run.results]
    for fmt in CheckFormat:
        if not shows_annotations(fmt):
            assert _rendered(plain_run, fmt) == _rendered(annotated_run, fmt), fmt


def test_the_pairs_cover_refusals_tls_and_timeouts(pairs):
    errors = {plain.error.kind if plain.error else
              next((a.error.kind for a in plain.attempts if a.error), None)
              for plain, _ in pairs}
    assert {"connect", "timeout", "tls"} <= errors, errors
    for plain, _ in pairs:
        assert all(s.annotation is None for a in plain.attempts for s in a.steps)
    assert any(s.annotation is not None for _, a in pairs for t in a.attempts for s in t.steps)
    assert any(t.findings for _, a in pairs for t in a.attempts)


def test_only_json_and_full_jsonl_show_annotations():
    shown = {(fmt, full) for fmt in CheckFormat for full in (False, True)
             if shows_annotations(fmt, full)}
    assert shown == {(CheckFormat.json, False), (CheckFormat.json, True),
                     (CheckFormat.jsonl, True)}


@pytest.mark.parametrize(("args", "annotated"), [
    (("--format", "text"), False), (("--format", "nagios"), False),
    (("--format", "junit"), False), (("--format", "jsonl"), False),
    (("--format", "json"), True), (("--format", "jsonl", "--full"), True)])
def test_the_cli_annotates_only_for_formats_that_show_it(servers, args, annotated):
    target = f"127.0.0.1:{servers['greylist'].port}"
    loaded = loaded_modules("check", target, "--timeout", "3", "--helo", HELO, *args,
                            heavy=("smtpdiag.core.annotate",))
    assert loaded == (["smtpdiag.core.annotate"] if annotated else []), args
