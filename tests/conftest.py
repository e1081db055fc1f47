"""Shared test helpers: run the real CLI as a subprocess, load the shipped JSON schemas."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "smtpdiag" / "schema"


def run_cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``python -m smtpdiag`` as a user would, piped (so: plain output, no colour)."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    full_env.update({"LANG": "C.UTF-8", "LC_ALL": "", "PYTHONIOENCODING": "utf-8"})
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "smtpdiag", *args], input=stdin, capture_output=True,
        text=True, env=full_env, timeout=timeout, check=False,
    )


def load_schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text())
    return schema


def assert_valid(document: Any, schema_name: str) -> None:
    import jsonschema

    jsonschema.validate(document, load_schema(schema_name))


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout


@pytest.fixture
def cli() -> Any:
    return run_cli
