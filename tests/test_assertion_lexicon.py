"""The assertion lexicon's matching rules: irregular spacing, and temporality as an axis of its own."""

from __future__ import annotations

import re

import pytest

from rtaudit.assertion import classify
from rtaudit.nlp.regexset import tolerant_spaces
from rtaudit.nlp.text_pipeline import annotator


@pytest.mark.parametrize(("regex", "text"), [
    (r"\bhistory of\b", "history   of"),
    (r"\bno (?:further )?change\b", "no  further\tchange"),
    (r"\bone[- ]day\b", "one   day"),
    (r"\bone[- ]day\b", "one-day"),
    (r"\b4D ?CT\b", "4DCT"),
])
def test_spaces_in_a_rule_match_runs_of_spaces(regex, text):
    assert re.fullmatch(tolerant_spaces(regex), text)


def test_lookbehinds_and_negated_classes_are_left_alone():
    assert tolerant_spaces(r"(?<!not )\bdone") == r"(?<!not )\bdone"
    assert tolerant_spaces(r"[^ ]x") == r"[^ ]x"
    assert tolerant_spaces(r"[\s/-]x") == r"[\s/-]x"
    assert re.fullmatch(tolerant_spaces(r"[]a ]b c"), "]b  c")


def test_every_lexicon_rule_compiles_once_spaces_are_tolerant():
    for rule in annotator("assertion").engine.rules:
        re.compile(tolerant_spaces(rule.to_regex()))


def test_a_historical_trigger_may_share_words_with_a_negation():
    text = "Denies alcohol or other drug use."
    triggers, _ = annotator("assertion").engine.find_triggers(text, 0, len(text))
    assert {t.rule for t in triggers if t.text == "Denies"} == {"neg/denies", "hist/habit-denial"}


def test_context_section_keeps_the_status_but_not_the_historical_flag():
    text = "HISTORY OF PRESENT ILLNESS: He presents with a one-week history of dysphagia."
    start = text.index("dysphagia")
    result = classify(text, start, start + len("dysphagia"))
    assert result["status"] == "historical" and not result["historical"]
    assert result["trigger"]["rule"].startswith("section/")
