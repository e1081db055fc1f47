"""Throughput of ``smtpdiag explain --lines FILE --jsonl`` over 10,000 diagnostic texts.

Target: >= 5,000 texts/s in one process.  The texts are every catalogue example and every
fixture text, with the addresses and IPs varied so that no two lines are equal, in a shuffled
but fixed order.  Reported beside a baseline measured in the same run: a Python process that
reads the same file and writes one small JSON object per line (the floor of any JSONL tool).

    python bench/bench_explain_lines.py [--texts 10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

from common import line, load, save, smtpdiag_command, summary, time_with_cpu

TARGET_PER_S = 5_000
ROOT = Path(__file__).resolve().parent.parent
BASELINE = ("import json,sys\n"
            "w=sys.stdout.write\n"
            "for n,l in enumerate(open(sys.argv[1],encoding='utf-8'),1):\n"
            "    w(json.dumps({'line':n,'input':l.strip()})+'\\n')\n")


def texts(count: int) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from smtpdiag import catalogue

    seeds = [entry.example for entry in catalogue.providers()]
    seeds += [" ".join(p.read_text(encoding="utf-8").split())
              for p in sorted((ROOT / "fixtures" / "texts").glob("*.txt"))]
    rng = random.Random(12)
    out = []
    for number in range(count):
        text = seeds[number % len(seeds)].replace("\n", " ")
        out.append(text.replace("example.org", f"host{number}.example.org")
                   .replace("203.0.113.", f"203.0.{rng.randrange(256)}."))
    rng.shuffle(out)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "texts.txt"
        path.write_text("\n".join(texts(args.texts)) + "\n", encoding="utf-8")
        env = {"LANG": "C.UTF-8"}
        print(load())
        baseline = summary(time_with_cpu([sys.executable, "-c", BASELINE, str(path)],
                                         args.runs, env))
        stats = summary(time_with_cpu([*smtpdiag_command(), "explain", "--lines", str(path),
                                       "--jsonl"], args.runs, env))
        print(load())
    rate = args.texts / (stats["median_ms"] / 1000)
    cpu_rate = args.texts / (stats["cpu_median_ms"] / 1000)
    verdict = "ok" if rate >= TARGET_PER_S else "UNDER TARGET"
    print(line("baseline: read + one JSON a line", baseline))
    print(line(f"explain --lines ({args.texts} texts)", stats, baseline))
    print(f"{rate:,.0f} texts/s wall [{verdict}: target {TARGET_PER_S:,} texts/s]; "
          f"{cpu_rate:,.0f} texts per CPU second")
    saved = save("explain_lines", {"baseline": baseline, "explain": stats, "texts_per_s": rate,
                                   "texts_per_cpu_s": cpu_rate})
    print(f"results: {saved}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
