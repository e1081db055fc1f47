"""A delivery-status part whose groups hold a multipart with 8-bit bytes in it; a text part
whose charset parameter holds a NUL or an 8-bit byte.

The email package keeps 8-bit bytes of a part it parsed as undecodable characters, and its
generator cannot write a multipart holding them back as bytes (``as_bytes`` raises
UnicodeEncodeError), so reading such a report's text ended in "internal error", exit 70, for
a file anyone can be sent; so did a charset that names no codec in a way ``bytes.decode``
refuses with ValueError ("embedded null character"), not LookupError.  Found by fuzzing
``read_message`` with fragments of bounces.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpdiag.core.dsn import read_message

from .conftest import assert_no_traceback, run_cli

BROKEN = [
    b'Content-Type: message/delivery-status\n\rContent-Type: multipart/report; boundary="B"\n'
    b"\xff\xfe--B--",
    b'Content-Type: message/delivery-status\n\nContent-Type: multipart/report; boundary="B"\n'
    b"\xff\xfeX-Failed-Recipients: Content-Transfer-Encoding: base64",
    b'Content-Type: message/delivery-status\n\nContent-Type: multipart/report; boundary="B"\n'
    b"\n--B\nContent-Type: text/plain\n\nFinal-Recipient: rfc822; caf\xe9@x.test\nAction: failed\n"
    b"Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 unknown \xe9\n--B--\n",
    b'Content-Type: text/plain; charset="utf-8\x00"\n\n550 5.1.1 user unknown\n',
    b'Content-Type: text/plain; charset="utf\xff"\n\n550 5.1.1 user unknown\n',
]


@pytest.mark.parametrize("data", BROKEN)
def test_reading_never_raises(data: bytes) -> None:
    assert isinstance(read_message(data), list)


@pytest.mark.parametrize("data", BROKEN)
def test_explain_gives_no_internal_error(data: bytes, tmp_path: Path) -> None:
    path = tmp_path / "bounce.eml"
    path.write_bytes(data)
    for flags in ((), ("--jsonl",)):
        result = run_cli("explain", str(path), *flags)
        assert_no_traceback(result)
        assert "internal error" not in result.stderr, result.stderr
        assert result.returncode in (0, 2), result.stderr
