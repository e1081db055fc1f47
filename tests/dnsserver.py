"""A small real authoritative DNS server on loopback, for testing the DNS layer end to end.

It answers from a dict of zone-file rdata text over UDP and TCP on one port, so the resolver is
tested through real sockets, real wire format and its real truncation fallback — never against
the system resolver or the internet. Names in ``servfail`` answer SERVFAIL and names in
``silent`` get no reply at all, which is how a resolver timeout is produced on demand; an entry
``(name, "AAAA")`` does so for that one record type only (a zone that drops AAAA questions).
A name with a CNAME is followed inside the zone data (as a recursive resolver would), and
answers about names in ``authenticated`` carry the AD bit, as from a validating resolver.
A record written ``\\# HEX`` is sent as those bytes, so a malformed record can be served.
Hostile and broken servers: names in ``refused`` answer REFUSED (a lame delegation); names in
``spoofed`` are answered with a reply that is not for the question (``"id"``: another query ID,
``"qname"``: about another name), as an off-path forger or a broken middlebox sends; names in
``slow`` are answered after that many seconds; with ``race=True`` every UDP answer follows a
forged copy with another query ID; with ``tcp=False`` the TCP port hangs up on every
connection, so a truncated UDP answer cannot be fetched again over TCP; with ``udp=False``
no UDP question is answered (a firewall dropping UDP to port 53, a server serving TCP only);
and with
``no_edns=True`` it is a server from before EDNS (RFC 6891 §7), answering FORMERR to a query
that carries an OPT record.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
import time
from types import TracebackType

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

__all__ = ["DnsServer", "servfail_why"]


def _key(name: str) -> str:
    """Names compare case-insensitively and without the trailing dot."""
    return name.lower().rstrip(".")


def _question(entry: str | tuple[str, str]) -> str | tuple[str, str]:
    """A ``servfail``/``silent`` entry: a name (every type), or (name, type) for one type."""
    if isinstance(entry, tuple):
        return _key(entry[0]), entry[1].upper()
    return _key(entry)


class DnsServer:
    """A loopback DNS server in a background thread; use as a context manager."""

    def __init__(
        self,
        records: dict[tuple[str, str], list[str]],
        *,
        servfail: set[str | tuple[str, str]] | frozenset[str] = frozenset(),
        silent: set[str | tuple[str, str]] | frozenset[str] = frozenset(),
        authenticated: set[str] | frozenset[str] = frozenset(),
        host: str = "127.0.0.1",
        port: int = 0,
        chase: bool = True,
        refused: set[str | tuple[str, str]] | frozenset[str] = frozenset(),
        spoofed: dict[str, str] | None = None,
        slow: dict[str, float] | None = None,
        tcp: bool = True,
        race: bool = False,
        no_edns: bool = False,
        udp: bool = True,
    ) -> None:
        self.records = {(_key(n), t.upper()): list(v) for (n, t), v in records.items()}
        self.names = {n for n, _ in self.records}
        self.servfail = {_question(n) for n in servfail}
        self.silent = {_question(n) for n in silent}
        self.authenticated = {_key(n) for n in authenticated}
        self.refused = {_question(n) for n in refused}
        self.spoofed = {_key(n): how for n, how in (spoofed or {}).items()}
        self.slow = {_key(n): delay for n, delay in (slow or {}).items()}
        self.tcp = tcp
        self.udp = udp  # False: UDP questions are dropped unanswered, TCP ones answered
        self.race = race  # every UDP answer comes after a forged copy (another query ID)
        self.no_edns = no_edns  # a pre-EDNS server: FORMERR to any query with an OPT record
        self.chase = chase  # False: an alias is answered with its CNAME only, as out of zone
        self.host = host
        self.port = 0
        self._wanted_port = port  # 0: any free port (the tests); 53 for a resolv.conf
        self.queries: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._servers: list[socketserver.BaseServer] = []
        self._threads: list[threading.Thread] = []

    def answer(self, wire: bytes, *, udp: bool) -> bytes | None:
        """The reply to one query in wire form, or None when the server is to stay silent."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        if not query.question:
            return None
        question = query.question[0]
        name = _key(question.name.to_text())
        rdtype = dns.rdatatype.to_text(question.rdtype)
        with self._lock:
            self.queries.append((name, rdtype))
        if name in self.silent or (name, rdtype) in self.silent:
            return None
        if name in self.slow:
            time.sleep(self.slow[name])
        if self.no_edns and query.edns >= 0:
            query.use_edns(False)  # it cannot read the OPT record, so it sends none back
            response = dns.message.make_response(query)
            response.set_rcode(dns.rcode.FORMERR)
            return response.to_wire()
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if name in self.servfail or (name, rdtype) in self.servfail:
            response.set_rcode(dns.rcode.SERVFAIL)
        elif name in self.refused or (name, rdtype) in self.refused:
            response.flags &= ~dns.flags.AA
            response.set_rcode(dns.rcode.REFUSED)
        else:
            self._fill(response, question.name, rdtype)
        if self.spoofed.get(name) == "id":
            response.id = (query.id + 1) % 65536
        elif self.spoofed.get(name) == "qname":
            other = dns.name.from_text("elsewhere.invalid.")
            response.question = [dns.rrset.RRset(other, question.rdclass, question.rdtype)]
            for rrset in response.answer:
                rrset.name = other
        if name in self.authenticated:
            response.flags |= dns.flags.AD
        if not udp:  # TCP carries up to 65,535 bytes, whatever the EDNS payload (RFC 7766)
            return response.to_wire(max_size=65535)
        limit = max(512, query.payload if query.edns >= 0 else 512)
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:  # too big for UDP: say so, the client retries over TCP
            response.answer.clear()
            response.flags |= dns.flags.TC
            return response.to_wire()

    def _fill(self, response: dns.message.Message, qname: dns.name.Name, rdtype: str) -> None:
        """The answer section for ``qname``, following CNAMEs in the zone data (8 at most)."""
        for _ in range(8):
            name = _key(qname.to_text())
            if (name, rdtype) in self.records:
                response.answer.append(self._rrset(qname, rdtype, self.records[name, rdtype]))
                return
            if rdtype != "CNAME" and (name, "CNAME") in self.records:
                rrset = self._rrset(qname, "CNAME", self.records[name, "CNAME"][:1])
                response.answer.append(rrset)
                if not self.chase:
                    return
                qname = rrset[0].target
                continue
            if name not in self.names:
                response.set_rcode(dns.rcode.NXDOMAIN)
            return

    @staticmethod
    def _rrset(qname: dns.name.Name, rdtype: str, texts: list[str]) -> dns.rrset.RRset:
        """The records as zone-file text; one written ``\\# HEX`` goes out as those very
        bytes, unchecked, which is how a malformed record (a TLSA whose digest is too short)
        reaches the client."""
        raw = [t for t in texts if t.startswith("\\# ")]
        if not raw:
            return dns.rrset.from_text_list(qname, 300, dns.rdataclass.IN, rdtype, texts,
                                            origin=dns.name.root, relativize=False)
        rrset = dns.rrset.RRset(qname, dns.rdataclass.IN, dns.rdatatype.from_text(rdtype))
        for text in raw:
            data = bytes.fromhex(text[3:].replace(" ", ""))
            rrset.add(dns.rdata.GenericRdata(dns.rdataclass.IN, rrset.rdtype, data), 300)
        return rrset

    def start(self) -> DnsServer:
        """Bind UDP on a free port, then TCP on the same port (retrying if that one is taken)."""
        owner = self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET

        class Udp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data, sock = self.request
                if not owner.udp:
                    return
                reply = owner.answer(data, udp=True)
                if reply is not None and owner.race:  # an off-path forger, first by a hair
                    forged = struct.pack("!H", (struct.unpack("!H", reply[:2])[0] + 1) % 65536)
                    sock.sendto(forged + reply[2:], self.client_address)
                if reply is not None:
                    sock.sendto(reply, self.client_address)

        class Tcp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn: socket.socket = self.request
                while owner.tcp and (header := _read(conn, 2)):
                    data = _read(conn, struct.unpack("!H", header)[0])
                    reply = owner.answer(data, udp=False) if data else None
                    if reply is None:
                        return
                    conn.sendall(struct.pack("!H", len(reply)) + reply)

        class UdpServer(socketserver.ThreadingUDPServer):
            address_family = family
            daemon_threads = True

        class TcpServer(socketserver.ThreadingTCPServer):
            address_family = family
            daemon_threads = True
            allow_reuse_address = True

        for _ in range(20):
            udp = UdpServer((self.host, self._wanted_port), Udp)
            port = udp.server_address[1]
            try:
                tcp = TcpServer((self.host, port), Tcp)
            except OSError:
                udp.server_close()
                continue
            break
        else:
            raise RuntimeError("no port free for both UDP and TCP")
        self.port = port
        self._servers = [udp, tcp]
        for server in self._servers:
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop serving and free the port; safe to call twice."""
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=2)
        self._servers, self._threads = [], []

    def __enter__(self) -> DnsServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _read(conn: socket.socket, size: int) -> bytes:
    """Exactly ``size`` bytes, or b"" when the peer closed first."""
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            return b""
        data += chunk
    return data


def servfail_why(port: int, question: str) -> str:
    """What smtpdiag says after a SERVFAIL from a loopback server about ``question`` (``"MX
    d.test"``, the name as it is sent): the usual causes, and how to tell them apart."""
    return ("usually a lame delegation (the domain's nameservers do not answer for it) or a "
            f"DNSSEC signature that does not validate (if dig @127.0.0.1 -p {port} +cd "
            f"{question} answers, it is DNSSEC)")
