"""The interop tier's Node.js servers on loopback: Haraka and nodemailer's smtp-server.

    tests/interop/install_node.sh             # once: the pinned packages (npm), no root needed
    python -m tests.interop.node_servers      # start both, print the listeners, Ctrl-C stops

Ports 29600-29999 only (this half of issue 9's range; the Postfix half is in ``servers.py``).
Each server runs from a private temporary folder and answers the final dot slowly on request
(by the first recipient's local part: ``hang@``, ``slow@``; see the JS files in ``node/``), so
the tests can show what a client sees when the reply to the message comes late or never.

Nothing is sent beyond loopback: Haraka's reverse lookup of the client is answered by the
tier's plugin, smtp-server's is turned off, and neither delivers mail anywhere.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from tests.interop.servers import Unavailable

__all__ = [
    "HARAKA_PLUGIN_TIMEOUT",
    "HARAKA_PORT",
    "NODE_DIR",
    "ORG_USER",
    "PASSWORD",
    "SLOW_MS",
    "SMTP_SERVER_PORTS",
    "USER",
    "NodeServer",
    "start_haraka",
    "start_smtp_server",
    "unavailable",
]

HERE = Path(__file__).with_name("node")
NODE_DIR = Path(os.environ.get("SMTPDIAG_NODE_DIR") or Path(
    os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "smtpdiag" / "interop-node")
INSTALL_HINT = "run tests/interop/install_node.sh"

HARAKA_PORT = 29625
HARAKA_PLUGIN_TIMEOUT = 3  # seconds: Haraka's own default is 30, as in the issue
SMTP_SERVER_PORTS = {"open": 29650, "auth": 29651, "small": 29652}
SLOW_MS = 2500  # ``slow@``: the final dot answered after this long
USER, PASSWORD = "alice@interop.test", "interop-secret"
# Haraka compares organizational domains from the public suffix list, which has no ``.test``:
# this login is in a real TLD (no DNS is asked; nothing is sent there).
ORG_USER = "carol@example.org"


def unavailable(reason: str) -> NoReturn:
    """Skip the test with one line saying why; with ``SMTPDIAG_INTEROP=require`` (``.ci/run``)
    fail it instead, so CI proves the tier ran (as ``conftest.py`` does for Postfix)."""
    import pytest

    if os.environ.get("SMTPDIAG_INTEROP") == "require":
        pytest.fail(f"interop tier required (SMTPDIAG_INTEROP=require) but: {reason}")
    pytest.skip(f"real-MTA tier not run: {reason}")


def running(start: Callable[[str, str, str], NodeServer], certs_dir: str) -> Iterator[NodeServer]:
    """A module fixture's body: start the server with a fresh certificate, skip (or fail, in
    CI) if it cannot run here, stop it afterwards."""
    from smtpdiag.fakeserver import Certs

    certs = Certs.create(certs_dir, kind="good")
    try:
        server = start(certs.cert_file, certs.key_file, certs.ca_file)
    except Unavailable as exc:
        unavailable(str(exc))
    try:
        yield server
    finally:
        server.stop()


@dataclass
class NodeServer:
    """One running Node.js server process and its private folder."""

    name: str
    root: Path
    process: subprocess.Popen[bytes]
    ports: dict[str, int]
    ca_file: str

    def log(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:  # Haraka waits for its connections to end
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        shutil.rmtree(self.root, ignore_errors=True)


def installed() -> tuple[str, Path]:
    """(node, node_modules) as tests/interop/install_node.sh left them, or ``Unavailable``."""
    node = NODE_DIR / "bin/node"
    if not node.exists():
        raise Unavailable(f"Haraka and smtp-server are not installed in {NODE_DIR} "
                          f"({INSTALL_HINT}; SMTPDIAG_NODE_DIR names another folder)")
    stamp = NODE_DIR / "installed.lock"
    if not stamp.exists() or stamp.read_bytes() != (HERE / "package-lock.json").read_bytes():
        raise Unavailable(f"the Node.js packages in {NODE_DIR} are not the ones pinned in "
                          f"tests/interop/node/package-lock.json ({INSTALL_HINT})")
    return str(node), NODE_DIR / "node_modules"


def _busy(ports: list[int]) -> None:
    taken = []
    for port in ports:
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                taken.append(port)
    if taken:
        raise Unavailable(f"ports already in use: {taken} (another run of the interop tier?)")


def _start(name: str, argv: list[str], root: Path, ports: dict[str, int], ca_file: str,
           env: dict[str, str]) -> NodeServer:
    log = open(root / "server.log", "wb")  # noqa: SIM115 - the child keeps writing to it
    try:
        # stdin: a pipe that only we hold, so the server ends with us (while_parent_lives.js)
        process = subprocess.Popen([argv[0], str(HERE / "while_parent_lives.js"), *argv[1:]],
                                   cwd=root, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.PIPE, env={**os.environ, **env},
                                   start_new_session=True)
    finally:
        log.close()
    server = NodeServer(name, root, process, ports, ca_file)
    try:
        end = time.monotonic() + 30
        for port in ports.values():
            while True:
                if process.poll() is not None:
                    raise Unavailable(f"{name} exited at start (code {process.returncode}): "
                                      + server.log()[-300:].strip())
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                        break
                except OSError:
                    if time.monotonic() > end:
                        raise Unavailable(f"{name} did not listen on 127.0.0.1:{port} within "
                                          "30 s") from None
                    time.sleep(0.1)
    except BaseException:
        server.stop()
        raise
    return server


def start_haraka(cert: str, key: str, ca_file: str) -> NodeServer:
    """Haraka with its stock config, STARTTLS (the tests' certificate), ``interop.test`` as
    its only local domain, AUTH (``auth/flat_file``: ``USER`` and ``ORG_USER``, with
    ``PASSWORD``), and the tier's plugin (``node/haraka_slow_dot.js``)."""
    node, modules = installed()
    _busy([HARAKA_PORT])
    root = Path(tempfile.mkdtemp(prefix="smtpdiag-haraka-"))
    shutil.copytree(modules / "Haraka/config", root / "config")
    (root / "plugins").mkdir()
    shutil.copy(HERE / "haraka_slow_dot.js", root / "plugins/smtpdiag_slow_dot.js")
    config = root / "config"
    files = {
        "smtp.ini": f"listen=127.0.0.1:{HARAKA_PORT}\npublic_ip=127.0.0.1\nnodes=0\n"
                    "force_shutdown_timeout=2\n",
        # the tier's plugin first: its lookup_rdns answer keeps Haraka off DNS
        "plugins": "smtpdiag_slow_dot\ntls\nauth/flat_file\nrcpt_to.in_host_list\n",
        # a login may relay; constrain_sender (the default) ties MAIL FROM's domain to it
        "auth_flat_file.ini": f"[core]\nmethods=PLAIN,LOGIN\n[users]\n{USER}={PASSWORD}\n"
                              f"{ORG_USER}={PASSWORD}\n",
        "host_list": "interop.test\n",
        "me": "mx.haraka.interop.test\n",
        "smtpdiag_slow_dot.timeout": f"{HARAKA_PLUGIN_TIMEOUT}\n",
        "log.ini": "[main]\nlevel=info\n",
    }
    for file, text in files.items():
        (config / file).write_text(text)
    shutil.copy(cert, config / "tls_cert.pem")
    shutil.copy(key, config / "tls_key.pem")
    # RFC 7919's ffdhe2048: without it Haraka runs `openssl dhparam 2048` at its first start
    shutil.copy(HERE / "ffdhe2048.pem", config / "dhparams.pem")
    return _start("Haraka", [node, str(modules / "Haraka/bin/haraka"), "-c", str(root)], root,
                  {"smtp": HARAKA_PORT}, ca_file, {"SMTPDIAG_SLOW_MS": str(SLOW_MS)})


def start_smtp_server(cert: str, key: str, ca_file: str) -> NodeServer:
    """smtp-server's three listeners (``node/smtp_server.js`` says what each one is)."""
    node, modules = installed()
    _busy(list(SMTP_SERVER_PORTS.values()))
    root = Path(tempfile.mkdtemp(prefix="smtpdiag-smtp-server-"))
    config = {"cert": cert, "key": key, "listeners": SMTP_SERVER_PORTS, "slowMs": SLOW_MS,
              "user": USER, "password": PASSWORD}
    return _start("smtp-server", [node, str(HERE / "smtp_server.js"), json.dumps(config)], root,
                  dict(SMTP_SERVER_PORTS), ca_file, {"NODE_PATH": str(modules)})


def main() -> None:
    from smtpdiag.fakeserver import Certs

    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop the servers on TERM too
    certs = Certs.create(tempfile.mkdtemp(prefix="smtpdiag-node-certs-"), kind="good")
    servers = []
    try:
        for start in (start_haraka, start_smtp_server):
            servers.append(start(certs.cert_file, certs.key_file, certs.ca_file))
        for server in servers:
            for name, port in server.ports.items():
                print(f"{server.name:12} {name:6} 127.0.0.1:{port}")
        print(f"CA file: {certs.ca_file}   (Ctrl-C stops)")
        signal.pause()
    except Unavailable as exc:
        sys.exit(f"cannot start: {exc}")
    except KeyboardInterrupt:
        pass
    finally:
        for server in servers:
            server.stop()


if __name__ == "__main__":
    main()
