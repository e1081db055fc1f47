"""The floor of ``bench_check.py``: the same dry-run sessions with bare aiosmtplib, no smtpdiag.

    python bench/check_floor.py TARGETS_FILE CONCURRENCY [asyncio|uvloop] [PROCESSES]

Connect, greeting, EHLO, MAIL, RCPT, RSET, QUIT for every ``host:port`` line, a pool of
CONCURRENCY tasks, on asyncio's own loop or on uvloop: so that ``check`` on either loop is
compared with the bare script on the same one.  Prints ``{"ok": N, "total": N, "loop": ...}``.

With PROCESSES > 1 the script is sharded by hand the simplest way: it forks that many copies
once the targets are read, each taking every Nth target with its share of CONCURRENCY.  Not
the floor of the scaling target (that is one process), but what sharding the bare script
itself gives on this machine, the responder sharing the cores: the most ``check --workers``
could hope for at the floor's CPU a probe.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

HELO = "bench.smtpdiag.test"


def floor(targets_file: str, concurrency: int, loop: str, processes: int = 1) -> None:
    """The same sessions with bare aiosmtplib, a pool of ``concurrency`` tasks, on ``loop``;
    over ``processes`` forked copies, each with every Nth target, when more than one."""
    import aiosmtplib

    targets = Path(targets_file).read_text().split()
    total = len(targets)
    ok = 0
    if processes > 1:
        shard, targets, concurrency, children = sharded(targets, concurrency, processes)
        if shard < 0:  # the parent: each child's count of OK sessions, as it exits
            for pid, reader in children:
                with os.fdopen(reader) as counts:
                    ok += int(counts.read() or 0)
                os.waitpid(pid, 0)
            print(json.dumps({"ok": ok, "total": total, "loop": loop,
                              "processes": processes}))
            return

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
    if processes > 1:  # a child: its count to the parent, then gone without Python's exit
        os.write(shard, str(ok).encode())
        os._exit(0)
    print(json.dumps({"ok": ok, "total": total, "loop": loop}))


def sharded(targets: list[str], concurrency: int, processes: int
            ) -> tuple[int, list[str], int, list[tuple[int, int]]]:
    """Fork ``processes`` children.  In a child: (the pipe to write its count to, its every-Nth
    targets, its share of ``concurrency``, []); in the parent: (-1, [], 0, [(pid, pipe)])."""
    children = []
    for k in range(processes):
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(reader)
            share = concurrency // processes + (k < concurrency % processes)
            return writer, targets[k::processes], max(1, share), []
        os.close(writer)
        children.append((pid, reader))
    return -1, [], 0, children


if __name__ == "__main__":
    floor(sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "asyncio",
          int(sys.argv[4]) if len(sys.argv) > 4 else 1)
