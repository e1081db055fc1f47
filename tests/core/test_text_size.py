"""``core/text.size``: bytes as a person reads them, at every unit's edge."""

from __future__ import annotations

import pytest

from smtpdiag.core.text import size


@pytest.mark.parametrize(("value", "shown"), [
    (0, "0 bytes"), (1, "1 byte"), (2, "2 bytes"), (1023, "1023 bytes"),
    (1024, "1 KiB"), (1025, "1 KiB"), (1536, "1.5 KiB"), (10_140, "9.9 KiB"),
    (1_048_524, "1023.9 KiB"), (1_048_525, "1 MiB"),          # 1023.95 KiB rounds up a unit
    (1_048_576, "1 MiB"), (10_485_760, "10 MiB"), (1_572_864, "1.5 MiB"),
    (1_073_689_395, "1023.9 MiB"), (1_073_689_396, "1 GiB"),
    (1_073_741_824, "1 GiB"), (1_610_612_736, "1.5 GiB"), (2_147_483_648_000, "2000 GiB"),
])
def test_size(value: int, shown: str) -> None:
    assert size(value) == shown
