"""Shared fixtures: the shipped pipeline, loaded once per session, and note-checking helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_NOTES = ROOT / "sample_notes"


@pytest.fixture(scope="session")
def nlp():
    from rtaudit.nlp.pipeline import load_pipeline

    return load_pipeline()


@pytest.fixture(scope="session")
def status_of(nlp):
    """status_of(text, element) -> the summary status (or None when the element is not found)."""
    from rtaudit.findings import summarize

    def run(text: str, element: str):
        finding = summarize(nlp(text)._.rt_mentions, text).get(element)
        return None if finding is None else finding.status

    return run


@pytest.fixture(scope="session")
def findings_of(nlp):
    from rtaudit.findings import summarize

    def run(text: str):
        return summarize(nlp(text)._.rt_mentions, text)

    return run
