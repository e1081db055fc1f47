"""``core/thresholds.py``: option texts accepted and refused, and the ``Thresholds`` they make."""

from __future__ import annotations

import pytest

from smtpdiag.core.thresholds import (
    EXPECT_STEPS,
    STEP_PARTS,
    TIME_STEPS,
    Expectation,
    Thresholds,
    build_thresholds,
    check_reachable,
    parse_expect,
    parse_step_seconds,
)
from smtpdiag.errors import UsageError


def test_step_tables() -> None:
    assert TIME_STEPS == ("connect", "greeting", "ehlo", "tls", "auth", "mail", "rcpt", "data")
    assert TIME_STEPS[1:] == EXPECT_STEPS
    assert STEP_PARTS["ehlo"] == ("ehlo", "helo", "ehlo-tls")
    assert STEP_PARTS["tls"] == ("starttls", "tls")
    assert STEP_PARTS["data"] == ("data", "message")
    assert list(STEP_PARTS) == list(TIME_STEPS)


# ------------------------------------------------------------------ Expectation

@pytest.mark.parametrize(("expectation", "code", "accepted"), [
    (Expectation("mail", (250,)), 250, True),
    (Expectation("mail", (250,)), 251, False),
    (Expectation("mail", (), (2,)), 299, True),
    (Expectation("mail", (), (2,)), 200, True),
    (Expectation("mail", (), (2,)), 300, False),
    (Expectation("mail", (), (2,)), 199, False),
    (Expectation("mail", (451,), (2,)), 451, True),
    (Expectation("mail", (451,), (2,)), 450, False),
    (Expectation("mail"), 250, False),
])
def test_expectation_accepts(expectation: Expectation, code: int, accepted: bool) -> None:
    assert expectation.accepts(code) is accepted


@pytest.mark.parametrize(("expectation", "text"), [
    (Expectation("mail", (250, 251), (4,)), "250,251,4xx"),
    (Expectation("mail", (), (2, 5)), "2xx,5xx"),
    (Expectation("mail", (354,)), "354"),
    (Expectation("mail"), ""),
])
def test_expectation_text(expectation: Expectation, text: str) -> None:
    assert expectation.text == text


# ------------------------------------------------------------------ parse_expect

@pytest.mark.parametrize(("texts", "expected"), [
    ([], ()),
    (["mail=250"], (Expectation("mail", (250,)),)),
    (["MAIL = 250 "], (Expectation("mail", (250,)),)),
    (["  rcpt=250, 251 ,4XX"], (Expectation("rcpt", (250, 251), (4,)),)),
    (["rcpt=2xx,5xx"], (Expectation("rcpt", (), (2, 5)),)),
    (["rcpt=250", "rcpt=251", "rcpt=250"], (Expectation("rcpt", (250, 251)),)),
    (["rcpt=2xx", "rcpt=2xx"], (Expectation("rcpt", (), (2,)),)),
    (["data=250", "greeting=220", "tls=220", "mail=250"],
     (Expectation("greeting", (220,)), Expectation("tls", (220,)), Expectation("mail", (250,)),
      Expectation("data", (250,)))),
    (["ehlo=200", "auth=559"], (Expectation("ehlo", (200,)), Expectation("auth", (559,)))),
])
def test_parse_expect_accepts(texts: list[str], expected: tuple[Expectation, ...]) -> None:
    assert parse_expect(texts) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("mail", r"^--expect 'mail': expected STEP=VALUE, e\.g\. --expect mail=250$"),
    ("mail=", "expected STEP=VALUE"),
    ("mail=  ", "expected STEP=VALUE"),
    ("=250", r"unknown step ''"),
    ("connect=220", r"^--expect 'connect=220': unknown step 'connect'; choose one of "
                    "greeting, ehlo, tls, auth, mail, rcpt, data$"),
    ("quit=221", "unknown step 'quit'"),
    ("mail=199", r"^--expect 'mail=199': '199' is not a reply code \(200-559\) or a class "
                 r"\(2xx, 3xx, 4xx, 5xx\)$"),
    ("mail=600", "'600' is not a reply code"),
    ("mail=560", "'560' is not a reply code"),
    ("mail=260", "'260' is not a reply code"),
    ("mail=2500", "'2500' is not a reply code"),
    ("mail=25", "'25' is not a reply code"),
    ("mail=1xx", "'1xx' is not a reply code"),
    ("mail=6xx", "'6xx' is not a reply code"),
    ("mail=2x", "'2x' is not a reply code"),
    ("mail=x50", "'x50' is not a reply code"),
    ("mail=250,", "'' is not a reply code"),
    ("mail=abc", "'abc' is not a reply code"),
    ("mail=250=1", "'250=1' is not a reply code"),
    # what was wrong is quoted up to 40 characters, then its length is said
    ("mail=" + "7" * 40, "^--expect 'mail=" + "7" * 40 + "': '" + "7" * 40 + "' is not a "),
    ("mail=" + "7" * 41, "^--expect 'mail=" + "7" * 41 + "': '" + "7" * 40
     + r"'… \(41 characters\) is not a "),
    ("x" * 40 + "=250", "unknown step '" + "x" * 40 + "'; choose"),
    ("x" * 41 + "=250", "unknown step '" + "x" * 40 + r"'… \(41 characters\); choose"),
])
def test_parse_expect_refuses(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_expect([text])


# ------------------------------------------------------------------ parse_step_seconds

@pytest.mark.parametrize(("texts", "expected"), [
    ([], ()),
    (["greeting=1"], (("greeting", 1.0),)),
    (["DATA=0.5", "connect=2", "tls=1e1"], (("connect", 2.0), ("tls", 10.0), ("data", 0.5))),
    ([" rcpt = 3 "], (("rcpt", 3.0),)),
])
def test_parse_step_seconds_accepts(texts: list[str],
                                    expected: tuple[tuple[str, float], ...]) -> None:
    assert parse_step_seconds(texts, "--warn-step") == expected


@pytest.mark.parametrize(("texts", "message"), [
    (["greeting"], r"^--warn-step 'greeting': expected STEP=VALUE, e\.g\. --warn-step mail=250$"),
    (["quit=1"], r"unknown step 'quit'; choose one of connect, greeting, ehlo, tls, auth, mail, "
                 "rcpt, data$"),
    (["mail=1", "MAIL=2"], r"^--warn-step names 'mail' twice$"),
    (["mail=x"], r"^--warn-step: 'x' is not a number of seconds$"),
    (["mail=0"], r"^--warn-step: '0' must be a positive number of seconds$"),
    (["mail=-1"], "'-1' must be a positive number"),
    (["mail=nan"], "'nan' must be a positive number"),
    (["mail=inf"], "'inf' must be a positive number"),
    (["mail=-inf"], "'-inf' must be a positive number"),
])
def test_parse_step_seconds_refuses(texts: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_step_seconds(texts, "--warn-step")


# ------------------------------------------------------------------ build_thresholds

def test_build_defaults() -> None:
    assert build_thresholds() == Thresholds()
    t = Thresholds()
    assert (t.expect, t.warn, t.crit, t.step_warn, t.step_crit) == ((), None, None, (), ())
    assert (t.cert_warn_days, t.cert_crit_days, t.require_tls) == (14, 7, False)


def test_build_keeps_every_option() -> None:
    t = build_thresholds(expect=["mail=250"], warn=1.5, crit=3, warn_step=["mail=1"],
                         crit_step=["mail=2"], cert_warn_days=30, cert_crit_days=10,
                         require_tls=True)
    assert t == Thresholds((Expectation("mail", (250,)),), 1.5, 3, (("mail", 1.0),),
                           (("mail", 2.0),), 30, 10, True)


@pytest.mark.parametrize("kwargs", [
    {"warn": 2, "crit": 2},  # equal is allowed: the warning never shows, the critical does
    {"warn": 1, "crit": 2},
    {"warn": 5},
    {"crit": 0.001},
    {"warn_step": ["mail=2"], "crit_step": ["mail=2"]},
    {"warn_step": ["mail=3"], "crit_step": ["rcpt=2"]},
    {"cert_warn_days": 0, "cert_crit_days": 0},
    {"cert_warn_days": 7, "cert_crit_days": 7},
])
def test_build_accepts_boundaries(kwargs: dict[str, object]) -> None:
    build_thresholds(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"warn": 0}, r"^--warn: '0' must be a positive number of seconds$"),
    ({"crit": -1}, r"^--crit: '-1' must be a positive number of seconds$"),
    ({"warn": float("nan")}, r"^--warn: 'nan' must be a positive"),
    ({"crit": float("inf")}, r"^--crit: 'inf' must be a positive"),
    ({"warn": 3, "crit": 2}, r"^--warn 3 is above --crit 2$"),
    ({"warn": 2.5, "crit": 2.25}, r"^--warn 2\.5 is above --crit 2\.25$"),
    ({"warn_step": ["mail=3"], "crit_step": ["mail=2"]},
     r"^--warn-step mail=3 is above --crit-step mail=2$"),
    ({"crit_step": ["mail=0"]}, r"^--crit-step: '0' must be a positive"),
    ({"warn_step": ["mail=0"]}, r"^--warn-step: '0' must be a positive"),
    ({"cert_warn_days": -1, "cert_crit_days": -2},
     r"^--cert-warn-days and --cert-crit-days must be 0 or more$"),
    ({"cert_crit_days": -1}, r"^--cert-warn-days and --cert-crit-days must be 0 or more$"),
    ({"cert_warn_days": 6}, r"^--cert-warn-days 6 is below --cert-crit-days 7: the warning "
                            "must come first$"),
    ({"expect": ["mail=1"]}, r"'1' is not a reply code"),
])
def test_build_refuses(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        build_thresholds(**kwargs)  # type: ignore[arg-type]


# ------------------------------------------------------------------ Thresholds methods

def test_expectation_and_step_limits_lookups() -> None:
    t = build_thresholds(expect=["mail=250", "rcpt=2xx"], warn_step=["tls=1"],
                         crit_step=["tls=2", "data=9"])
    assert t.expectation("rcpt") == Expectation("rcpt", (), (2,))
    assert t.expectation("mail") == Expectation("mail", (250,))
    assert t.expectation("auth") is None
    assert t.step_limits("tls") == (1.0, 2.0)
    assert t.step_limits("data") == (None, 9.0)
    assert t.step_limits("mail") == (None, None)


def test_to_dict() -> None:
    t = build_thresholds(expect=["rcpt=250,4xx"], warn=1, crit=2, warn_step=["tls=1"],
                         crit_step=["tls=2"], cert_warn_days=20, cert_crit_days=5,
                         require_tls=True)
    assert t.to_dict() == {
        "expect": {"rcpt": "250,4xx"}, "warn": 1, "crit": 2, "step_warn": {"tls": 1.0},
        "step_crit": {"tls": 2.0}, "cert_warn_days": 20, "cert_crit_days": 5,
        "require_tls": True,
    }


# ------------------------------------------------------------------ check_reachable

def _reach(expect: list[str], require_tls: bool = False, **kwargs: object) -> None:
    options: dict[str, object] = {"dry_run": True, "quit_after": None, "auth": False,
                                  "tls": "auto"}
    options.update(kwargs)
    check_reachable(build_thresholds(expect=expect, require_tls=require_tls),
                    **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(("expect", "require_tls", "kwargs"), [
    (["greeting=220"], False, {"quit_after": "greeting"}),
    (["rcpt=250"], False, {"quit_after": "rcpt"}),
    (["mail=250"], False, {"quit_after": "rcpt"}),
    (["tls=220"], False, {"quit_after": "tls"}),
    (["data=250"], False, {"dry_run": False}),
    (["auth=235"], False, {"auth": True}),
    (["tls=220"], False, {"tls": "starttls"}),
    (["ehlo=250"], False, {"tls": "none"}),
    ([], True, {"quit_after": "tls"}),
    ([], True, {"quit_after": "auth"}),
    ([], True, {"tls": "implicit"}),
    ([], False, {"tls": "none", "quit_after": "connect"}),
])
def test_reachable(expect: list[str], require_tls: bool, kwargs: dict[str, object]) -> None:
    _reach(expect, require_tls, **kwargs)


@pytest.mark.parametrize(("expect", "require_tls", "kwargs", "message"), [
    (["ehlo=250"], False, {"quit_after": "greeting"},
     r"^--expect ehlo=…: the walk stops after greeting \(--quit-after\)$"),
    (["data=250"], False, {"quit_after": "rcpt", "dry_run": False},
     "the walk stops after rcpt"),
    (["greeting=220"], False, {"quit_after": "connect"}, "the walk stops after connect"),
    (["data=250"], False, {}, r"^--expect data=…: a check sends no DATA unless --send is given$"),
    (["auth=235"], False, {}, r"^--expect auth=…: AUTH is tried only with --auth-user$"),
    (["tls=220"], False, {"tls": "none"}, r"^--expect tls=…: --tls none never starts TLS$"),
    ([], True, {"tls": "none"}, r"^--require-tls contradicts --tls none$"),
    ([], True, {"quit_after": "connect"},
     r"^--require-tls: the walk stops after connect, before TLS$"),
    ([], True, {"quit_after": "greeting"}, "stops after greeting, before TLS"),
    ([], True, {"quit_after": "ehlo"}, "stops after ehlo, before TLS"),
])
def test_unreachable(expect: list[str], require_tls: bool, kwargs: dict[str, object],
                     message: str) -> None:
    with pytest.raises(UsageError, match=message):
        _reach(expect, require_tls, **kwargs)
