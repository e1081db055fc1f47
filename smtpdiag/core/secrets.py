"""Hiding our AUTH secrets in whatever a server sends back: ``secret_forms`` and ``Redactor``.

A server may echo what we sent (``535 bad credentials AHVzZXIA...``), and not always as we sent
it: upper-cased, as hex, URL-encoded, the password's base64 inside a longer base64 string, or
wrapped over the lines of a multi-line reply.  None of that may reach a report, a transcript,
an error message or any output format, so the session redacts peer text before it keeps any.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence

__all__ = ["NO_SECRETS", "REDACTED", "Redactor", "secret_forms"]

REDACTED = "<redacted>"
MIN_DERIVED = 6  # a form we derive (hex, a base64 part) shorter than this would hide noise
# What a server puts before each line of a reply it wraps: the code (in a raw line) and the
# enhanced status code (``535-5.7.8 ``); spaces around it are not part of what it echoes.
_LEAD = re.compile(r"[ \t]*(?:[2-5][0-9][0-9][ -])?[ \t]*(?:[245]\.[0-9]{1,3}\.[0-9]{1,3}[ \t]+)?")


def _base64_parts(raw: bytes) -> list[str]:
    """The characters that encode ``raw`` wherever it sits inside a longer base64 string: at
    each of the three byte offsets mod 3, the run of characters that depend on its bytes alone
    (so ``\\0user\\0pass`` for any user, and the password inside any text, are found)."""
    parts = []
    for offset in range(3):
        padded = b"\0" * offset + raw
        encoded = base64.b64encode(padded).decode()
        first = -(-offset * 8 // 6)  # the first character whose six bits are all ours
        last = (len(padded) * 8) // 6  # one past the last such character
        parts.append(encoded[first:last])
    return parts


def secret_forms(password: str | None, users: Iterable[str | None] = ("",)) -> tuple[str, ...]:
    """Every form of the password a server can plausibly echo: as is; base64 (AUTH LOGIN) and
    the AUTH PLAIN token of each of ``users`` (also without ``=`` padding, and in the URL-safe
    alphabet), and the password's base64 inside any longer base64 string; hex (plain, ``%``-,
    ``\\x``-, space- or colon-separated) of the password and of each PLAIN string; the
    password URL-encoded (also its base64 forms), and as JSON, Prometheus or HTML would escape
    it.  Case is not part of a form: ``Redactor`` matches a long form in any case."""
    if not password:
        return ()
    from urllib.parse import quote, quote_plus  # only a walk with a password needs it

    raw = password.encode()
    plains = [f"\0{user or ''}\0{password}".encode() for user in users]
    encoded = [base64.b64encode(item).decode() for item in (raw, *plains)]
    urlsafe = [e.translate(_URLSAFE) for e in encoded]
    derived = [*_base64_parts(raw), *(p.translate(_URLSAFE) for p in _base64_parts(raw))]
    for item in (raw, *plains):
        octets = [f"{byte:02x}" for byte in item]
        derived += ["".join(octets), "%" + "%".join(octets), "\\x" + "\\x".join(octets),
                    " ".join(octets), ":".join(octets)]
    derived += [quote(form, safe="") for form in (password, *encoded)]
    derived += [quote_plus(password, safe=""), password.replace("\\", "\\\\").replace('"', '\\"'),
                password.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .replace('"', "&quot;").replace("'", "&#x27;")]
    forms = [password, *encoded, *(e.rstrip("=") for e in (*encoded, *urlsafe)), *urlsafe]
    forms += [form for form in derived if len(form) >= MIN_DERIVED]
    return tuple(dict.fromkeys(forms))


_URLSAFE = str.maketrans("+/", "-_")


# How freely a form is matched depends on its length: a long form found anywhere, in any case,
# is the secret; a short one is also the start of "Ok" or inside "token" and "password".  From
# ANY_CASE characters a form is hidden wherever it appears, in any case.  A shorter one is
# hidden as a whole word (no letter or digit glued to it), in any case from EXACT_CASE - 2
# characters and in the case sent below that; and from EXACT_CASE (as long as the base64 parts
# are, MIN_DERIVED) also inside a word, in the case sent.  So a password "ok" leaves "250 Ok"
# and "token" as they are, and "pass" leaves "password".
ANY_CASE = 8
EXACT_CASE = MIN_DERIVED


def _form_pattern(secret: str) -> str:
    """The regular expression for one form, by its length (see ANY_CASE)."""
    text = re.escape(secret)
    if len(secret) >= ANY_CASE:
        return f"(?i:{text})"
    # a whole word: no letter or digit glued to it on either side
    word = f"(?<![^\\W_])(?i:{text})(?![^\\W_])" if len(secret) >= EXACT_CASE - 2 \
        else f"(?<![^\\W_]){text}(?![^\\W_])"
    return f"{text}|{word}" if len(secret) >= EXACT_CASE else word


class Redactor:
    """Replace every occurrence of a secret in peer text with ``<redacted>`` (in any case,
    where the secret is long enough to be told from ordinary words: see ANY_CASE).

    Where text was cut short (``cut``), a tail that begins a secret is hidden too, so a cut
    cannot leave half of one.  Text of several lines (a reply's lines given to ``lines``, or
    one string with line ends) is also read as the server may have wrapped it: a secret split
    over two or more lines, each continuation line led by its code and enhanced code, is
    hidden in every line it touches.
    """

    MIN_TAIL = 3

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))
        self._pattern = re.compile("|".join(map(_form_pattern, self.secrets))) \
            if self.secrets else None

    def __call__(self, text: str, cut: bool = False) -> str:
        if self._pattern is None:
            return text
        if "\n" in text:
            text = "\n".join(self.lines(text.split("\n")))
        else:
            text = self._pattern.sub(REDACTED, text)
        return self._cut_tail(text) if cut else text

    def _cut_tail(self, text: str) -> str:
        # Slice first, then fold: lower() may change a string's length ("İ"), so the text's
        # own characters are counted, never the folded ones.
        for secret in self.secrets:
            fold = len(secret) >= EXACT_CASE - 2  # as a word in any case (a cut ends one)
            for size in range(len(secret) - 1, min(self.MIN_TAIL, len(secret)) - 1, -1):
                tail = text[-size:] if len(text) >= size else ""
                if tail and (tail.lower() == secret[:size].lower() if fold
                             else tail == secret[:size]):
                    return text[:-size] + REDACTED
        return text

    def lines(self, lines: Sequence[str], cuts: Sequence[bool] = ()) -> list[str]:
        """The lines redacted, read across their line ends first, so that a secret is taken
        whole wherever it is (never a shorter form inside it first); a line flagged in
        ``cuts`` was cut short, and its tail is hidden as ``cut`` does."""
        pattern = self._pattern
        if pattern is None:
            return list(lines)
        shown = self._across(lines) if len(lines) > 1 else list(lines)
        shown = [pattern.sub(REDACTED, line) for line in shown]
        for number, cut in enumerate(cuts):
            if cut:
                shown[number] = self._cut_tail(shown[number])
        return shown

    def _across(self, lines: Sequence[str]) -> list[str]:
        """Every secret found in the lines' texts joined (each continuation line without its
        lead, each line without its trailing space) hidden in each line it touches."""
        assert self._pattern is not None
        joined, starts = [], []
        size = 0
        for number, line in enumerate(lines):
            found = _LEAD.match(line) if number else None
            lead = found.end() if found else 0
            body = line[lead:].rstrip()
            joined.append(body)
            starts.append((size, lead))
            size += len(body)
        hidden: dict[int, list[tuple[int, int]]] = {}
        for match in self._pattern.finditer("".join(joined)):
            for number, (start, lead) in enumerate(starts):
                end = start + len(joined[number])
                if match.start() < end and match.end() > start:
                    low, high = max(match.start(), start), min(match.end(), end)
                    hidden.setdefault(number, []).append((low - start + lead, high - start + lead))
        shown = list(lines)
        for number, spans in hidden.items():
            line = shown[number]
            for low, high in sorted(spans, reverse=True):
                line = line[:low] + REDACTED + line[high:]
            shown[number] = line
        return shown


NO_SECRETS = Redactor()  # nothing to hide: one for every walk without a password
