"""The spaCy pipeline components, registered as factories with JSON-able config.

Each component is an annotator of ``rtaudit.nlp.annotators`` run on a Doc: it keeps plain data in Doc extensions
(lists of dicts with character offsets), so Docs serialise and travel between worker processes, and puts spans for
displaCy and spaCy users in ``doc.spans``. Pattern data is given at ``initialize`` (or ``add_patterns``) and saved
with ``to_disk`` as JSONL, as spaCy's SpanRuler does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy
import srsly
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import ensure_path

from rtaudit.nlp.annotators import (
    STATE_KEYS,
    AbbreviationAnnotator,
    AssertionAnnotator,
    CountAnnotator,
    ElementAnnotator,
    LayoutAnnotator,
    NoteState,
    PatternAnnotator,
    SignatureAnnotator,
)
from rtaudit.nlp.regexset import known_keys

SPANS_KEY = "rt_elements"

for _name, _default in (("rt_sections", None), ("rt_units", None), ("rt_matches", None),
                        ("rt_mentions", None), ("rt_abbreviations", None), ("rt_text", None)):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=_default)


def _text(doc: Doc) -> str:
    """The note text. ``Doc.text`` rebuilds it from every token on each call, so the layout component keeps one
    copy for the rest of the pipeline and the assertion component drops it again."""
    if doc._.rt_text is None:
        doc._.rt_text = doc.text
    return doc._.rt_text


def _run_on_doc(component: Any, doc: Doc) -> Doc:
    """Run a component's ``annotate`` on a Doc: read the extensions, annotate, write them back, add spans."""
    state: NoteState = {"text": _text(doc), "doc": doc}
    for key in STATE_KEYS:
        state[key] = getattr(doc._, key)
    state["rt_matches"] = state["rt_matches"] or []
    before = len(state["rt_matches"])
    component.annotate(state)
    for key in STATE_KEYS:
        setattr(doc._, key, state[key])
    spans_key = getattr(component, "spans_key", None)
    if spans_key is not None:
        if spans_key not in doc.spans:
            doc.spans[spans_key] = []
        for match in state["rt_matches"][before:]:
            _add_span(doc, spans_key, match["label"], match["rule"], match["start"], match["end"])
    return doc


def _add_span(doc: Doc, spans_key: str, label: str, rule: str, start: int, end: int) -> None:
    span = doc.char_span(start, end, label=label, span_id=rule, alignment_mode="expand")
    if span is not None:
        doc.spans[spans_key].append(span)


class _SavedPatterns(PatternAnnotator):
    """spaCy's initialize / to_disk / from_disk / bytes for an annotator with patterns."""

    def initialize(self, get_examples: Callable[[], Iterable[Any]] | None = None, *, nlp: Language | None = None,
                   patterns: Iterable[dict[str, Any]] | None = None) -> None:
        """Replace the patterns with ``patterns`` (from ``[initialize.components]`` or a build script)."""
        self._patterns = []
        if patterns is not None:
            self.add_patterns(patterns)
        else:
            self._compile()

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_jsonl(path / "patterns.jsonl", self.patterns)
        srsly.write_json(path / "word_keys.json", known_keys([p.to_regex() for p in self._patterns]))

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> _SavedPatterns:
        self.load(ensure_path(path))
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return srsly.msgpack_dumps({"patterns": self.patterns})

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> _SavedPatterns:
        self._patterns = []
        self.add_patterns(srsly.msgpack_loads(data)["patterns"])
        return self


class ClinicalLayout(_SavedPatterns, LayoutAnnotator):
    """Sections and sentence units (``doc._.rt_sections``, ``doc._.rt_units``; sentence starts on tokens)."""

    def __call__(self, doc: Doc) -> Doc:
        _run_on_doc(self, doc)
        layout_units = doc._.rt_units or []
        if len(doc) and layout_units:
            offsets = doc.to_array("IDX")
            unit_starts = numpy.array([start for start, _ in layout_units], dtype=offsets.dtype)
            token_indexes = numpy.clip(offsets.searchsorted(unit_starts, side="right") - 1, 0, None)
            sent_starts = numpy.full((len(doc), 1), -1, dtype="int64")
            sent_starts[token_indexes, 0] = 1
            sent_starts[0, 0] = 1
            doc.from_array([SENT_START], sent_starts.astype("uint64"))
        return doc


class ElementRuler(_SavedPatterns, ElementAnnotator):
    """Marks element mentions from JSONL patterns in ``doc.spans[spans_key]`` (overlaps allowed)."""

    def __call__(self, doc: Doc) -> Doc:
        return _run_on_doc(self, doc)


class NoteAbbreviations(AbbreviationAnnotator):
    """Element short forms a note defines (scispaCy's AbbreviationDetector, see ``AbbreviationAnnotator``)."""

    def __call__(self, doc: Doc) -> Doc:
        return _run_on_doc(self, doc)


class Counts(CountAnnotator):
    """Treatment-area and port counts as mentions with integer values."""

    def __call__(self, doc: Doc) -> Doc:
        return _run_on_doc(self, doc)


class Signatures(SignatureAnnotator):
    """Physician signatures, signature dates, and the forms that are not a signature."""

    def __call__(self, doc: Doc) -> Doc:
        return _run_on_doc(self, doc)


class Assertion(_SavedPatterns, AssertionAnnotator):
    """ConText-style assertion over every mention; writes ``doc._.rt_mentions`` (plain dicts)."""

    def __call__(self, doc: Doc) -> Doc:
        _run_on_doc(self, doc)
        doc._.rt_text = None
        return doc


@Language.factory("rtaudit_layout")
def make_layout(nlp: Language, name: str) -> ClinicalLayout:
    return ClinicalLayout(name)


@Language.factory("rtaudit_abbreviations", default_config={"spans_key": SPANS_KEY})
def make_abbreviations(nlp: Language, name: str, spans_key: str) -> NoteAbbreviations:
    return NoteAbbreviations(name, spans_key, nlp)


@Language.factory("rtaudit_element_ruler", default_config={"spans_key": SPANS_KEY})
def make_element_ruler(nlp: Language, name: str, spans_key: str) -> ElementRuler:
    return ElementRuler(name, spans_key)


@Language.factory("rtaudit_counts", default_config={"spans_key": SPANS_KEY})
def make_counts(nlp: Language, name: str, spans_key: str) -> Counts:
    return Counts(name, spans_key)


@Language.factory("rtaudit_signatures", default_config={"spans_key": SPANS_KEY})
def make_signatures(nlp: Language, name: str, spans_key: str) -> Signatures:
    return Signatures(name, spans_key)


@Language.factory("rtaudit_assertion")
def make_assertion(nlp: Language, name: str) -> Assertion:
    return Assertion(name)
