"""Property-based tests: whatever bytes a server sends and whatever text ends up in a report, the
parser raises nothing but ``ProtocolError``, the annotator and judge never raise, and no renderer
lets a control character through.  Well-formed replies survive a round trip unchanged.
"""

from __future__ import annotations

import io
import itertools
import json
import re
from collections.abc import Callable

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from smtpdiag.core.annotate import STEP_VERBS, annotate_attempt, annotate_reply
from smtpdiag.core.findings import attempt_findings
from smtpdiag.core.health import STATES, CheckResult, Metrics, Reason, judge
from smtpdiag.core.replies import (
    MAX_LINE_BYTES,
    MAX_LINE_KEPT,
    MAX_LINES_KEPT,
    REDACTED,
    Redactor,
    ReplyReader,
    excerpt,
    parse_enhanced,
    parse_reply,
)
from smtpdiag.core.targets import Target, _parse_target, parse_target
from smtpdiag.core.thresholds import build_thresholds
from smtpdiag.errors import ProtocolError, TargetError
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
from smtpdiag.render.check_formats import _ms_v, jsonl_line, line_json
from smtpdiag.render.doc import clean, write_doc
from smtpdiag.render.report_view import report_doc, transcript_text

SGR = re.compile("\x1b\\[[0-9;]*m")
# What must never reach a terminal raw: controls (but the newline between lines), DEL, C1,
# line/paragraph separators and the bidi overrides.
# Controls, bidi overrides, and characters that draw nothing (soft hyphen, zero-width and
# joiners, fillers, variation selectors, BOM, tag characters): b03171e shows them escaped.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\xad\u034f\u061c\u115f\u1160\u17b4\u17b5"
                    "\u180b-\u180f\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164"
                    "\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\U0001d173-\U0001d17a"
                    "\U000e0000-\U000e0fff]")
STEPS = (*STEP_VERBS, "connect", "tls", "no-such-step")

# ---------------------------------------------------------------- strategies

EDGE_CODES = st.sampled_from([b"220", b"250", b"354", b"421", b"550", b"199", b"699", b"260",
                              b"2500", b"25", b"abc", b"", b"5\xff5", b"200", b"559", b"560",
                              b"099"])
# every digit string up to five long, so every first and second digit is tried
CODES = EDGE_CODES | st.text("0123456789", min_size=1, max_size=5).map(str.encode)
SEPARATORS = st.sampled_from([b" ", b"-", b"", b"\t", b"x"])
ENDINGS = st.sampled_from([b"\r\n", b"\n", b"\r", b"", b"\r\r\n"])
SMTPISH_LINE = st.builds(lambda code, sep, text, end: code + sep + text + end,
                         CODES, SEPARATORS, st.binary(max_size=40), ENDINGS)
SMTPISH = st.lists(SMTPISH_LINE, max_size=12).map(b"".join)
PEER_BYTES = st.one_of(st.binary(max_size=3000), SMTPISH)
# A form long enough to be hidden wherever it is, even glued inside a word (core/secrets.py,
# EXACT_CASE: a shorter one is hidden only as a whole word; that rule has its own property).
SECRET = st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ+/=", min_size=6, max_size=30)
SHORT_SECRET = st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ+/=", min_size=1, max_size=5)
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
    assert reply.code // 100 in (2, 3, 4, 5) and reply.code // 10 % 10 <= 5  # 260 is no code
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
        assert not UNSAFE.search(clean(str(exc)))  # escaped where shown, as all peer text
        return
    _check_reply(reply)


@given(PEER_BYTES | st.text(max_size=200).map(str.encode), st.integers(1, 120))
def test_an_excerpt_is_always_printable_where_shown(data: bytes, limit: int) -> None:
    shown = clean(excerpt(data, limit))
    assert not UNSAFE.search(shown)
    assert shown.encode("utf-8")  # a byte that was not UTF-8 is shown as its escape


@settings(deadline=None)  # judging is quick, but a loaded 2-core machine is not
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
    assert annotation.name and annotation.description and annotation.fix
    assert (annotation.enhanced is not None) == (reply.enhanced is not None)
    if reply.positive:  # advice and provider notes are about refusals only
        assert (annotation.advice, annotation.provider) == ((), None)
    attempt = annotate_attempt(Attempt("mx.test", "192.0.2.1", port, "starttls",
                                       steps=(Step(step, "X", reply, elapsed_ms=1500.0),)))
    assert attempt.steps[0].annotation == annotation
    findings = attempt_findings(attempt)
    assert any(f.message.startswith(f"slow: the {step} step took 1.5 s") for f in findings) \
        == (step != "message")
    result = judge(Report("t", "ok", "s", attempts=(attempt,), elapsed_ms=1500.0),
                   build_thresholds(warn=1, crit=2))
    assert result.state in STATES and result.state != "UNKNOWN"
    assert all(reason.state != "OK" for reason in result.reasons)
    assert Reason("WARNING", "the session took 1.500 s (warning above 1 s)") in result.reasons
    # QUIT's and LHLO's answers judge nothing: the walk is over, or LHLO was smtpdiag's own
    # question after EHLO and HELO were refused (those refusals are judged)
    refused = not reply.positive and step not in ("quit", "lhlo")
    assert (result.state == "CRITICAL") == (refused and reply.klass == 5)


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


@given(CODE, st.sampled_from([b"\r\n", b"\n"]), st.lists(st.integers(min_value=0), max_size=3))
def test_a_bare_code_is_a_reply_with_one_empty_line(code: int, end: bytes,
                                                    cuts: list[int]) -> None:
    data = str(code).encode() + end
    kind, reply = _first_outcome(ReplyReader(), _split(data, cuts))
    assert kind == "reply"
    assert reply == Reply(code, ("",), None, (str(code),))


# ---------------------------------------------------------------- the bounds

@settings(max_examples=60, deadline=None)
@given(st.integers(MAX_LINE_KEPT - 8, MAX_LINE_KEPT + 8), st.sampled_from([b"\r\n", b"\n"]),
       st.lists(st.integers(min_value=0), max_size=4))
def test_a_line_is_kept_whole_up_to_the_bound_and_cut_past_it(size: int, end: bytes,
                                                              cuts: list[int]) -> None:
    line = b"250 " + b"x" * (size - 4)  # `size` bytes before the line end
    kind, reply = _first_outcome(ReplyReader(), _split(line + end, cuts))
    assert kind == "reply" and isinstance(reply, Reply)
    assert reply.truncated == (size > MAX_LINE_KEPT)
    assert reply.raw == (line[:MAX_LINE_KEPT].decode(),)


@settings(max_examples=30, deadline=None)
@given(st.integers(MAX_LINE_BYTES - 4, MAX_LINE_BYTES + 4), st.integers(1, 70_000))
def test_a_line_without_an_end_is_refused_just_past_max_line_bytes(size: int,
                                                                   chunk: int) -> None:
    data = b"250 " + b"x" * (size - 4)
    reader = ReplyReader()
    try:
        for start in range(0, len(data), chunk):
            assert reader.feed(data[start:start + chunk]) is None
    except ProtocolError as exc:
        assert size > MAX_LINE_BYTES
        assert f"no line end in its first {MAX_LINE_BYTES} bytes" in str(exc)
    else:
        assert size <= MAX_LINE_BYTES


@settings(max_examples=40, deadline=None)
@given(st.integers(MAX_LINES_KEPT - 3, MAX_LINES_KEPT + 3), st.booleans())
def test_lines_are_kept_up_to_the_bound_and_counted_past_it(count: int, crlf: bool) -> None:
    end = b"\r\n" if crlf else b"\n"
    data = b"".join(b"250-l%d" % i + end for i in range(count - 1)) + b"250 last" + end
    reply = parse_reply(data)
    kept = min(count, MAX_LINES_KEPT)
    assert len(reply.raw) == kept
    assert reply.truncated == (count > MAX_LINES_KEPT)
    if count > MAX_LINES_KEPT:
        assert reply.lines[-1] == f"[smtpdiag: {count - MAX_LINES_KEPT} further lines not kept]"
    else:
        assert reply.lines[-1] == "last"


@settings(max_examples=60, deadline=None)
@given(SECRET, st.integers(-40, 40), st.lists(st.integers(min_value=0), max_size=4))
def test_a_secret_straddling_the_kept_bound_never_shows(secret: str, shift: int,
                                                        cuts: list[int]) -> None:
    # the secret starts anywhere from well before to well after byte MAX_LINE_KEPT
    pad = MAX_LINE_KEPT - 4 - len(secret) // 2 + shift
    data = b"535 " + b"p" * pad + secret.encode() + b" tail\r\n"
    kind, reply = _first_outcome(ReplyReader(Redactor([secret])), _split(data, cuts))
    assert kind == "reply" and isinstance(reply, Reply)
    shown = reply.raw[0] + reply.lines[0]
    assert secret not in shown
    for text in (reply.raw[0], reply.lines[0]):  # no cut start of the secret either
        tail = text.removesuffix(REDACTED)
        assert not any(tail.endswith(secret[:size]) for size in range(3, len(secret)))


# ---------------------------------------------------------------- secrets

@given(SHORT_SECRET)
def test_a_short_secret_is_hidden_as_a_word_and_never_inside_one(secret: str) -> None:
    """A short secret standing alone never shows; a word it is only part of is left as it is
    (a password "ok" must not hide "token")."""
    redact = Redactor([secret])
    assert redact(f"~ {secret} ~") == f"~ {REDACTED} ~"
    assert redact(f"~x{secret}x~") == f"~x{secret}x~"


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


MS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(0, 10**6).map(float))


@st.composite
def check_results(draw: st.DrawFn) -> CheckResult:
    t = lambda: draw(HOSTILE_TEXT)  # noqa: E731 - a short name for a fresh hostile string
    maybe = lambda value: draw(st.sampled_from([None, value]))  # noqa: E731
    steps = tuple(Step(t(), maybe(t()), maybe(Reply(draw(CODE), (t(),))), None, draw(MS),
                       maybe(ErrorInfo(t(), t(), maybe(t()))))
                  for _ in range(draw(st.integers(0, 3))))
    tls = maybe(TlsInfo(t(), maybe(t()), maybe(t()), None, None, (), None,
                        maybe(draw(st.integers(-10**6, 10**6))),
                        draw(st.sampled_from([True, False, None])), draw(st.booleans()),
                        maybe(t()), draw(MS)))
    attempts = tuple(Attempt(t(), maybe(t()), draw(st.integers(0, 65535)), t(), steps, tls)
                     for _ in range(draw(st.integers(0, 2))))
    report = Report(target=t(), verdict=t(), summary=t(), attempts=attempts,
                    started_at=t(), elapsed_ms=draw(MS))
    reasons = tuple(Reason(draw(st.sampled_from(STATES)), t(), maybe(t()))
                    for _ in range(draw(st.integers(0, 3))))
    return CheckResult(draw(st.integers(0, 10**9)), report, draw(st.sampled_from(STATES)),
                       reasons, t(), Metrics(0.0))


@given(check_results())
def test_the_compact_line_is_what_the_encoder_makes_of_line_json(result: CheckResult) -> None:
    encoded = json.JSONEncoder(separators=(",", ":")).encode(line_json(result)) + "\n"
    assert jsonl_line(result) == encoded
    assert jsonl_line(result).isascii()


@given(st.one_of(st.floats(), st.floats(-2e9, 2e9), st.integers(-10**12, 10**12),
                 st.integers(0, 10**12).map(lambda n: n / 1000),
                 st.integers(0, 10**12).map(lambda n: n / 1000 + 0.0005),
                 st.integers(0, 10**12).map(lambda n: n / 10000)))
def test_a_time_in_the_line_is_what_the_encoder_makes_of_it_rounded(value: float) -> None:
    assert _ms_v(value) == json.JSONEncoder().encode(round(value, 3))


@given(HOSTILE_TEXT)
def test_clean_leaves_nothing_unsafe_and_safe_text_untouched(text: str) -> None:
    shown = clean(text)
    assert "\n" not in shown
    assert not UNSAFE.search(shown)
    if "\n" not in text and not UNSAFE.search(text):
        # markup, emoji codes and ordinary text are left as they are; a backslash is doubled,
        # so that a server's own "\\x1b" cannot pass for one of our escapes
        assert shown == text.replace("\\", "\\\\")


TARGET_TEXT = st.text("0123456789aZ.-_:[] é", max_size=24) | st.from_regex(
    r"\A[0-9]{1,4}(\.[0-9]{1,4}){2,4}(:[0-9]{0,6})?\Z")


@given(TARGET_TEXT, st.sampled_from([None, 25]), st.booleans())
def test_the_fast_target_path_agrees_with_the_full_parser(text: str, port: int | None,
                                                          no_mx: bool) -> None:
    def outcome(parse: Callable[[], Target]) -> object:
        try:
            return parse()
        except TargetError as exc:
            return str(exc)

    assert outcome(lambda: parse_target(text, port=port, no_mx=no_mx)) == outcome(
        lambda: _parse_target(text, port, no_mx))
