"""The note annotators: each reads and extends one note's plain-data state with a single ``annotate(state)`` step.

They hold all the pipeline's logic and need no spaCy: ``rtaudit.nlp.components`` wraps each one as a registered
spaCy component (state kept in Doc extensions), and ``load_annotators`` reads the same shipped pipeline folder to
run them straight on a note's text, so a one-note check does not pay spaCy's start-up. Only the abbreviation step
loads spaCy and scispaCy, and only for a note that defines a new short form of an element.
"""

from __future__ import annotations

import json
import re
import warnings
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from rtaudit.datafiles import parse_jsonl_lines
from rtaudit.nlp.context import Assertion as ContextAssertion
from rtaudit.nlp.context import ContextEngine, reference_year
from rtaudit.nlp.counts import find_counts
from rtaudit.nlp.layout import Section, SectionMatcher, analyse_layout, section_at
from rtaudit.nlp.matcher import ElementMatcher
from rtaudit.nlp.patterns import ContextRule, ElementPattern, SectionRule
from rtaudit.nlp.regexset import TextIndex, preload_keys
from rtaudit.nlp.signatures import find_signatures

NoteState = dict[str, Any]
STATE_KEYS = ("rt_sections", "rt_units", "rt_matches", "rt_abbreviations", "rt_mentions")


def new_state(text: str) -> NoteState:
    """The plain-data state the annotators fill in for one note (the same as the Doc extensions)."""
    return {"text": text, "rt_sections": [], "rt_units": [[0, len(text)]], "rt_matches": [],
            "rt_abbreviations": [], "rt_mentions": []}


class PatternAnnotator:
    """Shared plumbing: patterns of one pydantic model, validated, read from a folder's ``patterns.jsonl``."""

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
        lines = [json.dumps(p) for p in patterns]
        self._patterns.extend(parse_jsonl_lines(lines, self.model, f"<{self.name} patterns>"))
        self._compile()

    def _compile(self) -> None:
        raise NotImplementedError

    def load(self, folder: Path) -> PatternAnnotator:
        """Read ``patterns.jsonl`` (and the saved word keys that spare re-parsing every regex) from ``folder``."""
        keys_file = folder / "word_keys.json"
        if keys_file.exists():
            preload_keys(json.loads(keys_file.read_text(encoding="utf-8")))
        with open(folder / "patterns.jsonl", encoding="utf-8") as handle:
            self._patterns = parse_jsonl_lines(handle, self.model, str(folder / "patterns.jsonl"))
        self._compile()
        return self


class LayoutAnnotator(PatternAnnotator):
    """Sections and sentence units (``rt_sections``, ``rt_units``)."""

    model = SectionRule

    def _compile(self) -> None:
        self.matcher = SectionMatcher(self._patterns)

    def annotate(self, state: NoteState) -> None:
        """Sections and sentence units of ``state["text"]``."""
        layout = analyse_layout(state["text"], self.matcher)
        state["rt_sections"] = [section.as_dict() for section in layout.sections]
        state["rt_units"] = [[start, end] for start, end in layout.units]


class ElementAnnotator(PatternAnnotator):
    """Element mentions from JSONL patterns (overlaps between elements allowed)."""

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

class AbbreviationAnnotator:
    """Abbreviations a note defines for an element, e.g. ``surface-guided setup (SGS)``: every later use of the
    short form becomes a mention of the same element (``<element>/note-abbreviation``).

    Runs after the element ruler. scispaCy's AbbreviationDetector is called only when a bracketed short form follows
    an element mention and is not itself already a known surface form, so most notes skip it. Definitions found go
    to ``doc._.rt_abbreviations`` as plain dicts with character offsets.
    """

    _candidate = re.compile(r"\(\s*([A-Za-z][A-Za-z0-9/&-]{1,9}s?)\s*\)")

    def __init__(self, name: str, spans_key: str, nlp: Any = None):
        self.name = name
        self.spans_key = spans_key
        self.tokenizer: Any = None
        self.detector: Any = None
        if nlp is not None:
            self._use(nlp)

    def _use(self, nlp: Any) -> None:
        from scispacy.abbreviation import AbbreviationDetector

        self.tokenizer = nlp.tokenizer
        self.detector = AbbreviationDetector(nlp, make_serializable=True)

    def _ready(self) -> None:
        """Load spaCy and the detector on first need (most notes never need them)."""
        if self.detector is None:
            import spacy

            self._use(spacy.blank("en"))

    def annotate(self, state: NoteState) -> None:
        """Find note-defined abbreviations of elements and add a mention for every use of each short form."""
        state["rt_abbreviations"] = []
        text = state["text"]
        found = [m for m in state["rt_matches"] if "value" not in m]
        if not any(self._defines_new_short_form(text, c, found) for c in self._candidate.finditer(text)):
            return
        self._ready()
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


class _CodeAnnotator:
    """An annotator whose rules are code rather than pattern data: a name and the spans key of its mentions."""

    def __init__(self, name: str, spans_key: str):
        self.name = name
        self.spans_key = spans_key


class CountAnnotator(_CodeAnnotator):
    """Treatment-area and port counts as mentions with integer values."""

    def annotate(self, state: NoteState) -> None:
        """Add area and port counts (mentions with an integer value)."""
        for count in find_counts(state["text"]):
            state["rt_matches"].append({"label": count.label, "rule": count.rule, "start": count.start,
                                        "end": count.end, "value": count.value, "rank": count.rank})


class SignatureAnnotator(_CodeAnnotator):
    """Physician signatures, signature dates, and the forms that are not a signature."""

    def annotate(self, state: NoteState) -> None:
        """Add signature and signature-date mentions (with their decided status)."""
        for mention in find_signatures(state["text"]):
            state["rt_matches"].append({"label": mention.label, "rule": mention.rule, "start": mention.start,
                                        "end": mention.end, "status": mention.status,
                                        "value": mention.value or None})


class AssertionAnnotator(PatternAnnotator):
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


def assert_matches(text: str, matches: list[dict[str, Any]], units: list[list[int]], sections: list[Section],
                   engine: ContextEngine, text_index: TextIndex | None = None
                   ) -> list[tuple[dict[str, Any], ContextAssertion, Section | None, tuple[int, int]]]:
    """Decide every match: (match, assertion, section, sentence unit), in text order."""
    unit_starts = [u[0] for u in units]
    all_triggers, all_terminators = engine.find_triggers(text, 0, len(text), reference_year(text), text_index)
    trigger_starts = [t.start for t in all_triggers]
    terminator_starts = [t for t, _ in all_terminators]
    section_starts = [section.start for section in sections]
    in_unit: dict[tuple[int, int], tuple[list, list]] = {}  # the triggers and terminators of each unit
    decided = []
    for match in sorted(matches, key=lambda m: (m["start"], m["end"])):
        index = _unit_index(unit_starts, match["start"])
        unit = (units[index][0], max(units[index][1], match["end"]))
        if unit not in in_unit:
            first, last = bisect_left(trigger_starts, unit[0]), bisect_left(trigger_starts, unit[1])
            in_unit[unit] = ([t for t in all_triggers[first:last] if t.end <= unit[1]],
                             all_terminators[bisect_left(terminator_starts, unit[0]):
                                             bisect_left(terminator_starts, unit[1])])
        triggers, terminators = in_unit[unit]
        section = section_at(sections, match["start"], section_starts)
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


#: The annotator behind each registered factory of the shipped pipeline.
ANNOTATORS: dict[str, type] = {
    "rtaudit_layout": LayoutAnnotator, "rtaudit_element_ruler": ElementAnnotator,
    "rtaudit_abbreviations": AbbreviationAnnotator, "rtaudit_counts": CountAnnotator,
    "rtaudit_signatures": SignatureAnnotator, "rtaudit_assertion": AssertionAnnotator,
}


def load_annotators(folder: Path) -> list[Any] | None:
    """The annotators of a built pipeline folder, in pipeline order, without loading spaCy; None when the folder
    holds a component rtaudit does not know (then load it with spaCy)."""
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    settings = _component_settings((folder / "config.cfg").read_text(encoding="utf-8"))
    annotators = []
    for name in meta.get("pipeline", []):
        component = settings.get(name, {})
        kind = ANNOTATORS.get(component.get("factory", ""))
        if kind is None:
            return None
        extra = {k: v for k, v in component.items() if k != "factory"}
        annotator = kind(name, **extra)
        if isinstance(annotator, PatternAnnotator):
            annotator.load(folder / name)
        annotators.append(annotator)
    return annotators


_CONFIG_SECTION = re.compile(r"^\[components\.([^\].]+)\]\s*$")
_CONFIG_VALUE = re.compile(r"^(\w+)\s*=\s*(.+?)\s*$")


def _component_settings(config: str) -> dict[str, dict[str, Any]]:
    """Each component's plain settings from a spaCy ``config.cfg`` (``[components.NAME]`` blocks; values JSON)."""
    found: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    for line in config.splitlines():
        if line.startswith("["):
            section = _CONFIG_SECTION.match(line)
            current = found.setdefault(section.group(1), {}) if section else None
        elif current is not None and (value := _CONFIG_VALUE.match(line)):
            raw = value.group(2)
            try:
                current[value.group(1)] = json.loads(raw)
            except ValueError:
                current[value.group(1)] = raw
    return found
