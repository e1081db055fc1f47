"""A bounce a person forwarded inline: the mail client's separator and header block, then it.

Pure: a parsed message in, the forwarded bounce as a message of its own out.  Users forward
bounces to their admins; clients write the original below a separator line and a block of
its headers, in the client's language::

    -----Original Message-----                     Outlook
    From: Microsoft Outlook <MicrosoftExchange…@example.org>
    Sent: Thursday, December 3, 2026 5:00 AM
    Subject: Undeliverable: hello

    ---------- Forwarded message ---------        Gmail ("Von:", "Betreff:" in German…)

Read as the reading of the message itself, the separator looks like where a bounce's returned
copy starts ("Original message"), and the bounce is cut off.  A block whose From is a mail
system's, or whose Subject is a bounce's, is read as that bounce instead.
"""

from __future__ import annotations

import re
from email.message import Message

from .prose import bounce_headers
from .transfer import parsed_message, part_text

__all__ = ["inline_bounce"]

_SEPARATOR = re.compile(
    r"^[ \t]*(?:-{2,}[ \t]*(?:Original Message|Forwarded message|Urspr[üu]ngliche Nachricht|"
    r"Weitergeleitete Nachricht|Message d'origine|Message transf[ée]r[ée]|Mensaje original|"
    r"Mensaje reenviado|Messaggio originale|Messaggio inoltrato|Mensagem original|"
    r"Mensagem encaminhada|Oorspronkelijk bericht|Doorgestuurd bericht|Oryginalna wiadomo[śs][ćc]|"
    r"Ursprungligt meddelande|Vidarebefordrat meddelande|Opprinnelig melding|Oprindelig meddelelse|"
    r"Исходное сообщение|Пересылаемое сообщение|原始邮件|原始郵件|転送されたメッセージ|"
    r"元のメッセージ)[ \t]*-{2,}|_{10,}|Begin forwarded message:)[ \t]*$", re.I | re.M)
# The header names clients write in the block, in their languages, and what each one is.
_NAMES = {
    "From": ("from", "von", "de", "da", "van", "od", "från", "fra", "от", "发件人", "寄件者",
             "差出人"),
    "To": ("to", "an", "à", "a", "para", "aan", "do", "till", "til", "кому", "收件人", "宛先"),
    "Subject": ("subject", "betreff", "objet", "asunto", "oggetto", "assunto", "onderwerp",
                "temat", "ämne", "emne", "тема", "主题", "主旨", "件名"),
}
_FIELD = re.compile(r"^[ \t]*\*?([^\W\d_][\w '-]{0,20}?)\*?[ \t]*[:：][ \t]*(.*)$")
MAX_BLOCK = 12  # header lines read below the separator
MAX_SEPARATORS = 20  # separators tried in one text (a thread quotes a few; more is hostile)


def inline_bounce(message: Message) -> Message | None:
    """The bounce forwarded inline in the first text part of ``message``, or None; a bounce
    itself is not searched (what follows its separator is the message it returns)."""
    if bounce_headers(message):
        return None
    part = next((p for p in message.walk() if p.get_content_type() == "text/plain"), None)
    if part is None:
        return None
    text = part_text(part).replace("\r\n", "\n")[:1_000_000]
    for number, separator in enumerate(_SEPARATOR.finditer(text)):
        if number == MAX_SEPARATORS:
            break
        found = _forwarded(text, separator.end())
        if found is not None:
            return found
    return None


def _forwarded(text: str, start: int) -> Message | None:
    """The message below the separator ending at ``start``: its header block (the lines up to
    the first that is no field, at most ``MAX_BLOCK``) read into the fields a bounce's reading
    needs, its text after the block; None unless it is a bounce by them.  Only the block's
    lines are split: a text of many separators is not split again at each."""
    while text.startswith("\n", start):
        start += 1
    fields: dict[str, str] = {}
    end = start
    for _ in range(MAX_BLOCK):
        stop = text.find("\n", end)
        line = text[end:stop if stop >= 0 else len(text)]
        match = _FIELD.match(line)
        if not line.strip() or match is None:
            break
        name = match.group(1).strip().lower()
        kind = next((key for key, names in _NAMES.items() if name in names), None)
        if kind and kind not in fields:
            fields[kind] = match.group(2).strip()
        end = stop + 1 if stop >= 0 else len(text)
    if "From" not in fields and "Subject" not in fields:
        return None
    head = "".join(f"{key}: {value}\n" for key, value in fields.items()) \
        + "Content-Type: text/plain; charset=utf-8\n"
    if not bounce_headers(parsed_message(f"{head}\n".encode("utf-8", "replace"))):
        return None  # told by its headers alone: the text below is parsed for a bounce only
    return parsed_message(f"{head}\n{text[end:]}".encode("utf-8", "replace"))
