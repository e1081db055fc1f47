"""How the server talked, beyond what each reply said: the protocol slips an admin should hear
about even when the session went on.  Pure: an ``Attempt`` in, warnings out.

Each check is one small rule over the recorded steps; none of them stops a walk (what does stop
it, a greeting that is not a greeting, is an error raised by the session instead):

* replies nobody asked for: a second reply to one command, one glued to the greeting, junk
  after a reply (RFC 5321 §4.1: one reply per command), kept per step as ``Step.unasked``;
  after the 220 to STARTTLS, plaintext that must be discarded (response injection);
* control characters inside EHLO lines (such a keyword is not trusted as a keyword);
* a SIZE whose value is not a number of bytes (RFC 1870);
* EHLO lines longer than the 512 bytes RFC 5321 §4.5.3.1.5 allows, and which of them were cut;
* enhanced status codes that are not ``class.subject.detail`` (RFC 3463, RFC 2034);
* a greeting that refuses with a code RFC 5321 §3.1 does not give a greeting (``450``,
  ``550``: the refusal is still read as one, for now or for good);
* QUIT left unanswered, or answered with something else than 221 (RFC 5321 §4.1.1.10); left
  unanswered after a refusal, or the connection closed after one, only a note (a server may
  close on a client it refuses).
"""

from __future__ import annotations

import re

from ..model import Attempt, Finding, Reply, Step
from .replies import MAX_LINE_KEPT, excerpt

__all__ = ["conduct_findings", "injected_after_starttls", "speaks_lmtp"]

RFC_LINE_LIMIT = 512  # bytes of a reply line, CRLF included (RFC 5321 §4.5.3.1.5)
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # tab is tolerated as spacing
# What looks like an enhanced code at the start of a reply: digits.digits.digits, or only two
# parts from a server that advertised ENHANCEDSTATUSCODES (and so promised one in every reply).
_LOOKS_ENHANCED = re.compile(r"\s*([0-9]+)\.([0-9]+)(?:\.([0-9]+))?(?=\s|$)")
_EHLO_STEPS = ("ehlo", "ehlo-tls")


def injected_after_starttls(step: Step) -> str | None:
    """What the server sent in plaintext after its 220 to STARTTLS, said as the injection it
    is (RFC 3207 §4.2); None for any other step, or when nothing came.  The session never
    reads those bytes as replies: it discards them before the handshake."""
    if step.name != "starttls" or step.unasked is None or step.reply is None or \
            step.reply.code != 220:
        return None
    return (f"STARTTLS response injection: after its 220 to STARTTLS the server sent "
            f"{excerpt(step.unasked, 120)} in plaintext, before the TLS handshake; smtpdiag "
            "discarded it, as RFC 3207 §4.2 requires (a client that kept it would read it as "
            "replies inside TLS: the class of CVE-2011-0411), whether the server buffers badly "
            "or something on the path inserted it")


def speaks_lmtp(attempt: Attempt) -> bool:
    """Whether the port answered smtpdiag's LHLO (EHLO and HELO were unknown to it): its
    refusals of EHLO and HELO are then LMTP's (RFC 2033), said once by the walk's error, not
    an SMTP server refusing HELO."""
    return any(step.name == "lhlo" and step.reply is not None and step.reply.code == 250
               for step in attempt.steps)


def _unasked(step: Step) -> Finding | None:
    if step.unasked is None:
        return None
    injected = injected_after_starttls(step)
    if injected is not None:
        return Finding("warning", injected, step.name)
    return Finding("warning", f"unasked: after its {step.name} reply the server sent "
                   f"{excerpt(step.unasked, 120)} without being asked (RFC 5321 §4.1: one reply "
                   "per command; a client may take it for the answer to its next command)",
                   step.name)


def _ehlo_controls(step: Step, reply: Reply) -> Finding | None:
    bad = [line for line in reply.lines[1:] if _CONTROL.search(line)]
    if not bad:
        return None
    shown = ", ".join(excerpt(line, 40) for line in bad[:5])
    more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
    return Finding("warning", f"the {step.name} reply has control characters inside extension "
                   f"lines: {shown}{more}; smtpdiag does not take them as keywords", step.name)


def _ehlo_size(step: Step, reply: Reply) -> Finding | None:
    """A SIZE whose value is not a number of bytes (``SIZE -5``, ``SIZE 1e9``, twenty-one
    digits and more): read as no stated limit, and said so, rather than silently."""
    for line in reply.lines[1:]:
        words = line.split()
        if words and words[0].upper() == "SIZE" and len(words) > 1 and not _SIZE.fullmatch(
                words[1]):
            return Finding("warning", f"the {step.name} reply advertises SIZE with "
                           f"{excerpt(words[1], 40)}, not a number of bytes (RFC 1870: digits "
                           "only); smtpdiag reads it as no stated limit", step.name)
    return None


_SIZE = re.compile(r"[0-9]{1,20}")  # as core/capabilities.py reads it


def _ehlo_long_lines(step: Step, reply: Reply) -> Finding | None:
    longest = max((len(line.encode("utf-8", "surrogateescape")) + 2 for line in reply.raw),
                  default=0)
    # ``truncated`` also marks a reply cut for its number of lines: only a kept line as long as
    # the cut says that a line itself was cut.
    line_cut = reply.truncated and longest >= MAX_LINE_KEPT
    if longest <= RFC_LINE_LIMIT and not line_cut:
        return None
    cut = (f"; lines past {MAX_LINE_KEPT} bytes were read whole for their keywords, but what is "
           "kept and shown of them is cut" if line_cut else "")
    size = f"{longest} bytes" if not line_cut else f"more than {MAX_LINE_KEPT} bytes"
    return Finding("warning", f"the {step.name} reply has a line of {size}, over the "
                   f"{RFC_LINE_LIMIT} bytes RFC 5321 §4.5.3.1.5 allows (some clients cut or "
                   f"refuse it){cut}", step.name)


def _enhanced(step: Step, reply: Reply, advertised: bool) -> Finding | None:
    if reply.enhanced is not None or not reply.lines or step.name in _EHLO_STEPS:
        return None
    match = _LOOKS_ENHANCED.match(reply.lines[0])
    if match is None or (match.group(3) is None and not advertised):
        return None
    klass, subject, detail = match.groups()
    if detail is None:
        why = "it has two parts, not three"
    elif klass not in ("2", "4", "5"):
        why = f"class {klass} is not 2, 4 or 5"
    elif int(klass) != reply.klass:
        why = f"class {klass} does not match the reply code {reply.code}"
    elif len(subject) > 3 or len(detail) > 3:
        why = "subject and detail are 1 to 3 digits each"
    else:  # pragma: no cover - any other form parses as an enhanced code
        return None
    code = match.group(0).strip()
    return Finding("warning", f"the {step.name} reply has a malformed enhanced status code "
                   f"{excerpt(code, 24)}: {why} (RFC 3463)", step.name)


def _quit(step: Step, before: Step | None) -> Finding | None:
    """QUIT unanswered is a slip, unless the walk ended on a refusal: a server may end a
    session it refuses without waiting for QUIT (Exim's ACL ``drop`` sends its 5xx and closes;
    RFC 5321 §7.8 leaves a server that defence), and the refusal is what to read."""
    if step.reply is None and before is not None and before.reply is not None \
            and not before.reply.positive:
        return Finding("info", f"QUIT got no answer after the server's {before.reply.code} at "
                       f"{before.name}: a server may end a session it refuses without waiting "
                       "for QUIT (Exim's ACL drop sends its refusal and closes the connection); "
                       "nothing to fix beyond that refusal", "quit")
    if step.reply is None:
        return Finding("warning", "QUIT got no answer (RFC 5321 §4.1.1.10: the server replies "
                       "221 and then closes the connection)", "quit")
    if step.reply.code != 221:
        return Finding("warning", f"QUIT was answered {step.reply.code}, not 221 (RFC 5321 "
                       "§4.1.1.10)", "quit")
    return None


def _greeting(reply: Reply) -> Finding | None:
    if reply.code in (220, 421, 554):
        return None
    return Finding("warning", f"the greeting refused with {reply.code}, a code RFC 5321 §3.1 does "
                   "not give a greeting (220 to serve, 554 or 421 to refuse); clients read it "
                   "by its first digit", "greeting")


def conduct_findings(attempt: Attempt) -> tuple[Finding, ...]:
    """Warnings about how the server talked in this attempt, in step order."""
    found: list[Finding | None] = []
    advertised = bool(attempt.capabilities and attempt.capabilities.enhancedstatuscodes)
    before = None  # the last step answered before this one
    for step in attempt.steps:
        found.append(_unasked(step))
        reply = step.reply
        if step.name == "quit" and step.sent is not None:
            found.append(_quit(step, before))
        elif step.error is not None and before is not None and before.reply is not None \
                and not before.reply.positive and step.error.kind == "connect":
            found.append(Finding("info", f"the server closed the connection after its "
                                 f"{before.reply.code} at {before.name}, before answering the "
                                 f"next {step.name}: it ended a session it refuses (Exim's ACL "
                                 "drop does), so what would have followed was not asked",
                                 step.name))
        elif reply is not None and step.name == "greeting":
            found += [_greeting(reply), _enhanced(step, reply, advertised)]
        elif reply is not None and step.name in _EHLO_STEPS and reply.code == 250:
            found += [_ehlo_controls(step, reply), _ehlo_size(step, reply),
                      _ehlo_long_lines(step, reply)]
        elif reply is not None:
            found.append(_enhanced(step, reply, advertised))
        if reply is not None:
            before = step
    return tuple(f for f in found if f is not None)
