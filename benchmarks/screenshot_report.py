"""Screenshots of the scan's HTML report in real headless Chromium (Debian's ``chromium``), to look at by eye.

It scans a small mixed demo export (every format and outcome, plus broken files) with ``--html``, or takes an
existing report, then writes two PNGs: the overview (cards, charts, table) and one note's view (evidence
highlighted in the text beside the checklist outcome). Chromium runs with no network, no first-run work and a
throw-away profile. Run by hand:

    .venv/bin/python benchmarks/screenshot_report.py [--report report.html] [--note 3] [--out-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--hide-scrollbars"]


def chromium() -> str | None:
    """The Chromium binary, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def demo_report(work: Path) -> Path:
    """Scan a demo export into ``work`` and return the report's path."""
    sys.path.insert(0, str(ROOT / "tests"))
    from fixtures.scan.note_files import make_export

    export = work / "export"
    export.mkdir(parents=True)
    make_export(export)
    report = work / "report.html"
    subprocess.run([sys.executable, "-m", "rtaudit.cli", "scan", str(export), "--out", str(work / "results.jsonl"),
                    "--html", str(report), "--workers", "2", "-q"], check=False)
    return report


def first_note(report: Path, outcome: str = "downcode") -> int:
    """The index of the first note with ``outcome`` in the report (0 if none)."""
    found = re.search(r'<script type="application/json" id="rt-notes">(.*?)</script>',
                      report.read_text(encoding="utf-8"), re.S)
    notes = json.loads(found.group(1)) if found else []
    return next((i for i, n in enumerate(notes) if n["o"] == outcome and n["t"]), 0)


def screenshot(browser: str, url: str, target: Path, size: str) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", f"--window-size={size}",
                        "--virtual-time-budget=5000", f"--screenshot={target}", url],
                       capture_output=True, text=True, timeout=120, check=False)
    print(f"{target} ({target.stat().st_size if target.exists() else 0} bytes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", type=Path, help="an existing report (default: scan a demo export)")
    parser.add_argument("--note", type=int, help="which note to open (default: the first downcode)")
    parser.add_argument("--out-dir", type=Path, default=Path("."))
    args = parser.parse_args()
    browser = chromium()
    if browser is None:
        raise SystemExit("headless Chromium not found: apt-get install -y chromium")
    work = Path(tempfile.mkdtemp(prefix="rtaudit-report-"))
    report = args.report or demo_report(work)
    note = args.note if args.note is not None else first_note(report)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    screenshot(browser, report.resolve().as_uri(), args.out_dir / "report_overview.png", "1400,1500")
    screenshot(browser, f"{report.resolve().as_uri()}#note-{note}", args.out_dir / "report_note.png", "1400,1000")
    if args.report is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
