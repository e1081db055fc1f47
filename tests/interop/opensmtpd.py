"""A real OpenSMTPD (Debian 12's opensmtpd 6.8.0p2) on loopback for the interop tier, in plain
text on port 29140.

    python -m tests.interop.opensmtpd      # start it, Ctrl-C stops

Plain text only: this build's TLS fails against OpenSSL 3 (every handshake ends with an
internal_error alert, "SSL routines::EVP lib" in its log, with EC and RSA keys alike), which
``tests/test_opensmtpd_replies.py`` replays.  The binary comes from the machine
(``/usr/sbin/smtpd``) or from ``tests/interop/install_opensmtpd.sh``, which unpacks Debian's
package without installing it (it conflicts with Postfix) into ``$SMTPDIAG_OPENSMTPD_DIR``
(default ``~/.cache/smtpdiag/interop-opensmtpd``).

OpenSMTPD's paths are built in: its users (``opensmtpd``, ``opensmtpq``), its chroot
(``/var/lib/opensmtpd/empty``) and its queue (``/var/spool/smtpd``).  So the daemon runs in a
mount namespace of its own (``unshare -m``) with an empty ``/var/spool`` and ``/var/lib`` and a
copy of ``/etc/passwd`` and ``/etc/group`` that has those users: the machine's files are never
changed.  Recipients of ``interop.test`` are looked up in a ``virtual`` table (alice and
postmaster); the tests use ``--dry-run`` only, so nothing is ever delivered or bounced.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.interop.servers import Unavailable, _watchdog

__all__ = ["MAX_RCPT", "OPENSMTPD_PORT", "OpenSMTPD", "start_opensmtpd"]

OPENSMTPD_PORT = 29140
MAX_RCPT = 2  # smtp limit max-rcpt: a third recipient is refused for now
USERS = ("opensmtpd", "opensmtpq")

CONFIG = f"""\
smtp limit max-rcpt {MAX_RCPT}
table vusers {{ "alice@interop.test" = "nobody", "postmaster@interop.test" = "nobody" }}
listen on 127.0.0.1 port {OPENSMTPD_PORT} hostname mx.interop.test
action "deliver" mda "/bin/cat" virtual <vusers>
match from any for domain "interop.test" action "deliver"
"""


def opensmtpd_binary() -> tuple[Path, dict[str, str]]:
    """The smtpd binary to run and the environment it needs (its unpacked libraries)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    unpacked = Path(os.environ.get("SMTPDIAG_OPENSMTPD_DIR")
                    or cache / "smtpdiag/interop-opensmtpd") / "root"
    binary = unpacked / "usr/sbin/smtpd"
    if binary.exists():
        libs = [str(p) for p in (unpacked / "usr/lib/x86_64-linux-gnu",
                                 unpacked / "usr/lib/aarch64-linux-gnu") if p.is_dir()]
        return binary, {"LD_LIBRARY_PATH": ":".join(libs)} if libs else {}
    if Path("/usr/sbin/smtpd").exists():
        return Path("/usr/sbin/smtpd"), {}
    raise Unavailable(f"OpenSMTPD is not unpacked in {unpacked} nor installed "
                      "(run tests/interop/install_opensmtpd.sh)")


@dataclass
class OpenSMTPD:
    """A running private OpenSMTPD daemon (in its own mount namespace)."""

    root: Path
    process: subprocess.Popen[bytes]
    watchdog: subprocess.Popen[bytes] | None = None

    def log(self) -> str:
        path = self.root / "log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.watchdog is not None and self.watchdog.poll() is None:
            self.watchdog.kill()  # its work is done here; it must not outlive us and kill later
            self.watchdog.wait(5)
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        shutil.rmtree(self.root, ignore_errors=True)


def _command(root: Path, binary: Path, env: dict[str, str]) -> list[str]:
    """smtpd in the foreground, in a namespace with its users, chroot and queue of its own."""
    passwd, group = Path("/etc/passwd").read_text(), Path("/etc/group").read_text()
    for number, user in enumerate(USERS, start=64990):
        passwd += f"{user}:x:{number}:{number}::/nonexistent:/usr/sbin/nologin\n"
        group += f"{user}:x:{number}:\n"
    (root / "passwd").write_text(passwd)
    (root / "group").write_text(group)
    smtpd = ["env", *(f"{k}={v}" for k, v in env.items()), str(binary), "-d",
             "-f", str(root / "smtpd.conf")]
    script = " && ".join([
        f"mount --bind {shlex.quote(str(root / 'passwd'))} /etc/passwd",
        f"mount --bind {shlex.quote(str(root / 'group'))} /etc/group",
        "mount -t tmpfs tmpfs /var/spool", "mount -t tmpfs tmpfs /var/lib",
        "mkdir -p /var/lib/opensmtpd/empty", f"exec {shlex.join(smtpd)}"])
    return ["unshare", "-m", "/bin/sh", "-c", script]


def start_opensmtpd() -> OpenSMTPD:
    """Start the daemon and wait for its listener; raise ``Unavailable`` if it cannot run."""
    if os.geteuid() != 0:
        raise Unavailable("OpenSMTPD needs root here (a mount namespace for its users and paths)")
    binary, env = opensmtpd_binary()
    if shutil.which("unshare") is None:
        raise Unavailable("no unshare(1) to give OpenSMTPD its users and paths")
    if _listening(OPENSMTPD_PORT):
        raise Unavailable(f"port {OPENSMTPD_PORT} already in use (another run of the tier?)")
    root = Path(tempfile.mkdtemp(prefix="smtpdiag-opensmtpd-"))
    root.chmod(0o755)
    (root / "smtpd.conf").write_text(CONFIG)
    with open(root / "log", "wb") as log:
        process = subprocess.Popen(_command(root, binary, env), stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    # stops the daemon if this process dies without stop(): it would keep the tier's port
    instance = OpenSMTPD(root, process, _watchdog([process], root))
    try:
        end = time.monotonic() + 30
        while not _listening(OPENSMTPD_PORT):
            if process.poll() is not None or time.monotonic() > end:
                raise Unavailable(f"OpenSMTPD did not start: {instance.log().strip()[-300:]}")
            time.sleep(0.1)
    except BaseException:
        instance.stop()
        raise
    return instance


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


if __name__ == "__main__":  # start it by hand: python -m tests.interop.opensmtpd
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    running = start_opensmtpd()
    print(f"OpenSMTPD on 127.0.0.1:{OPENSMTPD_PORT}   log: {running.root}/log   Ctrl-C stops")
    try:
        running.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
