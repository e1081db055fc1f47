"""The fake servers the ``check`` tests probe, and how they run the real CLI.

Shared by test_check_states, test_check_probe_many, test_check_formats and test_check_input:
each starts (once per module) only the servers it names.  Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import trustme

from smtpdiag.fakeserver import Certs, FakeServer
from smtpdiag.net.probe import ProbeOptions

from .conftest import assert_no_traceback, run_cli

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
# The servers of the CLI tests: OK, WARNING and CRITICAL, and a port nothing listens on.
MIXED = ("healthy", "greylist", "mail-refused")
MIXED_STATES = ["OK", "WARNING", "CRITICAL", "CRITICAL"]


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


def running_servers(tmp_path_factory: pytest.TempPathFactory, names: Iterable[str]
                    ) -> Iterator[dict[str, FakeServer]]:
    """Start the named servers of SERVERS, yield them by name, stop them all at the end."""
    running: dict[str, FakeServer] = {}
    try:
        for name in names:
            scenario, tls, kind = SERVERS[name]
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


def mixed_targets(servers: dict[str, FakeServer], dead: int) -> list[str]:
    """Three live servers (OK, WARNING, CRITICAL) and a dead one: ``dead``, a port held by
    ``conftest.closed_port_held`` while they are probed."""
    return [where(servers[name]) for name in MIXED] + [f"127.0.0.1:{dead}"]


def check(*args: str) -> Any:
    result = run_cli("check", "--timeout", "3", "--helo", HELO, *args, timeout=30)
    assert_no_traceback(result)
    return result
