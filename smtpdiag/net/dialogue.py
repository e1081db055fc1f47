"""The SMTP dialogue of one walk, step by step: TLS handshake, EHLO (HELO fallback),
STARTTLS, AUTH, MAIL, RCPT…, DATA (or RSET in a dry run).

``Walk.run`` is the order of the steps; each step is one exchange recorded by ``StepWalk``
(``steps.py``); the greeting is read by ``GreetingWalk`` (``greeting.py``).  A refusal or a
--quit-after point ends the walk early with ``Done``; ``session.py`` says goodbye and turns what
was seen into an ``Attempt``.
"""

from __future__ import annotations

import asyncio
import base64
import time
from dataclasses import replace

from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings

from ..core.capabilities import parse_capabilities
from ..core.replies import REDACTED
from ..core.verdicts import stopping_reply
from ..errors import ConnectError, TlsError
from ..model import Capabilities, Reply
from .greeting import GreetingWalk
from .roots import ca_file_roots
from .steps import DeclinedProtocol, DeclinedTls, Done, Unsendable
from .tlsinfo import describe_session, handshake_context, legacy_context, sni_name
from .tlsverify import peer_chain, verify_chain

__all__ = ["Walk"]

NAMED = 12  # AUTH mechanisms named in a message (render/report_view.AUTH_SHOWN)
TAKEN = (250, 251, 252)  # the replies to RCPT that take a recipient (252: RFC 5321 §3.5.3)


class Walk(GreetingWalk):
    """One walk over one connection, from connect to the end of the transaction."""

    async def handshake(self, step: str) -> None:
        """One handshake, never verified by OpenSSL; the chain is verified afterwards from this
        same session (``tlsverify``), so a bad certificate costs no second connection."""
        loop = asyncio.get_running_loop()
        context = legacy_context() if self.legacy else handshake_context()
        if self.opts.ca_file and not self.legacy:
            ca_file_roots(self.opts.ca_file)  # an unreadable --ca-file is a usage error, now
        if context is None:
            raise TlsError("this machine's OpenSSL cannot offer TLS older than 1.2", step=step)
        started = time.perf_counter()

        async def upgrade() -> None:
            assert self.proto is not None and self.transport is not None
            if not self.proto.is_connected:  # it hung up right after agreeing (or before)
                raise ConnectError(f"{self.where} closed the connection before the TLS "
                                   "handshake completed")
            new = await loop.start_tls(self.transport, self.proto, context,  # type: ignore[arg-type]
                                       server_hostname=sni_name(self.host))
            if new is None:
                raise ConnectError(f"{self.where} closed the connection during the handshake")
            self.transport = new
            self.proto.transport = new
            self.proto.unsolicited.clear()  # plaintext from before the handshake means nothing
            ssl_object = new.get_extra_info("ssl_object")
            if self.legacy:  # only the version and cipher matter to the diagnosis
                problem = None
            elif ssl_object is None:
                problem = "no TLS session"
            else:
                problem = verify_chain(peer_chain(ssl_object), self.host, self.opts.ca_file)
            self.tls = describe_session(
                ssl_object, mode=self.opts.tls, server_name=self.host, verified=problem is None,
                verify_error=problem, handshake_ms=(time.perf_counter() - started) * 1000)
            if problem is not None and not (self.opts.insecure or self._opportunistic()):
                raise TlsError(f"certificate verification failed: {problem}", step=step)

        await self._guard(step, None, upgrade)
        if self.legacy:  # a diagnosis: nothing is said over this channel, not even QUIT
            raise Done

    def _opportunistic(self) -> bool:
        """Whether an untrusted certificate lets the walk go on, as it lets mail go on: a
        sending MTA using STARTTLS when offered (RFC 3207, Postfix's ``may``, Exim's default)
        delivers over a certificate it cannot verify, so stopping there would hide every later
        step.  Never with a password to send: that needs a verified server (or ``--insecure``)."""
        return self.opts.tls == "starttls" and not self.opts.auth_user

    async def ehlo(self, step: str) -> None:
        reply = await self.command(step, f"EHLO {self.opts.helo}")
        if reply.code == 250:
            assert self.proto is not None
            self.caps = parse_capabilities(reply, self.proto.reader.full_lines)
            return
        if reply.code in (500, 502, 504, 550) and step == "ehlo":
            helo = await self.command("helo", f"HELO {self.opts.helo}")
            if reply.code in (500, 502) and helo.code in (500, 502):
                await self._lmtp()
            self._refuse_unless(helo, 250)
            self.caps = Capabilities()
            return
        self._refuse_unless(reply, 250)

    async def _lmtp(self) -> None:
        """EHLO and HELO both unknown: a port speaking LMTP (RFC 2033, Dovecot's or Cyrus's
        delivery service) knows only LHLO.  One LHLO tells it apart from a broken server (its
        refusal is then no finding: a question of smtpdiag's, not a step of SMTP)."""
        lhlo = await self.command("lhlo", f"LHLO {self.opts.helo}")
        if lhlo.code == 250:
            raise DeclinedProtocol(
                "this port speaks LMTP, not SMTP: EHLO and HELO are unknown to it and LHLO was "
                "answered 250 (RFC 2033). LMTP is how an MTA hands mail to a mailbox server "
                "(Dovecot's lmtp, Cyrus), not a port to send mail to: probe the MTA's SMTP "
                "port (25, or 587 to submit)", step="lhlo")

    async def starttls(self) -> None:
        offered = bool(self.caps and self.caps.starttls)
        if not offered:
            if self.opts.tls == "starttls-required":
                raise DeclinedTls("STARTTLS is required here but the server does not offer it",
                                  step="starttls")
            return
        reply = await self.command("starttls", "STARTTLS")
        if reply.code != 220:
            if self.opts.tls == "starttls" and reply.code != 421:
                # Opportunistic TLS (RFC 3207 §4.1): a sending MTA carries on in plaintext;
                # the findings say so loudly.
                return
            self.stop = reply
            raise Done
        await self.handshake("tls")
        self.caps_before_tls = self.caps
        await self.ehlo("ehlo-tls")

    async def auth(self) -> None:
        user, password = self.opts.auth_user or "", self.opts.auth_password or ""
        if self.tls is None and self.opts.tls != "none":
            # A stripped STARTTLS must not cost the user their password.
            raise DeclinedTls("not sending the password unencrypted: no TLS was negotiated "
                              "(the server did not offer STARTTLS); --tls none allows AUTH "
                              "without TLS", step="auth")
        offered = self.caps.auth if self.caps else ()
        if "PLAIN" in offered:
            token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
            reply = await self.command("auth", f"AUTH PLAIN {token}", f"AUTH PLAIN {REDACTED}")
            if reply.code == 334:
                reply = await self.command("auth", token, REDACTED)
        elif "LOGIN" in offered:
            reply = await self.command("auth", "AUTH LOGIN")
            for secret in (user, password):
                if reply.code != 334:
                    break
                reply = await self.command("auth", base64.b64encode(secret.encode()).decode(),
                                           REDACTED)
        elif not offered and self.tls is None and self.caps and self.caps.starttls:
            raise DeclinedProtocol("the server offers no AUTH before TLS, and it offers "
                                   "STARTTLS: it takes logins only over TLS (Exim: "
                                   "auth_advertise_hosts, Postfix: smtpd_tls_auth_only). Probe "
                                   "with --tls starttls", step="auth")
        else:
            shown = ", ".join(offered[:NAMED]) or "none"
            if len(offered) > NAMED:  # a server may list a thousand
                shown += f" and {len(offered) - NAMED} more"
            raise DeclinedProtocol(f"the server offers no AUTH mechanism smtpdiag can use "
                                   f"(PLAIN or LOGIN); it offers: {shown}", step="auth")
        self._refuse_unless(reply, 235)

    async def transaction(self) -> None:
        caps = self.caps or Capabilities()
        size = f" SIZE={len(self.opts.message)}" if caps.size is not None else ""
        if self.opts.smtputf8 and not caps.smtputf8:
            needing = [a for a in (self.opts.mail_from, *self.opts.rcpt_to) if not a.isascii()]
            raise Unsendable(
                f"not sent: {', '.join(f'<{a}>' for a in needing)} has a non-ASCII local part, "
                "which may only go to a server that offers SMTPUTF8 (RFC 6531 §3.4); this one "
                "does not, so smtpdiag stopped before MAIL FROM, as a sending server would "
                "(it returns such mail: 5.6.7). Use an ASCII address, or a server offering "
                "SMTPUTF8", step="mail")
        utf8 = " SMTPUTF8" if self.opts.smtputf8 else ""
        reply = await self.command("mail", f"MAIL FROM:<{self.opts.mail_from}>{size}{utf8}")
        self._refuse_unless(reply, 250)
        self._stop_if("mail")
        took = False  # a recipient was taken (a flag, not any() over the replies, every walk)
        for rcpt in self.opts.rcpt_to:
            try:
                reply = await self.command("rcpt", f"RCPT TO:<{rcpt}>")
            except ConnectError:
                if not self.rcpt_replies or self.rcpt_replies[-1].positive:
                    raise
                # A refusal, then the connection closed (Exim's ACL drop): the refusal is the
                # server's answer, the hang-up its way of ending a session it refuses
                self.stop = stopping_reply(self.rcpt_replies)
                raise Done from None
            self.rcpt_replies.append(reply)
            if reply.code in TAKEN:
                took = True
            elif reply.positive:
                # positive, yet neither taken nor refused (354, 220, 235…): out of turn
                self._refuse_unless(reply, *TAKEN)
            if reply.code == 421:  # closing: no further recipient will be heard
                # (Postfix's "too many errors" after refused recipients): where none was taken,
                # a recipient refused for good before it decides, as when all were refused
                self.stop = reply if took else stopping_reply(self.rcpt_replies)
                raise Done
        if not took:
            self.stop = stopping_reply(self.rcpt_replies)
            raise Done
        self._stop_if("rcpt")
        if self.opts.dry_run:
            await self.command("rset", "RSET")
            return
        reply = await self.command("data", "DATA")
        self._refuse_unless(reply, 354)
        assert self.proto is not None
        proto = self.proto

        async def send_body() -> Reply:
            # DATA was already answered 354; send the dot-stuffed body and its end marker.
            body = PERIOD_REGEX.sub(b"..", normalize_message_line_endings(self.opts.message))
            proto.write(body + b".\r\n")
            return await proto.receive()

        body = await self._guard("message", f"<test message, {len(self.opts.message)} bytes>",
                                 send_body)
        assert body is not None
        self._refuse_unless(body, 250)

    async def run(self) -> None:
        await self.connect()
        self._stop_if("connect")
        if self.opts.tls == "implicit":
            await self.handshake("tls")
        started = time.monotonic()
        greeting = await self._guard("greeting", None, self._greeting_or_tls
                                     if self.opts.sniff_tls else self._read_greeting)
        assert greeting is not None and self.proto is not None
        if self.proto.first_data_at is not None and len(greeting.lines) > 1:
            first = (self.proto.first_data_at - started) * 1000
            self.steps[-1] = replace(self.steps[-1], first_line_ms=max(0.0, first))
        self._refuse_unless(greeting, 220)
        self._stop_if("greeting")
        await self.ehlo("ehlo")
        self._stop_if("ehlo")
        if self.opts.tls in ("starttls", "starttls-required"):
            await self.starttls()
        self._stop_if("tls")
        if self.opts.auth_user is not None:
            await self.auth()
        self._stop_if("auth")
        await self.transaction()
