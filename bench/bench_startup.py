"""Start-up: single ``smtpdiag explain`` and ``compare`` runs as cold processes.

Target: median <= 150 ms on the 2-core development machine.  Each is reported as an absolute
figure (wall and CPU time) and as a ratio to ``python -c pass`` run by the same interpreter in
the same run, the floor of any Python CLI installed there.

That floor depends on the install: an editable install (``pip install -e``, the development
venv) puts a finder in ``site-packages`` whose ``.pth`` line imports ``pathlib`` (and with it
``urllib.parse``, ``ipaddress``, ``fnmatch``) into every Python start, about 30 ms before any
smtpdiag code runs.  Users install with plain ``pip install``, so ``--regular`` also measures
a regular install of this tree: a throw-away venv into which pip installs it (no ``-e``), its
dependencies taken from the current environment.

    python bench/bench_startup.py [--runs 15] [--regular]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from common import line, load, save, smtpdiag_command, summary, time_with_cpu

TARGET_MS = 150.0
ROOT = Path(__file__).resolve().parent.parent
CASES = (
    ("explain 550", ["explain", "550"]),
    ("compare 211 250", ["compare", "211", "250"]),
    ("explain <gmail reply>", ["explain", "550 5.7.26 unauthenticated sender gsmtp"]),
    ("explain <bounce text>", ["explain", "Diagnostic-Code: smtp; 550 5.1.1 <a@example.org>: "
                               "Recipient address rejected: User unknown in virtual mailbox "
                               "table"]),
)


def measure(python: str, command: list[str], runs: int, title: str) -> dict[str, object]:
    env = {"LANG": "C.UTF-8"}
    print(title)
    floor = summary(time_with_cpu([python, "-S", "-c", "pass"], runs, env))
    print(line("  python -S -c pass (no site-packages)", floor))
    baseline = summary(time_with_cpu([python, "-c", "pass"], runs, env))
    print(line("  python -c pass (baseline)", baseline))
    results: dict[str, object] = {"python -S -c pass": floor, "python -c pass": baseline}
    for label, argv in CASES:
        stats = summary(time_with_cpu([*command, *argv], runs, env))
        results[label] = stats
        verdict = "ok" if stats["median_ms"] <= TARGET_MS else "OVER TARGET"
        print(line(f"  {label}", stats, baseline), f" [{verdict}: target {TARGET_MS:.0f} ms]")
    return results


def regular_install(directory: Path) -> Path:
    """A venv holding a regular (not editable) pip install of this tree; the dependencies
    come from the current environment's site-packages (a path in a ``.pth``, no hook)."""
    venv = directory / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    wheels = directory / "wheels"
    pip = [sys.executable, "-m", "pip", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(wheels),
                    str(ROOT)], check=True)
    subprocess.run([*pip, "--python", str(python), "install", "--no-deps",
                    *map(str, wheels.glob("*.whl"))], check=True)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path("
                           "'purelib'))"], capture_output=True, text=True, check=True)
    # after the install, so that pip never sees (or removes) the development install
    (Path(site.stdout.strip()) / "dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n")
    return venv / "bin"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--regular", action="store_true",
                        help="also measure a regular (non-editable) install of this tree")
    args = parser.parse_args()
    print(load())
    results = {"this environment": measure(sys.executable, smtpdiag_command(), args.runs,
                                           f"this environment ({sys.executable})")}
    if args.regular:
        with tempfile.TemporaryDirectory() as tmp:
            bin_dir = regular_install(Path(tmp))
            results["regular install"] = measure(str(bin_dir / "python"),
                                                 [str(bin_dir / "smtpdiag")], args.runs,
                                                 "regular install (pip install, no -e)")
    print(load())
    print(f"results: {save('startup', results)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
