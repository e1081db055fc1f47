"""Text for people: a long line cut at a word, a number of seconds or bytes rounded.  Pure.

Reports keep exact values (JSON, perfdata); these helpers are for the sentences a person reads,
where ``2.99022 s`` is noise and a reply cut mid-word (``Lear``) looks like a bug, and a
server's ESC must never act (``clean``: text as every output shows it).
"""

from __future__ import annotations

import re

__all__ = ["INVISIBLE", "SURROGATES", "clean", "duration", "escape", "listed", "seconds",
           "shorten", "size"]

ELLIPSIS = "…"

# What a terminal shows as nothing, or acts on, beyond the C0 controls: DEL and the C1
# controls; the bidi marks, embeddings, overrides and isolates that reorder a line; the line
# and paragraph separators; and the characters that draw nothing at all, which can hide text
# or make two different lines look the same: the soft hyphen, the combining grapheme joiner,
# the Hangul and Khmer fillers, the Mongolian selectors, the zero-width space, joiners and
# no-break space (BOM), the invisible operators, the variation selectors, the interlinear
# annotation marks, the musical format controls and the tag characters (text hidden in them
# is invisible on every terminal); and the BMP's noncharacters (U+FDD0-FDEF, U+FFFE, U+FFFF:
# never text, and the last two are not XML, so a JUnit file holding one is refused whole).
# A regular-expression character class body, ready for ``[...]``; every character in it is
# shown as its escape (render/doc.py).
INVISIBLE = ("\\x7f-\\x9f\\xad\\u034f\\u061c\\u115f\\u1160\\u17b4\\u17b5\\u180b-\\u180f"
             "\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\u3164\\ufdd0-\\ufdef"
             "\\ufe00-\\ufe0f\\ufeff\\uffa0\\ufff0-\\ufffb\\ufffe\\uffff"
             "\\U0001d173-\\U0001d17a\\U000e0000-\\U000e0fff")


# What a byte that is not UTF-8 becomes when peer bytes are decoded (``surrogateescape``: the
# byte 0xNN is U+DCNN), and any other lone surrogate: no output can carry one as it is.
SURROGATES = "\\ud800-\\udfff"


def escape(char: str) -> str:
    """One character as an output shows it escaped: ``\\xNN`` for a control and for a byte
    that was not UTF-8 (so ``\\xff`` is the byte the server sent), ``\\uNNNN`` or
    ``\\UNNNNNNNN`` beyond, and a backslash as ``\\\\``: server text that spells an escape
    (the four characters ``\\x1b``) then never looks like one that was made (a real ESC)."""
    code = ord(char)
    if code == 0x5C:
        return "\\\\"
    if 0xDC00 <= code <= 0xDCFF:  # and U+DC00-DC7F: a DNS label's byte (net/dnswords.py)
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


# C0 and C1 controls, DEL, the Unicode line and paragraph separators, the bidi/isolate
# overrides that reorder what is shown, and the characters that show as nothing (INVISIBLE).
# The patterns of this module are compiled on first use (``re`` keeps them): compiling this one
# alone costs ~2.9 M instructions, nearly 1 % of a dry-run probe, and a run whose text is all
# printable ASCII never needs it.
_UNSAFE = "[\\x00-\\x1f\\\\" + INVISIBLE + SURROGATES + "]"


def _escape(match: re.Match[str]) -> str:
    return escape(match.group())


def clean(text: str) -> str:
    """Make text safe to show: every control or reordering character becomes visible
    ``\\xNN``, a byte that was not UTF-8 ``\\xNN`` too, and a backslash ``\\\\`` (so that the
    text ``\\x1b`` and a real ESC never look alike).  Every output's one escaping: render.doc's
    segments, JSON's sentences, the records' ``shown``."""
    if text.isascii() and text.isprintable() and "\\" not in text:  # nothing to escape
        return text
    return re.sub(_UNSAFE, _escape, text)


def listed(items: list[str], limit: int = 5, sep: str = ", ") -> str:
    """``a, b, c, d, e and 995 more``: a list from DNS or a server (thousands of MX records)
    named in a sentence stays a few words long, and says how much it left out."""
    shown = sep.join(items[:limit])
    return f"{shown} and {len(items) - limit} more" if len(items) > limit else shown


def shorten(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters: cut after a whole word and marked with ``…``.

    A single word longer than half the room is cut inside it rather than leaving the room
    mostly empty; what is cut always ends with the mark, so nobody mistakes it for the whole.
    """
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:max(limit, 0)]
    room = text[: limit - 1]
    space = room.rfind(" ")
    if text[limit - 1] != " " and space >= limit // 2:
        room = room[:space]
    return room.rstrip(" ,;:·-—") + ELLIPSIS


def seconds(value: float) -> str:
    """Seconds as a person says them, without the unit: 2.99022 -> ``3``, 0.98 -> ``1``,
    2.5 -> ``2.5``, 0.25 -> ``0.25``.

    A timeout message often shows what was left of a deadline (2.99022 s of 3); tenths are
    enough from half a second up, whole seconds from ten; never exponent notation.
    """
    if value >= 9.95:
        return f"{value:.0f}"
    if value >= 0.5:
        return f"{value:.1f}".removesuffix(".0")
    return f"{value:.3f}".rstrip("0").rstrip(".") or "0"


def duration(value: float) -> str:
    """A measured time with its unit: ``303 ms`` below a second, ``3.0 s`` from one up."""
    if value < 0.9995:
        return f"{value * 1000:.0f} ms"
    return f"{value:.1f} s" if value < 99.95 else f"{value:.0f} s"


def size(value: int) -> str:
    """A number of bytes as a person reads it: ``300 bytes``, ``9.8 KiB``, ``10 MiB``.

    A small limit (a test server's 300 bytes) must not read as ``0.0 MiB``; a large one is
    not worth counting byte by byte.
    """
    if value < 1024:
        return f"{value} byte" + ("" if value == 1 else "s")
    scaled = value / 1024
    for unit in ("KiB", "MiB"):
        if scaled < 1023.95:
            return f"{scaled:.1f}".removesuffix(".0") + f" {unit}"
        scaled /= 1024
    return f"{scaled:.1f}".removesuffix(".0") + " GiB"
