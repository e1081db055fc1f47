"""Property-based tests: whatever bytes a server sends and whatever text ends up in a report, the
parser raises nothing but ``ProtocolError``, the annotator and judge never raise, and no renderer
lets a control character through.  Well-formed replies survive a round trip unchanged.
"""

from __future__ import annotations

import io
import itertools
import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from smtpdiag.core.annotate import STEP_VERBS, annotate_attempt, annotate_reply
from smtpdiag.core.findings import attempt_findings
from smtpdiag.core.replies import (
    MAX_LINE_KEPT,
    MAX_LINES_KEPT,
    REDACTED,
    Redactor,
    ReplyReader,
    excerpt,
    parse_enhanced,
    parse_reply,
)
from smtpdiag.errors import ProtocolError
from smtpdiag.model import (
    Annotation,
    Attempt,
    Capabilities,
    EnhancedNote,
    ErrorInfo,
    Finding,
    ProviderNote,
    Reply,
    Report,
    Resolution,
    Step,
    TlsInfo,
)
from smtpdiag.render.doc import clean, write_doc
from smtpdiag.render.report_view import report_doc, transcript_text

SGR = re.compile("\x1b\\[[0-9;]*m")
# What must never reach a terminal raw: controls (but the newline between lines), DEL, C1,
# line/paragraph separators and the bidi overrides.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
STEPS = (*STEP_VERBS, "connect", "tls", "no-such-step")

# ---------------------------------------------------------------- strategies

CODES = st.sampled_from([b"220", b"250", b"354", b"421", b"550", b"199", b"699", b"260", b"2500",
                         b"25", b"abc", b"", b"5\xff5"])
SEPARATORS = st.sampled_from([b" ", b"-", b"", b"\t", b"x"])
ENDINGS = st.sampled_from([b"\r\n", b"\n", b"\r", b"", b"\r\r\n"])
SMTPISH_LINE = st.builds(lambda code, sep, text, end: code + sep + text + end,
                         CODES, SEPARATORS, st.binary(max_size=40), ENDINGS)
SMTPISH = st.lists(SMTPISH_LINE, max_size=12).map(b"".join)
PEER_BYTES = st.one_of(st.binary(max_size=3000), SMTPISH)
CODE = st.builds(lambda a, b, c: a * 100 + b * 10 + c,
                 st.integers(2, 5), st.integers(0, 5), st.integers(0, 9))


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = [0, *sorted({c % (len(data) + 1) for c in cuts}), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(points)]


def _first_outcome(reader: ReplyReader, chunks: list[bytes]) -> tuple[str, object]:
    for chunk in chunks:
        try:
            reply = reader.feed(chunk)
        except ProtocolError as exc:
            return "error", str(exc)
        if reply is not None:
            return "reply", reply
    return "nothing", None


def _check_reply(reply: Reply) -> None:
    assert 200 <= reply.code <= 559
    assert len(reply.raw) <= MAX_LINES_KEPT
    assert len(reply.lines) <= MAX_LINES_KEPT + 1
    assert all(len(line.encode("utf-8", "surrogateescape")) <= 4 * MAX_LINE_KEPT
               for line in reply.raw)


# ---------------------------------------------------------------- the parser

@given(PEER_BYTES, st.lists(st.integers(min_value=0), max_size=12))
def test_feeding_any_bytes_split_anywhere_raises_only_protocol_error(
        data: bytes, cuts: list[int]) -> None:
    reader = ReplyReader()
    for chunk in _split(data, cuts):
        try:
            reply = reader.feed(chunk)
        except ProtocolError:
            continue  # the reader starts afresh after an error
        if reply is not None:
            _check_reply(reply)


@given(PEER_BYTES, st.lists(st.integers(min_value=0), max_size=12))
def test_where_the_bytes_are_split_does_not_change_the_first_outcome(
        data: bytes, cuts: list[int]) -> None:
    whole = _first_outcome(ReplyReader(), [data])
    split = _first_outcome(ReplyReader(), _split(data, cuts))
    assert whole == split


@given(PEER_BYTES)
def test_parse_reply_raises_only_protocol_error(data: bytes) -> None:
    try:
        reply = parse_reply(data)
    except ProtocolError as exc:
        assert not UNSAFE.search(str(exc))  # an error message quotes peer bytes escaped
        return
    _check_reply(reply)


@given(PEER_BYTES | st.text(max_size=200).map(str.encode), st.integers(1, 120))
def test_an_excerpt_is_always_printable(data: bytes, limit: int) -> None:
    assert not UNSAFE.search(excerpt(data, limit))


@given(st.data(), st.sampled_from(STEPS), st.sampled_from([25, 465, 587, 2525]))
def test_annotating_and_judging_any_parsed_reply_never_raises(data: st.DataObject, step: str,
                                                               port: int) -> None:
    code = str(data.draw(CODE)).encode()
    texts = data.draw(st.lists(st.binary(max_size=60).map(lambda b: b.replace(b"\n", b"")),
                               min_size=1, max_size=4))
    enhanced = data.draw(st.sampled_from([b"", code[:1] + b".7.1 ", b"5.1.1 ", b"9.9.9 "]))
    reply = parse_reply(b"".join(code + (b" " if i == len(texts) - 1 else b"-")
                                 + (enhanced if i == 0 else b"") + text + b"\r\n"
                                 for i, text in enumerate(texts)))
    annotation = annotate_reply(reply, step, port)
    assert annotation.code == reply.code
    attempt = annotate_attempt(Attempt("mx.test", "192.0.2.1", port, "starttls",
                                       steps=(Step(step, "X", reply, elapsed_ms=1500.0),)))
    attempt_findings(attempt)


PRINTABLE = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=60)


@given(CODE, st.booleans(), st.integers(0, 999), st.integers(0, 999),
       st.lists(PRINTABLE, min_size=1, max_size=6), st.sampled_from([b"\r\n", b"\n"]),
       st.lists(st.integers(min_value=0), max_size=5))
def test_well_formed_replies_round_trip(code: int, with_enhanced: bool, subject: int,
                                        detail: int, texts: list[str], end: bytes,
                                        cuts: list[int]) -> None:
    # RFC 3463: enhanced codes have classes 2, 4 and 5 only
    enhanced = f"{code // 100}.{subject}.{detail}" if with_enhanced and code // 100 != 3 else None
    if enhanced:
        texts = [f"{enhanced} {texts[0]}", *texts[1:]]
    else:
        assume(parse_enhanced(texts[0], code) is None)
    raw = [f"{code}{'-' if i < len(texts) - 1 else ' '}{text}" for i, text in enumerate(texts)]
    data = b"".join(line.encode() + end for line in raw)
    kind, reply = _first_outcome(ReplyReader(), _split(data, cuts))
    assert kind == "reply"
    assert isinstance(reply, Reply)
    assert (reply.code, reply.enhanced, reply.lines, reply.raw) == (
        code, enhanced, tuple(texts), tuple(raw))
    assert not reply.truncated


# ---------------------------------------------------------------- secrets

SECRET = st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ+/=", min_size=4, max_size=30)


@given(SECRET, st.lists(st.text(max_size=30), max_size=4), st.integers(min_value=0))
def test_a_redactor_leaves_no_secret_and_no_cut_start_of_one(secret: str, parts: list[str],
                                                             cut: int) -> None:
    redact = Redactor([secret])
    text = secret.join(parts) + secret
    assert secret not in redact(text)
    cut_text = text[:cut % (len(text) + 1)]
    shown = redact(cut_text, cut=True)
    assert secret not in shown
    tail = shown.removesuffix(REDACTED)
    assert not any(tail.endswith(secret[:size]) for size in range(3, len(secret)))


@given(SECRET, st.lists(st.binary(max_size=30), max_size=4), st.lists(st.integers(min_value=0),
                                                                     max_size=6))
def test_the_reader_never_keeps_or_quotes_a_secret(secret: str, parts: list[bytes],
                                                   cuts: list[int]) -> None:
    token = secret.encode()
    data = b"535-" + token.join(parts) + b"\r\n535 x" + token + b"\r\n" + token + b"\r\n"
    reader = ReplyReader(Redactor([secret]))
    for chunk in _split(data, cuts):
        try:
            reply = reader.feed(chunk)
        except ProtocolError as exc:
            assert secret not in str(exc)
            continue
        if reply is not None:
            assert not any(secret in line for line in (*reply.lines, *reply.raw))


# ---------------------------------------------------------------- rendering

TEXT = st.text(max_size=40)  # every code point but surrogates: controls, C1, bidi, markup …
MARKUP = st.sampled_from(["[bold red]x[/bold red]", "[link=http://x]y[/link]", "\x1b[2J",
                          "\x1b]8;;http://x\x1b\\", "\x07", "\x9b", "\u202e", "\u2028", ":smile:"])
HOSTILE_TEXT = st.one_of(TEXT, st.lists(st.one_of(TEXT, MARKUP), max_size=5).map("".join))


@st.composite
def reports(draw: st.DrawFn) -> Report:
    t = lambda: draw(HOSTILE_TEXT)  # noqa: E731 - a short name for a fresh hostile string
    reply = Reply(draw(CODE), (t(), t()), None, (t(), t()), truncated=draw(st.booleans()))
    note = Annotation(
        reply.code, t(), t(), t(), t(), enhanced=EnhancedNote("5.7.1", t(), t(), t(), False),
        provider=ProviderNote("id", t(), t(), t(), t(), True, t()), advice=(t(),))
    steps = (Step("greeting", None, reply, note, 3.0),
             Step("ehlo", t(), Reply(250, (t(),), None, (t(),)), None, 1.0),
             Step("tls", None, None, None, 2.0, ErrorInfo("tls", t(), "tls")))
    attempt = Attempt(
        host=t(), address=t(), port=25, tls_mode=t(), steps=steps,
        tls=TlsInfo("starttls", t(), t(), t(), t(), (t(), t()), t(), draw(st.integers(-9, 99)),
                    draw(st.sampled_from([True, False, None])), False, t()),
        capabilities=Capabilities(auth=(t(),), other=(t(),)),
        error=ErrorInfo("protocol", t(), t()), outcome="failed",
        findings=(Finding("warning", t(), t()), Finding(t(), t(), None)))
    verdicts = ["accepted", "partial", "deferred", "refused", "failed", t()]
    return Report(target=t(), verdict=draw(st.sampled_from(verdicts)),
                  summary=t(), resolution=Resolution(t(), "mx"), attempts=(attempt,),
                  error=ErrorInfo("dns", t(), t()))


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(reports())
def test_plain_view_and_transcript_never_hold_a_raw_control(report: Report) -> None:
    assert not UNSAFE.search(report_doc(report).plain())
    assert not UNSAFE.search(transcript_text(report))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports())
def test_rich_view_sends_nothing_but_sgr_colour_codes(report: Report) -> None:
    out = io.StringIO()
    write_doc(report_doc(report), out, color=True)
    stripped = SGR.sub("", out.getvalue())
    assert "\x1b" not in stripped
    assert not UNSAFE.search(stripped)


@given(HOSTILE_TEXT)
def test_clean_leaves_nothing_unsafe_and_safe_text_untouched(text: str) -> None:
    shown = clean(text)
    assert "\n" not in shown
    assert not UNSAFE.search(shown)
    if "\n" not in text and not UNSAFE.search(text):
        assert shown == text  # markup, emoji codes and ordinary text are left as they are
