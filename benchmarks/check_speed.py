"""Speed of `rtaudit check`, beside named baselines measured in the same run (run by hand, not in CI).

Cold: the whole `rtaudit check NOTE --format json` process beside `python -c "import spacy; spacy.blank('en')"`
(spaCy's own start-up). Warm: notes per second through `check_note` (pipeline + checklist evaluation + report) beside
`spacy.blank("en")` tokenization of the same notes, single process.

    python benchmarks/check_speed.py [--notes 300] [--cold-runs 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from note_sentences import SENTENCES


def make_notes(count: int, words: int = 400, seed: int = 7) -> list[str]:
    """Synthetic ~400-word simulation notes with the layouts and cues of real ones."""
    rng = random.Random(seed)
    notes = []
    for index in range(count):
        lines = ["CT SIMULATION NOTE", f"Date of service: 03/{index % 28 + 1:02d}/2025", ""]
        while sum(len(line.split()) for line in lines) < words - 15:
            lines.append(rng.choice(SENTENCES))
        lines += ["", "CPT: 77290", f"Electronically signed by Ada Testwell, MD on 03/{index % 28 + 1:02d}/2025 16:42"]
        notes.append("\n".join(lines))
    return notes


def _time_process(args: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cold(runs: int) -> tuple[float, float]:
    note = make_notes(1)[0]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write(note)
    rtaudit = str(Path(sys.executable).with_name("rtaudit"))
    spacy_start = _time_process([sys.executable, "-c", "import spacy; spacy.blank('en')"], runs)
    check = _time_process([rtaudit, "check", handle.name, "--code", "77290", "--format", "json"], runs)
    Path(handle.name).unlink()
    return check, spacy_start


def warm(count: int) -> tuple[float, float]:
    import spacy

    from rtaudit.api import check_note

    notes = make_notes(count)
    check_note(notes[0])  # load the pipeline and checklists outside the timing
    blank = spacy.blank("en")
    for note in notes[:10]:
        blank(note)
    best_check, best_tokens = 0.0, 0.0
    for _ in range(3):
        start = time.perf_counter()
        for note in notes:
            blank(note)
        best_tokens = max(best_tokens, count / (time.perf_counter() - start))
        start = time.perf_counter()
        for note in notes:
            check_note(note).to_json()
        best_check = max(best_check, count / (time.perf_counter() - start))
    return best_check, best_tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=300)
    parser.add_argument("--cold-runs", type=int, default=7)
    args = parser.parse_args()
    words = statistics.mean(len(n.split()) for n in make_notes(20))
    check_s, spacy_s = cold(args.cold_runs)
    check_rate, token_rate = warm(args.notes)
    print(f"notes of ~{words:.0f} words; {args.notes} warm notes, {args.cold_runs} cold runs (medians / best of 3)")
    print(f"{'measure':<48}{'value':>12}")
    print(f"{'cold: spaCy start-up (import + blank)':<48}{spacy_s:>11.2f}s")
    print(f"{'cold: rtaudit check (whole process)':<48}{check_s:>11.2f}s")
    print(f"{'cold ratio (target <= 1.3)':<48}{check_s / spacy_s:>12.2f}")
    print(f"{'warm: spacy.blank tokenization, notes/s':<48}{token_rate:>12.0f}")
    print(f"{'warm: rtaudit check_note + JSON, notes/s':<48}{check_rate:>12.0f}")
    print(f"{'warm ratio (target >= 0.5)':<48}{check_rate / token_rate:>12.2f}")


if __name__ == "__main__":
    main()
