"""Messages about a delivery that report no failure: delay warnings and automatic replies.

Pure: a message's Subject and words in, a yes or no out.  A bounce reader must not call these
failures, in whatever language they are written:

- a *delay warning* ("Warning: could not send message for past 4 hours", Gmail's "Message not
  delivered yet … Gmail will retry for 46 more hours", Exchange's "Delivery is delayed to
  these recipients", "Zustellung verzögert", "aún no ha podido ser entregado"): the sending
  server is still retrying, so the recipient's failure is not final;
- an *automatic reply* of a person's mailbox (RFC 3834: vacation, out of office), known by its
  headers, its Subject ("Automatic reply:", "Abwesenheitsnotiz:", "Fuera de la oficina:") or,
  from a person, its opening words ("I am out of the office until …"): nothing failed.
"""

from __future__ import annotations

import re
from email.message import Message

__all__ = ["MAX_SAID", "automatic_reply", "challenge", "delay_warning", "delivered_notice",
           "not_a_bounce", "read_receipt"]

MAX_SAID = 20_000  # characters of a bounce's prose searched for a delay warning's words

# A Subject that says the message is late, not lost (Gmail's "(Delay)", Exchange's "Delivery
# delayed:", Sendmail's "Warning: could not send message for past 4 hours", Exim's "Warning:
# message … delayed 24 hours", Domino's "DELAYED:"), in the languages mail systems localize.
_DELAY_SUBJECT = re.compile(
    r"\(delay\)|\bdelay(?:ed)?\b|\bwarning: (?:could not send|message\b)|"
    r"verz[öo]ger|retard|retras|atrasad|ritard|vertraag|f[öo]rsen|forsink|opó[źz]ni|"
    r"zpožd|задерж|遅延|延迟|延遲", re.I)
# A Subject that says delivery failed: a final bounce may quote a delayed original's Subject.
_FAILED_SUBJECT = re.compile(r"undeliver|fail|returned|non-?deliver|unzustellbar|"
                             r"non remis|no entregad|não entregue", re.I)
# Words that say the sending server is still trying and the sender need not resend.
_DELAY_WORDS = re.compile(
    # English: Sendmail, Exim, Postfix, Gmail, Exchange, Domino, hosted systems
    r"will (?:continue|keep) (?:trying|to try|to attempt|attempting)|still (?:being )?"
    r"(?:undelivered|retried)|delivery attempts will continue|(?:has been|is) delayed|"
    r"\bDELAYED\b|(?:has|have) not (?:yet been|been yet) delivered|"
    r"(?:has ?n[o']t|has not|was ?n[o']t|was not|is not) (?:been )?delivered yet|"
    r"not (?:been )?delivered yet|\bnot yet delivered|(?:is|was) (?:just|only) a warning|"
    r"warning message only|(?:you )?do not need to resend|no need to resend|"
    r"will (?:be )?retr(?:y|ied)\b|(?:continue to be|will be re-?) ?attempted|"
    r"retry (?:for|until) (?:the next |another )?\d|keep trying to deliver|"
    # German
    r"nicht erneut (?:zu )?(?:senden|versenden|schicken)|(?:noch|bisher) nicht zugestellt|"
    r"weiterhin versucht|versucht es weiterhin|wird (?:erneut|weiter) versucht|verz[öo]gert|"
    # French
    r"pas encore (?:été )?(?:distribu|remis|livr)|(?:distribution|remise) (?:est )?retard|"
    r"nouvelles tentatives|continuer(?:a|ons) (?:d'|à )?essayer|(?:pas besoin|inutile) de "
    r"(?:le )?renvoyer|"
    # Spanish, Portuguese, Italian
    r"a[úu]n no (?:ha )?(?:podido ser |sido )?entregad|se seguir[áa] intentando|"
    r"seguiremos intentando|no es necesario (?:volver a enviar|reenvi)|entrega retrasad|"
    r"ainda não (?:foi )?entregue|continuar[áa] tentando|não é necessário reenviar|"
    r"entrega atrasad|non (?:è )?(?:stato )?ancora (?:stato )?consegnat|continuer[àa] a "
    r"tentare|non è necessario (?:re)?invia|consegna ritardat|"
    # Dutch, Scandinavian, Polish
    r"nog niet (?:afgeleverd|bezorgd)|blijft proberen|vertraagd|"
    r"ännu inte levererat|ikke levert ennå|endnu ikke leveret|"
    r"jeszcze nie (?:zosta[łl]a )?dostarczon",
    re.I)
# Words of a final failure: a bounce that says so is not a warning, whatever else it says
# ("delivery attempts will continue" is never in one; "permanently" is).
_FINAL_WORDS = re.compile(r"\b(?:failed permanently|permanent(?:ly)? (?:error|failure|fatal)|"
                          r"(?:giving|gave|have given) up|will not be (?:retried|delivered)|"
                          r"no further attempts|has been returned|is being returned)\b", re.I)


def delay_warning(subject: str, prose: str) -> bool:
    """Whether a bounce in prose is a warning that delivery is late, by its words or by its
    Subject (one that does not also say delivery failed), and no words of a final failure."""
    said = prose[:MAX_SAID]  # a warning says so early; a long text is not searched to its end
    if _FINAL_WORDS.search(said):
        return False
    if _DELAY_WORDS.search(said):
        return True
    return bool(_DELAY_SUBJECT.search(subject)) and not _FAILED_SUBJECT.search(subject)


def _auto_headers(message: Message) -> str:
    return "\n".join(f"{name}: {message.get(name)}" for name in (
        "Auto-Submitted", "X-Autoreply", "X-Autorespond", "Precedence")
        if message.get(name) is not None)


# An automatic answer of a person's mailbox (RFC 3834; Exchange, Gmail, old vacation programs).
_AUTO_REPLY = re.compile(r"^(?:Auto-Submitted: auto-replied|X-Autoreply: yes|X-Autorespond:|"
                         r"Precedence: auto_reply)", re.I | re.M)
# Its Subject, after a reply's or a list's marks ("Re:", "AW:", "[Auto-Reply]"), in the
# languages mail clients localize it into.
_AWAY = re.compile(
    r"^(?:\s*(?:re|aw|sv|vs|r|rif|antw|odp|ynt|回复|答复)\s*:|\s*\[)*\s*(?:"
    r"out of (?:the )?office|automatic reply|auto(?:matische|matic)? ?-?(?:reply|antwort|"
    r"response|respuesta|resposta|risposta)|abwesenheit(?:snotiz)?|abwesend|nicht im b[üu]ro|"
    r"r[ée]ponse automatique|absence|absent\b|vacation|on holiday|on leave|away from|"
    r"respuesta autom[áa]tica|fuera de la oficina|ausente|resposta autom[áa]tica|"
    r"fora do escrit[óo]rio|risposta automatica|fuori ufficio|automatisch antwoord|afwezig|"
    r"automatiskt svar|fr[åa]nvar|automatisk svar|autosvar|frav[æa]r|automaattinen vastaus|"
    r"poissa|automatyczna odpowied|nieobecno|automatick[áa] odpov|nep[řr][íi]tomn|"
    r"automatikus v[áa]lasz|otomatik (?:yan[ıi]t|cevap)|автоматический ответ|автоответ|"
    r"отсутств|自動応答|自動返信|不在|自动回复|自動回覆|자동\s?(?:응답|회신)|"
    r"odpowied[źz] automatyczna|αυτόματη απάντηση|automatski odgovor|automaatne vastus|"
    r"t[ựu] [đd][ộo]ng tr[ảa] l[ờo]i|"
    r"balasan otomatis|resposta autom[àa]tica|автоматична відповідь|autom[āa]tisk[āa] atbilde)",
    re.I)
# Lotus Notes names the person instead: "Ann Example is out of the office."
_AWAY_ANYWHERE = re.compile(r"\bis (?:currently )?out of (?:the )?office\b", re.I)
# How a person's automatic reply opens, where neither headers nor Subject say what it is.
_AWAY_WORDS = re.compile(
    r"\b(?:I am|I'm|I will be|I'll be)\s+(?:currently\s+|now\s+)?(?:out of (?:the )?office|"
    r"away (?:from|until|on)|on (?:annual |parental |sick |maternity |paternity )?(?:leave|"
    r"vacation|holiday))|\bout of (?:the )?office (?:until|from|through|till)\b|"
    r"\blimited access to (?:my )?e-?mail|"
    r"\bich bin [^.\n]{0,60}(?:nicht im (?:b[üu]ro|hause?)|abwesend|im urlaub)|"
    r"\bje suis (?:actuellement )?(?:absente?|en cong[ée]s?|en vacances)|"
    r"\b(?:estoy|estar[ée]) (?:fuera de la oficina|de vacaciones|ausente)|"
    r"\b(?:estou|estarei) (?:fora do escrit[óo]rio|de f[ée]rias|ausente)|"
    r"\bsono (?:fuori ufficio|in ferie|assente)|\bik ben (?:afwezig|met vakantie|niet op kantoor)|"
    r"\bjestem (?:poza biurem|na urlopie)|\bjag är (?:ledig|på semester|tjänstledig)|"
    r"\bjeg er (?:på ferie|fraværende|ikke på kontoret)|\bolen (?:lomalla|poissa)|"
    r"\bjsem (?:mimo kancelář|na dovolené)|\bя (?:нахожусь )?(?:в отпуске|вне офиса)|"
    r"ofis dışındayım|不在にして|休假中",
    re.I)


def automatic_reply(message: Message, title: str, prose: str = "") -> bool:
    """Whether a message is a mailbox's automatic reply: by its headers, its Subject
    (``title``, decoded) or the opening words of its text (``prose``)."""
    return bool(_AUTO_REPLY.search(_auto_headers(message)) or _AWAY.match(title)
                or _AWAY_ANYWHERE.search(title) or _AWAY_WORDS.search(prose[:2_000]))


# A challenge-response system's request (Boxbe, Spam Arrest, Mailbox "whitelists"): the
# message is held until its sender proves to be a person; nothing failed.
_CHALLENGE = re.compile(
    r"\b(?:verify|confirm|prove)\b[^.\n]{0,60}\b(?:you are|you're) (?:a )?(?:real |live |"
    r"human )*(?:person|human|sender)|"
    r"\b(?:held|quarantined|waiting|pending|on hold)\b[^.]{0,80}\b(?:until you (?:verify|"
    r"confirm|reply|respond|click)|pending (?:your |sender )?(?:verification|confirmation))|"
    r"\bwill (?:only )?be delivered (?:once|when|after|as soon as|if) you\b|"
    r"\bnot be delivered (?:until|unless) you\b|\bchallenge[- ]response\b|"
    r"\b(?:sender|address) verification (?:request|required|needed|pending)", re.I)


def challenge(prose: str) -> bool:
    """Whether a message asks its sender to verify themselves before it is delivered."""
    return bool(_CHALLENGE.search(prose[:5_000]))


# A notice that the message arrived or was passed on (Exchange's "Delivered:", a "Delivery Status
# Notification (Relay)" sent as prose), or about recalling one (Outlook's "Recall:", "Message
# Recall Failure:"): about a delivery, but no failure of one.
_DONE_SUBJECT = re.compile(r"\((?:success|relay|delivered)\)|^\s*(?:delivered|relayed|zugestellt|"
                           r"remis|entregado|consegnato|afgeleverd)\s*:|^\s*(?:recall|message "
                           r"recall (?:failure|success|report)|r[üu]ckruf|rappel)\s*:", re.I)
_DONE_WORDS = re.compile(r"\b(?:has|have) been (?:successfully )?(?:delivered|relayed) to\b|"
                         r"\bsuccessfully (?:delivered|relayed)\b|\bdelivery to the following "
                         r"recipients? (?:was )?(?:complete|succeeded|successful)|"
                         r"\bwould like to recall the message\b|\bcould not be recalled\b", re.I)
# Words that say a delivery failed: a notice with them reports a failure after all.
_FAILED_WORDS = re.compile(r"could ?n[o']t be delivered|undeliver|delivery (?:has )?failed|"
                           r"failed to deliver|unable to deliver|(?:was|were|has) not (?:yet )?"
                           r"(?:been )?delivered|was ?n't delivered|permanent (?:error|failure)|"
                           r"\brejected\b|\brefused\b|user unknown|unknown user|does not exist",
                           re.I)


# A read receipt written as text (Outlook's "Read: …" / "Not read: …"), not as RFC 8098's report.
_READ = re.compile(r"^\s*(?:read|not read|gelesen|ungelesen|lu|non lu|le[íi]do|no le[íi]do)\s*:",
                   re.I)
_READ_WORDS = re.compile(r"\bwas (?:read|deleted without being read) on\b", re.I)


def delivered_notice(title: str, prose: str) -> bool:
    """Whether a message only says its message was delivered, relayed, recalled or read: by
    its Subject (``title``, decoded) or words, and no words of a failed delivery."""
    return bool(_DONE_SUBJECT.search(title) or _DONE_WORDS.search(prose[:5_000])
                or read_receipt(title, prose)) and not _FAILED_WORDS.search(prose[:20_000])


def read_receipt(title: str, prose: str) -> bool:
    """Whether a message is a read receipt written as text, by its Subject or its words."""
    return bool(_READ.search(title) or _READ_WORDS.search(prose[:5_000]))


def not_a_bounce(data: bytes) -> str | None:
    """What a message that reports no failed recipient is, where it says so itself: for a
    reader who asked why ``explain`` found no failure in it."""
    from .dsn import message_prose
    from .transfer import subject_text

    message, prose = message_prose(data)
    kind = message.get_param("report-type", "", header="content-type")
    title = subject_text(message)
    if kind == "disposition-notification" or read_receipt(title, prose):
        return "it is a read receipt (a disposition notification), not a bounce"
    if kind == "feedback-report":
        return "it is a feedback report (a complaint, RFC 5965), not a bounce"
    if challenge(prose):
        return ("it is a challenge, not a bounce: the message is held until its sender "
                "confirms being a person")
    if automatic_reply(message, title, prose):
        return "it is an automatic reply (out of office, vacation), not a bounce"
    if kind == "delivery-status" or delivered_notice(title, prose):
        return ("it is a delivery notice: its recipients were delivered, relayed or expanded "
                "(or a recall), not a bounce")
    return None
