"""The corpora ``bounce_agreement.py`` measures on, and where each one's expected reasons come from.

One set of real bounces is not enough: patterns tuned until one corpus agrees may only fit that
corpus.  So the harness measures several sets, each with sisimai's answer for every failed
recipient:

- ``bsd``: set-of-emails ``maildir/bsd``, sisimai's expectations as its own test suite writes
  them (p5-sisimai ``t/*.t``) — the set the catalogue was tuned on.
- ``bsd-go``: the same messages, expectations from go-sisimai's tests (a newer sisimai).
- ``bsd-new``: the ``maildir/bsd`` messages no p5-sisimai test names (newer samples).
- ``dos``, ``mac``: the ``maildir/dos`` and ``maildir/mac`` copies (CRLF and CR line endings;
  mostly the bsd messages again: a reading check more than a new corpus).
- ``err``: ``maildir/err``, sendmail bounces of hand-made test deliveries.
- ``mbox``: the messages of ``mailbox/mbox-*``.
- ``crisp``: crisp-oss/email-bounce-parser's test bounces (bodies of real Postfix, Exchange,
  Exim… bounces; given minimal headers here, since only the body was kept).
- ``flufl``, ``php``, ``rb``: the bounces kept by GNU Mailman's flufl.bounce
  (``flufl/bounce/tests/data``), PHP-Bounce-Handler (``eml/``) and the Ruby bounce_email gem
  (``tests/bounces``): older and smaller mail systems (qmail, Exim 3, Domino, Sun Messaging
  Server, Yahoo, provider notices in Spanish and Latvian), added in session 9 and read then.
- ``bp``: Mail-DeliveryStatus-BounceParser's ``t/corpus`` (real bounces collected by another
  project).  **Held out**: used to check, never to tune; do not ``--show`` it.
- ``ee``, ``mbd``, ``flanker``, ``osb``: the bounces kept by EmailEngine's tests
  (``test/fixtures/bounces``: 163, Fastmail, Gmail, Hotmail, Mail.ru, Rambler, WorkMail, Yahoo,
  Zoho, ZoneMTA…), MailBounceDetector's (``MailBounceDetector.Tests/Fixtures``: Exchange,
  Postfix, qmail), mailgun/flanker's (``tests/fixtures/messages/bounce``: Gmail, Office 365,
  delays, broken MIME) and osandum/bounce-parser's (``src/test/resources``: Exim, qmail, a
  Dovecot rejection, 1&1, T-Online).  Added in session 10 and measured before any change;
  **held out** like ``bp``.  sisimai misreads some of them (163.eml's HTML gives it 18
  recipients; Fastmail's and Rambler's "No such user here" it calls ``filtered``): their
  figures are a floor.

- ``exim``: the bounces in Exim's own test suite (``test/mail``: mboxes of what each test
  delivered; the messages from its Mail Delivery System or with X-Failed-Recipients), every
  way Exim reports a failure: aliases, forwards, pipes, files, delays, frozen messages.  Added
  in session 10, measured before the fix it prompted (a recipient reported under what its alias
  became), so not held out.

Except for ``bsd`` and ``bsd-go``, the expectation is what sisimai itself says when it is run on
the messages (``bench/sisimai_reasons.pl``, p5-sisimai from the cache; it needs perl with the
JSON and Class::Accessor::Lite modules: Debian's ``libjson-perl``,
``libclass-accessor-lite-perl``).  ``--reference`` runs it and keeps its answers in the cache
(sisimai may write bytes that are not UTF-8 in a recipient it took from HTML: read as
replacement characters).
"""

from __future__ import annotations

import json
import mailbox
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

# (status, reply code, sisimai's reason, recipient or "") per failed recipient, in order.
Expected = list[tuple[str, str, str, str]]
HERE = Path(__file__).resolve().parent
REPOSITORIES = {
    "set-of-emails": "https://github.com/sisimai/set-of-emails",
    "p5-sisimai": "https://github.com/sisimai/p5-sisimai",
    "go-sisimai": "https://github.com/sisimai/go-sisimai",
    "email-bounce-parser": "https://github.com/crisp-oss/email-bounce-parser",
    "Mail-DeliveryStatus-BounceParser": "https://github.com/rjbs/Mail-DeliveryStatus-BounceParser",
    "flufl.bounce": "https://github.com/wRAR/flufl.bounce",
    "PHP-Bounce-Handler": "https://github.com/zoonru/PHP-Bounce-Handler",
    "bounce_email": "https://github.com/ronbeltran/bounce_email",
    "emailengine": "https://github.com/postalsys/emailengine",
    "MailBounceDetector": "https://github.com/rgl/MailBounceDetector",
    "flanker": "https://github.com/mailgun/flanker",
    "bounce-parser": "https://github.com/osandum/bounce-parser",
    "exim": "https://github.com/Exim/exim",
}
_ENGINE = re.compile(r"my \$enginename\s*=\s*'([^']+)'")
_ENTRY = re.compile(r"'(\d+)'\s*=>\s*\[\s*((?:\[[^\]]*\]\s*,?\s*)+)\]")
_RESULT = re.compile(r"\[\s*'([^']*)'\s*,\s*'([^']*)'\s*,\s*'([^']*)'")
_GO_ENGINE = re.compile(r'EngineTest\(t,\s*"([^"]+)",\s*publiclist')
_GO_PUBLIC = re.compile(r"publiclist\s*:=\s*\[\]\[\]IsExpected\{(.*?)\n\s*\};", re.S)
_GO_ROW = re.compile(r'\{"(\d+)",\s*(\d+),\s*"([^"]*)",\s*"([^"]*)",\s*"([^"]*)"')
# The headers a body-only sample is given (its first lines name the MTA that wrote it).
_WRAPPER = (b"From: Mail Delivery System <MAILER-DAEMON@mailer.example>\n"
            b"To: sender@example.org\nSubject: Undelivered Mail Returned to Sender\n"
            b"Date: Thu, 23 Nov 2023 20:19:40 +0000\nMIME-Version: 1.0\n"
            b"Content-Type: text/plain; charset=utf-8\n\n")


@dataclass
class Corpus:
    """A named set of messages and sisimai's expectations for them (by message name)."""

    name: str
    messages: dict[str, bytes]
    expected: dict[str, Expected] = field(default_factory=dict)
    held_out: bool = False
    # How a message is handed to sisimai (its Perl reader skips CR-only files).
    for_sisimai: Callable[[bytes], bytes] = lambda data: data

    def __post_init__(self) -> None:
        self.expected = {name: rows for name, rows in self.expected.items()
                         if name in self.messages}


def _files(folder: Path, pattern: str = "*") -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.glob(pattern))
            if path.is_file()}


def p5_tests(tests: Path) -> dict[str, Expected]:
    """File name -> p5-sisimai's expected results (``t/*.t``, the ``$isexpected`` tables)."""
    found: dict[str, Expected] = {}
    for test in sorted(tests.glob("*.t")):
        text = test.read_text(encoding="utf-8", errors="replace")
        engine = _ENGINE.search(text)
        if engine is None or "$isexpected" not in text:
            continue
        prefix = ""
        if engine.group(1).upper() not in ("ARF", "RFC3464", "RFC3834"):
            prefix = "rhost-" if "-rhost-" in test.name else "lhost-"
        for number, body in _ENTRY.findall(text):
            name = f"{prefix}{engine.group(1).lower()}-{int(number):02d}.eml"
            results = [(status, code, reason, "") for status, code, reason
                       in _RESULT.findall(body)]
            if results:
                found[name] = results
    return found


def go_tests(tests: Path) -> dict[str, Expected]:
    """File name -> go-sisimai's expected results (``fact/*_test.go``, the public lists)."""
    found: dict[str, Expected] = {}
    for test in sorted(tests.glob("*_test.go")):
        text = test.read_text(encoding="utf-8", errors="replace")
        engine, public = _GO_ENGINE.search(text), _GO_PUBLIC.search(text)
        if engine is None or public is None:
            continue
        prefix = ""
        if engine.group(1).upper() not in ("ARF", "RFC3464", "RFC3834"):
            prefix = "rhost-" if "-rhost-" in test.name else "lhost-"
        for label, _index, status, code, reason in _GO_ROW.findall(public.group(1)):
            found.setdefault(f"{prefix}{engine.group(1).lower()}-{label}.eml", []).append(
                (status, code, reason, ""))
    return found


def _mbox_messages(folder: Path) -> dict[str, bytes]:
    messages = {}
    for path in sorted(folder.glob("mbox-*")):
        if path.stat().st_size < 100:
            continue
        box = mailbox.mbox(str(path), create=False)
        for index, key in enumerate(box.keys()):
            messages[f"{path.name}-{index:03d}.eml"] = box.get_bytes(key)
    return messages


def _exim_bounces(folder: Path) -> dict[str, bytes]:
    """The bounces among the messages Exim's tests delivered (each file an mbox)."""
    messages = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.stat().st_size < 100:
            continue
        box = mailbox.mbox(str(path), create=False)
        for index, key in enumerate(box.keys()):
            data = box.get_bytes(key)
            if b"From: Mail Delivery System" in data[:3_000] \
                    or b"X-Failed-Recipients:" in data[:3_000]:
                messages[f"{path.name}-{index}.eml"] = data
    return messages


def corpora(cache: Path, only: set[str] | None = None) -> Iterator[Corpus]:
    """Every set whose files are in the cache (``--fetch``), in the order of the summary."""
    emails = cache / "set-of-emails"
    maildir = emails / "maildir"
    bsd = _files(maildir / "bsd", "*.eml")
    tested = p5_tests(cache / "p5-sisimai/t") if (cache / "p5-sisimai/t").is_dir() else {}
    wanted = only or {"bsd", "bsd-go", "bsd-new", "dos", "mac", "err", "mbox", "crisp", "bp",
                      "flufl", "php", "rb", "ee", "mbd", "flanker", "osb", "exim"}
    if "bsd" in wanted and bsd and tested:
        yield Corpus("bsd", {k: v for k, v in bsd.items() if k in tested}, tested)
    if "bsd-go" in wanted and bsd and (cache / "go-sisimai/fact").is_dir():
        go = go_tests(cache / "go-sisimai/fact")
        yield Corpus("bsd-go", {k: v for k, v in bsd.items() if k in go}, go)
    if "bsd-new" in wanted and bsd and tested:
        yield Corpus("bsd-new", {k: v for k, v in bsd.items() if k not in tested})
    if "dos" in wanted and (maildir / "dos").is_dir():
        yield Corpus("dos", _files(maildir / "dos"))
    if "mac" in wanted and (maildir / "mac").is_dir():
        yield Corpus("mac", _files(maildir / "mac"),
                     for_sisimai=lambda data: data.replace(b"\r", b"\n"))
    if "err" in wanted and (maildir / "err").is_dir():
        yield Corpus("err", _files(maildir / "err"))
    if "mbox" in wanted and (emails / "mailbox").is_dir():
        yield Corpus("mbox", _mbox_messages(emails / "mailbox"))
    crisp = cache / "email-bounce-parser/test/fixtures"
    if "crisp" in wanted and crisp.is_dir():
        yield Corpus("crisp", {path.stem + ".eml": _WRAPPER + path.read_bytes()
                               for path in sorted(crisp.glob("*.txt"))})
    for name, folder, pattern in (("flufl", "flufl.bounce/flufl/bounce/tests/data", "*.txt"),
                                  ("php", "PHP-Bounce-Handler/eml", "*.eml"),
                                  ("rb", "bounce_email/tests/bounces", "*.txt")):
        if name in wanted and (cache / folder).is_dir():
            yield Corpus(name, _files(cache / folder, pattern))
    if "exim" in wanted and (cache / "exim/test/mail").is_dir():
        yield Corpus("exim", _exim_bounces(cache / "exim/test/mail"))
    parser = cache / "Mail-DeliveryStatus-BounceParser/t/corpus"
    if "bp" in wanted and parser.is_dir():
        yield Corpus("bp", _files(parser, "*.msg"), held_out=True)
    for name, folder, pattern in (("ee", "emailengine/test/fixtures/bounces", "*.eml"),
                                  ("mbd", "MailBounceDetector/MailBounceDetector.Tests/Fixtures",
                                   "*.eml"),
                                  ("flanker", "flanker/tests/fixtures/messages/bounce", "*.eml"),
                                  ("osb", "bounce-parser/src/test/resources", "*.eml")):
        if name in wanted and (cache / folder).is_dir():
            yield Corpus(name, _files(cache / folder, pattern), held_out=True)


def reference_file(cache: Path, corpus: Corpus) -> Path:
    return cache / "reference" / f"{corpus.name}.jsonl"


def run_sisimai(cache: Path, corpus: Corpus) -> None:
    """Run p5-sisimai on every message of ``corpus``; keep its answers in the cache."""
    work = cache / "reference" / corpus.name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name, data in corpus.messages.items():
        (work / name).write_bytes(corpus.for_sisimai(data))
    lib = cache / "p5-sisimai/lib"
    with reference_file(cache, corpus).open("w", encoding="utf-8") as out:
        subprocess.run(["perl", str(HERE / "sisimai_reasons.pl"), str(lib),
                        *sorted(str(path) for path in work.iterdir())],
                       check=True, stdout=out)
    shutil.rmtree(work, ignore_errors=True)


def load_reference(cache: Path, corpus: Corpus) -> bool:
    """Fill ``corpus.expected`` from sisimai's kept answers; False when there are none yet."""
    path = reference_file(cache, corpus)
    if not path.is_file():
        return False
    expected: dict[str, Expected] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        row = json.loads(line)
        expected.setdefault(Path(row["file"]).name, []).append(
            (row["status"], str(row["code"]), row["reason"], row["recipient"]))
    corpus.expected = {name: rows for name, rows in expected.items()
                       if name in corpus.messages}
    return True
