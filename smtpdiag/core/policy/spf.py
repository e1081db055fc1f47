"""SPF (RFC 7208) of the domain: one record, its syntax, the 10-lookup and 2-void-lookup limits
counted through every include and redirect, and what ``all`` says.

The record is read with a small term parser of our own (see the README for why not checkdmarc);
the DNS answers it needs were fetched by the I/O edge, which asks ``next_questions`` what to
fetch next, so the same reading decides both what is asked and how it is judged.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from ...errors import quoted
from .records import Answer, Hit

__all__ = ["LOOKUP_LIMIT", "VOID_LIMIT", "Term", "next_questions", "parse_spf", "spf_hits",
           "spf_records"]

LOOKUP_LIMIT = 10
VOID_LIMIT = 2
LONG_RECORD = 450  # RFC 7208 §3.4: a record longer may not fit a 512-byte UDP answer
MAX_DEPTH = 10
MAX_SYNTAX_HITS = 5  # syntax findings of one record; the last counts the rest
WALK_LIMIT = 100  # lookups counted before the walk stops (includes met many times over)
MECHANISMS = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")
COUNTED = ("include", "a", "mx", "ptr", "exists", "redirect")
VOID_TYPES = {"a": ("A", "AAAA"), "mx": ("MX",), "exists": ("A",)}
_TERM = re.compile(r"^([+?~-]?)([a-z0-9]+)(?:([:=])(.*?))?(/\d+)?(//\d+)?$", re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z0-9_%{}.+,/=-]+$")


@dataclass(frozen=True, slots=True)
class Term:
    """One mechanism (``-all``, ``include:x``) or modifier (``redirect=x``) of a record."""

    qualifier: str
    name: str
    value: str = ""
    modifier: bool = False


def spf_records(records: tuple[str, ...]) -> list[str]:
    """The TXT strings that are SPF records: ``v=spf1`` alone or followed by a space."""
    return [r for r in records if r.lower() == "v=spf1" or r.lower().startswith("v=spf1 ")]


def _check(term: Term) -> str | None:
    """Why a term is not valid SPF, or None."""
    name, value = term.name, term.value
    if term.modifier:
        if name in ("redirect", "exp") and not (value and _NAME.match(value)):
            return f"{name}= needs a domain"
        return None
    if name not in MECHANISMS:
        return f"unknown mechanism {quoted(name, 60)}"
    if name in ("ip4", "ip6"):
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            return f"{name}:{value} is not an address or network"
        if (network.version == 4) != (name == "ip4"):
            return f"{name}:{value} is the other address family"
    elif name in ("include", "exists") and not (value and _NAME.match(value)):
        return f"{name}: needs a domain"
    elif name == "all" and value:
        return "all takes no argument"
    elif value and not _NAME.match(value):
        return f"{name}:{value} is not a domain"
    return None


def parse_spf(record: str) -> tuple[list[Term], list[str]]:
    """The terms of a record and the syntax errors found (empty when it is valid)."""
    terms: list[Term] = []
    errors: list[str] = []
    for word in record.split()[1:]:
        match = _TERM.match(word)
        if not match:
            errors.append(f"{quoted(word[:60])} is not an SPF term")
            continue
        qualifier, name, sep, value, cidr, cidr6 = match.groups()
        name = name.lower()
        modifier = sep == "="
        if modifier and qualifier:
            errors.append(f"{quoted(word[:60])}: a modifier takes no qualifier")
            continue
        value = (value or "") + ((cidr or "") + (cidr6 or "") if name in ("ip4", "ip6") else "")
        term = Term(qualifier or "+", name, value, modifier)
        problem = _check(term)
        if problem:
            errors.append(problem)
        else:
            terms.append(term)
    modifiers = [t.name for t in terms if t.modifier]
    for once in ("redirect", "exp"):
        if modifiers.count(once) > 1:
            errors.append(f"{once}= appears more than once")
    return terms, errors


def _target(term: Term, domain: str) -> str:
    return (term.value or domain).lower().rstrip(".")


def next_questions(domain: str, record: str) -> list[tuple[str, str]]:
    """The DNS questions evaluating ``record`` needs; names with macros cannot be asked."""
    terms, _ = parse_spf(record)
    questions: list[tuple[str, str]] = []
    for term in terms:
        target = _target(term, domain)
        if "%" in target:
            continue
        if term.name in ("include", "redirect"):
            questions.append((target, "TXT"))
        elif term.name == "a":
            questions += [(target, "A"), (target, "AAAA")]
        elif term.name == "mx":
            questions.append((target, "MX"))
        elif term.name == "exists":
            questions.append((target, "A"))
    return questions


class _Walk:
    def __init__(self, answers: tuple[Answer, ...]) -> None:
        self.table = {(a.name.lower().rstrip("."), a.rdtype): a for a in answers}
        self.lookups: list[str] = []
        self.voids: list[str] = []
        self.hits: list[Hit] = []
        self.path: list[str] = []  # the includes and redirects being evaluated, outermost first

    def _void(self, *keys: tuple[str, str]) -> bool:
        found = [self.table.get(k) for k in keys]
        known = [a for a in found if a is not None]
        return bool(known) and all(a.status in ("nxdomain", "nodata") for a in known)

    def _record(self, name: str) -> str | None:
        answer = self.table.get((name, "TXT"))
        records = spf_records(answer.records) if answer else []
        return records[0] if len(records) == 1 else None

    def visit(self, name: str, record: str, depth: int) -> list[Term]:
        """Count and judge ``record`` and, depth first, what it includes or redirects to,
        as often as a receiver's evaluation reaches it (an include met twice counts twice)."""
        self.path.append(name)
        try:
            return self._visit(name, record, depth)
        finally:
            self.path.pop()

    def _visit(self, name: str, record: str, depth: int) -> list[Term]:
        terms, errors = parse_spf(record)
        if len(errors) > MAX_SYNTAX_HITS:  # a hostile record: a few findings, not thousands
            more = len(errors) - MAX_SYNTAX_HITS
            errors = [*errors[:MAX_SYNTAX_HITS - 1],
                      f"{errors[MAX_SYNTAX_HITS - 1]}; and {more} more syntax errors"]
        for error in errors:
            self.hits.append(Hit("spf.syntax", name, f"{error} (in {quoted(record[:200])})"))
        every = next((t for t in terms if t.name == "all" and not t.modifier), None)
        for term in terms:
            target = _target(term, name)
            if every is not None and term.name == "redirect" and term.modifier:
                # RFC 7208 §6.1: ignored beside all, so neither counted nor followed
                self.hits.append(Hit("spf.redirect-ignored", name, f"redirect={target} is "
                                     f"ignored: the record has an all mechanism ({every.qualifier}"
                                     "all), which decides for every host it does not list"))
                continue
            if term.name not in COUNTED or (term.modifier != (term.name == "redirect")):
                continue
            if len(self.lookups) > WALK_LIMIT:  # far past the limit: said already
                break
            self.lookups.append(f"{term.name}:{target}" if term.value else term.name)
            if "%" in target:  # RFC 7208 §7: expanded for each message, so never asked here
                self.hits.append(Hit("spf.macro", name, f"{term.name}:{target} (counted as "
                                     "one lookup; what it leads to is not followed)"))
            elif term.name == "ptr":
                self.hits.append(Hit("spf.ptr", name, f"{term.qualifier}ptr in {name}"))
            elif term.name in ("include", "redirect"):
                self._follow(term, target, depth)
            elif self._void(*((target, rdtype) for rdtype in VOID_TYPES[term.name])):
                self.voids.append(f"{term.name}:{target}")
        return terms

    def _follow(self, term: Term, target: str, depth: int) -> None:
        answer = self.table.get((target, "TXT"))
        if answer is None:  # not asked (a macro, or past the questions' bound)
            return
        if answer.status == "error":  # a temperror for receivers, not a broken include
            self.hits.append(Hit("spf.lookup-failed", target, f"{term.name}:{target}: "
                                 f"{answer.error or 'the TXT lookup failed'}"))
            return
        if self._void((target, "TXT")):
            self.voids.append(f"{term.name}:{target}")
        record = self._record(target)
        if record is None:
            found = len(spf_records(answer.records))
            why = ("does not exist (NXDOMAIN)" if answer.status == "nxdomain" else
                   f"has {found} SPF records, not one" if found else "has no SPF record")
            self.hits.append(Hit("spf.include-error", target, f"{term.name}:{target} {why}"))
        elif target in self.path:
            chain = " → ".join([*self.path[self.path.index(target):], target])
            self.hits.append(Hit("spf.loop", target, f"{chain}: receivers go round until the "
                                 f"{LOOKUP_LIMIT}-lookup limit and fail (permerror)"))
        elif depth < MAX_DEPTH:
            self.visit(target, record, depth + 1)

    def final_all(self, name: str, terms: list[Term], depth: int = 0) -> Term | None:
        """The ``all`` that decides for unlisted hosts: the record's, or its redirect's."""
        found = next((t for t in terms if t.name == "all" and not t.modifier), None)
        if found is not None or depth >= MAX_DEPTH:
            return found
        redirect = next((t for t in terms if t.name == "redirect" and t.modifier), None)
        if redirect is None:
            return None
        record = self._record(_target(redirect, name))
        if record is None:
            return Term("+", "none")  # the redirect is broken: reported already
        return self.final_all(_target(redirect, name), parse_spf(record)[0], depth + 1)


def spf_hits(domain: str, answers: tuple[Answer, ...]) -> tuple[list[Hit], str | None]:
    """Every SPF finding for ``domain`` and the record read (None when there is not one)."""
    walk = _Walk(answers)
    root = walk.table.get((domain, "TXT"))
    if root is None:
        return [], None
    records = spf_records(root.records)
    if root.status == "error":  # not "no record": whether one applies is unknown (temperror)
        return [Hit("spf.lookup-failed", domain, root.error or "the TXT lookup failed")], None
    if not records:
        return [Hit("spf.none", domain, f"no v=spf1 TXT record at {domain}")], None
    if len(records) > 1:
        return [Hit("spf.multiple", domain, " | ".join(records)[:300])], None
    terms = walk.visit(domain, records[0], 0)
    hits = walk.hits
    size = len(records[0].encode("utf-8", "surrogateescape"))
    if size > LONG_RECORD:
        hits.append(Hit("spf.long", domain, f"{size} bytes, over the {LONG_RECORD} that RFC "
                        "7208 §3.4 advises"))
    if len(walk.lookups) > LOOKUP_LIMIT:
        hits.append(Hit("spf.lookups", domain, f"{len(walk.lookups)} lookups (limit "
                        f"{LOOKUP_LIMIT}): {', '.join(walk.lookups)}"[:400]))
    if len(walk.voids) > VOID_LIMIT:
        hits.append(Hit("spf.void", domain, f"{len(walk.voids)} void lookups (limit "
                        f"{VOID_LIMIT}): {', '.join(walk.voids)}"[:400]))
    if any(hit.id == "spf.loop" for hit in hits):  # it fails whatever its all says
        return hits, records[0]
    final = walk.final_all(domain, terms)
    if final is None:
        hits.append(Hit("spf.no-all", domain, records[0][:300]))
    elif final.name == "all" and final.qualifier == "+":
        hits.append(Hit("spf.plus-all", domain, records[0][:300]))
    elif final.name == "all" and final.qualifier == "?":
        hits.append(Hit("spf.neutral-all", domain, records[0][:300]))
    return hits, records[0]
