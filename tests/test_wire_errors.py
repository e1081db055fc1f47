"""``wire.convert_error``: what a person is told when the TLS session ends under a command.

Pure: the exceptions are built as asyncio and aiosmtplib raise them (an ``SSLError`` as the
cause of aiosmtplib's "Connection lost"), no socket needed.
"""

from __future__ import annotations

import ssl

from aiosmtplib.errors import SMTPServerDisconnected

from smtpdiag.net.wire import convert_error


def _lost_with(reason: str) -> SMTPServerDisconnected:
    cause = ssl.SSLError(1, f"[SSL: {reason}]")
    cause.reason = reason
    lost = SMTPServerDisconnected("Connection lost")
    lost.__cause__ = cause
    return lost


def test_an_alert_inside_the_session_is_the_servers_refusal_not_a_bad_record() -> None:
    error = convert_error(_lost_with("TLSV13_ALERT_CERTIFICATE_REQUIRED"), "ehlo-tls", 5, None,
                          "192.0.2.1:25")
    assert error.message == ("192.0.2.1:25 ended the TLS session with an alert: "
                          "TLSV13_ALERT_CERTIFICATE_REQUIRED; the server wants a client "
                          "certificate, and smtpdiag sends none")
    assert error.step == "ehlo-tls"


def test_bytes_that_are_no_tls_record_still_say_so() -> None:
    error = convert_error(_lost_with("DECRYPTION_FAILED_OR_BAD_RECORD_MAC"), "ehlo-tls", 5,
                          None, "192.0.2.1:25")
    assert "not a valid TLS record" in error.message


def test_a_close_right_after_the_handshake_names_the_likely_refusal() -> None:
    error = convert_error(SMTPServerDisconnected("Unexpected EOF received"), "ehlo-tls", 5,
                          None, "192.0.2.1:25")
    assert error.message.startswith("192.0.2.1:25 closed the connection right after the TLS "
                                     "handshake"), error.message
    assert "client certificate" in error.message
    later = convert_error(SMTPServerDisconnected("Unexpected EOF received"), "mail", 5, None,
                          "192.0.2.1:25")
    assert later.message == "192.0.2.1:25 closed the connection"
