"""The spaCy pipeline components, registered as factories with JSON-able config.

Each component keeps plain data in Doc extensions (lists of dicts with character offsets), so Docs serialise and
travel between worker processes; spans for displaCy and spaCy users go to ``doc.spans``. Pattern data is given at
``initialize`` (or ``add_patterns``) and saved with ``to_disk`` as JSONL, as spaCy's SpanRuler does.
"""

from __future__ import annotations

import re
import warnings
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy
import srsly
from pydantic import BaseModel
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import ensure_path

from rtaudit.datafiles import parse_jsonl_lines
from rtaudit.nlp.context import Assertion as ContextAssertion
from rtaudit.nlp.context import ContextEngine, reference_year
from rtaudit.nlp.counts import find_counts
from rtaudit.nlp.layout import Section, SectionMatcher, analyse_layout, section_at
from rtaudit.nlp.matcher import ElementMatcher
from rtaudit.nlp.patterns import ContextRule, ElementPattern, SectionRule
from rtaudit.nlp.regexset import TextIndex, known_keys, preload_keys
from rtaudit.nlp.signatures import find_signatures

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


NoteState = dict[str, Any]
_STATE_KEYS = ("rt_sections", "rt_units", "rt_matches", "rt_abbreviations", "rt_mentions")


def new_state(text: str) -> NoteState:
    """The plain-data state the components fill in for one note (the same as the Doc extensions)."""
    return {"text": text, "rt_sections": [], "rt_units": [[0, len(text)]], "rt_matches": [],
            "rt_abbreviations": [], "rt_mentions": []}


def _run_on_doc(component: Any, doc: Doc) -> Doc:
    """Run a component's ``annotate`` on a Doc: read the extensions, annotate, write them back, add spans."""
    state: NoteState = {"text": _text(doc), "doc": doc}
    for key in _STATE_KEYS:
        state[key] = getattr(doc._, key)
    state["rt_matches"] = state["rt_matches"] or []
    before = len(state["rt_matches"])
    component.annotate(state)
    for key in _STATE_KEYS:
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


class _PatternComponent:
    """Shared plumbing: patterns of one pydantic model, validated, saved as ``patterns.jsonl``."""

    model: type[BaseModel]

    def __init__(self, name: str):
        self.name = name
        self._patterns: list[Any] = []
        self._compile()

    @property
    def patterns(self) -> list[dict[str, Any]]:
        """The patterns as plain dicts."""
        return [p.model_dump(exclude_none=True, exclude_defaults=True) | {"id": p.id} for p in self._patterns]

    def add_patterns(self, patterns: Iterable[dict[str, Any]]) -> None:
        """Validate and add patterns (dicts in the pattern-file format)."""
        lines = [srsly.json_dumps(p) for p in patterns]
        self._patterns.extend(parse_jsonl_lines(lines, self.model, f"<{self.name} patterns>"))
        self._compile()

    def initialize(self, get_examples: Callable[[], Iterable[Any]] | None = None, *, nlp: Language | None = None,
                   patterns: Iterable[dict[str, Any]] | None = None) -> None:
        """Replace the patterns with ``patterns`` (from ``[initialize.components]`` or a build script)."""
        self._patterns = []
        if patterns is not None:
            self.add_patterns(patterns)
        else:
            self._compile()

    def _compile(self) -> None:
        raise NotImplementedError

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_jsonl(path / "patterns.jsonl", self.patterns)
        srsly.write_json(path / "word_keys.json", known_keys([p.to_regex() for p in self._patterns]))

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> _PatternComponent:
        path = ensure_path(path)
        if (path / "word_keys.json").exists():
            preload_keys(srsly.read_json(path / "word_keys.json"))
        with open(path / "patterns.jsonl", encoding="utf-8") as handle:
            self._patterns = parse_jsonl_lines(handle, self.model, str(path / "patterns.jsonl"))
        self._compile()
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return srsly.msgpack_dumps({"patterns": self.patterns})

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> _PatternComponent:
        self._patterns = []
        self.add_patterns(srsly.msgpack_loads(data)["patterns"])
        return self


class ClinicalLayout(_PatternComponent):
    """Sections and sentence units (``doc._.rt_sections``, ``doc._.rt_units``; sentence starts on tokens)."""

    model = SectionRule

    def _compile(self) -> None:
        self.matcher = SectionMatcher(self._patterns)

    def annotate(self, state: NoteState) -> None:
        """Sections and sentence units of ``state["text"]``."""
        layout = analyse_layout(state["text"], self.matcher)
        state["rt_sections"] = [section.as_dict() for section in layout.sections]
        state["rt_units"] = [[start, end] for start, end in layout.units]

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


class ElementRuler(_PatternComponent):
    """Marks element mentions from JSONL patterns in ``doc.spans[spans_key]`` (overlaps allowed)."""

    model = ElementPattern

    def __init__(self, name: str, spans_key: str):
        self.spans_key = spans_key
        super().__init__(name)

    def _compile(self) -> None:
        self.matcher = ElementMatcher(self._patterns)

    def annotate(self, state: NoteState) -> None:
        """Add the element mentions of ``state["text"]`` to ``state["rt_matches"]``."""
        for match in self.matcher.find(state["text"]):
            record = {"label": match.label, "rule": match.rule, "start": match.start, "end": match.end}
            if match.negation_only:
                record["negation_only"] = True
            state["rt_matches"].append(record)

    def __call__(self, doc: Doc) -> Doc:
        return _run_on_doc(self, doc)


class NoteAbbreviations:
    """Abbreviations a note defines for an element, e.g. ``surface-guided setup (SGS)``: every later use of the
    short form becomes a mention of the same element (``<element>/note-abbreviation``).

    Runs after the element ruler. scispaCy's AbbreviationDetector is called only when a bracketed short form follows
    an element mention and is not itself already a known surface form, so most notes skip it. Definitions found go
    to ``doc._.rt_abbreviations`` as plain dicts with character offsets.
    """

    _candidate = re.compile(r"\(\s*([A-Za-z][A-Za-z0-9/&-]{1,9}s?)\s*\)")

    def __init__(self, nlp: Language, name: str, spans_key: str):
        from scispacy.abbreviation import AbbreviationDetector

        self.name = name
        self.spans_key = spans_key
        self.tokenizer = nlp.tokenizer
        self.detector = AbbreviationDetector(nlp, make_serializable=True)

    def annotate(self, state: NoteState) -> None:
        """Find note-defined abbreviations of elements and add a mention for every use of each short form."""
        state["rt_abbreviations"] = []
        text = state["text"]
        found = [m for m in state["rt_matches"] if "value" not in m]
        if not any(self._defines_new_short_form(text, c, found) for c in self._candidate.finditer(text)):
            return
        doc = state.get("doc") or self.tokenizer(text)
        doc._.abbreviations = []
        with warnings.catch_warnings():  # the detector calls an empty matcher when nothing is defined
            warnings.filterwarnings("ignore", message=r"\[W036\]")
            self.detector(doc)
        grouped: dict[tuple[str, int, int], list[list[int]]] = {}
        for item in doc._.abbreviations:
            long_span = doc[item["long_start"]:item["long_end"]]
            short_span = doc[item["short_start"]:item["short_end"]]
            key = (item["long_text"], long_span.start_char, long_span.end_char)
            grouped.setdefault(key, []).append([short_span.start_char, short_span.end_char])
        doc._.abbreviations = []
        state["rt_abbreviations"] = [
            {"long_text": long_text, "long_start": start, "long_end": end, "short_offsets": sorted(offsets)}
            for (long_text, start, end), offsets in grouped.items()
        ]
        self._add_short_form_mentions(state, found)

    def __call__(self, doc: Doc) -> Doc:
        return _run_on_doc(self, doc)

    @staticmethod
    def _defines_new_short_form(text: str, candidate: re.Match[str], found: list[dict[str, Any]]) -> bool:
        short_start, short_end = candidate.span(1)
        if any(m["start"] < short_end and short_start < m["end"] for m in found):
            return False  # already a known surface form ("(DIBH)")
        before = candidate.start()
        return any(before - 60 <= m["end"] <= before + 1 for m in found)

    @staticmethod
    def _add_short_form_mentions(state: NoteState, found: list[dict[str, Any]]) -> None:
        for abbreviation in state["rt_abbreviations"]:
            long_start, long_end = abbreviation["long_start"], abbreviation["long_end"]
            label = next((m["label"] for m in found if m["start"] < long_end and long_start < m["end"]
                          and m["end"] - m["start"] >= 0.5 * (long_end - long_start)), None)
            if label is None:
                continue
            for start, end in abbreviation["short_offsets"]:
                if not any(m["label"] == label and m["start"] <= start < m["end"] for m in found):
                    state["rt_matches"].append({"label": label, "rule": f"{label}/note-abbreviation",
                                                "start": start, "end": end})


class Counts:
    """Treatment-area and port counts as mentions with integer values."""

    def __init__(self, name: str, spans_key: str):
        self.name = name
        self.spans_key = spans_key

    def annotate(self, state: NoteState) -> None:
        """Add area and port counts (mentions with an integer value)."""
        for count in find_counts(state["text"]):
            state["rt_matches"].append({"label": count.label, "rule": count.rule, "start": count.start,
                                        "end": count.end, "value": count.value, "rank": count.rank})

    def __call__(self, doc: Doc) -> Doc:
        return _run_on_doc(self, doc)


class Signatures:
    """Physician signatures, signature dates, and the forms that are not a signature."""

    def __init__(self, name: str, spans_key: str):
        self.name = name
        self.spans_key = spans_key

    def annotate(self, state: NoteState) -> None:
        """Add signature and signature-date mentions (with their decided status)."""
        for mention in find_signatures(state["text"]):
            state["rt_matches"].append({"label": mention.label, "rule": mention.rule, "start": mention.start,
                                        "end": mention.end, "status": mention.status,
                                        "value": mention.value or None})

    def __call__(self, doc: Doc) -> Doc:
        return _run_on_doc(self, doc)


class Assertion(_PatternComponent):
    """ConText-style assertion over every mention; writes ``doc._.rt_mentions`` (plain dicts).

    Mentions that are not documentation at all (unticked options, blank fields, someone else's history) are
    left out; every kept mention carries its status, trigger and section with character offsets.
    """

    model = ContextRule

    def _compile(self) -> None:
        self.engine = ContextEngine(self._patterns)

    def annotate(self, state: NoteState) -> None:
        """Decide every mention's status; the kept ones go to ``state["rt_mentions"]``."""
        text = state["text"]
        state["rt_mentions"] = annotate_mentions(
            text, state["rt_matches"] or [], state["rt_units"] or [[0, len(text)]],
            [Section(**s) for s in state["rt_sections"] or []], self.engine,
        )

    def __call__(self, doc: Doc) -> Doc:
        _run_on_doc(self, doc)
        doc._.rt_text = None
        return doc


def assert_matches(text: str, matches: list[dict[str, Any]], units: list[list[int]], sections: list[Section],
                   engine: ContextEngine, text_index: TextIndex | None = None
                   ) -> list[tuple[dict[str, Any], ContextAssertion, Section | None, tuple[int, int]]]:
    """Decide every match: (match, assertion, section, sentence unit), in text order."""
    unit_starts = [u[0] for u in units]
    all_triggers, all_terminators = engine.find_triggers(text, 0, len(text), reference_year(text), text_index)
    trigger_starts = [t.start for t in all_triggers]
    terminator_starts = [t for t, _ in all_terminators]
    decided = []
    for match in sorted(matches, key=lambda m: (m["start"], m["end"])):
        index = _unit_index(unit_starts, match["start"])
        unit = (units[index][0], max(units[index][1], match["end"]))
        first, last = bisect_left(trigger_starts, unit[0]), bisect_left(trigger_starts, unit[1])
        triggers = [t for t in all_triggers[first:last] if t.end <= unit[1]]
        terminators = all_terminators[bisect_left(terminator_starts, unit[0]):
                                      bisect_left(terminator_starts, unit[1])]
        section = section_at(sections, match["start"])
        if "status" in match:
            assertion = ContextAssertion(match["status"], cue="component")
        else:
            assertion = engine.assert_mention(text, match["start"], match["end"], unit, section, triggers,
                                              terminators, match["label"])
        decided.append((match, assertion, section, unit))
    return decided


def annotate_mentions(text: str, matches: list[dict[str, Any]], units: list[list[int]],
                      sections: list[Section], engine: ContextEngine, text_index: TextIndex | None = None
                      ) -> list[dict[str, Any]]:
    """Give each match its status, trigger, section and sentence; drop the ones that are not documentation."""
    mentions: list[dict[str, Any]] = []
    for match, assertion, section, unit in assert_matches(text, matches, units, sections, engine, text_index):
        if assertion.status in ("absent", "other_experiencer"):
            continue
        if assertion.status == "present" and match.get("negation_only"):
            continue  # a generic word ("Blocking") affirms nothing by itself
        mentions.append({
            "label": match["label"], "rule": match["rule"], "start": match["start"], "end": match["end"],
            "text": text[match["start"]:match["end"]], "status": assertion.status,
            "value": match.get("value"), "rank": match.get("rank", 0),
            "trigger": assertion.trigger.as_dict() if assertion.trigger else None,
            "section": None if section is None else {"name": section.name, "kind": section.kind,
                                                     "start": section.start, "end": section.end,
                                                     "header_end": section.header_end},
            "sentence": {"start": unit[0], "end": unit[1]},
        })
    return mentions


def _unit_index(unit_starts: list[int], offset: int) -> int:
    return max(bisect_right(unit_starts, offset) - 1, 0)


@Language.factory("rtaudit_layout")
def make_layout(nlp: Language, name: str) -> ClinicalLayout:
    return ClinicalLayout(name)


@Language.factory("rtaudit_abbreviations", default_config={"spans_key": SPANS_KEY})
def make_abbreviations(nlp: Language, name: str, spans_key: str) -> NoteAbbreviations:
    return NoteAbbreviations(nlp, name, spans_key)


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
