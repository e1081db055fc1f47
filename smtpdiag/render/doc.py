"""A tiny styled document, so that the terminal view and the plain view are one renderer.

Renderers build a ``Doc`` of lines made of ``(text, style)`` segments.  Every segment passes
through ``clean`` when it is added, so text a server sent can never reach a terminal with a
control character, an escape sequence or a bidi override in it; and segments become
``rich.text.Text`` (never markup strings), so ``[bold]`` in a reply is shown, not obeyed.
``rich`` is imported only when a terminal actually wants colour.
"""

from __future__ import annotations

import re
from typing import IO, Any

from ..core.text import INVISIBLE, SURROGATES, clean, escape

__all__ = ["Doc", "clean", "hanging_indent", "json_surrogate", "json_text", "write_doc"]

# What json.dumps(ensure_ascii=False) leaves raw but a terminal may still act on, or shows as
# nothing; and lone surrogates (a byte that was not UTF-8), which no strict JSON reader takes.
_JSON_UNSAFE = "[" + INVISIBLE + SURROGATES + "]"


def json_text(data: object, indent: int | None = 2) -> str:
    """JSON that is safe to print: DEL, C1 controls and bidi overrides as ``\\uXXXX``.

    ``json.loads`` gives back exactly the original text; only the escaping differs.
    """
    text: str = _encoder(indent).encode(data)
    if re.search(r"[0-9]e[-+][0-9]", text):  # maybe a float in exponent form: mostly none
        text = re.sub(_JSON_TOKEN, _plain_number, text)
    if text.isascii() and "\x7f" not in text:  # nothing to escape: spare the scan
        return text
    return re.sub(_JSON_UNSAFE, _json_escape, text)


# A string (passed over whole), or a number json wrote in exponent form: a float below 1e-4 or
# from 1e16 on, as ``repr`` writes it (a greeting answered in 49 µs is 4.9e-05 s).
_JSON_TOKEN = r'"[^"\\]*(?:\\.[^"\\]*)*"|(-?[0-9]+(?:\.[0-9]+)?e[-+]?[0-9]+)'


def _plain_number(match: re.Match[str]) -> str:
    """The number as a plain decimal, exactly the same value (``0.000049``, ``1e+16`` as
    ``10000000000000000.0``): a number is read by people, shells and spreadsheets as well as
    by parsers, and an exponent surprised them.  Strings are left as they are."""
    number = match.group(1)
    if number is None:
        return match.group()
    from decimal import Decimal

    text = format(Decimal(number), "f")
    return text if "." in text else text + ".0"


def _json_escape(match: re.Match[str]) -> str:
    char = ord(match.group())
    if 0xD800 <= char <= 0xDFFF:  # a byte that was not UTF-8: the text ``\\xff``, as before
        return json_surrogate(match.group())
    if char < 0x10000:
        return f"\\u{char:04x}"
    char -= 0x10000  # beyond the BMP, JSON writes the UTF-16 surrogate pair
    return f"\\u{0xd800 + (char >> 10):04x}\\u{0xdc00 + (char & 0x3ff):04x}"


def json_surrogate(char: str) -> str:
    """A lone surrogate inside a JSON string: its escape as text (a byte 0xff that was not
    UTF-8 reads ``\\xff``), with the backslash escaped for JSON.  JSON has no bytes, and a
    ``\\udcff`` escape is refused by strict readers (RFC 8259 §8.2, serde_json)."""
    return escape(char).replace("\\", "\\\\")


_ENCODERS: dict[int | None, Any] = {}


def _encoder(indent: int | None) -> Any:
    """One encoder per indent, made once: ``json.dumps`` with options builds a new one per
    call, a fifth of the cost of a small document (``--jsonl`` writes thousands)."""
    encoder = _ENCODERS.get(indent)
    if encoder is None:
        import json

        encoder = _ENCODERS[indent] = json.JSONEncoder(ensure_ascii=False, indent=indent)
    return encoder


Segment = tuple[str, str]


class Doc:
    """Lines of styled segments; styles are rich style strings, ignored in plain output."""

    def __init__(self) -> None:
        self.lines: list[list[Segment]] = []

    def add(self, *segments: str | Segment) -> Doc:
        line: list[Segment] = []
        for segment in segments:
            text, style = (segment, "") if isinstance(segment, str) else segment
            line.append((clean(text), style))
        self.lines.append(line)
        return self

    def add_shown(self, *segments: str | Segment) -> Doc:
        """``add`` for segments already made safe with ``clean`` (a table's cells, cleaned
        first so that their widths are the widths shown): cleaning twice would double each
        backslash."""
        self.lines.append([(s, "") if isinstance(s, str) else s for s in segments])
        return self

    def blank(self) -> Doc:
        self.lines.append([])
        return self

    def extend(self, other: Doc) -> Doc:
        self.lines.extend(other.lines)
        return self

    def plain(self) -> str:
        return "".join("".join(text for text, _ in line) + "\n" for line in self.lines)


def hanging_indent(line: list[Segment]) -> int:
    """How far a wrapped line's continuation is indented: past its leading column, if any.

    A line that starts with spaces, with a label padded by spaces (``"greeting     "``) or
    with a list marker segment (``"1. "``), keeps that column clear when the terminal wraps
    it, so annotations and list items read as one block.
    """
    first = line[0][0] if line else ""
    marker = len(line) > 1 and re.fullmatch(_LIST_MARKER, first) is not None
    return len(first) if first and (not first.strip() or first.endswith("  ") or marker) else 0


_LIST_MARKER = r" *(?:\d{1,3}\.|[•·-]) "  # "1. ", "• ": a list item hangs past it


def write_doc(doc: Doc, stream: IO[str], *, color: bool, width: int | None = None) -> None:
    """Write ``doc`` to ``stream``: styled when ``color``, wrapped at ``width`` when given.

    Colour and wrapping are separate choices: ``NO_COLOR`` on a terminal still wraps (else the
    terminal itself splits words), and plain output that nobody watches (logs, grep) is never
    wrapped.  Long lines wrap with a hanging indent (see ``hanging_indent``).  Without colour
    rich is told there is no colour system at all, so not even bold reaches the stream.
    """
    if not color and width is None:
        stream.write(doc.plain())
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(file=stream, force_terminal=True, highlight=False, soft_wrap=False,
                      width=width, color_system="auto" if color else None)
    for line in doc.lines:
        indent = hanging_indent(line)
        head, body = Text(), Text()
        for i, (chunk, style) in enumerate(line):
            chunk = re.sub(_UNIT_SPACE, _GLUE, chunk)
            (head if i == 0 and indent else body).append(chunk, style=style or None)
        if not indent or console.width - head.cell_len < 20:
            head, body = Text(), head + body
        # room for a colon's escape, should a wrapped line begin with a runner's command
        room = console.width - head.cell_len - (3 if "::" in body.plain else 0)
        for i, part in enumerate(body.wrap(console, room)):
            part.plain = part.plain.replace(_GLUE, " ")
            if "::" in part.plain:
                part = _not_a_command(part, console)
            console.print((head if i == 0 else Text(" " * head.cell_len)) + part)


# What GitHub Actions' runner takes for a workflow command: a line that begins, after spaces,
# with ``::name`` and a space or ``::`` (``::error file=x::text``, ``::add-mask::value``).
_COMMAND = re.compile(r"\s*::[A-Za-z-]+[ :]")


def _not_a_command(part: Any, console: Any) -> Any:
    """A wrapped line that would begin with a runner's command, its first colon shown as the
    escape ``\\x3a``: server text wrapped in a CI log (``FORCE_COLOR``) must not act there."""
    from rich.text import Text

    found = _COMMAND.match(part.plain)
    if found is None:
        return part
    at = len(part.plain) - len(part.plain.lstrip())
    style = part.get_style_at_offset(console, at)
    return part[:at] + Text("\\x3a", style=style) + part[at + 1:]


# A number and its unit stay on one line when a line wraps ("51 ms", never "51" then "ms"):
# rich breaks at any whitespace, a no-break space included, so the space is swapped for a
# private-use character while wrapping and put back in each wrapped piece.
_UNIT_SPACE = r"(?<=\d) (?=(?:ms|s|KiB|MiB|bytes|days?|targets?)\b)"
_GLUE = "\ue000"
