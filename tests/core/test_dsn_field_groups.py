"""A delivery report's field groups are read without the email package's parser where every
line is a field or a continuation (a 10,000-recipient report spent a third of its time there);
each group must read as the parser reads it, and a block it would read otherwise goes to it."""

from __future__ import annotations

from email import message_from_bytes, message_from_string
from email.policy import compat32

import pytest

from smtpdiag.core.transfer import field_group, message_bytes


@pytest.mark.parametrize("block", [
    "Final-Recipient: rfc822; ann@example.org\nAction: failed\nStatus: 5.1.1",
    # a folded value keeps its fold, as parsed
    "Final-Recipient: rfc822;\n  ann@example.org\nDiagnostic-Code: smtp; 550 5.1.1 <ann@\n"
    "\texample.org>: User unknown\nStatus:5.1.1",
    "Status:    5.2.2   ",
    # not every line a field: the parser's reading (the rest is a body)
    "Final-Recipient: rfc822; ann@example.org\nthis line is no field\nStatus: 5.1.1",
    "  Action: failed\nStatus: 5.1.1",  # starts with a continuation
    "From ann@example.org Mon Dec  1\nStatus: 5.1.1",
    "Final-Recipient: rfc822; ann@example.org\r\nStatus: 5.1.1",
    ": no name\nStatus: 5.1.1",
])
def test_a_group_reads_as_the_email_package_reads_it(block):
    ours, theirs = field_group(block), message_from_string(block + "\n", policy=compat32)
    assert ours.items() == theirs.items()
    assert ours.get_payload() == theirs.get_payload()


def test_a_group_is_written_back_as_parsed_and_8bit_values_through_the_generator():
    group = message_from_bytes(b"Final-Recipient: rfc822;\n ann@example.org\nStatus: 5.1.1\n\n",
                               policy=compat32)
    assert message_bytes(group) == (b"Final-Recipient: rfc822;\n ann@example.org\n"
                                    b"Status: 5.1.1\n\n")
    eight = message_from_bytes("Final-Recipient: utf-8; añn@example.org\n\n".encode(),
                               policy=compat32)
    assert "añn@example.org".encode() in message_bytes(eight)
