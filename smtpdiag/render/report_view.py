"""Render a probe ``Report`` as a ``Doc``: one block per step, coloured by reply class, the
annotation under each reply that was not a plain yes, and a verdict at the end."""

from __future__ import annotations

from ..core.findings import CERT_WARN_DAYS
from ..core.text import shorten, size
from ..model import Annotation, Attempt, Capabilities, MxHost, Reply, Report, Step, TlsInfo
from .doc import Doc, Segment, clean

__all__ = ["report_doc", "transcript_text"]

CLASS_STYLE = {2: "green", 3: "cyan", 4: "yellow", 5: "red"}
VERDICT_STYLE = {"accepted": "bold green", "partial": "bold yellow", "deferred": "bold yellow",
                 "refused": "bold red", "failed": "bold red", "no-mail": "bold yellow"}
SEVERITY_MARK = {"critical": ("✗", "red"), "warning": ("!", "yellow"), "info": ("i", "cyan")}
MAX_LINES_SHOWN = 25
MAX_CHARS_SHOWN = 300  # per reply line; the transcript and the JSON keep what the parser kept
PAD = " " * 13
OLD_TLS = ("SSLv3", "TLSv1", "TLSv1.1")


OTHER_SHOWN = 12  # further extensions named in the summary (VRFY, ETRN, XCLIENT …)
AUTH_SHOWN = 12  # AUTH mechanisms named in it (a real server offers a handful; --json has all)


def _caps(caps: Capabilities) -> str:
    """Every extension the server offered, the ones that matter for diagnosis first."""
    parts = []
    # a SIZE whose limit is no number ("SIZE -5") is among the others, as the server said it
    unreadable = caps.size == 0 and any(o[:5].upper() == "SIZE " for o in caps.other)
    if caps.size is not None and not unreadable:
        parts.append(f"SIZE {size(caps.size)}" if caps.size else "SIZE (no limit)")
    for flag, label in (("pipelining", "PIPELINING"), ("eightbitmime", "8BITMIME"),
                        ("smtputf8", "SMTPUTF8"), ("chunking", "CHUNKING"), ("dsn", "DSN"),
                        ("enhancedstatuscodes", "ENHANCEDSTATUSCODES"), ("starttls", "STARTTLS")):
        if getattr(caps, flag):
            parts.append(label)
    if caps.auth:
        more_auth = len(caps.auth) - AUTH_SHOWN
        parts.append("AUTH " + " ".join(caps.auth[:AUTH_SHOWN])
                     + (f" and {more_auth} more" if more_auth > 0 else ""))
    parts += [shorten(" ".join(other.split()), 40) for other in caps.other[:OTHER_SHOWN]]
    more = max(0, len(caps.other) - OTHER_SHOWN) + caps.other_more
    if more:
        parts.append(f"{more} more")
    return " · ".join(parts) or "none advertised"


def _tls(tls: TlsInfo) -> list[list[Segment]]:
    """The TLS facts, one list of segments a line: failures red, warnings yellow, good green."""
    old = tls.version in OLD_TLS
    lines: list[list[Segment]] = [[
        (tls.version or "TLS", "yellow" if old else ""),
        (" (outdated)" if old else "", "yellow"), (f" {tls.cipher}" if tls.cipher else "", "")]]
    if tls.subject:
        lines.append([(f"subject {tls.subject} · issuer {tls.issuer}", "")])
    if tls.sans:
        lines.append([("names " + ", ".join(tls.sans[:8]) + (" …" if len(tls.sans) > 8 else ""),
                       "")])
    if tls.not_after:
        left = tls.days_left if tls.days_left is not None else 0
        style = "red" if left < 0 else "yellow" if left < CERT_WARN_DAYS else ""
        lines.append([(f"valid until {tls.not_after[:10]} ", ""), (
            f"({left} days left)" if left >= 0 else f"(EXPIRED {-left} days ago)", style)])
    trust: Segment = (("verified", "green") if tls.verified else
                      (f"NOT verified: {tls.verify_error or 'unchecked'}", "bold red"))
    match: list[Segment] = {True: [(" · ", ""), ("name matches", "green")],
                            False: [(" · ", ""), ("name does NOT match", "bold red")],
                            None: []}[tls.hostname_matched]
    lines.append([trust, *match])
    return lines


def _brief(note: Annotation) -> str:
    """One line for a positive reply: what it is, its class, and its enhanced code's name when
    that says something (X.Y.0 is "other or undefined", which adds nothing)."""
    parts = [f"{note.code} {note.name}", note.class_name]
    if note.enhanced and not note.enhanced.code.endswith(".0"):
        parts.append(f"{note.enhanced.code} {note.enhanced.name}")
    return " · ".join(parts)


def _annotation(doc: Doc, note: Annotation) -> None:
    style = CLASS_STYLE.get(note.code // 100, "")
    doc.add(PAD, (f"{note.code} {note.name}", f"bold {style}"), (f" ({note.class_name})", style))
    doc.add(PAD, ("meaning: ", "bold"), note.description)
    if note.enhanced:
        tag = "" if note.enhanced.registered else " (not registered; read by its parts)"
        doc.add(PAD, (f"{note.enhanced.code} ", "bold"), f"{note.enhanced.name}{tag}: ",
                note.enhanced.description)
    if note.provider:
        doc.add(PAD, ("provider: ", "bold magenta"),
                (f"{note.provider.provider} — {note.provider.name}: ", "magenta"),
                note.provider.description)
        if note.provider.overrides_registry and note.provider.registry_note:
            doc.add(PAD, ("note: ", "bold"), note.provider.registry_note)
    # One fix, the most specific there is: the provider's (matched on the reply's own text),
    # else the advice for this step and code, else the code's general fix.  Showing two said
    # the same thing twice in different words.
    fix = note.provider.fix if note.provider else (note.advice[0] if note.advice else note.fix)
    doc.add(PAD, ("fix: ", "bold"), fix)
    if note.reason:
        nature = "permanent" if note.reason.permanent else "temporary"
        doc.add(PAD, ("cause: ", "bold"),
                f"{note.reason.name} — {note.reason.summary} ({nature}; {note.reason.who})")


def _cut_note(reply: Reply) -> str | None:
    """What the parser did not keep: its note on the lines it only counted, or a long line."""
    if len(reply.lines) > len(reply.raw) > 0:  # the parser appended its count of lines not kept
        return reply.lines[-1]
    return "a reply line was longer than smtpdiag keeps and was cut" if reply.truncated else None


def _step(doc: Doc, step: Step) -> None:
    timing = f"{step.elapsed_ms:.0f} ms"
    head = (f"{step.name:<12} ", "bold")
    first = True
    if step.sent is not None:
        doc.add(head, ("→ ", "dim"), step.sent, (f"   {timing}", "dim"))
        first = False
    if step.reply is not None:
        style = CLASS_STYLE.get(step.reply.klass, "")
        raw = step.reply.raw or tuple(f"{step.reply.code} {line}" for line in step.reply.lines)
        shown = raw[:MAX_LINES_SHOWN]
        for line in shown:
            prefix = head if first else (PAD, "")
            if len(line) > MAX_CHARS_SHOWN:
                line = f"{line[:MAX_CHARS_SHOWN]}… ({len(line) - MAX_CHARS_SHOWN} more characters)"
            doc.add(prefix, ("← ", "dim"), (line, style),
                    (f"   {timing}", "dim") if first else "")
            first = False
        notes = [f"{len(raw) - len(shown)} more lines not shown"] if len(raw) > len(shown) else []
        cut = _cut_note(step.reply)
        if cut:
            notes.append(cut)
        if notes:
            doc.add(PAD, ("… " + "; ".join(notes), "dim"))
        if step.annotation and step.reply.positive:
            doc.add(PAD, (_brief(step.annotation), "dim"))
        elif step.annotation:
            _annotation(doc, step.annotation)
    elif step.error is not None:
        doc.add(head if first else (PAD, ""), ("✗ ", "red"), (step.error.message, "red"),
                (f"   {timing}", "dim"))
    elif first:
        doc.add(head, (timing, "dim"))


def _error_place(attempt: Attempt) -> tuple[int | None, int | None]:
    """Where the attempt's error goes when no step shows it already (a step that ended in an
    error shows its own): ``(under, None)``, under the step whose reply failed the walk (250
    where DATA needs 354); or ``(None, before)``, a line of its own for a step refused before
    it was sent (AUTH without TLS), before the QUIT that followed, else at the end.  Never
    under QUIT: that step did not fail."""
    error, steps = attempt.error, attempt.steps
    if error is None or not steps or steps[-1].error is not None:
        return None, None
    named = [i for i, step in enumerate(steps) if step.name == error.step != "quit"]
    if named:
        return named[-1], None
    end = len(steps)
    while end and steps[end - 1].name == "quit":
        end -= 1
    return None, end


def _error_line(doc: Doc, attempt: Attempt) -> None:
    if attempt.error is not None:
        doc.add((f"{attempt.error.step or 'walk':<12} ", "bold"), ("✗ ", "red"),
                (attempt.error.message, "red"))


def _attempt(doc: Doc, attempt: Attempt) -> None:
    where = f"[{attempt.address}]" if attempt.address and ":" in attempt.address else (
        attempt.address or "(no address)")
    name = "" if attempt.host == attempt.address else f"{attempt.host} "
    doc.blank().add((f"── {name}{where}:{attempt.port}", "bold"),
                    (f"  TLS: {attempt.tls_mode}", "dim"))
    last_ehlo = max((i for i, s in enumerate(attempt.steps) if s.name in ("ehlo", "ehlo-tls")),
                    default=-1)
    under, before = _error_place(attempt)
    for index, step in enumerate(attempt.steps):
        if index == before:
            _error_line(doc, attempt)
        _step(doc, step)
        if index == last_ehlo and attempt.capabilities and step.reply and step.reply.positive:
            doc.add(PAD, ("capabilities: ", "bold"), _caps(attempt.capabilities))
        if step.name == "tls" and attempt.tls and step.error is None:
            for line in _tls(attempt.tls):
                doc.add(PAD, *line)
        if index == under and attempt.error:
            doc.add(PAD, ("✗ ", "red"), (attempt.error.message, "red"))
    if before == len(attempt.steps):
        _error_line(doc, attempt)
    if attempt.tls and attempt.tls.verify_error and not any(
            s.name == "tls" and s.error is None for s in attempt.steps):
        for line in _tls(attempt.tls):
            doc.add(PAD, ("certificate: ", "bold"), *line)
    for finding in attempt.findings:
        mark, style = SEVERITY_MARK.get(finding.severity, ("·", ""))
        doc.add("  ", (f"{mark} {finding.severity}: ", f"bold {style}"), finding.message)


MX_SHOWN = 20


def _mx_line(mx: tuple[MxHost, ...]) -> str:
    """``10 a.test and b.test (equal preference), 20 c.test (alias of d.test)``; the first
    ``MX_SHOWN`` records, then how many more (a zone may list thousands)."""
    groups: dict[int, list[str]] = {}
    for host in mx[:MX_SHOWN]:
        alias = f" (alias of {host.cname})" if host.cname else ""
        groups.setdefault(host.preference, []).append(host.host + alias)
    more = f", and {len(mx) - MX_SHOWN} more MX records" if len(mx) > MX_SHOWN else ""
    return ", ".join(f"{pref} {' and '.join(hosts)}" + (" (equal preference)" if len(hosts) > 1
                                                        else "")
                     for pref, hosts in groups.items()) + more


def report_doc(report: Report, command: str | None = None) -> Doc:
    """The whole report; ``command`` heads it (the command line that ran, options included)."""
    doc = Doc().add((command or f"smtpdiag probe {report.target}", "bold"))
    res = report.resolution
    if res is not None and res.mx:
        doc.add(("MX: ", "bold"), _mx_line(res.mx))
        for finding in res.findings:
            mark, style = SEVERITY_MARK.get(finding.severity, ("·", ""))
            doc.add("  ", (f"{mark} {finding.severity}: ", f"bold {style}"), finding.message)
    elif res is not None and res.method == "implicit-mx":
        doc.add(("MX: ", "bold"), "none; using the domain's own address (implicit MX)")
    for attempt in report.attempts:
        _attempt(doc, attempt)
    if report.error is not None:
        doc.blank().add(("✗ ", "red"), (f"{report.error.step or 'probe'}: ", "bold red"),
                        report.error.message)
    label = {"accepted": "ACCEPTED", "partial": "PARTLY ACCEPTED", "deferred": "DEFERRED",
             "refused": "REFUSED", "failed": "FAILED", "no-mail": "NO MAIL"}
    doc.blank().add(("Verdict: ", "bold"), (label.get(report.verdict, report.verdict),
                    VERDICT_STYLE.get(report.verdict, "bold")), f" — {report.summary}",
                    (f"  ({report.elapsed_ms:.0f} ms)", "dim"))
    return doc


def transcript_text(report: Report) -> str:
    """The raw dialogue (secrets already redacted by the session), one attempt after another."""
    out: list[str] = []
    for attempt in report.attempts:
        out.append(f"# {attempt.host} {attempt.address}:{attempt.port}")
        under, before = _error_place(attempt)  # where the walk's error goes, as in the view
        failed = f"#  {attempt.error.step}: {attempt.error.message}" if attempt.error else ""
        for index, step in enumerate(attempt.steps):
            if index == before:
                out.append(failed)
            if step.sent is not None:
                out.append(f"C: {step.sent}")
            if step.reply is not None:
                out += [f"S: {line}" for line in step.reply.raw]
                cut = _cut_note(step.reply)
                if cut:
                    out.append(f"#  {cut}")
            if step.unasked is not None:
                out += [f"S: {line}   # unasked" for line in step.unasked.splitlines()[:20]]
            if step.error is not None:
                out.append(f"#  {step.name}: {step.error.message}")
            if index == under:
                out.append(failed)
        if before == len(attempt.steps):
            out.append(failed)
    return "\n".join(clean(line) for line in out) + "\n"
