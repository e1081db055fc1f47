"""Start-up: ``smtpdiag explain 550`` and ``smtpdiag compare 211 250`` as cold processes.

Target: median <= 150 ms on the 2-core development machine; reported beside ``python -c pass``
(the floor of any Python CLI) measured in the same run.

    python bench/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import sys

from common import line, save, smtpdiag_command, summary, time_process

TARGET_MS = 150.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    cmd = smtpdiag_command()
    env = {"LANG": "C.UTF-8"}
    baseline = summary(time_process([sys.executable, "-c", "pass"], args.runs, env))
    results = {"python -c pass": baseline}
    print(line("python -c pass (baseline)", baseline))
    for label, argv in (("smtpdiag explain 550", [*cmd, "explain", "550"]),
                        ("smtpdiag compare 211 250", [*cmd, "compare", "211", "250"]),
                        ("smtpdiag explain <gmail reply>",
                         [*cmd, "explain", "550 5.7.26 unauthenticated sender gsmtp"]),
                        ("smtpdiag explain <bounce text>",
                         [*cmd, "explain", "Diagnostic-Code: smtp; 550 5.1.1 <a@example.org>: "
                          "Recipient address rejected: User unknown in virtual mailbox table"])):
        stats = summary(time_process(argv, args.runs, env))
        results[label] = stats
        verdict = "ok" if stats["median_ms"] <= TARGET_MS else "OVER TARGET"
        print(line(label, stats, baseline), f" [{verdict}: target {TARGET_MS:.0f} ms]")
    print(f"results: {save('startup', results)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
