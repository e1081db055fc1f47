"""``serve_forever``, the fake server as ``smtpdiag serve`` runs it in a child process: it
announces its port, and stops cleanly when told and on a keyboard interrupt."""

from __future__ import annotations

import os
import re
import signal
import smtplib
import socket
import threading
import time

import pytest

from smtpdiag.fakeserver import serve_forever

# -- serve_forever ------------------------------------------------------------------------------


def _port_from(lines: list[str]) -> int:
    match = re.fullmatch(
        r"listening on 127\.0\.0\.1:(\d+) \(scenario healthy, STARTTLS offered\)", lines[0]
    )
    assert match, lines
    return int(match.group(1))


def _wait_for(lines: list[str], count: int) -> None:
    deadline = time.monotonic() + 5
    while len(lines) < count:
        assert time.monotonic() < deadline, lines
        time.sleep(0.01)


def test_serve_forever_announces_and_stops_when_told() -> None:
    lines: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=serve_forever,
        args=("healthy",),
        kwargs={"port": 0, "announce": lines.append, "stop": stop},
    )
    thread.start()
    try:
        _wait_for(lines, 3)
        port = _port_from(lines)
        assert re.fullmatch(r"CA file \(pass as --ca-file\): .+ca\.pem", lines[1])
        assert lines[2] == "AUTH test credentials: user demo, password demo-password"
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
            assert smtp.noop()[0] == 250
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_serve_forever_stops_cleanly_on_keyboard_interrupt() -> None:
    lines: list[str] = []

    def interrupt_once_listening() -> None:
        _wait_for(lines, 3)
        os.kill(os.getpid(), signal.SIGINT)  # a real SIGINT, as Ctrl-C sends (it also wakes
        # the event loop's select, which _thread.interrupt_main's flag alone may not)

    # Ctrl-C as a process sees it by default, whatever handler an earlier test left behind
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    helper = threading.Thread(target=interrupt_once_listening)
    helper.start()
    try:
        serve_forever("healthy", port=0, announce=lines.append)  # returns instead of raising
    finally:
        signal.signal(signal.SIGINT, previous)
    helper.join(5)
    port = _port_from(lines)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
