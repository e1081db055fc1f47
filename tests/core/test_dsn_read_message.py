"""``core/dsn.read_message`` on whole messages, where the fixture bounces do not go: line ends
of every kind, the sender a bounce is sent back to (never its recipient), the cap on
X-Failed-Recipients, and a report's fields found in the text when the MIME walk found no
report.  Pure: bytes in, records out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpdiag.core.dsn import read_message

MESSAGES = Path(__file__).resolve().parents[2] / "fixtures" / "messages"


def _fixture(name: str) -> bytes:
    return (MESSAGES / name).read_bytes().replace(b"\r\n", b"\n")


@pytest.mark.parametrize("name", ["postfix-dsn-two-recipients.eml", "qmail-prose.eml",
                                  "dsn-in-text-part-qp.eml", "exim-two-recipients.eml"])
@pytest.mark.parametrize("ending", [b"\r\n", b"\r"])
def test_a_bounce_reads_the_same_whatever_its_line_ends(name: str, ending: bytes) -> None:
    """CRLF as sent, or the bare CR of an old Mac mailer's file: every record as with LF."""
    data = _fixture(name)
    records = read_message(data)
    assert records and all(found.recipient for found in records)
    assert read_message(data.replace(b"\n", ending)) == records


def _prose_bounce(body: str, to: str = "bob@sender.example", extra: str = "") -> bytes:
    return (f"From: MAILER-DAEMON@mx.example.org\nTo: {to}\nSubject: failure notice\n{extra}"
            f"\n{body}").encode()


def test_the_address_a_bounce_is_sent_back_to_is_not_its_recipient() -> None:
    body = ("Your message from bob@sender.example to ann@example.org could not be delivered.\n"
            "550 5.1.1 User unknown\n")
    (found,) = read_message(_prose_bounce(body))
    assert found.recipient == "ann@example.org"
    assert found.diagnostic.code == 550
    # the same words sent back to someone else: the first address named is the recipient
    (other,) = read_message(_prose_bounce(body, to="carol@sender.example"))
    assert other.recipient == "bob@sender.example"
    # the To field's display name and brackets are not part of the address
    (named,) = read_message(_prose_bounce(body, to="Bob <bob@sender.example>"))
    assert named.recipient == "ann@example.org"


def test_x_failed_recipients_gives_at_most_1000_records() -> None:
    listed = ", ".join(f"user{n}@example.org" for n in range(1_001))
    records = read_message(_prose_bounce("550 5.1.1 User unknown\n",
                                         extra=f"X-Failed-Recipients: {listed}\n"))
    assert [found.recipient for found in records] == [
        f"user{n}@example.org" for n in range(1_000)]
    assert {found.diagnostic.code for found in records} == {550}
