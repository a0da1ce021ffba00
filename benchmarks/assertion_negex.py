"""Assertion on the public NegEx/ConText kit: rtaudit beside medspaCy ConText and negspacy, in one run.

Run by hand with the project's venv (not in CI):

    .venv/bin/python benchmarks/assertion_negex.py                      # dev split: table
    .venv/bin/python benchmarks/assertion_negex.py --errors 60          # + rtaudit's dev-split errors, by kind
    .venv/bin/python benchmarks/assertion_negex.py --systems rtaudit    # rtaudit only (no baselines venv needed)
    .venv/bin/python benchmarks/assertion_negex.py --split heldout      # the held-out figure: measure ONCE, at the end

Kit: ``../shared/benchmarks/negex/rsAnnotations-1-120-random.txt`` (tab-separated, a header row, then 2,376 rows:
line number, condition, sentence, negation, temporality, experiencer; rows in random order).

Scoring convention (the kit README's): the condition string (surrounding whitespace stripped), located
case-insensitively in the sentence (first occurrence), is the target span; the 11 pairs where it is not found
are skipped (2,365 scored); each line is one sentence. Gold: negated = ``Negated`` (vs ``Affirmed``); historical =
temporality ``Historical``; hypothetical = temporality ``Not particular`` (the kit's hypothetical value);
other experiencer = experiencer other than ``Patient`` (``Family member`` / ``Other``).

Splits, by the order of the data rows in the file (row 1 = the first row after the header), which for this file is
also its line-number column (checked at load): ``dev`` = rows 1-1188, ``heldout`` = rows 1189-2376, ``all``.
Lexicon work uses ``dev`` only; ``--errors`` lists dev-split rows only, whatever ``--split`` says, and held-out
errors are never printed.

Systems: rtaudit via :func:`rtaudit.assertion.classify`, in-process. The baselines run in their own virtual
environment, ``benchmarks/.venv-baselines`` (Python 3.12; created here on first use from
``benchmarks/baselines/requirements.txt``), through ``benchmarks/baselines/run_baselines.py``, which reads a JSON
Lines file of (sentence, start, end) and writes predictions. Speed: sentences per second of each system's
classification loop alone, on the scored rows of the split: process CPU time, the fastest of 5 passes after a
warm-up, the systems' passes interleaved round by round so that load on a shared machine hits them alike.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
KIT = REPO.parent / "shared" / "benchmarks" / "negex" / "rsAnnotations-1-120-random.txt"
BASELINES = HERE / "baselines"
VENV = HERE / ".venv-baselines"
DEFAULT_PY312 = "/root/.pyenv/versions/3.12.1/bin/python"
DEV_ROWS = 1188
WARMUP = 50
REPEATS = 5  # timed passes per system; the fastest counts

STATUSES = ("negated", "historical", "hypothetical")
SYSTEMS = ("rtaudit", "medspacy", "negspacy")
SUPPORTS = {"rtaudit": STATUSES, "medspacy": STATUSES, "negspacy": ("negated",)}
TITLES = {"rtaudit": "rtaudit", "medspacy": "medspaCy ConText 1.3.1", "negspacy": "negspacy en_clinical"}

#: The kit README's reference figures (all 2,365 scored pairs): negation P / R / F1, historical F1, hypothetical F1.
REFERENCES = [
    ("GenNegEx v1.2 (published)", (0.933, 0.959, 0.946), None, None),
    ("medspaCy 1.3.1 ConText", (0.901, 0.959, 0.929), 0.63, 0.81),
    ("negspacy en_clinical", (0.928, 0.949, 0.939), None, None),
]
TARGETS = {"negated": 0.955, "historical": 0.75, "hypothetical": 0.85}  # issue 3


# ---------------------------------------------------------------------------------------------------- the kit
@dataclass
class Item:
    row: int  # 1-based data-row index in the file
    line_number: int  # the file's own line-number column
    condition: str
    sentence: str
    start: int
    end: int
    gold: dict[str, bool]
    gold_labels: tuple[str, str, str]  # negation, temporality, experiencer as written in the kit
    predictions: dict[str, dict] = field(default_factory=dict)


def load_kit(path: Path) -> tuple[list[Item], int]:
    """The scored items (in file order) and the number of rows skipped because the condition is not found."""
    lines = path.read_text(encoding="utf-8").splitlines()
    items, skipped = [], 0
    for row, line in enumerate(lines[1:], start=1):
        cells = line.split("\t")
        if len(cells) != 6:
            raise SystemExit(f"{path.name}: data row {row} has {len(cells)} columns, expected 6")
        number, condition, sentence, negation, temporality, experiencer = cells
        if int(number) != row:
            raise SystemExit(f"{path.name}: data row {row} carries line number {number}; the split is defined by "
                             "row order and the two no longer agree -- check the kit")
        target = condition.strip()
        start = sentence.lower().find(target.lower()) if target else -1
        if start < 0:
            skipped += 1
            continue
        gold = {
            "negated": negation == "Negated",
            "historical": temporality == "Historical",
            "hypothetical": temporality == "Not particular",
            "experiencer_other": experiencer != "Patient",
        }
        items.append(Item(row, int(number), condition, sentence, start, start + len(target), gold,
                          (negation, temporality, experiencer)))
    return items, skipped


def split_items(items: list[Item], split: str) -> list[Item]:
    if split == "dev":
        return [i for i in items if i.row <= DEV_ROWS]
    if split == "heldout":
        return [i for i in items if i.row > DEV_ROWS]
    return list(items)


# ---------------------------------------------------------------------------------------------------- systems
def rtaudit_pass(items: list[Item]) -> float:
    """One pass of rtaudit over the items, keeping its predictions; the pass's CPU seconds."""
    from rtaudit.assertion import classify

    began = time.process_time()
    results = [classify(item.sentence, item.start, item.end) for item in items]
    seconds = time.process_time() - began
    for item, result in zip(items, results, strict=True):
        item.predictions["rtaudit"] = result
    return seconds


def baselines_python(base_python: str) -> Path:
    """The baselines venv's interpreter, creating the venv / reinstalling when the requirements changed."""
    requirements = BASELINES / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    stamp = VENV / ".requirements.sha256"
    python = VENV / "bin" / "python"
    if python.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return python
    if not Path(base_python).exists():
        raise SystemExit(f"baselines need Python 3.12 at {base_python} (set --baselines-python or "
                         "RTAUDIT_BASELINES_PYTHON), or run rtaudit alone with --systems rtaudit")
    if not python.exists():
        print(f"creating {VENV.relative_to(REPO)} with {base_python} ...", file=sys.stderr)
        subprocess.run([base_python, "-m", "venv", str(VENV)], check=True)
    print(f"installing {requirements.relative_to(REPO)} into it (about a minute) ...", file=sys.stderr)
    done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           "-r", str(requirements)], capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"pip could not install {requirements.relative_to(REPO)} (exit {done.returncode})")
    stamp.write_text(digest + "\n")
    return python


def run_systems(items: list[Item], systems: list[str], base_python: str
                ) -> tuple[dict[str, float], list[float], dict | None]:
    """Predictions of every system on the items, and their speed.

    The baselines run in a ``run_baselines.py --serve`` process, which writes its predictions and then stays up.
    Timed passes are interleaved, one per system per round (rtaudit in-process, each baseline on request), so
    a burst of load on the machine hits every system alike. Returns each system's fastest pass (CPU seconds),
    the per-round medspaCy/rtaudit time ratios, and the baselines' versions.
    """
    timings: dict[str, list[float]] = {name: [] for name in systems}
    if "rtaudit" in systems:
        rtaudit_pass(items[:WARMUP])
    baselines = [name for name in systems if name != "rtaudit"]
    meta = None
    with tempfile.TemporaryDirectory(prefix="rtaudit-negex-") as tmp:
        process = None
        if baselines:
            python = baselines_python(base_python)
            source, target, errors = (Path(tmp) / n for n in ("items.jsonl", "predictions.jsonl", "stderr.txt"))
            with source.open("w", encoding="utf-8") as handle:
                for item in items:
                    handle.write(json.dumps({"id": item.row, "sentence": item.sentence, "start": item.start,
                                             "end": item.end}) + "\n")
            with errors.open("w") as stderr:
                process = subprocess.Popen(
                    [str(python), str(BASELINES / "run_baselines.py"), "--input", str(source), "--output",
                     str(target), "--systems", ",".join(baselines), "--warmup", str(WARMUP), "--serve"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True)
            line = process.stdout.readline()
            if not line:
                process.wait()
                raise SystemExit("the baselines runner failed:\n" + errors.read_text())
            meta = json.loads(line)
            with target.open(encoding="utf-8") as handle:
                for item, row in zip(items, (json.loads(line) for line in handle), strict=True):
                    assert row["id"] == item.row
                    item.predictions.update({name: row[name] for name in baselines})
        try:
            for _ in range(REPEATS):
                if "rtaudit" in systems:
                    timings["rtaudit"].append(rtaudit_pass(items))
                for name in baselines:
                    process.stdin.write(f"time {name}\n")
                    process.stdin.flush()
                    timings[name].append(json.loads(process.stdout.readline())["seconds"])
        finally:
            if process is not None:
                process.stdin.close()
                process.wait()
    ratios = [m / r for m, r in zip(timings.get("medspacy", []), timings.get("rtaudit", []), strict=False) if r]
    return {name: min(times) for name, times in timings.items()}, ratios, meta


# ---------------------------------------------------------------------------------------------------- scores
def prf(items: list[Item], system: str, status: str) -> tuple[float, float, float, int, int, int]:
    tp = fp = fn = 0
    for item in items:
        predicted = bool(item.predictions[system].get(status))
        gold = item.gold[status]
        tp += predicted and gold
        fp += predicted and not gold
        fn += gold and not predicted
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, tp, fp, fn


def print_table(items: list[Item], systems: list[str], seconds: dict[str, float], ratios: list[float], split: str,
                skipped: int, meta: dict | None) -> None:
    gold = {s: sum(i.gold[s] for i in items) for s in (*STATUSES, "experiencer_other")}
    print(f"NegEx/ConText kit, split {split}: {len(items)} scored pairs ({_split_rows(split)}; "
          f"{skipped} pairs of the whole kit skipped, condition not found in the sentence)")
    print(f"gold: negated {gold['negated']}, historical {gold['historical']}, hypothetical (Not particular) "
          f"{gold['hypothetical']}, other experiencer {gold['experiencer_other']}")
    print()
    head = f"{'system':<24}" + "".join(f"| {s:^20} " for s in STATUSES) + "| sentences/s"
    sub = f"{'':<24}" + "".join(f"| {'P':>6}{'R':>7}{'F1':>7} " for _ in STATUSES) + "|"
    print(head)
    print(sub)
    print("-" * len(head))
    for system in systems:
        cells = []
        for status in STATUSES:
            if status in SUPPORTS[system]:
                p, r, f, *_ = prf(items, system, status)
                cells.append(f"| {p:6.3f} {r:6.3f} {f:6.3f} ")
            else:
                cells.append(f"| {'n/a':^20} ")
        speed = len(items) / seconds[system] if seconds.get(system) else float("nan")
        print(f"{TITLES[system]:<24}" + "".join(cells) + f"| {speed:>11,.0f}")
    print()
    for system in systems:
        counts = " ".join(f"{s[:4]} tp/fp/fn {'/'.join(map(str, prf(items, system, s)[3:]))}"
                          for s in SUPPORTS[system])
        print(f"  {TITLES[system]:<24}{counts}")
    if "rtaudit" in systems:
        other = prf(items, "rtaudit", "experiencer_other")
        absent = sum(i.predictions["rtaudit"]["status"] == "absent" for i in items)
        print(f"  rtaudit other-experiencer tp/fp/fn {other[3]}/{other[4]}/{other[5]}; status 'absent' (scored "
              f"as affirmed): {absent}")
        if "medspacy" in seconds and seconds.get("rtaudit"):
            spread = f"; per round {min(ratios):.1f}x-{max(ratios):.1f}x" if ratios else ""
            print(f"  rtaudit speed / medspaCy speed: {seconds['medspacy'] / seconds['rtaudit']:.1f}x (fastest passes"
                  f"{spread}; issue 3: >= 5x)")
        print("  issue 3 targets (rtaudit F1): " + ", ".join(f"{s} >= {t}" for s, t in TARGETS.items()))
    print()
    print("Kit README reference figures (all 2,365 pairs; not the same rows as a dev/held-out half):")
    for name, (p, r, f), hist, hyp in REFERENCES:
        extra = "".join(f", {label} F1 {v:.2f}" for label, v in (("historical", hist), ("hypothetical", hyp)) if v)
        print(f"  {name:<26} negation P/R/F1 {p:.3f} / {r:.3f} / {f:.3f}{extra}")
    if "rtaudit" in systems:
        print(f"rtaudit: {rtaudit_revision()}.")
    if meta:
        versions = ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
        print(f"Baselines: Python {meta['python']}, {versions}; speed: CPU time, the fastest of {REPEATS} "
              f"timed passes per system, interleaved with rtaudit's, after a {WARMUP}-sentence warm-up.")


def rtaudit_revision() -> str:
    """The commit rtaudit was measured at, and whether its lexicon or code had uncommitted changes."""
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "src", "patterns", "models"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown revision"
    return f"commit {head}" + (" + uncommitted changes in src/, patterns/ or models/" if dirty else "")


def _split_rows(split: str) -> str:
    return {"dev": f"data rows 1-{DEV_ROWS}", "heldout": f"data rows {DEV_ROWS + 1}-2376",
            "all": "data rows 1-2376"}[split]


# ---------------------------------------------------------------------------------------------------- errors
KINDS = [
    ("false negation", lambda g, p: p["negated"] and not g["negated"]),
    ("missed negation", lambda g, p: g["negated"] and not p["negated"]),
    ("false historical", lambda g, p: p["historical"] and not g["historical"]),
    ("missed historical", lambda g, p: g["historical"] and not p["historical"]),
    ("false hypothetical", lambda g, p: p["hypothetical"] and not g["hypothetical"]),
    ("missed hypothetical", lambda g, p: g["hypothetical"] and not p["hypothetical"]),
    ("false other experiencer", lambda g, p: p["experiencer_other"] and not g["experiencer_other"]),
    ("missed other experiencer", lambda g, p: g["experiencer_other"] and not p["experiencer_other"]),
]


def error_kinds(item: Item) -> list[str]:
    prediction = item.predictions["rtaudit"]
    return [name for name, test in KINDS if test(item.gold, prediction)]


def marked_sentence(item: Item) -> str:
    """The sentence with the target in [brackets] and rtaudit's trigger in <<angle quotes>>, spaces collapsed."""
    marks = [(item.start, "["), (item.end, "]")]
    trigger = item.predictions["rtaudit"].get("trigger")
    if trigger and (trigger["end"] <= item.start or trigger["start"] >= item.end):
        marks += [(trigger["start"], "<<"), (trigger["end"], ">>")]
    text = item.sentence
    for offset, mark in sorted(marks, reverse=True):
        text = text[:offset] + mark + text[offset:]
    return re.sub(r"\s+", " ", text).strip()


def occurrence_note(item: Item) -> str | None:
    """When the condition occurs more than once, say so: the convention scores the first occurrence, while the kit
    writes the annotated occurrence in upper case -- the gold may be about another occurrence than the target."""
    target = item.condition.strip()
    count = item.sentence.lower().count(target.lower())
    if count < 2:
        return None
    annotated = item.sentence.find(target.upper())
    where = "" if annotated in (-1, item.start) else (
        f"; the kit's upper-case occurrence (the annotated one) is at character {annotated}, not the target")
    return f"(note: the condition occurs {count} times; the convention scores the first{where})"


def gold_words(item: Item) -> str:
    negation, temporality, experiencer = item.gold_labels
    words = [negation.lower()]
    if temporality != "Recent":
        words.append("hypothetical (Not particular)" if temporality == "Not particular" else temporality.lower())
    if experiencer != "Patient":
        words.append(f"experiencer {experiencer.lower()}")
    return ", ".join(words)


def predicted_words(item: Item) -> str:
    prediction = item.predictions["rtaudit"]
    trigger = prediction.get("trigger")
    words = prediction["status"]
    if trigger:
        words += f'  trigger "{trigger["text"]}" ({trigger["rule"]})'
    else:
        words += "  (no trigger)"
    return words


def print_errors(items: list[Item], limit: int) -> None:
    dev = [i for i in items if i.row <= DEV_ROWS]
    wrong = [(item, kinds) for item in dev if (kinds := error_kinds(item))]
    shown = wrong[:limit]
    print()
    print(f"rtaudit disagreements on the DEV split: {len(wrong)} rows of {len(dev)}; the first {len(shown)} in "
          "file order, grouped by kind (a row with two kinds is listed under its first, 'also' names the rest).")
    print("[target] in brackets, <<trigger>> in angle quotes when it lies outside the target; whitespace collapsed.")
    totals = {name: sum(name in kinds for _, kinds in wrong) for name, _ in KINDS}
    print("all dev disagreements by kind: " + ", ".join(f"{k} {n}" for k, n in totals.items() if n))
    wrap = textwrap.TextWrapper(width=118, initial_indent="    ", subsequent_indent="    ")
    for name, _ in KINDS:
        group = [(item, kinds) for item, kinds in shown if kinds[0] == name]
        if not group:
            continue
        print()
        print(f"== {name} ({len(group)} shown of {totals[name]}) ==")
        for item, kinds in group:
            also = f"   also: {', '.join(kinds[1:])}" if kinds[1:] else ""
            print(f"  row {item.row:>4}  gold: {gold_words(item)}  |  rtaudit: {predicted_words(item)}{also}")
            print(wrap.fill(marked_sentence(item)))
            if note := occurrence_note(item):
                print(wrap.fill(note))


# ---------------------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=("dev", "heldout", "all"), default="dev",
                        help="dev = data rows 1-1188 (default); heldout = rows 1189-2376, measured once at the end")
    parser.add_argument("--errors", type=int, default=0, metavar="N",
                        help="print up to N rtaudit disagreements, from the dev split only")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated subset of: "
                        + ", ".join(SYSTEMS))
    parser.add_argument("--kit", type=Path, default=KIT, help="path of rsAnnotations-1-120-random.txt")
    parser.add_argument("--baselines-python", default=os.environ.get("RTAUDIT_BASELINES_PYTHON", DEFAULT_PY312),
                        help="Python 3.12 used to create benchmarks/.venv-baselines on first use")
    args = parser.parse_args(argv)

    systems = [s for s in args.systems.split(",") if s]
    if unknown := set(systems) - set(SYSTEMS):
        parser.error(f"unknown systems: {', '.join(sorted(unknown))}")
    if args.errors and "rtaudit" not in systems:
        parser.error("--errors lists rtaudit's disagreements: include rtaudit in --systems")

    items, skipped = load_kit(args.kit)
    chosen = split_items(items, args.split)
    seconds, ratios, meta = run_systems(chosen, systems, args.baselines_python)
    print_table(chosen, systems, seconds, ratios, args.split, skipped, meta)
    if args.errors:
        dev = [i for i in items if i.row <= DEV_ROWS]
        missing = [i for i in dev if "rtaudit" not in i.predictions]
        if missing:  # --split heldout: classify the dev rows for the listing; held-out rows are never listed
            from rtaudit.assertion import classify

            for item in missing:
                item.predictions["rtaudit"] = classify(item.sentence, item.start, item.end)
        print_errors(dev, args.errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
