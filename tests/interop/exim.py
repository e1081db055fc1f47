"""A real Exim (Debian's exim4-daemon-light) on loopback for the interop tier, one listener per
behaviour, all in one daemon: its ACLs branch on ``$received_port``.  Ports 29125-29139.

    python -m tests.interop.exim      # start it, print the listeners, Ctrl-C stops

The binary comes from the machine (``/usr/sbin/exim4``, where the package is installed) or from
``tests/interop/install_exim.sh``, which unpacks Debian's package without installing it (it
conflicts with the Postfix this tier also runs) into ``$SMTPDIAG_EXIM_DIR`` (default
``~/.cache/smtpdiag/interop-exim``).  Exim looks its user up (``Debian-exim``) before it reads
any configuration; where that user does not exist, the daemon runs in a mount namespace of its
own (``unshare -m``) that sees a copy of ``/etc/passwd`` and ``/etc/group`` with it added: the
machine's files are never changed.  Exim reads a private configuration (``-C``), keeps its spool
and logs in a temporary folder, queues what it takes and delivers nothing.

``start_exim`` raises ``Unavailable`` with a one-line reason where Exim cannot run (not root,
not installed); the tests skip then, or fail under ``SMTPDIAG_INTEROP=require``.
"""

from __future__ import annotations

import os
import pwd
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

__all__ = ["EXIM_LISTENERS", "Exim", "exim_binary", "start_exim"]

EXIM_USER = "Debian-exim"
EXIM_DOMAIN = "exim.test"
EXIM_LOGIN, EXIM_PASSWORD = "alice@exim.test", "exim-secret"
SLOW_BANNER_S = 2
SIZE_LIMIT = 300

# name -> (port, what it is)
EXIM_LISTENERS: dict[str, tuple[int, str]] = {
    "mx": (29125, "an MX for exim.test: STARTTLS, CHUNKING, PIPELINING; relay denied"),
    "greylist": (29126, "a greylisting-style defer at RCPT"),
    "ratelimit": (29127, "a ratelimit ACL (0 per hour) deferring at RCPT"),
    "callout": (29128, "sender verification with a callout"),
    "slow": (29129, f"a {SLOW_BANNER_S} s delay before the banner"),
    "per-host": (29130, "smtp_accept_max_per_host = 1"),
    "helo-acl": (29131, "an ACL refusing a HELO name that does not verify"),
    "size": (29132, f"message_size_limit = {SIZE_LIMIT}"),
    "submission": (29133, "AUTH PLAIN/LOGIN only after STARTTLS; recipients need a login"),
    "helo-verify": (29134, "helo_verify_hosts = * (Exim's own HELO verification)"),
    "data-acl": (29135, "a DATA ACL refusing messages over 200 bytes"),
    "drop": (29136, "an ACL that drops the connection at RCPT (drop: 550, then closes)"),
    "no-tls": (29137, "tls_advertise_hosts empty there: no STARTTLS offered"),
    "tls-acl": (29138, "a MAIL ACL that refuses a client without TLS"),
    "deny-message": (29139, "an ACL denying at RCPT with the admin's own 5.7.1 message"),
}


def _port(name: str) -> str:
    return str(EXIM_LISTENERS[name][0])


def _login(user: str, password: str) -> str:
    """An expansion true when these two variables hold the test login."""
    return (f"${{if and {{{{eq{{{user}}}{{{EXIM_LOGIN}}}}}"
            f"{{eq{{{password}}}{{{EXIM_PASSWORD}}}}}}}}}")


def _config(root: Path, cert: str, key: str) -> str:
    ports = " : ".join(str(port) for port, _ in EXIM_LISTENERS.values())

    def on(name: str) -> str:
        return f"${{if ={{$received_port}}{{{_port(name)}}}}}"

    return f"""\
primary_hostname = mx.{EXIM_DOMAIN}
domainlist local_domains = {EXIM_DOMAIN}
domainlist relay_to_domains =
hostlist relay_from_hosts =
local_interfaces = 127.0.0.1
daemon_smtp_ports = {ports}
spool_directory = {root}/spool
log_file_path = {root}/log/%slog
pid_file_path = {root}/exim.pid
exim_user = {EXIM_USER}
exim_group = {EXIM_USER}
never_users =
host_lookup =
rfc1413_hosts =
queue_only = true
keep_environment =
smtp_banner = $smtp_active_hostname ESMTP Exim $version_number $tod_full
tls_advertise_hosts = ${{if ={{$received_port}}{{{_port("no-tls")}}}{{}}{{*}}}}
tls_certificate = {cert}
tls_privatekey = {key}
auth_advertise_hosts = ${{if eq{{$tls_in_cipher}}{{}}{{}}{{*}}}}
message_size_limit = ${{if ={{$received_port}}{{{_port("size")}}}{{{SIZE_LIMIT}}}{{10M}}}}
smtp_accept_max_per_host = ${{if ={{$received_port}}{{{_port("per-host")}}}{{1}}{{0}}}}
helo_verify_hosts = ${{if ={{$received_port}}{{{_port("helo-verify")}}}{{*}}{{}}}}
acl_smtp_connect = acl_connect
acl_smtp_helo = acl_helo
acl_smtp_mail = acl_mail
acl_smtp_rcpt = acl_rcpt
acl_smtp_data = acl_data

begin acl

acl_connect:
  accept condition = {on("slow")}
         delay = {SLOW_BANNER_S}s
  accept

acl_helo:
  deny   condition = {on("helo-acl")}
         !verify = helo
         message = HELO/EHLO $sender_helo_name does not match your address
  accept

acl_mail:
  deny   condition = {on("tls-acl")}
         !encrypted = *
         message = STARTTLS required before MAIL
  accept

acl_rcpt:
  accept hosts = :
  drop   condition = {on("drop")}
  deny   condition = {on("deny-message")}
         message = 5.7.1 Mail from $sender_host_address refused by local policy
  deny   message = Restricted characters in address
         domains = +local_domains
         local_parts = ^[.] : ^.*[@%!/|]
  defer  condition = {on("greylist")}
         message = Greylisted, please try again later
  defer  condition = {on("ratelimit")}
         ratelimit = 0 / 1h / strict / per_rcpt
         message = Sending rate overlimit - $sender_rate / $sender_rate_period / max \\
                   $sender_rate_limit
  deny   condition = {on("callout")}
         !verify = sender/callout=5s
  accept condition = {on("submission")}
         authenticated = *
  deny   condition = {on("submission")}
         message = Authentication required
  require message = relay not permitted
         domains = +local_domains : +relay_to_domains
  require verify = recipient
  accept

acl_data:
  deny   condition = {on("data-acl")}
         condition = ${{if >{{$message_size}}{{200}}}}
         message = Message too big: $message_size bytes, limit 200
  accept

begin routers

# A sender at callout.test is verified by calling this server's own MX listener, which refuses
# it ("relay not permitted"): what a callout to a domain's real MX would say.
callout_target:
  driver = manualroute
  domains = callout.test
  route_list = * 127.0.0.1
  transport = to_mx_listener
  self = send
  no_more

local_users:
  driver = redirect
  domains = +local_domains
  local_parts = alice : bob : postmaster
  data = :blackhole:

begin transports

to_mx_listener:
  driver = smtp
  port = {_port("mx")}

begin retry
*   *   F,1m,1m

begin authenticators

plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = {_login("$auth2", "$auth3")}
  server_set_id = $auth2

login:
  driver = plaintext
  public_name = LOGIN
  server_prompts = Username:: : Password::
  server_condition = {_login("$auth1", "$auth2")}
  server_set_id = $auth1
"""


def exim_dir() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return Path(os.environ.get("SMTPDIAG_EXIM_DIR") or cache / "smtpdiag/interop-exim")


def exim_binary() -> tuple[Path, dict[str, str]]:
    """The exim4 binary to run and the environment it needs (its unpacked libraries)."""
    unpacked = exim_dir() / "root"
    binary = unpacked / "usr/sbin/exim4"
    if binary.exists():
        libs = [str(p) for p in (unpacked / "usr/lib/x86_64-linux-gnu",
                                 unpacked / "usr/lib/aarch64-linux-gnu") if p.is_dir()]
        return binary, {"LD_LIBRARY_PATH": ":".join(libs)} if libs else {}
    if Path("/usr/sbin/exim4").exists():
        return Path("/usr/sbin/exim4"), {}
    raise Unavailable(f"Exim is not unpacked in {unpacked} nor installed "
                      "(run tests/interop/install_exim.sh)")


@dataclass
class Exim:
    """A running private Exim daemon."""

    root: Path
    ca_file: str
    process: subprocess.Popen[bytes]
    watchdog: subprocess.Popen[bytes] | None = None

    def port(self, name: str) -> int:
        return EXIM_LISTENERS[name][0]

    def log(self) -> str:
        parts = [p.read_text(errors="replace") for p in sorted((self.root / "log").glob("*log"))]
        return "".join(parts)

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


def _user_exists() -> bool:
    try:
        pwd.getpwnam(EXIM_USER)
    except KeyError:
        return False
    return True


def _command(root: Path, binary: Path, env: dict[str, str]) -> list[str]:
    """Exim's daemon, in a mount namespace that knows its user where the machine does not."""
    exim = ["env", *(f"{k}={v}" for k, v in env.items()), str(binary),
            "-C", str(root / "exim.conf"), "-bdf"]
    if _user_exists():
        return exim
    ids = "64999"
    with open("/etc/passwd") as src:
        (root / "passwd").write_text(src.read() + f"{EXIM_USER}:x:{ids}:{ids}::/nonexistent:"
                                     "/usr/sbin/nologin\n")
    with open("/etc/group") as src:
        (root / "group").write_text(src.read() + f"{EXIM_USER}:x:{ids}:\n")
    script = (f"mount --bind {shlex.quote(str(root / 'passwd'))} /etc/passwd && "
              f"mount --bind {shlex.quote(str(root / 'group'))} /etc/group && "
              f"exec {shlex.join(exim)}")
    return ["unshare", "-m", "/bin/sh", "-c", script]


def _owner() -> int:
    """The uid Exim drops to (its own user's, here or in its namespace)."""
    return pwd.getpwnam(EXIM_USER).pw_uid if _user_exists() else 64999


def start_exim(cert: str, key: str, ca_file: str) -> Exim:
    """Start the daemon and wait for every listener; raise ``Unavailable`` if it cannot run."""
    if os.geteuid() != 0:
        raise Unavailable("Exim's daemon needs root here (a namespace for its user, its ports)")
    binary, env = exim_binary()
    if not _user_exists() and shutil.which("unshare") is None:
        raise Unavailable(f"no {EXIM_USER} user and no unshare(1) to give Exim one")
    busy = [port for port, _ in EXIM_LISTENERS.values() if _listening(port)]
    if busy:
        raise Unavailable(f"ports already in use: {busy} (another run of the interop tier?)")
    root = Path(tempfile.mkdtemp(prefix="smtpdiag-exim-"))
    root.chmod(0o755)
    for folder in ("spool", "log"):
        (root / folder).mkdir()
        os.chown(root / folder, _owner(), _owner())
    # Exim reads its certificate and key as its own user: copies it may read (a test's
    # temporary folder is root's alone; an unreadable key makes Exim answer STARTTLS 454)
    for name, source in (("cert.pem", cert), ("key.pem", key)):
        shutil.copyfile(source, root / name)
        os.chown(root / name, _owner(), _owner())
        (root / name).chmod(0o600)
    (root / "exim.conf").write_text(_config(root, str(root / "cert.pem"), str(root / "key.pem")))
    with open(root / "stderr", "wb") as stderr:
        process = subprocess.Popen(_command(root, binary, env), stdout=subprocess.DEVNULL,
                                   stderr=stderr, start_new_session=True)
    # stops the daemon if this process dies without stop(): it would keep the tier's ports
    instance = Exim(root, ca_file, process, _watchdog([process], root))
    try:
        _wait(instance)
    except BaseException:
        instance.stop()
        raise
    return instance


def _wait(instance: Exim, seconds: float = 30) -> None:
    end = time.monotonic() + seconds
    ports = [port for name, (port, _) in EXIM_LISTENERS.items() if name != "per-host"]
    while time.monotonic() < end:
        if instance.process.poll() is not None:
            said = (instance.root / "stderr").read_text(errors="replace")
            raise Unavailable(f"Exim exited at start (code {instance.process.returncode}): "
                              f"{(said + instance.log()).strip()[-300:]}")
        if all(_listening(port) for port in ports):
            return
        time.sleep(0.1)
    raise Unavailable(f"Exim did not listen within {seconds:g} s: {instance.log()[-300:]}")


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


if __name__ == "__main__":  # start it by hand: python -m tests.interop.exim
    from smtpdiag.fakeserver import Certs

    signal.signal(signal.SIGTERM, signal.default_int_handler)  # kill PID stops it cleanly too
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even started in the background
    certs = Certs.create(tempfile.mkdtemp(prefix="smtpdiag-exim-certs-"), kind="good")
    running = start_exim(certs.cert_file, certs.key_file, certs.ca_file)
    for listener, (number, what) in EXIM_LISTENERS.items():
        print(f"{listener:12} 127.0.0.1:{number}  {what}")
    print(f"CA: {certs.ca_file}   logs: {running.root}/log   Ctrl-C stops")
    try:
        running.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
        shutil.rmtree(Path(certs.ca_file).parent, ignore_errors=True)
