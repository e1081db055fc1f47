"""A run's results kept on disk in a compact form, for formats whose first line needs them all.

``nagios`` opens with the run's state and counts (and every target's performance data), and
``text`` with a table whose columns are as wide as their widest cell: neither can write a
line before the last target is judged.  Rather than keep every ``CheckResult`` (a whole report
each) until then, each result is reduced as it arrives to the small record its format prints,
and that record is appended to an unlinked temporary file.  What stays in memory is the
position of each target's record (8 bytes a target) and the formats' running totals; at the
end the records are read back in input order, whatever order the targets finished in.
"""

from __future__ import annotations

import array
import pickle
import tempfile
from collections.abc import Iterator
from typing import Any

__all__ = ["Spool"]


class Spool:
    """Records by input index, on disk; iterated in index order, as often as needed."""

    def __init__(self, size: int) -> None:
        # Unlinked at once: gone when closed, or when the process dies.
        self.file = tempfile.TemporaryFile(prefix="smtpdiag-check-")  # noqa: SIM115
        self.where = array.array("q", [-1]) * size  # each index's record offset, -1: none
        self.end = 0
        self.count = 0

    def add(self, index: int, record: Any) -> None:
        if self.where[index] < 0:
            self.count += 1
        self.where[index] = self.end
        self.file.seek(self.end)
        pickle.dump(record, self.file, pickle.HIGHEST_PROTOCOL)
        self.end = self.file.tell()

    def has(self, index: int) -> bool:
        return index < len(self.where) and self.where[index] >= 0

    def pop(self, index: int) -> Any:
        """The record of ``index``, forgotten (its bytes stay on disk until ``close``)."""
        self.file.seek(self.where[index])
        record = pickle.load(self.file)
        self.where[index] = -1
        self.count -= 1
        return record

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Any]:
        """Every record added, in index order (an index never added is skipped)."""
        file, where = self.file, self.where
        for offset in where:
            if offset >= 0:
                file.seek(offset)
                yield pickle.load(file)

    def close(self) -> None:
        self.file.close()
