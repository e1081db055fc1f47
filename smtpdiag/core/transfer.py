"""A MIME part's body as its writer meant it, whatever its Content-Transfer-Encoding claims.

Bounces are written by mail systems in a hurry: a part marked ``base64`` whose body is plain
text ("Reporting-MTA: dns; …"), or ``quoted-printable`` whose text was never encoded (a URL's
``?id=F0A1``).  Decoded as labelled, both turn into junk, and the bounce's recipients and replies
are lost.  Here a body is decoded only where it really is in that encoding, and read as it is
otherwise.  ``parsed_message`` parses a message with the email package, whose parser recurses
once per nested part: a message nesting parts hundreds deep (hostile, or a forwarding loop) is
read as one text part instead of ending in a RecursionError.  Pure: bytes in, bytes out.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import quopri
import re
from email import message_from_bytes, message_from_string
from email.errors import HeaderParseError
from email.header import Header, decode_header, make_header
from email.message import Message
from email.policy import compat32
from typing import cast

from .bounce import unfold

__all__ = ["MAX_CONTAINERS", "body_bytes", "decode_body", "field_group", "header_text",
           "message_bytes", "parsed_message", "part_text", "status_text", "subject_text"]

# Parts that hold other parts: a real bounce has a handful (report, alternative, related, the
# returned message and its own); past this many the message is read as one text part.
MAX_CONTAINERS = 100
_CONTAINER = re.compile(rb"^Content-Type:[ \t]*(?:multipart|message)/", re.I | re.M)
_MIME_LINE = re.compile(rb"^(?:[ \t]*--\S+[ \t]*|Content-[A-Za-z-]+:.*|MIME-Version:.*|"
                        rb"[ \t]+boundary=.*)\n", re.I | re.M)

# One base64 line: the alphabet alone, padding only at its end (a line with a space or any
# punctuation, as every line of prose has, is not base64).
_BASE64_LINE = re.compile(rb"[A-Za-z0-9+/]+={0,2}")
_QP_ESCAPE = re.compile(rb"=(?:[0-9A-Fa-f]{2}|\r?\n)")


def decode_body(data: bytes, encoding: str, charset: str = "utf-8") -> bytes:
    """``data`` decoded from ``encoding`` (``base64``, ``quoted-printable``) where it is
    encoded so; as it is where it is not (and for every other encoding).

    base64: every non-blank line must be one run of the alphabet, its padding at its end;
    anything else is text.  Quoted-printable: decoded, unless the decoding breaks text that
    was valid in ``charset`` before it (a ``=F0`` that was never an escape)."""
    name = encoding.strip().lower()
    if name == "base64":
        lines = [line.strip() for line in data.splitlines() if line.strip()]
        if not lines or not all(_BASE64_LINE.fullmatch(line) for line in lines):
            return data
        compact = b"".join(lines)
        try:
            return base64.b64decode(compact + b"=" * (-len(compact.rstrip(b"=")) % 4))
        except (binascii.Error, ValueError):
            return data
    if name == "quoted-printable":
        if not _QP_ESCAPE.search(data):
            return data
        decoded = quopri.decodestring(data)
        if _reads_as(data, charset) and not _reads_as(decoded, charset):
            return data
        return decoded
    return data


def _reads_as(data: bytes, charset: str) -> bool:
    try:
        data.decode(charset)
    except (UnicodeError, LookupError):
        return False
    return True


def body_bytes(part: Message) -> bytes:
    """A non-multipart part's body, decoded by ``decode_body`` (base64 and quoted-printable)
    or by the email package (any other encoding: ``get_payload(decode=True)`` gives bytes for
    every one and never raises; bogus uuencode comes back as it is)."""
    encoding = str(part.get("Content-Transfer-Encoding") or "").strip().lower()
    if encoding not in ("base64", "quoted-printable"):
        return cast(bytes, part.get_payload(decode=True))
    # The body's own bytes, as the parser keeps them (8-bit bytes as surrogates: every part
    # here was parsed from bytes).  ``get_payload()`` would decode them from the charset it
    # names (UTF-8 read as Latin-1: "gelÃ¶scht"), or raise TypeError for an RFC 2231 one.
    raw = part._payload.encode("ascii", "surrogateescape")  # type: ignore[attr-defined]
    return decode_body(raw, encoding, _charset(part))


# Charset labels mail systems write that Python does not know, or knows as a narrower charset
# than the one they mean (Outlook's "ks_c_5601-1987" is Windows' code page 949; a "shift_jis" or
# "gb2312" part holds the vendors' extensions): the codec that reads what they send.
_CHARSETS = {
    "x-sjis": "cp932", "shift_jis": "cp932", "windows-31j": "cp932", "x-euc-jp": "euc_jp",
    "ks_c_5601-1987": "cp949", "euc-kr": "cp949", "x-windows-949": "cp949", "gb2312": "gb18030",
    "gbk": "gb18030", "x-gbk": "gb18030", "windows-874": "cp874", "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6", "x-mac-roman": "mac_roman", "cp-850": "cp850",
    "utf8mb4": "utf-8", "_iso-2022-jp$esc": "iso-2022-jp",
}


def _charset(part: Message) -> str:
    charset = part.get_content_charset() or "utf-8"
    charset = _CHARSETS.get(charset, charset)
    try:
        "".encode(charset)
    except (LookupError, ValueError):
        return "utf-8"
    return charset


def part_text(part: Message) -> str:
    """A text part's words, in its charset (UTF-8 where it names none or an unknown one).
    Bytes that are not valid in a charset that is UTF-8 or ASCII by default or by label are
    most often Windows-1252 (Latin-1) text from a mail system that named no charset ("Su
    mensaje no pudo ser entregado … Información"): read so, not as U+FFFD replacements."""
    data = body_bytes(part)
    charset = _charset(part)
    try:
        return data.decode(charset)
    except UnicodeDecodeError:
        pass
    if charset.lower().replace("-", "").replace("_", "") in _DEFAULTS:
        for fallback in ("utf-8", "cp1252"):
            try:
                return data.decode(fallback)
            except UnicodeDecodeError:
                continue
    return data.decode(charset, "replace")


_DEFAULTS = frozenset({"utf8", "usascii", "ascii", "ansix3.41968", "us"})


def parsed_message(data: bytes) -> Message:
    """``data`` (LF line ends) parsed by the email package, or, where it nests more containers
    than ``MAX_CONTAINERS`` (or deeper than the parser's recursion goes), its headers with the
    body as one plain text part, MIME boundaries and part headers (its own too) left out."""
    if len(_CONTAINER.findall(data, 0, MAX_CONTAINERS * 2_000)) <= MAX_CONTAINERS:
        try:
            return message_from_bytes(data, policy=compat32)
        except RecursionError:
            pass
    head, _, body = data.partition(b"\n\n")
    flat = message_from_bytes(head + b"\n\n", policy=compat32)
    for name in ("Content-Type", "Content-Transfer-Encoding", "MIME-Version"):
        del flat[name]
    # text/plain by default, read as UTF-8; its 8-bit bytes kept as the parser keeps them, so
    # that ``as_bytes`` gives them back (a forwarded bounce is read again from its bytes)
    flat.set_payload(_MIME_LINE.sub(b"", body).decode("ascii", "surrogateescape"))
    return flat


def subject_text(message: Message) -> str:
    """A message's Subject as words: unfolded, RFC 2047 encoded-words decoded, and 8-bit bytes
    written straight into it (SMTPUTF8 mail, careless mailers), which the email package keeps
    as a ``Header`` of unknown bytes, read as UTF-8, else as Windows-1252 (ISO-2022-JP's
    escapes, 7-bit, as ``bounce.unfold`` reads them)."""
    value = message.get("Subject")
    if isinstance(value, Header):
        words = []
        for chunk, _charset in decode_header(value):
            if isinstance(chunk, bytes):
                try:
                    chunk = chunk.decode("utf-8")
                except UnicodeDecodeError:
                    chunk = chunk.decode("cp1252", "replace")
            words.append(chunk)
        return unfold("".join(words))
    return header_text(unfold(str(value or "")))


def header_text(value: str) -> str:
    """A header's words with its RFC 2047 encoded-words decoded (``=?UTF-8?Q?Returned_mail:…?=``);
    as it is where they cannot be decoded (an unknown charset, broken base64)."""
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except (HeaderParseError, UnicodeError, LookupError, ValueError):
        return value


def message_bytes(group: Message) -> bytes:
    """A group as bytes again.  A group of fields alone is written back field by field (as
    parsed: folds kept), not by the email package's generator, whose header
    folding cost a millisecond a group (10,000 recipients: 8 s); a multipart holding 8-bit
    bytes, which the generator cannot write as bytes (UnicodeEncodeError), as its text."""
    payload = group.get_payload()  # (its 8-bit bytes replaced: only an empty one is used)
    if isinstance(payload, str) and not payload.strip():
        # the fields as stored (``items()`` would sanitize each); a value holding 8-bit bytes
        # (surrogates, which do not encode) is written by the generator below
        with contextlib.suppress(UnicodeError):
            return "".join(f"{name}: {value}\n" for name, value in group.raw_items()
                           ).encode() + b"\n"
    try:
        return group.as_bytes()
    except (UnicodeError, LookupError):
        return group.as_string().encode()  # (it gives each 8-bit byte as U+FFFD)


# A field line or a continuation, as the email package's parser tells them (no "From " line).
_FIELD_LINE = re.compile(r"[\041-\071\073-\176]+:|[ \t]")


def field_group(block: str) -> Message:
    """One field group as ``message_from_string`` parses it (compat32), without its parser
    where every line is a field or a continuation: a 10,000-recipient report spent a third of
    its time in the parser."""
    lines = block.split("\n")
    if "\r" in block or lines[0][:1] in (" ", "\t") or not all(
            _FIELD_LINE.match(line) for line in lines):
        return message_from_string(block + "\n", policy=compat32)
    group = Message(policy=compat32)
    field: list[str] = []
    for line in lines:
        if field and line[0] not in " \t":
            group.set_raw(*compat32.header_source_parse(field))
            field = []
        field.append(line + "\n")
    group.set_raw(*compat32.header_source_parse(field))
    group.set_payload("")  # as the parser leaves a message without a body
    return group


def status_text(parsed: list[Message], encoding: str) -> str:
    """A delivery-status part's text, decoded where it is encoded as it says (``transfer``:
    fields marked base64 but written as text are read as text); CRLF line ends are read as
    they are (the fields' values are stripped)."""
    data = b"\n".join(message_bytes(group) for group in parsed)
    return decode_body(data, encoding).decode("utf-8", "replace")
