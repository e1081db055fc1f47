"""MTA-STS (RFC 8461) and TLS-RPT (RFC 8460): the TXT records, the fetched policy, each MX
host against the policy's patterns, and each MX's TLS as a policy-applying sender sees it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...errors import quoted
from ..text import listed
from .records import AddressFacts, Answer, Hit, HttpsPolicy, MxFacts

__all__ = ["MAX_POLICY_BYTES", "StsPolicy", "mx_matches", "parse_policy", "sts_hits",
           "tlsrpt_hits", "txt_id"]

MAX_POLICY_BYTES = 64 * 1024  # what senders accept (RFC 8461 §3.3 suggests this bound)
MAX_AGE_LIMIT = 31_557_600  # RFC 8461 §3.2: at most a year
SHORT_MAX_AGE = 86_400
_ID = re.compile(r"[A-Za-z0-9]{1,32}")
_MODES = ("enforce", "testing", "none")


@dataclass(frozen=True, slots=True)
class StsPolicy:
    """A parsed policy file; ``problems`` lists what makes senders discard it."""

    version: str | None = None
    mode: str | None = None
    max_age: int | None = None
    mx: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


def _fields(record: str) -> list[tuple[str, str]]:
    return [(k.strip(), v.strip()) for k, _, v in
            (part.partition("=") for part in record.split(";") if part.strip())]


def txt_id(record: str) -> str | None:
    """The ``id`` of a valid ``v=STSv1; id=…`` record, or None when it is not one."""
    fields = _fields(record)
    if not fields or fields[0] != ("v", "STSv1"):
        return None
    ids = [v for k, v in fields[1:] if k == "id"]
    return ids[0] if len(ids) == 1 and _ID.fullmatch(ids[0]) else None


def _txt_fault(record: str) -> str:
    """Why ``txt_id`` refused a ``v=STSv1`` record (RFC 8461 §3.1), for people."""
    fields = _fields(record)
    if not fields or fields[0] != ("v", "STSv1"):
        return "it must begin with v=STSv1 (exactly)"
    ids = [v for k, v in fields[1:] if k == "id"]
    if not ids:
        return "it has no id= field"
    if len(ids) > 1:
        return "it has more than one id= field"
    return "id= must be 1-32 letters and digits"


def parse_policy(body: str) -> StsPolicy:
    """RFC 8461 §3.2: ``key: value`` lines (CRLF or LF); unknown keys are ignored."""
    values: dict[str, str] = {}
    mx: list[str] = []
    problems: list[str] = []
    for line in body.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if not sep:
            problems.append(f"not a 'key: value' line: {quoted(line[:80])}")
        elif key == "mx":
            mx.append(value.lower().rstrip("."))
        elif key in ("version", "mode", "max_age"):
            if key in values:
                problems.append(f"{key} appears twice")
            values[key] = value
    version, mode, age_text = values.get("version"), values.get("mode"), values.get("max_age")
    if version != "STSv1":
        problems.append("version: STSv1 is missing" if version is None else
                        f"version is {quoted(version, 80)}, not STSv1")
    if mode not in _MODES:
        problems.append("mode is missing" if mode is None else
                        f"mode is {quoted(mode, 80)}, not enforce, testing or none")
    max_age = int(age_text) if age_text and age_text.isascii() and age_text.isdigit() else None
    if max_age is None or max_age > MAX_AGE_LIMIT:
        problems.append("max_age is missing" if age_text is None else
                        f"max_age {quoted(age_text, 80)} is not a number of seconds up to "
                        f"{MAX_AGE_LIMIT}")
    if not mx and mode != "none":
        problems.append("no mx: line")
    return StsPolicy(version, mode, max_age, tuple(mx), tuple(problems))


def mx_matches(host: str, pattern: str) -> bool:
    """RFC 8461 §4.1: exact, or ``*.`` standing for exactly one left-most label."""
    name, pattern = host.lower().rstrip("."), pattern.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = name.partition(".")
        return bool(head) and rest == pattern[2:]
    return name == pattern


_FETCH = {"certificate": "sts.certificate", "redirect": "sts.redirect",
          "too-large": "sts.too-large"}


def _fetch_hits(domain: str, fetched: HttpsPolicy) -> list[Hit]:
    if fetched.error is not None:
        kind = _FETCH.get(fetched.error, "sts.fetch-failed")
        detail = fetched.error_detail or fetched.error
        if fetched.error == "redirect" and fetched.location:
            detail = f"{fetched.status} to {fetched.location}"
        return [Hit(kind, fetched.url, detail)]
    if fetched.status != 200:
        return [Hit("sts.http-status", fetched.url, f"HTTP {fetched.status}")]
    media = (fetched.content_type or "").split(";")[0].strip().lower()
    if media != "text/plain":
        return [Hit("sts.content-type", fetched.url,
                    f"Content-Type: {fetched.content_type or '(none)'}")]
    return []


def _tls_problem(facts: AddressFacts) -> str | None:
    """What stops a policy-applying sender at this address (RFC 8461 §4.2), if anything."""
    attempt = facts.attempt
    if attempt is None or (attempt.error is not None and attempt.tls is None and
                           attempt.error.step in ("connect", "greeting", "dns")):
        return None  # unreachable: reported in the SMTP area
    tls = attempt.tls
    if attempt.error is not None and attempt.error.step in ("tls", "starttls"):
        if tls is not None and tls.version:  # what it offers, seen in a diagnostic handshake
            return (f"a current sender's TLS handshake fails: the server offers only "
                    f"{tls.version} {tls.cipher or ''}".rstrip())
        return f"the TLS handshake fails ({attempt.error.message[:160]})"
    if tls is None:
        return "no STARTTLS"
    if tls.days_left is not None and tls.days_left < 0:
        return "the certificate has expired"
    if tls.hostname_matched is False:
        return f"the certificate does not name {facts.host}"
    if tls.verify_error or not tls.verified:
        return f"the certificate does not verify ({tls.verify_error or 'unchecked'})"
    return None


def _policy_hits(domain: str, policy: StsPolicy, mx: MxFacts,
                 addresses: tuple[AddressFacts, ...], url: str) -> list[Hit]:
    if policy.problems:
        return [Hit("sts.policy-invalid", url, listed(list(policy.problems), sep="; "))]
    hits: list[Hit] = []
    if policy.mode == "none":
        return [Hit("sts.mode-none", domain, "mode: none")]
    if policy.mode == "testing":
        hits.append(Hit("sts.mode-testing", domain, "mode: testing"))
    if policy.max_age is not None and policy.max_age < SHORT_MAX_AGE:
        hits.append(Hit("sts.max-age-short", domain, f"max_age: {policy.max_age}"))
    severity = "critical" if policy.mode == "enforce" else "warning"
    for host in mx.hosts:
        if host.status in ("null", "literal"):
            continue
        if not any(mx_matches(host.host, p) for p in policy.mx):
            hits.append(Hit("sts.mx-unmatched", host.host, f"{host.host} matches none of: "
                            f"{', '.join(policy.mx)}", severity))
    seen: set[str] = set()
    for facts in addresses:
        problem = _tls_problem(facts)
        if problem and facts.host not in seen:
            seen.add(facts.host)
            hits.append(Hit("sts.mx-tls", f"{facts.host} [{facts.address}]", problem,
                            severity))
    return hits


def sts_hits(domain: str, txt: Answer, fetched: HttpsPolicy | None, mx: MxFacts,
             addresses: tuple[AddressFacts, ...]) -> tuple[list[Hit], StsPolicy | None]:
    """Every MTA-STS finding, and the policy when one was read."""
    where = f"_mta-sts.{domain}"
    if txt.status == "error":
        return [Hit("sts.lookup-failed", where, txt.error or "the TXT lookup failed")], None
    records = [r for r in txt.records if r.lower().startswith("v=stsv1")]
    if not records:
        return [Hit("sts.none", domain, f"no v=STSv1 TXT record at {where}")], None
    if len(records) > 1:
        return [Hit("sts.txt-multiple", where, " | ".join(records)[:300])], None
    if txt_id(records[0]) is None:
        return [Hit("sts.txt-invalid", where, f"{records[0][:300]}: {_txt_fault(records[0])}")
                ], None
    if fetched is None:
        return [], None
    hits = _fetch_hits(domain, fetched)
    if hits:
        return hits, None
    policy = parse_policy(fetched.body)
    return _policy_hits(domain, policy, mx, addresses, fetched.url), policy


def tlsrpt_hits(domain: str, txt: Answer, expected: bool) -> list[Hit]:
    """TLS-RPT: one ``v=TLSRPTv1; rua=…`` with mailto: or https: addresses (RFC 8460 §3)."""
    where = f"_smtp._tls.{domain}"
    records = [r for r in txt.records if r.startswith("v=TLSRPTv1")]
    if not records:
        if txt.status == "error":
            return [Hit("tlsrpt.lookup-failed", where, txt.error or "the lookup failed")]
        return [Hit("tlsrpt.none", domain, f"no v=TLSRPTv1 TXT record at {where}",
                    None if not expected else "warning")]
    if len(records) > 1:
        return [Hit("tlsrpt.invalid", where, f"{len(records)} records: "
                    + " | ".join(records)[:300])]
    fields = _fields(records[0])
    rua = [v for k, v in fields if k == "rua"]
    uris = [u.strip() for u in rua[0].split(",")] if len(rua) == 1 else []
    if not uris or not all(u.startswith(("mailto:", "https:")) and len(u) > 7 for u in uris):
        return [Hit("tlsrpt.invalid", where, records[0][:300])]
    return []
