"""A real Sendmail (Debian's sendmail-bin 8.17) on loopback for the interop tier: one daemon per
behaviour (``SENDMAIL_LISTENERS``), as ``greet_pause``, ``ratecontrol`` and ``conncontrol`` are
read from the access database by client address and every test connects from 127.0.0.1.
Ports 29225-29239.

    python -m tests.interop.sendmail      # start them, print the listeners, Ctrl-C stops

The binaries come from ``tests/interop/install_sendmail.sh``, which unpacks Debian's packages
without installing them (sendmail-bin conflicts with the Postfix this tier also runs) into
``$SMTPDIAG_SENDMAIL_DIR`` (default ``~/.cache/smtpdiag/interop-sendmail``); each daemon's
``sendmail.cf`` is made here from a ``.mc`` by the unpacked m4 and sendmail-cf.  The daemons run
in a UTS and mount namespace of their own (``unshare -m -u``): a host name of their own, and an
``/etc/hosts`` and ``/etc/resolv.conf`` that point at the tests' DNS server on ``DNS_ADDRESS``
(sendmail reads the sender's domain from DNS): the machine's files are never changed.  They
queue what they take (``DeliveryMode=queueonly``) and deliver nothing.

``start_sendmail`` raises ``Unavailable`` with a one-line reason where Sendmail cannot run (not
root, not unpacked); the tests skip then, or fail under ``SMTPDIAG_INTEROP=require``.
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

__all__ = ["DNS_ADDRESS", "RECORDS", "SENDMAIL_LISTENERS", "Sendmail", "start_sendmail"]

DOMAIN = "sendmail.test"
HOSTNAME = f"mx.{DOMAIN}"
DNS_ADDRESS = "127.29.0.54"  # not the Postfix tier's 127.29.0.53: both may run in one session
OWN_ADDRESS = "127.29.0.55"  # the host name's address: not the client's, which must not be local
GREET_PAUSE_MS = 1500

# What the tests' DNS server knows: client.sendmail.test exists, gone.test does not (NXDOMAIN),
# broken.test's servers fail (SERVFAIL), the RBL lists 127.0.0.1.
RECORDS = {
    ("client.sendmail.test", "A"): ["127.0.0.1"],
    ("sendmail.test", "MX"): [f"10 {HOSTNAME}."],
    (HOSTNAME, "A"): [OWN_ADDRESS],
    ("1.0.0.127.rbl.sendmail.test", "A"): ["127.0.0.2"],
    ("1.0.0.127.rbl.sendmail.test", "TXT"): ['"listed for the interop tests"'],
}
SERVFAIL = {"broken.test"}

# The access database every daemon reads (sendmail's own format: key, value).
ACCESS = """\
From:reject.test REJECT
From:discard.test DISCARD
From:tempfail.test ERROR:4.3.0:451 Sender temporarily refused, try again later
To:blocked@sendmail.test REJECT
To:full@sendmail.test ERROR:4.2.2:452 Mailbox full
GreetPause:127.0.0.1 {pause}
ClientRate:127.0.0.1 {rate}
ClientConn:127.0.0.1 {conn}
"""

DELAY = "FEATURE(`delay_checks')dnl\n"  # the client's and sender's refusals come at RCPT

# name -> (port, what it is, its mc lines, its GreetPause / ClientRate / ClientConn values)
SENDMAIL_LISTENERS: dict[str, tuple[int, str, str, tuple[int, int, int]]] = {
    "mx": (29225, "an MX for sendmail.test: STARTTLS, access db, delay_checks, sender domain "
           "checked in DNS; relaying denied", DELAY, (0, 0, 0)),
    "greet-pause": (29226, f"greet_pause of {GREET_PAUSE_MS} ms before the banner", DELAY,
                    (GREET_PAUSE_MS, 0, 0)),
    "ratecontrol": (29227, "ratecontrol: one connection a minute from 127.0.0.1",
                    DELAY + "FEATURE(`ratecontrol', `nodelay', `terminate')dnl\n", (0, 1, 0)),
    "conncontrol": (29228, "conncontrol: one open connection from 127.0.0.1",
                    DELAY + "FEATURE(`conncontrol', `nodelay', `terminate')dnl\n", (0, 0, 1)),
    "dnsbl": (29229, "FEATURE(dnsbl) with an RBL that lists 127.0.0.1 (delay_checks: at RCPT)",
              DELAY + f"FEATURE(`dnsbl', `rbl.{DOMAIN}')dnl\n", (0, 0, 0)),
    "bad-helo": (29230, "FEATURE(block_bad_helo): a HELO name of its own is refused",
                 DELAY + "FEATURE(`block_bad_helo')dnl\n", (0, 0, 0)),
    "dnsbl-connect": (29231, "FEATURE(dnsbl) with an RBL that lists 127.0.0.1, at connect",
                      f"FEATURE(`dnsbl', `rbl.{DOMAIN}')dnl\n", (0, 0, 0)),
}


def _mc(root: Path, cf_dir: Path, name: str) -> str:
    port, _, extra, _ = SENDMAIL_LISTENERS[name]
    own = root / name
    return f"""\
divert(-1)
divert(0)dnl
include(`{cf_dir}/m4/cf.m4')dnl
VERSIONID(`smtpdiag interop {name}')dnl
OSTYPE(`linux')dnl
define(`confDOMAIN_NAME', `{HOSTNAME}')dnl
define(`QUEUE_DIR', `{own}/mqueue')dnl
define(`STATUS_FILE', `{own}/statistics')dnl
define(`ALIAS_FILE', `{root}/aliases')dnl
define(`confPID_FILE', `{own}/sendmail.pid')dnl
define(`confDELIVERY_MODE', `queueonly')dnl
define(`confDONT_PROBE_INTERFACES', `True')dnl
define(`confTO_IDENT', `0')dnl
define(`confDONT_BLAME_SENDMAIL', `TrustStickyBit')dnl
define(`confSERVER_CERT', `{root}/cert.pem')dnl
define(`confSERVER_KEY', `{root}/key.pem')dnl
define(`confCACERT', `{root}/ca.pem')dnl
define(`confCACERT_PATH', `{root}')dnl
LOCAL_DOMAIN(`{DOMAIN}')dnl
FEATURE(`access_db', `hash -T<TMPF> {own}/access')dnl
FEATURE(`no_default_msa')dnl
FEATURE(`blocklist_recipients')dnl
FEATURE(`greet_pause')dnl
{extra}DAEMON_OPTIONS(`Port={port}, Addr=127.0.0.1, Name=MTA')dnl
MAILER(`local')dnl
MAILER(`smtp')dnl
"""


def _as_remote(cf: Path) -> None:
    """127.0.0.1 is every test's client, and sendmail trusts it: Relay_ok lets it relay
    ("originated locally") and block_bad_helo puts it in class R (local networks), which spares
    it the check.  Those lines are dropped, so it is judged as a remote client is (its name is
    not known either: no PTR, and the host's own name is on another address)."""
    lines = cf.read_text().splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(("R127.0.0.1\t", "C{R}127.0.0.1\n"))]
    if not any(line.startswith("R127.0.0.1\t") for line in lines):
        raise Unavailable(f"{cf}: Relay_ok's rule for 127.0.0.1 was not found")
    cf.write_text("".join(kept))


def sendmail_dir() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return Path(os.environ.get("SMTPDIAG_SENDMAIL_DIR") or cache / "smtpdiag/interop-sendmail")


@dataclass
class Sendmail:
    """The running private Sendmail daemons (one process group)."""

    root: Path
    ca_file: str
    process: subprocess.Popen[bytes]
    watchdog: subprocess.Popen[bytes] | None = None

    def port(self, name: str) -> int:
        return SENDMAIL_LISTENERS[name][0]

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


def _prepare(root: Path, unpacked: Path, env: dict[str, str]) -> list[str]:
    """Write every daemon's cf and access database; the commands that make the alias database
    and then start the daemons."""
    sendmail = str(unpacked / "usr/libexec/sendmail/sendmail")
    m4, cf_dir = unpacked / "usr/bin/m4", unpacked / "usr/share/sendmail/cf"
    (root / "aliases").write_text("alice: /dev/null\nblocked: /dev/null\nfull: /dev/null\n"
                                  "postmaster: /dev/null\n"
                                  "MAILER-DAEMON: /dev/null\nroot: /dev/null\n")
    daemons = []
    for name, (_, _, _, (pause, rate, conn)) in SENDMAIL_LISTENERS.items():
        own = root / name
        (own / "mqueue").mkdir(parents=True)
        (own / "mqueue").chmod(0o700)
        (own / "sendmail.mc").write_text(_mc(root, cf_dir, name))
        with open(own / "sendmail.cf", "wb") as cf:
            done = subprocess.run([str(m4), str(own / "sendmail.mc")], stdout=cf,
                                  stderr=subprocess.PIPE, timeout=60)
        if done.returncode != 0 or done.stderr:
            raise Unavailable(f"m4 could not make {name}'s sendmail.cf: "
                              f"{done.stderr.decode(errors='replace')[-300:]}")
        _as_remote(own / "sendmail.cf")
        (own / "access").write_text(ACCESS.format(pause=pause, rate=rate, conn=conn))
        with open(own / "access", "rb") as source:
            done = subprocess.run([str(unpacked / "usr/libexec/sendmail/makemap"), "-C",
                                   str(own / "sendmail.cf"), "hash", str(own / "access")],
                                  stdin=source, env={**os.environ, **env}, capture_output=True,
                                  timeout=60)
        if done.returncode != 0:
            raise Unavailable(f"makemap failed for {name}: {done.stderr[-300:]!r}")
        daemons.append([sendmail, "-C", str(own / "sendmail.cf"), "-bD"])
    # the alias database is built inside the namespace too: sendmail looks its host name up
    return [shlex.join([sendmail, "-C", str(root / "mx/sendmail.cf"), "-bi"]) + " >/dev/null",
            *(shlex.join(daemon) for daemon in daemons)]


def _command(root: Path, daemons: list[str], env: dict[str, str]) -> list[str]:
    """The daemons, in a namespace with their own host name, hosts file and resolver."""
    (root / "hosts").write_text(f"{OWN_ADDRESS} {HOSTNAME} mx\n")
    (root / "resolv.conf").write_text(f"nameserver {DNS_ADDRESS}\noptions timeout:1 attempts:1\n")
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    script = (f"hostname {HOSTNAME} && "
              f"mount --bind {shlex.quote(str(root / 'hosts'))} /etc/hosts && "
              f"mount --bind {shlex.quote(str(root / 'resolv.conf'))} /etc/resolv.conf && "
              f"export {exports}; {daemons[0]} && " + " & ".join(daemons[1:]) + " & wait")
    return ["unshare", "-m", "-u", "/bin/sh", "-c", script]


def start_sendmail(cert: str, key: str, ca_file: str) -> Sendmail:
    """Start the daemons and wait for every listener; raise ``Unavailable`` if they cannot run.
    The tests' DNS server on ``DNS_ADDRESS`` is the caller's to start."""
    if os.geteuid() != 0:
        raise Unavailable("Sendmail's daemon needs root here (a namespace, its ports)")
    unpacked = sendmail_dir() / "root"
    if not (unpacked / "usr/libexec/sendmail/sendmail").exists():
        raise Unavailable(f"Sendmail is not unpacked in {unpacked} "
                          "(run tests/interop/install_sendmail.sh)")
    if shutil.which("unshare") is None:
        raise Unavailable("no unshare(1) to give Sendmail a host name and resolver of its own")
    libs = [str(p) for p in (unpacked / "usr/lib/x86_64-linux-gnu",
                             unpacked / "usr/lib/aarch64-linux-gnu") if p.is_dir()]
    env = {"LD_LIBRARY_PATH": ":".join(libs)} if libs else {}
    busy = [port for port, *_ in SENDMAIL_LISTENERS.values() if _bound(port)]
    if busy:
        raise Unavailable(f"ports already in use: {busy} (another run of the interop tier?)")
    root = Path(tempfile.mkdtemp(prefix="smtpdiag-sendmail-"))
    try:
        root.chmod(0o755)
        for name, source in (("cert.pem", cert), ("key.pem", key), ("ca.pem", ca_file)):
            shutil.copyfile(source, root / name)
        (root / "key.pem").chmod(0o600)
        daemons = _prepare(root, unpacked, env)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    with open(root / "stderr", "wb") as stderr:
        process = subprocess.Popen(_command(root, daemons, env), stdout=subprocess.DEVNULL,
                                   stderr=stderr, start_new_session=True)
    # stops the daemons if this process dies without stop(): they would keep the tier's ports
    instance = Sendmail(root, str(root / "ca.pem"), process, _watchdog([process], root))
    try:
        _wait(instance)
    except BaseException:
        instance.stop()
        raise
    return instance


def _wait(instance: Sendmail, seconds: float = 30) -> None:
    end = time.monotonic() + seconds
    # bound, not connected to: a connection would count against ratecontrol's one a minute
    ports = [port for port, *_ in SENDMAIL_LISTENERS.values()]
    while time.monotonic() < end:
        if instance.process.poll() is not None:
            said = (instance.root / "stderr").read_text(errors="replace")
            raise Unavailable(f"Sendmail exited at start (code {instance.process.returncode}): "
                              f"{said.strip()[-300:]}")
        if all(_bound(port) for port in ports):
            return
        time.sleep(0.1)
    raise Unavailable(f"Sendmail did not listen within {seconds:g} s")


def _bound(port: int) -> bool:
    """Something listens on the port: binding it fails (no connection is made)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


if __name__ == "__main__":  # start them by hand: python -m tests.interop.sendmail
    from smtpdiag.fakeserver import Certs
    from tests.dnsserver import DnsServer

    signal.signal(signal.SIGTERM, signal.default_int_handler)  # kill PID stops it cleanly too
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even started in the background
    certs = Certs.create(tempfile.mkdtemp(prefix="smtpdiag-sendmail-certs-"), kind="good")
    dns = DnsServer(RECORDS, servfail=SERVFAIL, host=DNS_ADDRESS, port=53).start()
    running = start_sendmail(certs.cert_file, certs.key_file, certs.ca_file)
    for listener, (number, what, *_) in SENDMAIL_LISTENERS.items():
        print(f"{listener:12} 127.0.0.1:{number}  {what}")
    print(f"CA: {running.ca_file}   Ctrl-C stops")
    try:
        running.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
        dns.stop()
        shutil.rmtree(Path(certs.ca_file).parent, ignore_errors=True)
