"""``core/conduct.py``: each protocol slip's warning, word for word, and its near misses.

``tests/test_conduct.py`` shows the rules as a reader meets them; here every message is pinned
whole (a changed word is a changed interface), and each rule gets the input just inside and
just outside it: 512 and 513 bytes, five and six control lines, a two-part code with and
without ENHANCEDSTATUSCODES, 221 and not, the greeting codes RFC 5321 gives and the others.
"""

from __future__ import annotations

import pytest

from smtpdiag.core.conduct import conduct_findings
from smtpdiag.core.replies import MAX_LINE_KEPT
from smtpdiag.model import Attempt, Capabilities, Finding, Reply, Step


def attempt(*steps: Step, caps: Capabilities | None = None) -> Attempt:
    return Attempt("mx.test", "192.0.2.1", 25, "starttls", steps=steps, capabilities=caps)


def warn(step: str, message: str) -> Finding:
    return Finding("warning", message, step)


def ehlo(*lines: str, name: str = "ehlo", code: int = 250, raw: tuple[str, ...] = (),
         truncated: bool = False) -> Step:
    return Step(name, "EHLO c", Reply(code, ("mx.test", *lines), raw=raw, truncated=truncated))


def said(name: str, text: str, code: int = 250) -> Step:
    return Step(name, name.upper(), Reply(code, (text,), raw=(f"{code} {text}",)))


# ------------------------------------------------------------------ unasked replies

def test_an_unasked_reply_is_named_and_cut_at_120_characters() -> None:
    step = Step("mail", "MAIL", Reply(250, ("ok",)), unasked="250 again\x1b" + "y" * 200)
    assert conduct_findings(attempt(step)) == (warn(
        "mail", "unasked: after its mail reply the server sent '250 again\x1b" + "y" * 110
        + "…' without being asked (RFC 5321 §4.1: one reply per command; a client may take "
        "it for the answer to its next command)"),)


def test_unasked_data_after_a_step_without_a_reply_is_still_said() -> None:
    step = Step("data", "DATA", None, unasked="x")
    (found,) = conduct_findings(attempt(step))
    assert found.step == "data" and "after its data reply the server sent 'x'" in found.message


# ------------------------------------------------------------------ EHLO: control characters

def test_control_characters_in_extension_lines_word_for_word() -> None:
    found = conduct_findings(attempt(ehlo("SIZE\x00 1", "X\tY", "PIPE\x7fLINING", "A\nB",
                                          "DSN", name="ehlo-tls")))
    assert found == (warn("ehlo-tls", "the ehlo-tls reply has control characters inside "
                          "extension lines: 'SIZE\x00 1', 'PIPE\x7fLINING', 'A\nB'; "
                          "smtpdiag does not take them as keywords"),)


@pytest.mark.parametrize(("count", "more"), [(5, ""), (6, " and 1 more"), (8, " and 3 more")])
def test_five_control_lines_are_shown_and_the_rest_counted(count: int, more: str) -> None:
    lines = [f"K{i}\x01" + "z" * 50 for i in range(count)]
    (found,) = conduct_findings(attempt(ehlo(*lines)))
    shown = ", ".join(f"'K{i}\x01" + "z" * 37 + "…'" for i in range(5))
    assert found == warn("ehlo", f"the ehlo reply has control characters inside extension "
                         f"lines: {shown}{more}; smtpdiag does not take them as keywords")


def test_a_refused_ehlo_is_not_read_for_extensions() -> None:
    assert conduct_findings(attempt(ehlo("K\x01", code=550))) == ()


# ------------------------------------------------------------------ EHLO: long lines

def long_ehlo(size: int, truncated: bool = False, name: str = "ehlo") -> Step:
    """An EHLO reply whose longest raw line is ``size`` bytes with its CRLF."""
    line = "250 X" + "é" * ((size - 7) // 2) + "x" * ((size - 7) % 2)
    assert len(line.encode()) + 2 == size
    return ehlo(line[4:], name=name, raw=("250-mx.test", line), truncated=truncated)


@pytest.mark.parametrize("size", [0, 100, 512])
def test_lines_up_to_512_bytes_are_fine(size: int) -> None:
    step = ehlo() if size == 0 else long_ehlo(size)
    assert conduct_findings(attempt(step)) == ()


@pytest.mark.parametrize(("size", "name"), [(513, "ehlo"), (1000, "ehlo-tls"),
                                            (MAX_LINE_KEPT - 1, "ehlo")])
def test_a_line_over_512_bytes_counted_in_bytes_not_characters(size: int, name: str) -> None:
    assert conduct_findings(attempt(long_ehlo(size, name=name))) == (warn(
        name, f"the {name} reply has a line of {size} bytes, over the 512 bytes RFC 5321 "
        "§4.5.3.1.5 allows (some clients cut or refuse it)"),)


CUT = ("the ehlo reply has a line of more than 2048 bytes, over the 512 bytes RFC 5321 "
       "§4.5.3.1.5 allows (some clients cut or refuse it); lines past 2048 bytes were read "
       "whole for their keywords, but what is kept and shown of them is cut")


@pytest.mark.parametrize("size", [MAX_LINE_KEPT, MAX_LINE_KEPT + 1])
def test_a_line_as_long_as_the_cut_in_a_cut_reply_was_cut(size: int) -> None:
    assert conduct_findings(attempt(long_ehlo(size, truncated=True))) == (warn("ehlo", CUT),)


def test_a_long_line_in_a_reply_not_cut_is_counted_exactly() -> None:
    size = MAX_LINE_KEPT + 1
    assert conduct_findings(attempt(long_ehlo(size))) == (warn(
        "ehlo", f"the ehlo reply has a line of {size} bytes, over the 512 bytes RFC 5321 "
        "§4.5.3.1.5 allows (some clients cut or refuse it)"),)


@pytest.mark.parametrize("size", [100, MAX_LINE_KEPT - 1])
def test_a_reply_cut_for_its_line_count_with_short_lines_is_fine_or_only_long(size: int) -> None:
    found = conduct_findings(attempt(long_ehlo(size, truncated=True)))
    assert found == (() if size <= 512 else (warn(
        "ehlo", f"the ehlo reply has a line of {size} bytes, over the 512 bytes RFC 5321 "
        "§4.5.3.1.5 allows (some clients cut or refuse it)"),))


def test_an_undecodable_byte_counts_as_one_byte() -> None:
    line = "250 X" + "\udcff" * 506  # surrogateescape: one byte each on the wire
    assert conduct_findings(attempt(ehlo(line[4:], raw=(line,)))) == (warn(
        "ehlo", "the ehlo reply has a line of 513 bytes, over the 512 bytes RFC 5321 "
        "§4.5.3.1.5 allows (some clients cut or refuse it)"),)


def test_controls_and_a_long_line_both_said_in_that_order() -> None:
    line = "250 K\x01" + "x" * 600
    found = conduct_findings(attempt(ehlo(line[4:], raw=("250-mx.test", line))))
    assert [f.message[:40] for f in found] == ["the ehlo reply has control characters in",
                                               "the ehlo reply has a line of 608 bytes, "]


# ------------------------------------------------------------------ enhanced codes

def malformed(step: str, code: str, why: str) -> Finding:
    return warn(step, f"the {step} reply has a malformed enhanced status code '{code}': {why} "
                "(RFC 3463)")


@pytest.mark.parametrize(("code", "text", "why"), [
    (250, "2.0.1234 ok", "subject and detail are 1 to 3 digits each"),
    (250, "2.1234.0 ok", "subject and detail are 1 to 3 digits each"),
    (250, "3.1.0 ok", "class 3 is not 2, 4 or 5"),
    (250, "22.1.0 ok", "class 22 is not 2, 4 or 5"),
    (250, "4.1.0 ok", "class 4 does not match the reply code 250"),
    (550, "2.1.0 no", "class 2 does not match the reply code 550"),
    (451, "5.7.1", "class 5 does not match the reply code 451"),
    (250, "  2.0.1234\tok", "subject and detail are 1 to 3 digits each"),
])
def test_a_malformed_three_part_code_is_said_without_the_extension(code: int, text: str,
                                                                    why: str) -> None:
    found = conduct_findings(attempt(said("rcpt", text, code)))
    assert found == (malformed("rcpt", text.split()[0], why),)


def test_a_two_part_code_only_after_enhancedstatuscodes_was_advertised() -> None:
    step = said("mail", "2.1 ok")
    assert conduct_findings(attempt(step)) == ()
    assert conduct_findings(attempt(step, caps=Capabilities())) == ()
    assert conduct_findings(attempt(step, caps=Capabilities(enhancedstatuscodes=True))) == (
        malformed("mail", "2.1", "it has two parts, not three"),)


def test_the_malformed_code_is_cut_at_24_characters() -> None:
    (found,) = conduct_findings(attempt(said("data", "2.0." + "9" * 30, 354)))
    assert found == malformed("data", "2.0." + "9" * 20 + "…", "class 2 does not match the "
                              "reply code 354")


@pytest.mark.parametrize(("code", "text"), [
    (250, "2.1.0 ok"), (250, "ok 2.0.1234"), (250, "2.0.0.1 ok"), (250, "2.0.1234x ok"),
    (250, "x2.0.1234"), (250, "2.1"), (250, ""), (550, "5.1.1 no"),
])
def test_well_formed_or_absent_codes_are_fine(code: int, text: str) -> None:
    step = said("rcpt", text, code)
    assert conduct_findings(attempt(step, caps=Capabilities(enhancedstatuscodes=False))) == ()


def test_a_reply_without_lines_is_not_read() -> None:
    step = Step("rcpt", "RCPT", Reply(250, ()))
    assert conduct_findings(attempt(step, caps=Capabilities(enhancedstatuscodes=True))) == ()


@pytest.mark.parametrize("name", ["ehlo", "ehlo-tls"])
def test_ehlo_replies_are_not_read_for_enhanced_codes(name: str) -> None:
    assert conduct_findings(attempt(said(name, "9.9.9 mx.test", 550))) == ()


def test_a_greeting_is_read_for_enhanced_codes_too() -> None:
    assert conduct_findings(attempt(said("greeting", "2.0.1234 hi", 220))) == (
        malformed("greeting", "2.0.1234", "subject and detail are 1 to 3 digits each"),)


@pytest.mark.parametrize("text", ["2.123.4 ok", "2.1.123 ok", "2.0.0"])
def test_a_well_formed_code_is_never_called_malformed(text: str) -> None:
    # even in a reply built by hand without its enhanced code read
    assert conduct_findings(attempt(said("rcpt", text))) == ()


def test_a_two_part_code_in_the_greeting_counts_once_enhancedstatuscodes_is_known() -> None:
    step = said("greeting", "2.0 hi", 220)
    assert conduct_findings(attempt(step)) == ()
    assert conduct_findings(attempt(step, caps=Capabilities(enhancedstatuscodes=True))) == (
        malformed("greeting", "2.0", "it has two parts, not three"),)


# ------------------------------------------------------------------ greeting, QUIT

@pytest.mark.parametrize("code", [220, 421, 554])
def test_greetings_rfc_5321_gives(code: int) -> None:
    assert conduct_findings(attempt(said("greeting", "hi", code))) == ()


@pytest.mark.parametrize("code", [221, 250, 450, 451, 550, 521])
def test_any_other_greeting_code_is_said(code: int) -> None:
    assert conduct_findings(attempt(said("greeting", "hi", code))) == (warn(
        "greeting", f"the greeting refused with {code}, a code RFC 5321 §3.1 does not give a "
        "greeting (220 to serve, 554 or 421 to refuse); clients read it by its first digit"),)


def test_quit_word_for_word() -> None:
    unanswered = Step("quit", "QUIT", None)
    assert conduct_findings(attempt(unanswered)) == (warn(
        "quit", "QUIT got no answer (RFC 5321 §4.1.1.10: the server replies 221 and then "
                "closes the connection)"),)
    assert conduct_findings(attempt(said("quit", "bye", 250))) == (warn(
        "quit", "QUIT was answered 250, not 221 (RFC 5321 §4.1.1.10)"),)
    assert conduct_findings(attempt(said("quit", "bye", 221))) == ()


def test_a_quit_never_sent_is_not_judged() -> None:
    assert conduct_findings(attempt(Step("quit", None, None))) == ()


def test_a_quit_reply_is_not_read_for_enhanced_codes() -> None:
    assert conduct_findings(attempt(said("quit", "2.0.1234 bye", 221))) == ()


def test_unasked_data_after_an_odd_greeting_is_kept_beside_it() -> None:
    greeting = Step("greeting", None, Reply(250, ("hi",)), unasked="junk")
    assert [f.message[:30] for f in conduct_findings(attempt(greeting))] == [
        "unasked: after its greeting re", "the greeting refused with 250,"]


def test_findings_come_in_step_order() -> None:
    steps = (said("greeting", "hi", 250), Step("ehlo", "EHLO c", Reply(250, ("n", "K\x01")),
                                                 unasked="junk"),
             said("mail", "2.0.1234 ok"), Step("quit", "QUIT", None))
    assert [(f.step, f.message.split(" ")[0]) for f in conduct_findings(attempt(*steps))] == [
        ("greeting", "the"), ("ehlo", "unasked:"), ("ehlo", "the"), ("mail", "the"),
        ("quit", "QUIT")]
