"""How many real bounces ``smtpdiag`` reads, and how often its ``reason`` agrees with sisimai's.

The corpus is sisimai's public collection of real bounce messages (``set-of-emails``,
``maildir/bsd/*.eml``, BSD 2-clause) and the reference is the reasons sisimai's own test suite
expects for each of them (``p5-sisimai``, ``t/*-lhost-*.t``, ``t/*-rhost-*.t``,
``t/890-rfc3464.t``…: ``'01' => [['5.1.1', '550', 'userunknown', 1], …]``, one entry per
recipient).  Neither is committed here (several MB of third parties' mail); ``--fetch`` clones
both into the cache directory (``$SMTPDIAG_CORPUS_CACHE`` or ``~/.cache/smtpdiag/corpus``).

Each message is read as ``smtpdiag explain FILE --jsonl`` reads it (``core.classify``), one
record per failed recipient, and compared with sisimai's list position by position:

- *read*: the recipient has a record without ``error`` (a code, an enhanced code or a known
  bounce wording was found);
- *agreement*: our ``reason`` is what sisimai's reason means in our vocabulary (``SISIMAI``
  below); a recipient we did not read counts as a disagreement.

Messages that are not failures (sisimai's ``delivered``, ``feedback``, ``vacation``) are left
out.  The hidden scorecard uses a different corpus: fix classes of problems, never these files.

    python bench/bounce_agreement.py --fetch            # once
    python bench/bounce_agreement.py [--show filtered] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("SMTPDIAG_CORPUS_CACHE", Path.home() / ".cache/smtpdiag/corpus"))
REPOSITORIES = {"set-of-emails": "https://github.com/sisimai/set-of-emails",
                "p5-sisimai": "https://github.com/sisimai/p5-sisimai"}
# sisimai's reason names (lib/Sisimai/Reason/*.pm) in our vocabulary (reasons.json).
SISIMAI = {
    "authfailure": "auth-failed", "badreputation": "reputation", "blocked": "blocked",
    "contenterror": "content", "exceedlimit": "message-too-big", "expired": "expired",
    "failedstarttls": "tls-required", "filtered": "policy", "hasmoved": "mailbox-moved",
    "hostunknown": "host-unknown", "mailboxfull": "mailbox-full",
    "mailererror": "system-error", "mesgtoobig": "message-too-big",
    "emailtoolarge": "message-too-big", "networkerror": "network", "norelaying": "relay-denied",
    "notaccept": "no-mail", "notcompliantrfc": "not-compliant", "onhold": "unknown",
    "policyviolation": "policy", "ratelimited": "rate-limited", "speeding": "rate-limited",
    "toomanyconn": "rate-limited", "rejected": "sender-rejected", "requireptr": "requires-ptr",
    "securityerror": "auth-required", "spamdetected": "spam", "suppressed": "policy",
    "suspend": "mailbox-disabled", "syntaxerror": "syntax", "systemerror": "system-error",
    "systemfull": "system-full", "undefined": "unknown", "userunknown": "user-unknown",
    "virusdetected": "virus",
}
NOT_FAILURES = frozenset({"delivered", "feedback", "vacation"})
_ENGINE = re.compile(r"my \$enginename\s*=\s*'([^']+)'")
_ENTRY = re.compile(r"'(\d+)'\s*=>\s*\[\s*((?:\[[^\]]*\]\s*,?\s*)+)\]")
_RESULT = re.compile(r"\[\s*'([^']*)'\s*,\s*'([^']*)'\s*,\s*'([^']*)'")


def fetch(base: str | None) -> None:
    """Clone (or update) both repositories into the cache; ``base`` replaces GitHub, with
    ``{name}`` standing for the repository's name (a local mirror)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    for name, url in REPOSITORIES.items():
        source = base.format(name=name) if base else url
        target = CACHE / name
        if target.exists():
            subprocess.run(["git", "-C", str(target), "pull", "-q", "--ff-only"], check=True)
        else:
            subprocess.run(["git", "clone", "-q", "--depth", "1", source, str(target)],
                           check=True)


def expected(tests: Path, corpus: Path) -> dict[Path, list[tuple[str, str, str]]]:
    """Sample file -> sisimai's [(status, reply code, reason)] per recipient."""
    found: dict[Path, list[tuple[str, str, str]]] = {}
    for test in sorted(tests.glob("*.t")):
        text = test.read_text(encoding="utf-8", errors="replace")
        engine = _ENGINE.search(text)
        if engine is None or "$isexpected" not in text:
            continue
        prefix = ""
        if engine.group(1).upper() not in ("ARF", "RFC3464", "RFC3834"):
            prefix = "rhost-" if "-rhost-" in test.name else "lhost-"
        for number, body in _ENTRY.findall(text):
            path = corpus / f"{prefix}{engine.group(1).lower()}-{int(number):02d}.eml"
            results = _RESULT.findall(body)
            if path.is_file() and results:
                found[path] = results
    return found


def ours(data: bytes) -> list[dict[str, Any]]:
    from smtpdiag.core.classify import classify_message

    return classify_message(data)


def measure(cases: dict[Path, list[tuple[str, str, str]]]) -> dict[str, Any]:
    rows = []
    for path, results in cases.items():
        records = ours(path.read_bytes())
        for index, (status, code, theirs) in enumerate(results):
            if theirs in NOT_FAILURES:
                continue
            record = records[index] if index < len(records) else None
            read = record is not None and "error" not in record
            name = record["reason"]["name"] if read and record else "(not read)"
            rows.append({"file": path.name, "recipient": index + 1, "sisimai": theirs,
                         "status": status, "code": code, "expected": SISIMAI.get(theirs, theirs),
                         "ours": name, "read": read,
                         "rule": record["reason"]["rule"] if read and record else "",
                         "decided_by": record["reason"]["decided_by"] if read and record else ""})
    return {"rows": rows, "files": len(cases)}


def report(result: dict[str, Any], show: str | None) -> dict[str, Any]:
    rows = result["rows"]
    total = len(rows)
    read = sum(row["read"] for row in rows)
    agree = sum(row["ours"] == row["expected"] for row in rows)
    print(f"corpus: {result['files']} messages, {total} failed recipients with a sisimai reason")
    print(f"read:      {read}/{total} = {100 * read / total:.1f} %")
    print(f"agreement: {agree}/{total} = {100 * agree / total:.1f} %")
    by_reason: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_reason[row["sisimai"]].append(row)
    print(f"\n{'sisimai':<16}{'ours':<18}{'n':>4}{'agree':>7}  most frequent other answers")
    for name, group in sorted(by_reason.items(), key=lambda kv: -len(kv[1])):
        hits = sum(row["ours"] == row["expected"] for row in group)
        others = Counter(row["ours"] for row in group if row["ours"] != row["expected"])
        other = ", ".join(f"{reason} {count}" for reason, count in others.most_common(4))
        print(f"{name:<16}{group[0]['expected']:<18}{len(group):>4}{hits:>7}  {other}")
    if show:
        print(f"\ndisagreements where sisimai says {show!r} (or we say it):")
        for row in rows:
            if row["ours"] != row["expected"] and show in (row["sisimai"], row["ours"]):
                print(f"  {row['file']}#{row['recipient']}: sisimai {row['sisimai']} "
                      f"({row['status']} {row['code']}), ours {row['ours']} "
                      f"[{row['decided_by']} {row['rule']}]")
    return {"messages": result["files"], "recipients": total, "read": read, "agree": agree,
            "read_pct": round(100 * read / total, 1), "agree_pct": round(100 * agree / total, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fetch", action="store_true", help="clone the corpus into the cache")
    parser.add_argument("--git-base", help="clone from here instead of GitHub ({name})")
    parser.add_argument("--corpus", type=Path, default=CACHE / "set-of-emails/maildir/bsd")
    parser.add_argument("--expected", type=Path, default=CACHE / "p5-sisimai/t")
    parser.add_argument("--show", help="list the disagreements about this reason")
    parser.add_argument("--json", type=Path, help="write the rows and totals here")
    args = parser.parse_args()
    if args.fetch:
        fetch(args.git_base)
    if not args.corpus.is_dir() or not args.expected.is_dir():
        print(f"no corpus at {args.corpus} / {args.expected}: run with --fetch first",
              file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    result = measure(expected(args.expected, args.corpus))
    totals = report(result, args.show)
    if args.json:
        args.json.write_text(json.dumps({"totals": totals, "rows": result["rows"]}, indent=1),
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
