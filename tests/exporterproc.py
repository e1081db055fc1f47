"""Run the real ``smtpdiag exporter`` command on a free loopback port, and talk HTTP to it.

    with ExporterProcess(tmp_path, config_text, "--allow", "127.0.0.1") as exporter:
        status, headers, body = exporter.get("/probe?target=127.0.0.1:2525&module=plain")
    exporter.log   # everything it wrote on stderr, after it stopped
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)/")


class ExporterProcess:
    def __init__(self, directory: Path, config: str | None, *args: str,
                 env: dict[str, str] | None = None) -> None:
        self.args = ["--listen", "127.0.0.1:0", *args]
        if config is not None:
            path = directory / "exporter.toml"
            path.write_text(config, encoding="utf-8")
            self.args += ["--config", str(path)]
        self.env = {**os.environ, **(env or {}), "PYTHONIOENCODING": "utf-8"}
        self.lines: list[str] = []
        self.port = 0
        self.returncode: int | None = None
        self._ready = threading.Event()

    @property
    def log(self) -> str:
        return "".join(self.lines)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            match = LISTENING.search(line)
            if match:
                self.port = int(match.group(1))
                self._ready.set()
        self._ready.set()

    def __enter__(self) -> ExporterProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "smtpdiag", "exporter", *self.args], env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()
        self._ready.wait(60)
        if not self.port:
            self.stop()
            raise RuntimeError(f"the exporter did not start: {self.log}")
        return self

    def get(self, path: str, headers: dict[str, str] | None = None,
            timeout: float = 30) -> tuple[int, dict[str, str], str]:
        request = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.returncode = self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.returncode = self.process.wait(10)
        self._thread.join(10)
        return self.returncode

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def samples(text: str) -> dict[str, float]:
    """``{'name{labels}': value}`` for every sample line of a text exposition."""
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            found[key] = float(value)
    return found


def wait_until(condition, timeout: float = 30.0, interval: float = 0.2):  # type: ignore[no-untyped-def]
    """Poll ``condition()`` until it returns something truthy (returned) or time runs out."""
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= end:
            return value
        time.sleep(interval)
