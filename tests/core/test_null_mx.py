"""A null MX written otherwise than RFC 7505 §3 writes it (one record, ``MX 0 .``), named by how:
the pure rule behind probe's and check's finding."""

from __future__ import annotations

import pytest

from smtpdiag.core.findings import null_mx_findings
from smtpdiag.model import MxHost, Resolution


@pytest.mark.parametrize(("records", "said"), [
    ([(0, ".")], []),
    ([(5, ".")], ["warning: the null MX has preference 5"]),
    ([(0, "."), (0, ".")], ["warning: several MX records point at '.' (preferences 0, 0)"]),
    ([(0, "."), (10, "mx.d.test"), (20, ".")],
     ["critical: MX 0 ., MX 20 . (a null MX) is listed beside other MX records"]),
    ([(10, "mx.d.test")], []),
])
def test_a_null_mx_written_wrongly_is_named_by_how(records, said) -> None:
    found = null_mx_findings(Resolution("d.test", "mx", tuple(MxHost(p, h) for p, h in records)))
    assert [f"{f.severity}: {f.message}"[:len(s)] for f, s in zip(found, said, strict=True)] \
        == said
