"""The options ``probe`` and ``check`` share, declared once so their help and types agree."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..core.targets import QUIT_POINTS

__all__ = ["CaFileOption", "FromOption", "HeloOption", "NameserverOption", "QuitAfterOption",
           "TlsOption", "ToOption"]

TlsOption = Annotated[str, typer.Option(help="auto | starttls | implicit | none.")]
HeloOption = Annotated[str | None, typer.Option(
    help="Name to announce in EHLO/HELO (default: this machine's name).")]
FromOption = Annotated[str, typer.Option(
    "--from", help="Envelope sender (default: the null sender <>).")]
ToOption = Annotated[list[str] | None, typer.Option(
    "--to", help="Recipient; repeat for more (default postmaster@DOMAIN).")]
CaFileOption = Annotated[Path | None, typer.Option(help="Extra CA certificates (PEM) to trust.")]
QuitAfterOption = Annotated[str | None, typer.Option(
    help=f"Stop after a step: {' | '.join(QUIT_POINTS)}.")]
NameserverOption = Annotated[str | None, typer.Option(
    help="Ask this DNS server (IP[:PORT]) instead of the system's.")]
