"""How many real bounces ``smtpdiag`` reads, and how often its ``reason`` agrees with sisimai's.

The reference is sisimai, an established bounce classifier, on several sets of real bounce
messages (``bench/bounce_sets.py`` says which and where their expectations come from).  None of
them is committed here (third parties' mail); ``--fetch`` clones them into the cache directory
(``$SMTPDIAG_CORPUS_CACHE`` or ``~/.cache/smtpdiag/corpus``) and ``--reference`` runs sisimai on
the sets whose expectations are not in sisimai's test suites.

Each message is read as ``smtpdiag explain FILE --jsonl`` reads it (``core.classify``), one
record per failed recipient, and compared with sisimai's list, recipient by recipient (by
address when sisimai gave one, else by position):

- *read*: the recipient has a record without ``error`` (a code, an enhanced code or a known
  bounce wording was found);
- *agreement*: our ``reason`` is what sisimai's reason means in our vocabulary (``SISIMAI``
  below; "fair" also counts the second reason of ours that a wider sisimai reason covers,
  ``ALSO``); a recipient we did not read counts as a disagreement.

Messages that are not failures (sisimai's ``delivered``, ``feedback``, ``vacation``) are left
out.  The hidden scorecard uses a different corpus: fix classes of problems, never these files;
the held-out set (``bp``) is for checking only: its disagreements are not listed.

    python bench/bounce_agreement.py --fetch --reference     # once (git, perl)
    python bench/bounce_agreement.py                         # every set: one line each
    python bench/bounce_agreement.py --set bsd [--show filtered] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from bounce_sets import REPOSITORIES, Corpus, corpora, load_reference, run_sisimai

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("SMTPDIAG_CORPUS_CACHE", Path.home() / ".cache/smtpdiag/corpus"))
# sisimai's reason names (lib/Sisimai/Reason/*.pm) in our vocabulary (reasons.json).  Each
# sisimai reason goes to the one of ours whose definition is closest; where sisimai has a wider
# name than ours (filtered, securityerror, toomanyconn) the comment says which part we took.
SISIMAI = {
    "authfailure": "auth-failed", "badreputation": "reputation", "blocked": "blocked",
    "contenterror": "content", "exceedlimit": "message-too-big", "expired": "expired",
    "failedstarttls": "tls-required", "hasmoved": "mailbox-moved",
    "filtered": "policy",  # "rejected by the recipient's filter after RCPT was accepted"
    "hostunknown": "host-unknown", "mailboxfull": "mailbox-full",
    "mailererror": "system-error", "mesgtoobig": "message-too-big",
    "emailtoolarge": "message-too-big", "networkerror": "network", "norelaying": "relay-denied",
    "notaccept": "no-mail", "notcompliantrfc": "not-compliant", "onhold": "unknown",
    "policyviolation": "policy", "ratelimited": "rate-limited", "speeding": "rate-limited",
    "toomanyconn": "rate-limited",  # too many connections (and sisimai's "too many recipients")
    "rejected": "sender-rejected", "requireptr": "requires-ptr",
    "securityerror": "auth-required",  # sisimai: authentication needed or failed (not SPF/DKIM)
    "spamdetected": "spam", "suppressed": "policy", "suspend": "mailbox-disabled",
    "syntaxerror": "syntax", "systemerror": "system-error", "systemfull": "system-full",
    "undefined": "unknown", "userunknown": "user-unknown", "virusdetected": "virus",
}
# Where one sisimai reason covers two of ours, by its own definition and word lists, either of
# ours agrees in the "fair" count; the "strict" count takes only the table above.
ALSO = {
    "toomanyconn": ("too-many-recipients",),  # its words include "too many recipients"
    "securityerror": ("tls-required",),  # "STARTTLS is required", "TLS required but …"
    "contenterror": ("not-compliant",),  # 8-bit data in a header, malformed MIME headers
    "policyviolation": ("not-compliant",),  # "header error", several addresses in From:
    "expired": ("delayed",),  # sisimai files every "Action: delayed" as expired (Reason.pm)
}
NOT_FAILURES = frozenset({"delivered", "feedback", "vacation"})


def fetch(base: str | None) -> None:
    """Clone (or update) every repository into the cache; ``base`` replaces GitHub, with
    ``{name}`` / ``{owner}`` standing for the repository's name and owner (a local mirror)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    for name, url in REPOSITORIES.items():
        owner = url.rstrip("/").split("/")[-2]
        source = base.format(name=name, owner=owner) if base else url
        target = CACHE / name
        if target.exists():
            subprocess.run(["git", "-C", str(target), "pull", "-q", "--ff-only"], check=True)
        else:
            subprocess.run(["git", "clone", "-q", "--no-checkout", "--depth", "1", source,
                            str(target)], check=True)
            _checkout(target)


def _checkout(target: Path) -> None:
    """Every file of the clone's HEAD; a mirror that keeps a repository without its largest
    files (flanker's ``big.eml``) gives the others, which are all the sets read."""
    whole = subprocess.run(["git", "-C", str(target), "checkout", "-q", "HEAD", "--", "."],
                           capture_output=True)
    if whole.returncode == 0:
        return
    names = subprocess.run(["git", "-C", str(target), "ls-tree", "-r", "-z", "--name-only",
                            "HEAD"], capture_output=True, check=True).stdout.split(b"\0")
    for start in range(0, len(names), 200):
        chunk = [name.decode() for name in names[start:start + 200] if name]
        if subprocess.run(["git", "-C", str(target), "checkout", "-q", "HEAD", "--", *chunk],
                          capture_output=True).returncode:
            for name in chunk:  # the chunk with the missing file: one by one
                subprocess.run(["git", "-C", str(target), "checkout", "-q", "HEAD", "--", name],
                               capture_output=True)


def ours(data: bytes) -> list[dict[str, Any]]:
    """As ``explain FILE --jsonl`` reads a file: an mbox of several messages (a bounce and
    the postmaster's copy after it) gives the records of each."""
    from smtpdiag.core.classify import classify_message
    from smtpdiag.core.dsn import split_mbox

    return [record for message in split_mbox(data) for record in classify_message(message)]


def _address(value: str | None) -> str:
    return (value or "").strip().strip("<>").lower()


def _pair(records: list[dict[str, Any]], expected: list[tuple[str, str, str, str]]
          ) -> list[dict[str, Any] | None]:
    """Our record for each of sisimai's recipients: same address first, else same position."""
    left = list(range(len(records)))
    chosen: list[int | None] = [None] * len(expected)
    for slot, (_s, _c, _r, recipient) in enumerate(expected):
        for index in left:
            if recipient and _address(records[index].get("recipient")) == recipient:
                chosen[slot] = index
                left.remove(index)
                break
    for slot in range(len(expected)):
        if chosen[slot] is None and slot < len(records) and slot in left:
            chosen[slot] = slot
            left.remove(slot)
    return [records[index] if index is not None else None for index in chosen]


def measure(corpus: Corpus) -> dict[str, Any]:
    rows = []
    for name, results in corpus.expected.items():
        records = ours(corpus.messages[name])
        for index, (record, (status, code, theirs, _to)) in enumerate(
                zip(_pair(records, results), results, strict=True)):
            if theirs in NOT_FAILURES:
                continue
            read = record is not None and "error" not in record
            reason = record["reason"] if read and record else {}
            expected = SISIMAI.get(theirs, theirs)
            ours_name = reason.get("name", "(not read)")
            rows.append({"file": name, "recipient": index + 1, "sisimai": theirs,
                         "status": status, "code": code, "expected": expected,
                         "ours": ours_name, "read": read,
                         "fair": ours_name == expected or ours_name in ALSO.get(theirs, ()),
                         "rule": reason.get("rule", ""),
                         "decided_by": reason.get("decided_by", "")})
    return {"rows": rows, "files": len(corpus.expected), "set": corpus.name}


def totals(result: dict[str, Any]) -> dict[str, Any]:
    rows = result["rows"]
    total = len(rows) or 1
    read = sum(row["read"] for row in rows)
    agree = sum(row["ours"] == row["expected"] for row in rows)
    fair = sum(row["fair"] for row in rows)
    return {"set": result["set"], "messages": result["files"], "recipients": len(rows),
            "read": read, "agree": agree, "fair": fair, "read_pct": round(100 * read / total, 1),
            "agree_pct": round(100 * agree / total, 1), "fair_pct": round(100 * fair / total, 1)}


def detail(result: dict[str, Any], show: str | None) -> None:
    """The confusion table of one set, and the disagreements about one reason."""
    rows = result["rows"]
    by_reason: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_reason[row["sisimai"]].append(row)
    print(f"\n[{result['set']}]\n{'sisimai':<16}{'ours':<18}{'n':>4}{'agree':>7}  "
          "most frequent other answers")
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fetch", action="store_true", help="clone the corpora into the cache")
    parser.add_argument("--git-base", help="clone from here instead of GitHub ({owner}, {name})")
    parser.add_argument("--reference", action="store_true",
                        help="run sisimai (perl) on the sets its test suites do not cover")
    parser.add_argument("--set", action="append", dest="sets",
                        help="measure only this set (repeatable); its table is printed")
    parser.add_argument("--show", help="list the disagreements about this reason")
    parser.add_argument("--json", type=Path, help="write the rows and totals here")
    args = parser.parse_args()
    if args.fetch:
        fetch(args.git_base)
    if not (CACHE / "set-of-emails").is_dir():
        print(f"no corpus in {CACHE}: run with --fetch first", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    found, results = [], []
    for corpus in corpora(CACHE, set(args.sets) if args.sets else None):
        if not corpus.expected:
            if args.reference:
                run_sisimai(CACHE, corpus)
            if not load_reference(CACHE, corpus):
                print(f"{corpus.name}: no sisimai answers yet (--reference)", file=sys.stderr)
                continue
        result = measure(corpus)
        results.append(result)
        found.append(totals(result) | {"held_out": corpus.held_out})
    print(f"{'set':<9}{'messages':>9}{'recipients':>11}{'read %':>8}{'agree %':>9}"
          f"{'fair %':>8}")
    for line in found:
        mark = "  (held out)" if line["held_out"] else ""
        print(f"{line['set']:<9}{line['messages']:>9}{line['recipients']:>11}"
              f"{line['read_pct']:>8}{line['agree_pct']:>9}{line['fair_pct']:>8}{mark}")
    for result, line in zip(results, found, strict=True):
        if args.sets and not line["held_out"]:
            detail(result, args.show)
    if args.json:
        rows = [row | {"set": result["set"]} for result, line in zip(results, found, strict=True)
                if not line["held_out"] for row in result["rows"]]
        args.json.write_text(json.dumps({"totals": found, "rows": rows}, indent=1),
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
