"""The radiation-oncology assertion suite (tests/data/assertion_cases.jsonl) through the public classify API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rtaudit.assertion import classify

CASES = [json.loads(line) for line in (Path(__file__).parent / "data" / "assertion_cases.jsonl").read_text(
    encoding="utf-8").splitlines() if line.strip()]
EXPECTED_NAME = {"other": "other_experiencer"}


def _offsets(case: dict) -> tuple[int, int]:
    text, target = case["text"], case["target"]
    position = -1
    for _ in range(case.get("occurrence", 1)):
        position = text.find(target, position + 1)
    assert position >= 0, case["id"]
    return position, position + len(target)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_assertion_case(case):
    start, end = _offsets(case)
    result = classify(case["text"], start, end, case.get("element"))
    assert result["status"] == EXPECTED_NAME.get(case["expected"], case["expected"]), result["trigger"]
    for flag, expected in case.get("flags", {}).items():  # the clinical temporality, where it parts from the status
        assert result[flag] is expected, (flag, result["trigger"])


def test_suite_covers_the_forms_the_issue_names():
    families = " ".join(c["family"] for c in CASES)
    for form in ("not indicated", "deferred", "N/A", "declined", "will", "prior", "family", "checkbox",
                 "option menu", "key-value", "scope: but", "scope: however", "semicolon", "line end",
                 "section", "double negation", "pseudo: no change", "not only"):
        assert form in families, form
    assert len(CASES) >= 150


def test_classify_reports_the_trigger_with_offsets():
    text = "IV contrast was not given because of renal function."
    result = classify(text, 3, 11)
    assert result["negated"] and not result["hypothetical"]
    trigger = result["trigger"]
    assert text[trigger["start"]:trigger["end"]] == trigger["text"] and "not" in trigger["text"]


def test_classify_rejects_offsets_outside_the_sentence():
    with pytest.raises(ValueError):
        classify("short", 2, 50)
