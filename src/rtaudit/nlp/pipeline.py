"""Build the pipeline from ``spacy.blank("en")`` and the pattern files, and load the shipped one."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import spacy
import srsly
from spacy.language import Language
from spacy.util import load_config

from rtaudit.datafiles import load_jsonl
from rtaudit.nlp import components  # noqa: F401  (registers the factories)
from rtaudit.nlp.patterns import PATTERN_FILES
from rtaudit.nlp.text_pipeline import MODEL_DIR, MODEL_NAME, ROOT, model_path  # noqa: F401 (re-exported)

PATTERNS_DIR = ROOT / "patterns"
MODEL_VERSION = "0.1.0"

#: (component name, factory, pattern file or None), in pipeline order.
COMPONENTS: tuple[tuple[str, str, str | None], ...] = (
    ("layout", "rtaudit_layout", "sections.jsonl"),
    ("element_ruler", "rtaudit_element_ruler", "elements.jsonl"),
    ("abbreviations", "rtaudit_abbreviations", None),
    ("counts", "rtaudit_counts", None),
    ("signatures", "rtaudit_signatures", None),
    ("assertion", "rtaudit_assertion", "context.jsonl"),
)


def build_pipeline(patterns_dir: Path = PATTERNS_DIR) -> Language:
    """A fresh pipeline: ``spacy.blank("en")`` plus our components, initialised from the pattern files."""
    nlp = spacy.blank("en")
    nlp.meta.update({"name": MODEL_NAME, "version": MODEL_VERSION,
                     "description": "rtaudit radiation-oncology documentation elements (rule-based)"})
    for name, factory, pattern_file in COMPONENTS:
        component = nlp.add_pipe(factory, name=name)
        if pattern_file is not None:
            component.initialize(patterns=_read_patterns(patterns_dir / pattern_file))
    return nlp


def _read_patterns(path: Path) -> list[dict]:
    """Pattern dicts from a JSONL file, validated with errors naming the file and line."""
    rules = load_jsonl(path, PATTERN_FILES[path.name])
    return [rule.model_dump(exclude_none=True, exclude_defaults=True) | {"id": rule.id} for rule in rules]


@lru_cache(maxsize=2)
def load_pipeline(path: str | None = None) -> Language:
    """Load the built pipeline from disk (offline), once per process.

    The folder is a regular spaCy pipeline (``spacy.load`` reads it too). When it holds exactly rtaudit's
    components, they are rebuilt on ``spacy.blank("en")`` with the saved settings and patterns, which skips
    ``spacy.load``'s config resolution and second tokenizer build and halves the start-up of a one-note check.
    """
    folder = Path(path or model_path())
    config = load_config(folder / "config.cfg")
    names = list(config["nlp"]["pipeline"])
    if config["nlp"]["lang"] != "en" or names != [name for name, _, _ in COMPONENTS]:
        return spacy.load(folder)
    nlp = spacy.blank("en")
    nlp.meta.update(srsly.read_json(folder / "meta.json"))
    for name, factory, pattern_file in COMPONENTS:
        settings = {k: v for k, v in config["components"][name].items() if k != "factory"}
        component = nlp.add_pipe(factory, name=name, config=settings)
        if pattern_file is not None:
            component.from_disk(folder / name)
    return nlp
