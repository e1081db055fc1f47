"""The floor of this stack: the same dry-run session with aiosmtplib alone, no smtpdiag.

    python bench/bare_session.py HOST PORT [CA_FILE]   (STARTTLS when CA_FILE is given)
"""

from __future__ import annotations

import asyncio
import sys

import aiosmtplib


async def session(host: str, port: int, ca_file: str | None) -> None:
    smtp = aiosmtplib.SMTP(hostname=host, port=port, start_tls=False, cert_bundle=ca_file,
                           local_hostname="bench.smtpdiag.test", timeout=10)
    await smtp.connect()
    await smtp.ehlo()
    if ca_file:
        await smtp.starttls()
        await smtp.ehlo()
    await smtp.mail("")
    await smtp.rcpt("postmaster")
    await smtp.rset()
    await smtp.quit()


if __name__ == "__main__":
    asyncio.run(session(sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None))
