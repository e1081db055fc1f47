"""What ``explain`` reads, at the I/O edge: arguments, stdin, a message file, an mbox, a maildir,
or ``--lines`` (one diagnostic text a line).  Everything it reads goes to the pure readers in
``core`` and comes back as explain documents, one at a time, so thousands stream in constant
memory.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError

if TYPE_CHECKING:
    import mailbox

__all__ = ["documents", "line_documents"]

MAX_INPUT = 10_000_000  # bytes read from stdin or one file (dsn.MAX_MESSAGE)
NONE_FOUND = "no failed recipient or diagnostic text found in this message"


def _message_document(data: bytes, label: str, lang: str,
                      source: dict[str, Any]) -> dict[str, Any]:
    from ..core.explain import EXPLAIN_SCHEMA, explain_message

    items = explain_message(data, lang)
    document: dict[str, Any] = {"schema": EXPLAIN_SCHEMA, "input": label, "lang": lang,
                                "items": items, "source": source}
    if not items:
        document["error"] = _none_found(data)
    return document


def _none_found(data: bytes) -> str:
    """Why a message gave no record: what it is, where it says so (``core.notices``)."""
    from ..core.notices import not_a_bounce

    kind = not_a_bounce(data)
    return NONE_FOUND + (f": {kind}" if kind else "")


def _bytes_documents(data: bytes, label: str, lang: str,
                     records: bool) -> Iterator[dict[str, Any]]:
    """One message (a file or stdin): its explain document, or with ``records`` a bounce
    record per failed recipient, as for an mbox; text that is no message: its explanation, or
    with ``records``, where it has paragraphs (a bounce saved without its headers, not a
    pasted reply), its bounce records too."""
    from ..core.dsn import is_message
    from ..core.explain import explain

    logged = [] if is_message(data) else _delivery_lines(data)
    if logged:  # a mail log: each delivery that failed or was deferred, on its own
        yield from _log_documents(logged, label, lang, records)
    elif records and _paragraphs(data):
        yield from _records(data, label, {"path": label})
    elif not is_message(data):
        yield explain(data.decode("utf-8", "replace"), lang)
    elif records:
        yield from _records(data, label, {"path": label})
    else:
        document = _message_document(data, label, lang, {"path": label})
        if not document["items"]:
            raise UsageError(f"{label}: {document['error']}")
        yield document


def _delivery_lines(data: bytes) -> list[tuple[int, str]]:
    """The numbered lines of an MTA's log that say a delivery failed or was deferred
    (``core.loglines``); the log's other lines (connections, queue moves) say nothing of one."""
    from ..core.loglines import is_delivery_line

    text = data.decode("utf-8", "replace").replace("\r\n", "\n")
    return [(number, line.strip()) for number, line in enumerate(text.split("\n"), 1)
            if is_delivery_line(line)]


def _log_documents(lines: list[tuple[int, str]], label: str, lang: str,
                   records: bool) -> Iterator[dict[str, Any]]:
    """A bounce record (``records``) or an explain document per delivery line of a log."""
    from ..core.classify import classify
    from ..core.explain import explain

    for number, line in lines:
        source = {"path": label, "line": number}
        try:
            document = classify(line) if records else explain(line, lang)
        except UsageError:  # a line whose reply names nothing known: its record says so
            document = classify(line)
        yield document | {"source": source}


def _paragraphs(data: bytes) -> bool:
    """Whether text holds a blank line between words: a bounce's body, not one reply."""
    text = data.strip().replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return any(line.strip() == b"" for line in text.split(b"\n"))


def _mailbox(path: Path) -> mailbox.Mailbox[Any] | None:
    import mailbox  # with the email package it loads, only where a mailbox may be read

    if path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir():
        return mailbox.Maildir(str(path), factory=None, create=False)
    if path.is_file():
        with open(path, "rb") as handle:
            head = handle.read(5)
        if head == b"From ":
            return mailbox.mbox(str(path), factory=None, create=False)
    return None


def _messages(path: Path) -> Iterator[tuple[bytes, str, dict[str, Any]]]:
    """Every message of an mbox, a maildir or a plain directory of message files."""
    import mailbox

    box = _mailbox(path)
    if isinstance(box, mailbox.mbox) and _bare_cr(path):
        from ..core.dsn import split_mbox

        for number, data in enumerate(split_mbox(path.read_bytes()), 1):
            yield data[:MAX_INPUT], f"{path}#{number}", {"path": str(path), "message": number}
        return
    if box is not None:
        for number, key in enumerate(sorted(box.keys()) if isinstance(box, mailbox.Maildir)
                                     else box.keys(), 1):
            yield (box.get_bytes(key)[:MAX_INPUT], f"{path}#{number}",
                   {"path": str(path), "message": number})
        return
    for number, file in enumerate(sorted(p for p in path.iterdir() if p.is_file()), 1):
        yield file.read_bytes()[:MAX_INPUT], str(file), {"path": str(file), "message": number}


def _records(data: bytes, label: str, source: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A bounce record per failed recipient of one message, or one saying none was found."""
    from ..core.classify import BOUNCE_SCHEMA, classify_message

    found = classify_message(data)
    for item in found:
        item["source"] = source
        yield item
    if not found:
        yield {"schema": BOUNCE_SCHEMA, "input": label, "source": source,
               "error": _none_found(data)}


def _many(path: Path, lang: str, records: bool) -> Iterator[dict[str, Any]]:
    """A document per message, or with ``records`` a bounce record per failed recipient."""
    for data, label, source in _messages(path):
        if records:
            yield from _records(data, label, source)
        else:
            yield _message_document(data, label, lang, source)


def documents(query: list[str], lang: str, records: bool = False) -> Iterator[dict[str, Any]]:
    """The explain documents for ``explain``'s arguments (a message file gives one, an mbox or
    a maildir one per message); with ``records``, every message gives bounce records."""
    from ..core.explain import explain

    if query == ["-"]:
        yield from _bytes_documents(sys.stdin.buffer.read(MAX_INPUT), "-", lang, records)
        return
    if len(query) == 1 and query[0].strip() and "\n" not in query[0]:
        path = Path(query[0])
        try:
            is_dir, is_file = path.is_dir(), path.is_file()
        except OSError:
            is_dir = is_file = False
        if is_dir or (is_file and _mailbox(path) is not None and _count_from(path) > 1):
            yield from _many(path, lang, records)
            return
        if is_file:
            try:
                data = path.read_bytes()[:MAX_INPUT]
            except OSError as exc:
                raise UsageError(f"cannot read {query[0]}: {exc.strerror}") from None
            yield from _bytes_documents(data, query[0], lang, records)
            return
    # "explain 421 4.7.0" unquoted: the words are one reply, as typed.
    yield explain(" ".join(query), lang)


def _count_from(path: Path) -> int:
    """How many mbox separators the file has, up to 2 (one message is read as a message); a
    file with bare CR line endings (old Mac mailers) is one "line" to Python: its separators
    are found after a CR."""
    count = 0
    with open(path, "rb") as handle:
        for line in handle:
            count += line.startswith(b"From ") + line.count(b"\rFrom ")
            if count > 1:
                break
    return count


def _bare_cr(path: Path) -> bool:
    """Whether the file's lines end with a bare CR, which ``mailbox.mbox`` cannot split."""
    with open(path, "rb") as handle:
        head = handle.read(65_536)
    return b"\r" in head and b"\n" not in head


def line_documents(source: str, lang: str) -> Iterator[dict[str, Any]]:
    """``--lines``: one bounce record (``core.classify``) per non-blank line; a line that
    cannot be read carries an ``error``, so a stream never stops at one bad line."""
    if source == "-":
        yield from _lines(sys.stdin, source, lang)
        return
    try:
        with open(source, encoding="utf-8", errors="replace") as handle:
            yield from _lines(handle, source, lang)
    except OSError as exc:
        raise UsageError(f"cannot read {source}: {exc.strerror}") from None


def _lines(handle: Iterable[str], source: str, lang: str) -> Iterator[dict[str, Any]]:
    from ..core.classify import classify

    for number, line in enumerate(handle, 1):
        text = line.strip()
        if not text:
            continue
        document = classify(text[:MAX_INPUT])
        document["source"] = {"path": source, "line": number}
        yield document
