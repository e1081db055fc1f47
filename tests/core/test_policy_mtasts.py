"""``core/policy/mtasts.py`` fed plain records: the STS and TLS-RPT TXT records, the policy file,
MX patterns, the fetch, and each MX's TLS as a policy-applying sender sees it.

``tests/test_audit_sts.py`` fetches real policies over HTTPS; here every rule of RFC 8461 and
RFC 8460 that ``audit`` reads is pinned with its exact detail and its edges (max_age of one
year and one more second, a day and one second less, ``*.`` for one label and not two).
"""

from __future__ import annotations

import pytest

from smtpdiag.core.policy.mtasts import (
    MAX_POLICY_BYTES,
    StsPolicy,
    mx_matches,
    parse_policy,
    sts_hits,
    tlsrpt_hits,
    txt_id,
)
from smtpdiag.core.policy.records import AddressFacts, Answer, Hit, HostFacts, HttpsPolicy, MxFacts
from smtpdiag.model import Attempt, ErrorInfo, TlsInfo

D = "example.test"
URL = f"https://mta-sts.{D}/.well-known/mta-sts.txt"
WHERE = f"_mta-sts.{D}"
TXT = "v=STSv1; id=20240101"
BODY = "version: STSv1\nmode: enforce\nmx: mx.example.test\nmax_age: 604800\n"


def test_the_policy_size_senders_accept() -> None:
    assert MAX_POLICY_BYTES == 65_536


@pytest.mark.parametrize(("record", "found"), [
    ("v=STSv1; id=20240101", "20240101"),
    (" v = STSv1 ;id= abc ; ", "abc"),
    ("v=STSv1; id=" + "a" * 32, "a" * 32),
    ("v=STSv1; id=" + "a" * 33, None),
    ("v=STSv1; id=2024-01-01", None),
    ("v=STSv1; id=", None),
    ("v=STSv1", None),
    ("v=STSv1; id=a; id=b", None),
    ("v=STSv1; ext=1; id=x1", "x1"),
    ("id=1; v=STSv1", None),
    ("v=stsv1; id=1", None),
    ("", None),
])
def test_txt_id(record: str, found: str | None) -> None:
    assert txt_id(record) == found


NO_COLON = "no colon here" + "x" * 90


@pytest.mark.parametrize(("body", "policy"), [
    (BODY, StsPolicy("STSv1", "enforce", 604800, ("mx.example.test",))),
    ("version: STSv1\r\nmode: testing\r\nmx: MX1.Example.test.\r\nmx: *.example.test\r\n"
     "max_age: 31557600\r\n\r\nfuture: yes\r\n",
     StsPolicy("STSv1", "testing", 31557600, ("mx1.example.test", "*.example.test"))),
    ("version:STSv1\nmode:none\nmax_age:0\n", StsPolicy("STSv1", "none", 0)),
    ("", StsPolicy(problems=("version: STSv1 is missing", "mode is missing",
                             "max_age is missing", "no mx: line"))),
    ("version: STSv2\nmode: block\nmax_age: 31557601\nmx: a.test\n",
     StsPolicy("STSv2", "block", 31557601, ("a.test",), (
         "version is 'STSv2', not STSv1", "mode is 'block', not enforce, testing or none",
         "max_age '31557601' is not a number of seconds up to 31557600"))),
    ("version: STSv1\nmode: enforce\nmax_age: 1e5\nmx: a.test\n",
     StsPolicy("STSv1", "enforce", None, ("a.test",), (
         "max_age '1e5' is not a number of seconds up to 31557600",))),
    ("version: STSv1\nmode: enforce\nmax_age: ٥\nmx: a.test\n",
     StsPolicy("STSv1", "enforce", None, ("a.test",), (
         "max_age '٥' is not a number of seconds up to 31557600",))),
    ("version: STSv1\nmode: enforce\nmode: testing\nmax_age: 1\nmx: a.test\n" + NO_COLON,
     StsPolicy("STSv1", "testing", 1, ("a.test",), (
         "mode appears twice", "not a 'key: value' line: " + repr(NO_COLON[:80])))),
    ("version: STSv1\nversion: STSv1\nmax_age: 5\nmax_age: 6\nmode: enforce\nmx: a.test\n",
     StsPolicy("STSv1", "enforce", 6, ("a.test",), ("version appears twice",
                                                   "max_age appears twice"))),
    ("version: STSv1\nmode: testing\nmax_age: 86400\n",
     StsPolicy("STSv1", "testing", 86400, (), ("no mx: line",))),
])
def test_parse_policy(body: str, policy: StsPolicy) -> None:
    assert parse_policy(body) == policy


@pytest.mark.parametrize(("host", "pattern", "matches"), [
    ("mx.example.test", "mx.example.test", True),
    ("MX.Example.test.", "mx.example.TEST.", True),
    ("mx.example.test", "mx2.example.test", False),
    ("mx.example.test", "*.example.test", True),
    ("a.mx.example.test", "*.example.test", False),   # one label only
    ("example.test", "*.example.test", False),
    (".example.test", "*.example.test", False),        # an empty label is no label
    ("mx.example.test", "*example.test", False),
    ("*.example.test", "*.example.test", True),
])
def test_mx_matches(host: str, pattern: str, matches: bool) -> None:
    assert mx_matches(host, pattern) is matches


# ------------------------------------------------------------------ sts_hits

def txt(*records: str, status: str = "ok", error: str | None = None) -> Answer:
    return Answer(WHERE, "TXT", status, records, error=error)


MX = MxFacts(D, "mx", (HostFacts("mx.example.test", 10, ("192.0.2.1",)),))


def fetched(body: str = BODY, **kwargs: object) -> HttpsPolicy:
    options: dict[str, object] = {"status": 200, "content_type": "text/plain", "body": body}
    options.update(kwargs)
    return HttpsPolicy(URL, **options)  # type: ignore[arg-type]


def good_tls(**changes: object) -> TlsInfo:
    options: dict[str, object] = {"version": "TLSv1.3", "days_left": 90,
                                  "hostname_matched": True, "verified": True}
    options.update(changes)
    return TlsInfo("starttls", **options)  # type: ignore[arg-type]


def address(host: str = "mx.example.test", ip: str = "192.0.2.1", tls: TlsInfo | None = None,
            error: ErrorInfo | None = None, walked: bool = True) -> AddressFacts:
    attempt = Attempt(host, ip, 25, "starttls", (), tls=tls, error=error) if walked else None
    return AddressFacts(host, ip, attempt=attempt)


def hits(txt_answer: Answer, fetch: HttpsPolicy | None = None, mx: MxFacts = MX,
         addresses: tuple[AddressFacts, ...] = ()) -> list[Hit]:
    return sts_hits(D, txt_answer, fetch, mx, addresses)[0]


@pytest.mark.parametrize(("answer", "expected"), [
    (txt(status="error", error="SERVFAIL"), [Hit("sts.lookup-failed", WHERE, "SERVFAIL")]),
    (txt(status="error"), [Hit("sts.lookup-failed", WHERE, "the TXT lookup failed")]),
    (txt(status="nxdomain"), [Hit("sts.none", D, f"no v=STSv1 TXT record at {WHERE}")]),
    (txt("v=spf1 -all"), [Hit("sts.none", D, f"no v=STSv1 TXT record at {WHERE}")]),
    (txt(TXT, "V=STSV1; id=2" + "9" * 300),
     [Hit("sts.txt-multiple", WHERE, (TXT + " | V=STSV1; id=2" + "9" * 300)[:300])]),
    (txt("v=STSv1; id=" + "-" * 300), [Hit("sts.txt-invalid", WHERE, ("v=STSv1; id="
                                                                       + "-" * 300)[:300]
                                            + ": id= must be 1-32 letters and digits")]),
    (txt("v=STSv1"), [Hit("sts.txt-invalid", WHERE, "v=STSv1: it has no id= field")]),
    (txt("v=STSv1; id=1; id=2"), [Hit("sts.txt-invalid", WHERE, "v=STSv1; id=1; id=2: it has "
                                      "more than one id= field")]),
    (txt("v=STSv1;id=1"), []),
    (txt("v=STSV1; id=1"), [Hit("sts.txt-invalid", WHERE, "v=STSV1; id=1: it must begin with "
                                "v=STSv1 (exactly)")]),
    (txt(TXT), []),                                  # nothing fetched: nothing more to say
])
def test_the_txt_record(answer: Answer, expected: list[Hit]) -> None:
    assert sts_hits(D, answer, None, MX, ()) == (expected, None)


@pytest.mark.parametrize(("fetch", "expected"), [
    (HttpsPolicy(URL, error="certificate", error_detail="self-signed"),
     Hit("sts.certificate", URL, "self-signed")),
    (HttpsPolicy(URL, error="redirect", status=301, location="https://elsewhere.test/"),
     Hit("sts.redirect", URL, "301 to https://elsewhere.test/")),
    (HttpsPolicy(URL, error="redirect", status=302), Hit("sts.redirect", URL, "redirect")),
    (HttpsPolicy(URL, error="too-large", error_detail="more than 65536 bytes"),
     Hit("sts.too-large", URL, "more than 65536 bytes")),
    (HttpsPolicy(URL, error="timeout"), Hit("sts.fetch-failed", URL, "timeout")),
    (HttpsPolicy(URL, error="connect", error_detail="refused"),
     Hit("sts.fetch-failed", URL, "refused")),
    (fetched(status=404), Hit("sts.http-status", URL, "HTTP 404")),
    (fetched(content_type="text/html; charset=utf-8"),
     Hit("sts.content-type", URL, "Content-Type: text/html; charset=utf-8")),
    (fetched(content_type=None), Hit("sts.content-type", URL, "Content-Type: (none)")),
    (fetched(content_type=""), Hit("sts.content-type", URL, "Content-Type: (none)")),
])
def test_a_failed_fetch_is_one_finding_and_no_policy(fetch: HttpsPolicy, expected: Hit) -> None:
    assert sts_hits(D, txt(TXT), fetch, MX, ()) == ([expected], None)


@pytest.mark.parametrize("content_type", ["text/plain", "Text/Plain; charset=utf-8",
                                          " text/plain ;"])
def test_text_plain_in_any_spelling_is_read(content_type: str) -> None:
    assert sts_hits(D, txt(TXT), fetched(content_type=content_type), MX, ()) == (
        [], parse_policy(BODY))


def test_an_invalid_policy_lists_its_problems() -> None:
    body = "version: STSv1\nmode: block\n"
    assert sts_hits(D, txt(TXT), fetched(body), MX, ()) == (
        [Hit("sts.policy-invalid", URL, "mode is 'block', not enforce, testing or none; "
             "max_age is missing; no mx: line")], parse_policy(body))


def policy(mode: str = "enforce", max_age: int = 604800, *mx: str) -> str:
    lines = [f"mx: {m}" for m in (mx or ("mx.example.test",))]
    return "\n".join(["version: STSv1", f"mode: {mode}", f"max_age: {max_age}", *lines])


@pytest.mark.parametrize(("body", "expected"), [
    (policy("none"), [Hit("sts.mode-none", D, "mode: none")]),
    (policy("testing"), [Hit("sts.mode-testing", D, "mode: testing")]),
    (policy("enforce", 86400), []),
    (policy("enforce", 86399), [Hit("sts.max-age-short", D, "max_age: 86399")]),
    (policy("testing", 0), [Hit("sts.mode-testing", D, "mode: testing"),
                            Hit("sts.max-age-short", D, "max_age: 0")]),
])
def test_mode_and_max_age(body: str, expected: list[Hit]) -> None:
    assert hits(txt(TXT), fetched(body)) == expected


def test_mode_none_says_nothing_of_mx_or_tls() -> None:
    body = policy("none", 5, "other.test")
    assert hits(txt(TXT), fetched(body), addresses=(address(tls=None),)) == [
        Hit("sts.mode-none", D, "mode: none")]


@pytest.mark.parametrize(("mode", "severity"), [("enforce", "critical"), ("testing", "warning")])
def test_mx_hosts_the_policy_does_not_name(mode: str, severity: str) -> None:
    mx = MxFacts(D, "mx", (HostFacts("mx.example.test", 10), HostFacts("b.other.test", 20),
                           HostFacts("c.other.test", 30, status="nxdomain"),
                           HostFacts("192.0.2.9", 40, status="literal"),
                           HostFacts(".", 0, status="null")))
    found = hits(txt(TXT), fetched(policy(mode, 604800, "mx.example.test", "*.example.test")),
                 mx=mx)
    unmatched = [h for h in found if h.id == "sts.mx-unmatched"]
    assert unmatched == [
        Hit("sts.mx-unmatched", name, f"{name} matches none of: mx.example.test, "
            "*.example.test", severity) for name in ("b.other.test", "c.other.test")]


@pytest.mark.parametrize(("facts", "problem"), [
    (address(tls=good_tls()), None),
    (address(walked=False), None),
    (address(error=ErrorInfo("connect", "refused", "connect")), None),
    (address(error=ErrorInfo("timeout", "no greeting", "greeting")), None),
    (address(error=ErrorInfo("dns", "no address", "dns")), None),
    (address(error=ErrorInfo("protocol", "bad", "ehlo")), "no STARTTLS"),
    (address(), "no STARTTLS"),
    (address(tls=good_tls(days_left=-1)), "the certificate has expired"),
    (address(tls=good_tls(days_left=0)), None),
    (address(tls=good_tls(days_left=None)), None),
    (address(tls=good_tls(hostname_matched=False)),
     "the certificate does not name mx.example.test"),
    (address(tls=good_tls(hostname_matched=None)), None),
    (address(tls=good_tls(verified=False, verify_error="self-signed")),
     "the certificate does not verify (self-signed)"),
    (address(tls=good_tls(verified=True, verify_error="bad chain")),
     "the certificate does not verify (bad chain)"),
    (address(tls=good_tls(verified=False)), "the certificate does not verify (unchecked)"),
    (address(tls=good_tls(days_left=-3, hostname_matched=False, verified=False)),
     "the certificate has expired"),
    (address(tls=good_tls(), error=ErrorInfo("timeout", "slow", "greeting")), None),
    (address(tls=good_tls(verified=False), error=ErrorInfo("tls", "x", "connect")),
     "the certificate does not verify (unchecked)"),
])
def test_each_addresses_tls(facts: AddressFacts, problem: str | None) -> None:
    found = hits(txt(TXT), fetched(), addresses=(facts,))
    assert found == ([] if problem is None else [
        Hit("sts.mx-tls", "mx.example.test [192.0.2.1]", problem, "critical")])


def test_one_tls_finding_per_host_in_testing_mode_a_warning() -> None:
    addresses = (address(ip="192.0.2.1"), address(ip="2001:db8::1"),
                 address("mx2.example.test", "192.0.2.2", tls=good_tls(verified=False)))
    mx = MxFacts(D, "mx", (HostFacts("mx.example.test", 10), HostFacts("mx2.example.test", 20)))
    body = policy("testing", 604800, "*.example.test")
    assert hits(txt(TXT), fetched(body), mx=mx, addresses=addresses) == [
        Hit("sts.mode-testing", D, "mode: testing"),
        Hit("sts.mx-tls", "mx.example.test [192.0.2.1]", "no STARTTLS", "warning"),
        Hit("sts.mx-tls", "mx2.example.test [192.0.2.2]",
            "the certificate does not verify (unchecked)", "warning")]


# ------------------------------------------------------------------ TLS-RPT

RPT = f"_smtp._tls.{D}"


def rpt(*records: str, status: str = "ok", error: str | None = None) -> Answer:
    return Answer(RPT, "TXT", status, records, error=error)


@pytest.mark.parametrize(("answer", "expected"), [
    (rpt("v=TLSRPTv1; rua=mailto:tls@example.test"), True),
    (rpt("v=TLSRPTv1;rua=https://r.example.test/v1, mailto:t@example.test"), True),
    (rpt("v=spf1 -all", "v=TLSRPTv1; rua=mailto:a@b.test"), True),
])
def test_tlsrpt_valid(answer: Answer, expected: bool) -> None:
    assert tlsrpt_hits(D, answer, expected) == []


@pytest.mark.parametrize(("answer", "expected", "hit"), [
    (rpt(status="nxdomain"), False, Hit("tlsrpt.none", D, f"no v=TLSRPTv1 TXT record at {RPT}")),
    (rpt(status="nxdomain"), True,
     Hit("tlsrpt.none", D, f"no v=TLSRPTv1 TXT record at {RPT}", "warning")),
    (rpt("v=tlsrptv1; rua=mailto:a@b.test"), False,
     Hit("tlsrpt.none", D, f"no v=TLSRPTv1 TXT record at {RPT}")),
    (rpt(status="error", error="SERVFAIL"), True,
     Hit("tlsrpt.lookup-failed", RPT, "SERVFAIL")),
    (rpt(status="error"), True, Hit("tlsrpt.lookup-failed", RPT, "the lookup failed")),
    (rpt("v=TLSRPTv1; rua=mailto:a@b.test", "v=TLSRPTv1; rua=mailto:c@d.test"), True,
     Hit("tlsrpt.invalid", RPT, "2 records: v=TLSRPTv1; rua=mailto:a@b.test | "
         "v=TLSRPTv1; rua=mailto:c@d.test")),
    (rpt("v=TLSRPTv1"), True, Hit("tlsrpt.invalid", RPT, "v=TLSRPTv1")),
    (rpt("v=TLSRPTv1; rua=mailto:"), True, Hit("tlsrpt.invalid", RPT, "v=TLSRPTv1; rua=mailto:")),
    (rpt("v=TLSRPTv1; rua=https:/"), True, Hit("tlsrpt.invalid", RPT, "v=TLSRPTv1; rua=https:/")),
    (rpt("v=TLSRPTv1; rua=http://r.test"), True,
     Hit("tlsrpt.invalid", RPT, "v=TLSRPTv1; rua=http://r.test")),
    (rpt("v=TLSRPTv1; rua=mailto:a@b.test,"), True,
     Hit("tlsrpt.invalid", RPT, "v=TLSRPTv1; rua=mailto:a@b.test,")),
    (rpt("v=TLSRPTv1; rua=mailto:a@b.test; rua=mailto:c@d.test"), True,
     Hit("tlsrpt.invalid", RPT, "v=TLSRPTv1; rua=mailto:a@b.test; rua=mailto:c@d.test")),
    (rpt("v=TLSRPTv1; rua=x" + "y" * 300), True,
     Hit("tlsrpt.invalid", RPT, ("v=TLSRPTv1; rua=x" + "y" * 300)[:300])),
])
def test_tlsrpt_findings(answer: Answer, expected: bool, hit: Hit) -> None:
    assert tlsrpt_hits(D, answer, expected) == [hit]


def test_many_tlsrpt_records_are_cut_at_300_characters() -> None:
    record = "v=TLSRPTv1; rua=mailto:" + "a" * 200 + "@b.test"
    (hit,) = tlsrpt_hits(D, rpt(record, record), True)
    assert hit == Hit("tlsrpt.invalid", RPT, "2 records: " + (record + " | " + record)[:300])
