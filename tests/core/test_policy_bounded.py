"""A hostile TXT record or MTA-STS policy with thousands of faults: audit names a few and counts
the rest, in a few findings of bounded size, instead of one finding (with its meaning, why and
fix) per fault.  Pure: the policy rules fed the answers as given."""

from __future__ import annotations

from smtpdiag.core.policy.mtasts import sts_hits
from smtpdiag.core.policy.records import Answer, HostFacts, HttpsPolicy, MxFacts
from smtpdiag.core.policy.spf import spf_hits

D = "example.test"
MANY = 2000


def test_an_spf_record_of_thousands_of_bad_terms_gives_five_findings() -> None:
    record = "v=spf1 " + " ".join(f"bad{i}!" for i in range(MANY)) + " -all"
    hits, _ = spf_hits(D, (Answer(D, "TXT", "ok", (record,)),))
    syntax = [hit for hit in hits if hit.id == "spf.syntax"]
    assert len(syntax) == 5, len(syntax)
    assert syntax[0].detail.startswith("'bad0!' is not an SPF term (in ")
    assert f"and {MANY - 5} more syntax errors" in syntax[-1].detail
    assert sum(len(hit.detail) for hit in hits) < 3000


def test_a_policy_of_thousands_of_bad_lines_names_five_and_counts_the_rest() -> None:
    body = "version: STSv1\nmode: enforce\nmx: mx.example.test\nmax_age: 604800\n" + \
        "".join(f"junk line {i}\n" for i in range(MANY))
    mx = MxFacts(D, "mx", (HostFacts("mx.example.test", 10, ("192.0.2.1",)),))
    policy = HttpsPolicy(f"https://mta-sts.{D}/.well-known/mta-sts.txt", status=200,
                         content_type="text/plain", body=body)
    txt = Answer(f"_mta-sts.{D}", "TXT", "ok", ("v=STSv1; id=1",))
    hits = sts_hits(D, txt, policy, mx, ())[0]
    invalid = [hit for hit in hits if hit.id == "sts.policy-invalid"]
    assert len(invalid) == 1 and f"and {MANY - 5} more" in invalid[0].detail
    assert len(invalid[0].detail) < 1000


def test_thousands_of_broken_tlsa_records_give_a_few_findings() -> None:
    from smtpdiag.core.policy.dane import dane_hits

    name = "_25._tcp.mx.example.test"
    records = tuple(f"3 1 1 {i:04x}" for i in range(MANY))  # digests of the wrong length
    hits = dane_hits((("mx.example.test", Answer(name, "TLSA", "ok", records,
                                                 authenticated=True)),), ())
    malformed = [hit for hit in hits if hit.id == "dane.malformed"]
    assert len(malformed) == 5 and f"and {MANY - 5} more" in malformed[-1].detail
    assert sum(len(hit.detail) for hit in hits) < 2000
