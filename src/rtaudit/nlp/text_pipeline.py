"""The shipped pipeline run straight on a note's text: what ``check_note``, the scan and the hook use.

The annotators are read from the same built folder under ``models/`` that ``spacy.load`` reads, but without
importing spaCy, so a one-note check starts in a fraction of spaCy's own start-up. A folder holding components
rtaudit does not know (a pipeline extended by a user) is loaded and run with spaCy instead.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from rtaudit.nlp.annotators import STATE_KEYS, NoteState, load_annotators, new_state

ROOT = Path(__file__).resolve().parents[3]
MODEL_NAME = "rtaudit_ro"
MODEL_DIR = ROOT / "models" / MODEL_NAME


def model_path() -> Path:
    """Where the shipped pipeline lives (``RTAUDIT_MODEL`` overrides)."""
    return Path(os.environ.get("RTAUDIT_MODEL", MODEL_DIR))


class TextPipeline:
    """rtaudit's annotators in pipeline order, run on plain text."""

    def __init__(self, steps: list[Any]):
        self.steps = steps

    def annotate(self, text: str) -> NoteState:
        """Every annotator's output for ``text`` (``rt_mentions``, ``rt_sections``...)."""
        state = new_state(text)
        for step in self.steps:
            step.annotate(state)
        return state

    def step(self, name: str) -> Any:
        """One annotator by component name (``layout``, ``assertion``...)."""
        return next(step for step in self.steps if step.name == name)


class SpacyTextPipeline(TextPipeline):
    """A pipeline folder with components of its own, run through spaCy (a token Doc per note)."""

    def __init__(self, nlp: Any):
        super().__init__([component for _, component in nlp.pipeline])
        self.nlp = nlp

    def annotate(self, text: str) -> NoteState:
        doc = self.nlp(text)
        return {"text": text} | {key: getattr(doc._, key) for key in STATE_KEYS}

    def step(self, name: str) -> Any:
        return self.nlp.get_pipe(name)


@lru_cache(maxsize=2)
def load_text_pipeline(path: str | None = None) -> TextPipeline:
    """The pipeline at ``path`` (default: the shipped one), loaded once per process."""
    folder = Path(path or model_path())
    annotators = load_annotators(folder)
    if annotators is None:
        from rtaudit.nlp.pipeline import load_pipeline

        return SpacyTextPipeline(load_pipeline(str(folder)))
    return TextPipeline(annotators)


def annotator(name: str) -> Any:
    """One annotator of the shipped pipeline by component name (``layout``, ``assertion``...)."""
    return load_text_pipeline().step(name)


def annotate_text(text: str) -> NoteState:
    """Run the shipped pipeline on ``text``; the filled state (``rt_mentions``, ``rt_sections``...)."""
    return load_text_pipeline().annotate(text)
