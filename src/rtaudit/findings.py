"""Findings: what the note documents, element by element, as plain pydantic objects (no spaCy here).

A note may mention an element many times. An addendum that corrects earlier lines has the last word; otherwise
one affirmed mention for this episode makes the element present ("No IV contrast" / "oral contrast given"), and a
prior course or a plan for later never cancels it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import BaseModel

from rtaudit.elements import COUNT_ELEMENTS, Status
from rtaudit.nlp.counts import PAIR_RANK


class Evidence(BaseModel):
    """Where the note says it: the words, their offsets, the sentence, section and trigger around them."""

    text: str
    start: int
    end: int
    status: Status
    rule: str
    section: str | None = None
    section_start: int | None = None
    section_end: int | None = None
    sentence: str | None = None
    sentence_start: int | None = None
    sentence_end: int | None = None
    trigger: str | None = None
    trigger_start: int | None = None
    trigger_end: int | None = None
    trigger_rule: str | None = None


class ElementFinding(BaseModel):
    """The summary for one element."""

    status: Status
    value: Any = None
    evidence: list[Evidence]


Findings = dict[str, ElementFinding]


def _evidence(mention: dict[str, Any], text: str) -> dict[str, Any]:
    """The fields of an :class:`Evidence` for one mention, as plain data."""
    trigger = mention.get("trigger") or {}
    section = mention.get("section") or {}
    sentence = mention.get("sentence") or {}
    s_start, s_end = sentence.get("start"), sentence.get("end")
    return {
        "text": mention["text"], "start": mention["start"], "end": mention["end"], "status": mention["status"],
        "rule": mention["rule"], "section": section.get("name"), "section_start": section.get("start"),
        "section_end": section.get("end"),
        "sentence": text[s_start:s_end].strip() if s_start is not None else None,
        "sentence_start": s_start, "sentence_end": s_end, "trigger": trigger.get("text"),
        "trigger_start": trigger.get("start"), "trigger_end": trigger.get("end"), "trigger_rule": trigger.get("rule"),
    }


_NOT_PRESENT_ORDER = {"negated": 0, "hypothetical": 1, "historical": 2}


def _in_addendum(mention: dict[str, Any]) -> bool:
    return (mention.get("section") or {}).get("kind") == "addendum"


def _in_header(mention: dict[str, Any]) -> bool:
    section = mention.get("section") or {}
    return section.get("start", -1) <= mention["start"] < section.get("header_end", -1)


_ATTEMPT_RULES = frozenset({"neg/attempt-only", "neg/attempted-failed"})
_FAILURE_RULES = frozenset({"neg/attempted-failed", "neg/not-usable"})


def _rule_of(mention: dict[str, Any]) -> str:
    return (mention.get("trigger") or {}).get("rule", "")


def _without_failed_attempts(mentions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop affirmed mentions that sit inside a failed attempt told in one sentence: from the attempt to the failure
    ("We attempted a 4DCT with the Anzai belt, ... the phase-sorted images ..., and the 4D data set is not usable"),
    the belt and the phases were part of what failed. Mentions after the failure ("mask not tolerated; Vac-Lok
    used instead") or before the attempt are kept."""
    spans = []
    by_sentence: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for m in mentions:
        if m.get("sentence") and m["status"] == "negated":
            by_sentence[(m["sentence"]["start"], m["sentence"]["end"])].append(m)
    for inside in by_sentence.values():
        attempts = [m["trigger"]["start"] for m in inside if _rule_of(m) in _ATTEMPT_RULES]
        failures = [m["trigger"]["end"] for m in inside if _rule_of(m) in _FAILURE_RULES]
        if attempts and failures and min(attempts) < max(failures):
            spans.append((min(attempts), max(failures)))
    if not spans:
        return mentions
    return [m for m in mentions if m["status"] != "present" or not any(a < m["start"] < f for a, f in spans)]


def _summary_status(mentions: list[dict[str, Any]]) -> dict[str, Any]:
    """The deciding mention among several of one element.

    An addendum that mentions the element decides it (it corrects the body). Otherwise a mention in the body beats
    one in a header line. Among the deciding mentions any affirmed one makes the element present (a prior course or
    a plan for later never cancels this course); with none affirmed, negated beats hypothetical beats historical,
    and among equals the latest word wins.
    """
    mentions = _without_failed_attempts(mentions)  # never empty: the failure's own mention stays
    addenda = [m for m in mentions if _in_addendum(m)]
    body = addenda or [m for m in mentions if not _in_header(m)] or mentions
    present = [m for m in body if m["status"] == "present"]
    if present:
        return max(present, key=lambda m: m["start"])
    return min(body, key=lambda m: (_NOT_PRESENT_ORDER.get(m["status"], 3), -m["start"]))


def _count_summary(mentions: list[dict[str, Any]]) -> dict[str, Any] | None:
    present = [m for m in mentions if m["status"] == "present" and m.get("value") is not None]
    if not present:
        return None
    addenda = [m for m in present if _in_addendum(m)]
    pool = addenda or present
    best_rank = min(m.get("rank", 0) for m in pool)
    return max((m for m in pool if m.get("rank", 0) == best_rank), key=lambda m: m["start"])


def _several_areas(area_mentions: list[dict[str, Any]]) -> bool:
    """Whether the note affirms a stated number of two or more treatment areas: a beam pair ("AP/PA") is then a
    per-area arrangement, not the note's port total. Decided after assertion, so a level claim ("Complex (3
    areas)") or a hypothetical future site does not count."""
    return any(m["status"] == "present" and (m.get("value") or 0) >= 2 and m.get("rank", 0) == 0
               for m in area_mentions)


def summarize(mentions: list[dict[str, Any]], text: str, max_evidence: int = 5) -> Findings:
    """Element findings from the pipeline's mentions (``doc._.rt_mentions``)."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for mention in mentions:
        grouped[mention["label"]].append(mention)
    if _several_areas(grouped.get("treatment_area_count", [])):
        grouped["port_count"] = [m for m in grouped.get("port_count", []) if m.get("rank", 0) != PAIR_RANK]
    findings: Findings = {}
    for label, group in grouped.items():
        if label in COUNT_ELEMENTS:
            decider = _count_summary(group)
            if decider is None:
                continue
            value = decider["value"]
        else:
            decider = _summary_status(group)
            value = decider.get("value")
        ordered = [decider] + [m for m in group if m is not decider and m["status"] == decider["status"]]
        ordered += [m for m in group if m["status"] != decider["status"]]
        findings[label] = ElementFinding.model_validate({  # validated in pydantic-core: faster than construct
            "status": decider["status"], "value": value,
            "evidence": [_evidence(m, text) for m in ordered[:max_evidence]],
        })
    return findings
