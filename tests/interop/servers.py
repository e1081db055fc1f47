"""Real mail servers on loopback for the interop tier: Postfix (with Dovecot SASL and postgrey as
a policy service), Haraka and nodemailer's smtp-server.  Ports 29000-29999 only (issue 9's range).

    python -m tests.interop.servers      # start them, print the listeners, Ctrl-C stops

Nothing here touches the machine's own mail system: Postfix runs from a private config and queue
directory under a temporary folder (``postfix -c DIR start-fg``), listens only on the loopback
listeners below (nothing on 25/465/587), and delivers nothing (every recipient goes to the
``discard`` transport).  Its chrooted smtpd reads ``etc/resolv.conf`` inside that queue
directory, which points at the tests' own DNS server on 127.29.0.53 (a loopback address of this
tier's own; the resolver library has no way to name a port, so that server must listen on 53):
the machine's resolver configuration is never changed.

Each ``start_*`` raises ``Unavailable`` with a one-line reason when its server cannot run here
(not root, package not installed); the tests turn that into a skip, or, with
``SMTPDIAG_INTEROP=require`` (set by ``.ci/run``), into a failure.
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
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DNS_ADDRESS", "LISTENERS", "Postfix", "Unavailable", "start_postfix"]

DNS_ADDRESS = "127.29.0.53"
HOSTNAME = "mx.interop.test"
DOMAIN = "interop.test"
SASL_USER, SASL_PASSWORD = "alice@interop.test", "interop-secret"
POSTGREY_PORT = 29060
DOWN_PORT = 29059  # nothing listens there: a milter or a next hop that is down
DOVECOT_AUTH = "private/auth"
# Dovecot's LMTP and submission services (packages dovecot-lmtpd, dovecot-submissiond), where
# installed; submission relays through the "plain" listener, which does not trust it.
DOVECOT_LMTP, DOVECOT_SUBMISSION = 29024, 29589

# name -> (port, what it is, the master.cf -o overrides)
LISTENERS: dict[str, tuple[int, str, tuple[str, ...]]] = {
    "plain": (29025, "plain MTA, STARTTLS offered", ()),
    "postscreen": (29026, "postscreen with its greet pause and deep protocol tests", ()),
    "helo": (29027, "reject_non_fqdn_helo_hostname", (
        "smtpd_helo_required=yes", "smtpd_helo_restrictions=reject_non_fqdn_helo_hostname")),
    "reverse": (29028, "reject_unknown_reverse_client_hostname", (
        "smtpd_client_restrictions=reject_unknown_reverse_client_hostname",)),
    "sender-domain": (29029, "reject_unknown_sender_domain", (
        "smtpd_sender_restrictions=reject_unknown_sender_domain",)),
    "rbl": (29030, "an RBL answered by the tests' DNS server", (
        "smtpd_client_restrictions=reject_rbl_client,rbl.interop.test",)),
    "rate": (29031, "connection rate limit: 1 a minute", (
        "smtpd_client_connection_rate_limit=1",)),
    "size": (29032, "message_size_limit 300 bytes", ("message_size_limit=300",)),
    "no-utf8": (29033, "smtputf8_enable = no", ("smtputf8_enable=no",)),
    "postgrey": (29034, "postgrey as a policy service", (
        "smtpd_recipient_restrictions=check_policy_service,inet:127.0.0.1:"
        f"{POSTGREY_PORT},permit",)),
    "milter": (29035, "a milter that cannot be reached, milter_default_action = tempfail", (
        f"smtpd_milters=inet:127.0.0.1:{DOWN_PORT}", "milter_default_action=tempfail")),
    "helo-now": (29036, "HELO name checks answered at EHLO (smtpd_delay_reject = no)", (
        "smtpd_delay_reject=no", "smtpd_helo_required=yes",
        "smtpd_helo_restrictions=reject_non_fqdn_helo_hostname,reject_unknown_helo_hostname")),
    "verify": (29037, "reject_unverified_recipient; other domains' next hop is down", (
        "smtpd_relay_restrictions=reject_unverified_recipient,reject_unauth_destination",
        "unverified_recipient_tempfail_action=defer")),
    "errors": (29038, "error limits: 421 after the second refused recipient", (
        "smtpd_soft_error_limit=1", "smtpd_hard_error_limit=2", "smtpd_error_sleep_time=0")),
    "reverse-now": (29039, "reject_unknown_reverse_client_hostname answered at connect", (
        "smtpd_delay_reject=no",
        "smtpd_client_restrictions=reject_unknown_reverse_client_hostname")),
    "access": (29040, "check_recipient_access: REJECT and DEFER with the admin's own words", (
        "smtpd_recipient_restrictions=check_recipient_access,inline:{"
        "{bob@interop.test=REJECT Not accepted here},"
        "{postmaster@interop.test=DEFER Mailbox migration in progress}},permit",)),
    "encrypt": (29041, "an MTA taking mail only over TLS (no SASL): smtpd_tls_security_level = "
                "encrypt", ("smtpd_tls_security_level=encrypt",)),
    "soft-bounce": (29042, "soft_bounce = yes: every refusal said with 4xx", ("soft_bounce=yes",)),
    "relay-login": (29043, "AUTH offered in clear; a login does not let the client relay", (
        "smtpd_sasl_auth_enable=yes", "smtpd_tls_auth_only=no",
        "smtpd_relay_restrictions=reject_unauth_destination")),
    "lookup": (29045, "a recipient access table that cannot be read (a tcp: map that is down)", (
        f"smtpd_recipient_restrictions=check_recipient_access,tcp:127.0.0.1:{DOWN_PORT},permit",)),
    "tls10": (29044, "STARTTLS offering only TLS 1.0 (an old OpenSSL, or smtpd_tls_protocols)", (
        "smtpd_tls_protocols=>=TLSv1,<=TLSv1", "tls_medium_cipherlist=ALL:@SECLEVEL=0")),
    "submission": (29587, "submission: TLS, AUTH (Dovecot SASL) required", (
        "smtpd_tls_security_level=encrypt", "smtpd_sasl_auth_enable=yes",
        "smtpd_tls_auth_only=yes",
        "smtpd_client_restrictions=permit_sasl_authenticated,reject")),
    "submission-login": (29588, "submission: sender must be logged in (AUTH offered in clear)", (
        "smtpd_sasl_auth_enable=yes", "smtpd_tls_auth_only=no",
        "smtpd_sender_login_maps=inline:{alice@interop.test=alice@interop.test}",
        "smtpd_sender_restrictions=reject_sender_login_mismatch",
        "smtpd_recipient_restrictions=permit_sasl_authenticated,reject")),
}


class Unavailable(Exception):
    """This server cannot run on this machine; the message says why, in one line."""


@dataclass
class Postfix:
    """A running private Postfix instance (and its helpers)."""

    root: Path
    ca_file: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    watchdog: subprocess.Popen[bytes] | None = None

    def port(self, name: str) -> int:
        return LISTENERS[name][0]

    def log(self) -> str:
        path = self.root / "maillog"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop every process this instance started (each in a session of its own, so that
        the whole group goes: ``postfix start-fg`` runs master under a shell)."""
        if self.watchdog is not None and self.watchdog.poll() is None:
            self.watchdog.kill()  # its work is done here; it must not outlive us and kill later
            self.watchdog.wait(5)
        if (self.root / "etc/main.cf").exists():
            subprocess.run(["/usr/sbin/postfix", "-c", str(self.root / "etc"), "stop"],
                           capture_output=True, timeout=30, check=False)
        for process in reversed(self.processes):
            if process.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        shutil.rmtree(self.root, ignore_errors=True)


def _need(condition: bool, reason: str) -> None:
    if not condition:
        raise Unavailable(reason)


def _wait_port(port: int, seconds: float, process: subprocess.Popen[bytes], what: str,
               host: str = "127.0.0.1") -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if process.poll() is not None:
            raise Unavailable(f"{what} exited at start (code {process.returncode})")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise Unavailable(f"{what} did not listen on {host}:{port} within {seconds:g} s")


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def _main_cf(root: Path, cert: str, key: str) -> str:
    return f"""\
compatibility_level = 3.6
config_directory = {root}/etc
queue_directory = {root}/spool
data_directory = {root}/data
maillog_file = {root}/maillog
maillog_file_prefixes = {root}
myhostname = {HOSTNAME}
mydomain = {DOMAIN}
myorigin = $mydomain
mydestination = $mydomain, localhost
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
# Loopback must not be trusted, or every restriction below would let the tests through.
mynetworks = 127.29.0.254/32
alias_maps =
alias_database =
local_recipient_maps = inline:{{postmaster@{DOMAIN}=x, alice@{DOMAIN}=x, bob@{DOMAIN}=x}}
local_transport = discard
default_transport = discard
relay_transport = discard
smtpd_banner = $myhostname ESMTP interop
smtpd_tls_cert_file = {cert}
smtpd_tls_key_file = {key}
smtpd_tls_security_level = may
smtpd_sasl_type = dovecot
smtpd_sasl_path = {DOVECOT_AUTH}
smtputf8_enable = yes
anvil_rate_time_unit = 60s
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
postscreen_access_list =
postscreen_greet_wait = 2s
postscreen_greet_banner = $smtpd_banner
postscreen_greet_action = enforce
postscreen_pipelining_enable = yes
postscreen_non_smtp_command_enable = yes
postscreen_bare_newline_enable = yes
postscreen_cache_map = btree:$data_directory/postscreen_cache
postscreen_dnsbl_sites =
smtpd_peername_lookup = yes
# Address verification of other domains' recipients asks a next hop that is down.
address_verify_default_transport = smtp:[127.0.0.1]:{DOWN_PORT}
"""


def _master_cf(chroot: str) -> str:
    """The Debian master.cf's internal services, and only our listeners as network ones."""
    lines = []
    for line in Path("/etc/postfix/master.cf").read_text().splitlines():
        if line.startswith("smtp ") and " inet " in line:
            continue  # the machine's port 25: never here
        lines.append(line)
    lines.append(f"smtpd     pass  -       -       {chroot}       -       -       smtpd")
    for name, (port, _, overrides) in LISTENERS.items():
        service = "postscreen" if name == "postscreen" else "smtpd"
        lines.append(f"127.0.0.1:{port} inet n - {chroot} - {1 if service == 'postscreen' else '-'}"
                     f" {service}")
        lines.append(f"  -o syslog_name=postfix/{name}")
        lines += [f"  -o {override}" for override in overrides]
    return "\n".join(lines) + "\n"


def _chroot_etc(spool: Path) -> None:
    """What the chrooted daemons read for name service: only the tests' DNS server."""
    _write(spool / "etc/resolv.conf", f"nameserver {DNS_ADDRESS}\noptions timeout:1 attempts:1\n")
    _write(spool / "etc/hosts", "")  # no name for the client: its PTR is asked of our DNS
    _write(spool / "etc/nsswitch.conf", "hosts: files dns\npasswd: files\ngroup: files\n")
    for name in ("services", "localtime", "host.conf"):
        source = Path("/etc") / name
        if source.exists():
            _write(spool / "etc" / name, source.read_text(errors="replace"))


def dovecot_services() -> bool:
    """Whether Dovecot's LMTP and submission services are installed here."""
    return all(Path(f"/usr/lib/dovecot/{name}").exists() for name in ("lmtp", "submission"))


def _dovecot_services(root: Path) -> str:
    if not dovecot_services():
        return "protocols = none\n"
    return f"""\
protocols = lmtp submission
hostname = {HOSTNAME}
mail_location = maildir:{root}/dovecot/mail/%u
submission_relay_host = 127.0.0.1
submission_relay_port = {LISTENERS["plain"][0]}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {DOVECOT_LMTP}
  }}
}}
service submission-login {{
  inet_listener submission {{
    address = 127.0.0.1
    port = {DOVECOT_SUBMISSION}
  }}
}}
"""


def _dovecot_conf(root: Path) -> str:
    passwd = root / "dovecot/users"
    _write(passwd, f"{SASL_USER}:{{PLAIN}}{SASL_PASSWORD}::::::\n", 0o644)
    return _dovecot_services(root) + f"""\
base_dir = {root}/dovecot/run
state_dir = {root}/dovecot/state
log_path = {root}/dovecot/log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = {passwd}
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}}
service auth {{
  unix_listener {root}/spool/{DOVECOT_AUTH} {{
    mode = 0660
    user = postfix
    group = postfix
  }}
}}
"""


def start_postfix(cert: str, key: str, ca_file: str, *, chroot: bool = True) -> Postfix:
    """Start Postfix, Dovecot (SASL, and LMTP and submission where installed) and postgrey;
    raise ``Unavailable`` if they cannot."""
    _need(os.geteuid() == 0, "Postfix needs root to start (run as root, or in CI)")
    for binary in ("/usr/sbin/postfix", "/usr/sbin/dovecot", "/usr/sbin/postgrey"):
        _need(Path(binary).exists(), f"{binary} is not installed (apt-get install postfix "
              "dovecot-core postgrey)")
    busy = [p for n, (p, _, _) in LISTENERS.items() if n != "rate" and _listening(p)]
    _need(not busy, f"ports already in use: {busy} (another run of the interop tier?)")
    root = Path(tempfile.mkdtemp(prefix="smtpdiag-interop-"))
    root.chmod(0o755)
    instance = Postfix(root, ca_file)
    try:
        etc, spool = root / "etc", root / "spool"
        _write(etc / "main.cf", _main_cf(root, cert, key))
        _write(etc / "master.cf", _master_cf("y" if chroot else "n"))
        spool.mkdir()
        _chroot_etc(spool)
        (root / "data").mkdir()
        shutil.chown(root / "data", "postfix", "postfix")
        check = subprocess.run(["/usr/sbin/postfix", "-c", str(etc), "check"],
                               capture_output=True, text=True, timeout=60, check=False)
        if check.returncode != 0:
            raise Unavailable(f"postfix check failed: {(check.stderr + instance.log())[-300:]}")
        _write(root / "dovecot/dovecot.conf", _dovecot_conf(root))
        dovecot = subprocess.Popen(["/usr/sbin/dovecot", "-F", "-c",
                                    str(root / "dovecot/dovecot.conf")],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        instance.processes.append(dovecot)
        greydb = root / "postgrey"
        greydb.mkdir()
        shutil.chown(greydb, "postgrey", "postgrey")
        postgrey = subprocess.Popen(
            ["/usr/sbin/postgrey", f"--inet=127.0.0.1:{POSTGREY_PORT}", f"--dbdir={greydb}",
             "--delay=60", "--user=postgrey", f"--pidfile={root}/postgrey.pid"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        instance.processes.append(postgrey)
        master = subprocess.Popen(["/usr/sbin/postfix", "-c", str(etc), "start-fg"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
        instance.processes.append(master)
        instance.watchdog = _watchdog(instance.processes, root)
        for name, (port, what, _) in LISTENERS.items():
            if name != "rate":  # a test's connection must be that listener's first
                _wait_port(port, 30, master, f"Postfix ({what})")
        _wait_port(POSTGREY_PORT, 30, postgrey, "postgrey")
        for port in (DOVECOT_LMTP, DOVECOT_SUBMISSION) if dovecot_services() else ():
            _wait_port(port, 30, dovecot, "Dovecot's LMTP and submission")
        end = time.monotonic() + 20
        while not (spool / DOVECOT_AUTH).exists():
            if dovecot.poll() is not None or time.monotonic() > end:
                raise Unavailable("Dovecot's auth socket did not appear: "
                                  + _tail(root / "dovecot/log"))
            time.sleep(0.1)
    except BaseException:
        instance.stop()
        raise
    return instance


def _watchdog(processes: list[subprocess.Popen[bytes]], root: Path) -> subprocess.Popen[bytes]:
    """A shell that stops the servers' process groups if this process dies without ``stop()``
    (pytest killed by a timeout, ``kill -9``): otherwise Postfix keeps the tier's fixed ports and
    every later run of the tier fails with "ports already in use"."""
    groups = " ".join(f"-{process.pid}" for process in processes)
    script = (f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
              f"kill -TERM {groups} 2>/dev/null; sleep 5; kill -KILL {groups} 2>/dev/null; "
              f"rm -rf {shlex.quote(str(root))}")
    return subprocess.Popen(["/bin/sh", "-c", script], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-300:].strip() if path.exists() else "(no log)"


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def running_postfix(cert: str, key: str, ca_file: str) -> Iterator[Postfix]:
    instance = start_postfix(cert, key, ca_file)
    try:
        yield instance
    finally:
        instance.stop()
