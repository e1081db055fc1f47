"""The exporter scraped by a real Prometheus server (Debian's ``prometheus``) on loopback.

Prometheus does what it does in production: relabels each SMTP target into ``/probe``'s
``target`` parameter, sends its scrape-timeout header, parses the exposition, stores it; the
test reads the result back through Prometheus' HTTP API.  Without a ``prometheus`` binary this
skips with the reason; with ``SMTPDIAG_REQUIRE_REAL=1`` (set by ``.ci/run``, which installs it)
a missing binary is a failure instead.  The README's scrape configuration and alerting rules
are checked by ``promtool`` too, so the documented ones are known to load.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import socket
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from smtpdiag.fakeserver import FakeServer
from tests.exporterproc import ExporterProcess, wait_until
from tests.hostile import HostileServer, hang

REQUIRE_REAL = "SMTPDIAG_REQUIRE_REAL"
PORTS = range(35000, 36000)  # this port range: Prometheus cannot report a port 0
README = Path(__file__).resolve().parent.parent / "README.md"


def binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt-get install prometheus)"
        if os.environ.get(REQUIRE_REAL) == "1":
            pytest.fail(f"{message}, and {REQUIRE_REAL}=1 asks for the real server")
        pytest.skip(message)
    return path


def free_port() -> int:
    for port in random.sample(PORTS, len(PORTS)):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 35000-35999")


SCRAPE = """
global:
  scrape_interval: 2s
  scrape_timeout: 2s
scrape_configs:
  - job_name: smtp
    metrics_path: /probe
    params:
      module: [plain]
    static_configs:
      - targets: [{targets}]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: 127.0.0.1:{exporter}
  - job_name: smtpdiag_exporter
    static_configs:
      - targets: ["127.0.0.1:{exporter}"]
"""

EXPORTER = """
[exporter]
allow = ["127.0.0.1"]
[modules.plain]
tls = "none"
helo = "monitor.smtpdiag.test"
timeout = 30   # longer than the scrape: only the scrape-timeout header can cut a silent server
"""


def query(port: int, expr: str) -> dict[str, float]:
    """``{instance: value}`` for an instant query; {} while Prometheus has nothing yet."""
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            data = json.load(response)
    except OSError:
        return {}
    return {r["metric"].get("instance", ""): float(r["value"][1])
            for r in data["data"]["result"]}


def test_prometheus_scrapes_success_for_healthy_and_failure_for_refusing_and_silent(tmp_path):
    prometheus = binary("prometheus")
    with FakeServer("healthy", tls="none") as healthy, \
            FakeServer("relay-denied", tls="none") as refusing, \
            HostileServer([hang()]) as silent, \
            ExporterProcess(tmp_path, EXPORTER) as exporter:
        names = {f"127.0.0.1:{s.port}": n for s, n in
                 ((healthy, "healthy"), (refusing, "refusing"), (silent, "silent"))}
        port = free_port()
        config = tmp_path / "prometheus.yml"
        config.write_text(SCRAPE.format(targets=", ".join(f'"{t}"' for t in names),
                                        exporter=exporter.port), encoding="utf-8")
        process = subprocess.Popen(
            [prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            def every_target(expr: str) -> dict[str, float] | None:
                found = query(port, expr)
                return found if set(names) <= set(found) else None

            success = wait_until(lambda: every_target('smtpdiag_probe_success{job="smtp"}'), 90)
            up = every_target('up{job="smtp"}')
            scrape = every_target('scrape_duration_seconds{job="smtp"}')
            duration = every_target('smtpdiag_probe_duration_seconds{job="smtp"}')
            own = wait_until(lambda: query(port, "smtpdiag_exporter_probes_total"), 30)
        finally:
            process.terminate()
            _, errors = process.communicate(timeout=30)
    assert success, f"Prometheus never stored every target: {errors[-2000:]}"
    assert {names[t]: v for t, v in success.items()} == {
        "healthy": 1.0, "refusing": 0.0, "silent": 0.0}
    # every scrape answered within its 2 s timeout, the silent server's included
    assert up is not None and set(up.values()) == {1.0}
    assert scrape is not None and max(scrape.values()) < 2.0
    silent_target = next(t for t, n in names.items() if n == "silent")
    assert duration is not None and duration[silent_target] < 2.0  # cut by the header, not 30 s
    assert own  # the exporter's own metrics were scraped too


def readme_block(language: str, containing: str) -> str:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(rf"```{language}\n(.+?)\n```", text, re.DOTALL)
    return next(b for b in blocks if containing in b)


def test_the_readme_scrape_config_and_alerting_rules_load(tmp_path):
    promtool = binary("promtool")
    rules = tmp_path / "rules.yml"
    rules.write_text(readme_block("yaml", "alert: SmtpProbeFailing"), encoding="utf-8")
    config = tmp_path / "prometheus.yml"
    config.write_text(readme_block("yaml", "job_name: smtp") +
                      f"\nrule_files: [{json.dumps(str(rules))}]\n", encoding="utf-8")
    for args in (["check", "rules", str(rules)], ["check", "config", str(config)]):
        result = subprocess.run([promtool, *args], capture_output=True, text=True, timeout=60,
                                check=False)
        assert result.returncode == 0, result.stdout + result.stderr
