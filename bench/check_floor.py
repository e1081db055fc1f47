"""The floor of ``bench_check.py``: the same dry-run sessions with bare aiosmtplib, no smtpdiag.

    python bench/check_floor.py TARGETS_FILE CONCURRENCY [asyncio|uvloop]

Connect, greeting, EHLO, MAIL, RCPT, RSET, QUIT for every ``host:port`` line, a pool of
CONCURRENCY tasks, on asyncio's own loop or on uvloop: so that ``check`` on either loop is
compared with the bare script on the same one.  Prints ``{"ok": N, "total": N, "loop": ...}``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

HELO = "bench.smtpdiag.test"


def floor(targets_file: str, concurrency: int, loop: str) -> None:
    """The same sessions with bare aiosmtplib, a pool of ``concurrency`` tasks, on ``loop``."""
    import aiosmtplib

    targets = Path(targets_file).read_text().split()

    async def session(target: str) -> bool:
        host, port = target.rsplit(":", 1)
        smtp = aiosmtplib.SMTP(hostname=host, port=int(port), timeout=30, use_tls=False,
                               start_tls=False, local_hostname=HELO)
        try:
            await smtp.connect()
            await smtp.ehlo()
            await smtp.mail("")
            await smtp.rcpt("postmaster")
            await smtp.rset()
            await smtp.quit()
            return True
        except aiosmtplib.SMTPException:
            smtp.close()
            return False

    async def main() -> int:
        todo = iter(targets)
        ok = 0

        async def worker() -> None:
            nonlocal ok
            for target in todo:
                done = await session(target)  # not ``ok += await …``: that reads ok first
                ok += done

        await asyncio.gather(*(worker() for _ in range(min(concurrency, len(targets)))))
        return ok

    factory = None
    if loop == "uvloop":
        import uvloop

        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        ok = runner.run(main())
    print(json.dumps({"ok": ok, "total": len(targets), "loop": loop}))


if __name__ == "__main__":
    floor(sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "asyncio")
