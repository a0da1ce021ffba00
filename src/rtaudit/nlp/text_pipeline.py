"""The shipped pipeline run straight on a note's text: what ``check_note``, the scan and the hook use.

The annotators are read from the same built folder under ``models/`` that ``spacy.load`` reads, but without
importing spaCy, so a one-note check starts in a fraction of spaCy's own start-up. A folder holding components
rtaudit does not know is loaded with spaCy instead.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from rtaudit.nlp.annotators import NoteState, load_annotators, new_state

ROOT = Path(__file__).resolve().parents[3]
MODEL_NAME = "rtaudit_ro"
MODEL_DIR = ROOT / "models" / MODEL_NAME


def model_path() -> Path:
    """Where the shipped pipeline lives (``RTAUDIT_MODEL`` overrides)."""
    return Path(os.environ.get("RTAUDIT_MODEL", MODEL_DIR))


@lru_cache(maxsize=2)
def load_text_pipeline(path: str | None = None) -> tuple[Any, ...]:
    """The pipeline's annotators in order (each with ``name`` and ``annotate(state)``), loaded once per process."""
    folder = Path(path or model_path())
    annotators = load_annotators(folder)
    if annotators is None:
        from rtaudit.nlp.pipeline import load_pipeline

        return tuple(component for _, component in load_pipeline(str(folder)).pipeline)
    return tuple(annotators)


def annotator(name: str) -> Any:
    """One annotator of the shipped pipeline by component name (``layout``, ``assertion``...)."""
    return next(a for a in load_text_pipeline() if a.name == name)


def annotate_text(text: str) -> NoteState:
    """Run every annotator on ``text``; the filled state (``rt_mentions``, ``rt_sections``...)."""
    state = new_state(text)
    for step in load_text_pipeline():
        step.annotate(state)
    return state
