"""Score the checker on a labeled corpus (``NAME.txt`` + ``NAME.json`` in the LABELING.md format)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rtaudit.elements import CLAIM_ELEMENTS, COUNT_ELEMENTS, PROPOSED_ELEMENTS
from rtaudit.report.model import Report

NON_PRESENT = ("negated", "hypothetical", "historical")


@dataclass
class GoldCase:
    """One labeled note."""

    name: str
    text: str
    billed: list[str]
    claim_context: list[str]
    expected: dict[str, dict[str, Any]]
    elements: dict[str, Any]


def load_corpus(folder: Path) -> list[GoldCase]:
    """Every labeled case of a folder, sorted by name; a case whose label does not parse raises ValueError."""
    cases = []
    for label_path in sorted(Path(folder).glob("*.json")):
        note_path = label_path.with_suffix(".txt")
        if not note_path.exists():
            continue
        try:
            label = json.loads(label_path.read_text(encoding="utf-8"))
            cases.append(GoldCase(
                name=label_path.stem, text=note_path.read_text(encoding="utf-8"), billed=list(label["billed"]),
                claim_context=list(label.get("claim_context", [])), expected=dict(label["expected"]),
                elements=dict(label.get("elements", {}))))
        except (KeyError, TypeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{label_path}: not a label in the LABELING.md format ({exc})") from None
    return cases


@dataclass
class Scores:
    """Counts behind every figure, and the list of mistakes for ``--verbose``."""

    verdicts: int = 0
    verdicts_right: int = 0
    false_passes: int = 0
    false_holds: int = 0
    missing_right: int = 0
    present_tp: int = 0
    present_fp: int = 0
    present_fn: int = 0
    statuses: int = 0
    statuses_right: int = 0
    counts: int = 0
    counts_right: int = 0
    spurious_counts: int = 0
    non_present: int = 0
    non_present_kept_out: int = 0
    notes: int = 0
    mistakes: list[str] = field(default_factory=list)

    @staticmethod
    def _ratio(part: int, whole: int) -> float:
        return part / whole if whole else 1.0

    def figures(self) -> dict[str, float | int]:
        precision = self._ratio(self.present_tp, self.present_tp + self.present_fp)
        recall = self._ratio(self.present_tp, self.present_tp + self.present_fn)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "notes": self.notes,
            "codes": self.verdicts,
            "verdict_accuracy": round(self._ratio(self.verdicts_right, self.verdicts), 4),
            "false_passes": self.false_passes,
            "false_holds": self.false_holds,
            "missing_exact": round(self._ratio(self.missing_right, self.verdicts), 4),
            "element_precision": round(precision, 4),
            "element_recall": round(recall, 4),
            "element_f1": round(f1, 4),
            "status_accuracy": round(self._ratio(self.statuses_right, self.statuses), 4),
            "count_accuracy": round(self._ratio(self.counts_right, self.counts), 4),
            "spurious_counts": self.spurious_counts,
            "non_present_kept_out": round(self._ratio(self.non_present_kept_out, self.non_present), 4),
        }


def score_case(case: GoldCase, report: Report, scores: Scores) -> None:
    """Add one case's comparisons to ``scores``."""
    scores.notes += 1
    predicted = {v.code: v for v in report.codes}
    for code, gold in case.expected.items():
        scores.verdicts += 1
        got = predicted.get(code)
        gold_code = gold.get("supported_code")
        right = got is not None and got.verdict == gold["verdict"] and (
            gold["verdict"] != "downcode" or got.supported_code == gold_code)
        scores.verdicts_right += right
        if got is not None and sorted(got.missing) == sorted(gold.get("missing", [])):
            scores.missing_right += 1
        if got is not None and gold["verdict"] != "supported" and got.verdict == "supported":
            scores.false_passes += 1
        if got is not None and gold["verdict"] == "supported" and got.verdict != "supported":
            scores.false_holds += 1
        if not right:
            shown = f"{got.verdict} {got.supported_code or ''} missing={got.missing}" if got else "no verdict"
            scores.mistakes.append(f"{case.name} {code}: gold {gold['verdict']} {gold_code or ''} "
                                   f"missing={gold.get('missing', [])}; got {shown}")
        elif sorted(got.missing) != sorted(gold.get("missing", [])):
            scores.mistakes.append(f"{case.name} {code}: right verdict, missing list differs: gold "
                                   f"{sorted(gold.get('missing', []))}, got {sorted(got.missing)}")
    elements = report.elements
    for element, gold in case.elements.items():
        if element in CLAIM_ELEMENTS:
            continue
        found = elements.get(element)
        if element in COUNT_ELEMENTS:
            scores.counts += 1
            value = found.value if found else None
            if value == gold:
                scores.counts_right += 1
            else:
                scores.mistakes.append(f"{case.name} count {element}: gold {gold}, got {value}")
            continue
        status = found.status if found else "absent"
        scores.statuses += 1
        scores.statuses_right += status == gold
        if status != gold:
            scores.mistakes.append(f"{case.name} status {element}: gold {gold}, got {status}")
        if gold in NON_PRESENT:
            scores.non_present += 1
            scores.non_present_kept_out += status != "present"
        if gold == "present":
            scores.present_tp += status == "present"
            scores.present_fn += status != "present"
        elif status == "present":
            scores.present_fp += 1
    for element, found in elements.items():
        if element in case.elements or element in PROPOSED_ELEMENTS:
            continue
        if element in COUNT_ELEMENTS:
            scores.spurious_counts += 1
            scores.mistakes.append(f"{case.name} count {element}: gold none, got {found.value}")
        elif found.status == "present":
            scores.present_fp += 1
            scores.mistakes.append(f"{case.name} status {element}: gold absent, got present")


def evaluate_corpus(folder: Path, check: Callable[[GoldCase], Report] | None = None) -> Scores:
    """Run the checker on every case of ``folder`` and score it."""
    if check is None:
        from rtaudit.api import check_note

        def check(case: GoldCase) -> Report:
            return check_note(case.text, case.billed, case.claim_context)

    scores = Scores()
    for case in load_corpus(folder):
        score_case(case, check(case), scores)
    return scores
