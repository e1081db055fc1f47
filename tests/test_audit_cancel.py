"""An audit cancelled part-way (``check --deadline``) leaves nothing running behind it.

``gather`` starts the SPF, DMARC and MTA-STS questions beside the MX walk.  Cancelled while the
MX question was still out, it once left those questions running with no one to collect them:
at exit Python printed "_GatheringFuture exception was never retrieved" and a traceback to the
user's terminal, whenever the garbage collector happened to reach it.
"""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest

from smtpdiag.net.audit import AuditOptions, gather
from tests.dnsserver import DnsServer

SILENT = {"silent.test", "_dmarc.silent.test", "_mta-sts.silent.test", "_smtp._tls.silent.test"}


def test_a_cancelled_audit_leaves_no_question_running(caplog: pytest.LogCaptureFixture) -> None:
    left: set[asyncio.Task[object]] = set()

    async def main(port: int) -> None:
        task = asyncio.ensure_future(gather("silent.test", AuditOptions(
            nameserver=("127.0.0.1", port), timeout=5.0)))
        await asyncio.sleep(0.3)  # every first question is out, none can be answered
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0)
        left.update(t for t in asyncio.all_tasks() if t is not asyncio.current_task())

    with DnsServer({}, silent=SILENT) as dns, caplog.at_level(logging.ERROR, "asyncio"):
        asyncio.run(main(dns.port))
        gc.collect()
    assert not left, left
    assert "never retrieved" not in caplog.text
    assert ("_dmarc.silent.test", "TXT") in dns.queries  # the side questions had started
