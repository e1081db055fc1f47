"""Unbuffered standard output (``python -u``, ``PYTHONUNBUFFERED``) never drops part of a write.

Real pipes, made non-blocking, so that the system takes only part of a write once the pipe is
full: what an interrupted write to a blocking pipe also does, but here every time.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import threading
import time
from collections.abc import Iterator

import pytest

from smtpdiag.cli.whole_writes import WholeWrites, whole_writes

PIECE = "".join(f"{i:05d}é\n" for i in range(2000))  # 14,000 characters, some non-ASCII


@pytest.fixture
def full_pipe() -> Iterator[tuple[int, int]]:
    """A pipe whose write end is non-blocking (reads: the test's)."""
    read, write = os.pipe()
    fcntl.fcntl(write, fcntl.F_SETFL, fcntl.fcntl(write, fcntl.F_GETFL) | os.O_NONBLOCK)
    try:
        yield read, write
    finally:
        for fd in (read, write):
            with contextlib.suppress(OSError):  # the test closed it already
                os.close(fd)


def unbuffered_stdout(fd: int) -> io.TextIOWrapper:
    """What Python makes of standard output under ``-u``: text straight over the raw file."""
    return io.TextIOWrapper(io.FileIO(fd, "wb", closefd=False), encoding="utf-8",
                            newline="\n", write_through=True)


def read_later(fd: int, delay: float) -> tuple[threading.Thread, bytearray]:
    """Everything ``fd`` brings until its end, read from ``delay`` seconds on."""
    got = bytearray()

    def run() -> None:
        time.sleep(delay)
        while chunk := os.read(fd, 65536):
            got.extend(chunk)

    reader = threading.Thread(target=run, daemon=True)
    reader.start()
    return reader, got


def test_a_short_write_is_what_the_pipe_does(full_pipe):
    """The premise: once the pipe is full, the system takes only part of a write."""
    _, write = full_pipe
    raw = io.FileIO(write, "wb", closefd=False)
    taken = raw.write(PIECE.encode() * 10)
    assert taken is not None and 0 < taken < len(PIECE.encode()) * 10
    assert raw.write(b"more") is None  # and then nothing, until it is read


def test_every_character_arrives_through_a_full_pipe(full_pipe):
    read, write = full_pipe
    stream = whole_writes(unbuffered_stdout(write))
    assert isinstance(stream.buffer, WholeWrites)
    reader, got = read_later(read, 0.3)
    for _ in range(40):  # 560,000 characters: the pipe fills many times over
        stream.write(PIECE)
    stream.flush()
    os.close(write)
    reader.join(30)
    assert got.decode() == PIECE * 40


def test_buffered_and_other_streams_are_left_as_they_are(full_pipe):
    _, write = full_pipe
    buffered = open(write, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    text = io.StringIO()
    try:
        assert whole_writes(buffered) is buffered  # BufferedWriter retries by itself
        assert whole_writes(text) is text
        once = whole_writes(unbuffered_stdout(write))
        assert whole_writes(once) is once
    finally:
        buffered.close()


def test_the_new_layer_writes_as_the_old_one_did(tmp_path):
    """Same file, same encoding and errors, no newline translation, still unbuffered: each
    write is in the file at once."""
    path = tmp_path / "out"
    with open(path, "wb", buffering=0) as raw:
        old = io.TextIOWrapper(raw, encoding="ascii", errors="backslashreplace",
                               newline="\n", write_through=True)
        new = whole_writes(old)
        assert new is not old and new.fileno() == raw.fileno() and not new.isatty()
        assert (new.encoding, new.errors) == ("ascii", "backslashreplace")
        new.write("a\r\nb é\n")
        assert path.read_bytes() == b"a\r\nb \\xe9\n"  # nothing waits in a buffer
        new.close()  # closes its own layer only: the file stays the old stream's
        old.write("c\n")
        old.flush()
    assert path.read_bytes() == b"a\r\nb \\xe9\nc\n"
