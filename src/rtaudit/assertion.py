"""Assertion of one target span, for benchmarks and tools: the pipeline's own layout, lexicon and rules."""

from __future__ import annotations

from typing import Any

from rtaudit.nlp.context import reference_year
from rtaudit.nlp.layout import analyse_layout, section_at
from rtaudit.nlp.text_pipeline import annotator


def classify(sentence: str, start: int, end: int, element: str | None = None) -> dict[str, Any]:
    """Classify the target ``sentence[start:end]``; ``element`` is its element id when the target is a piece of
    radiation-oncology documentation (element-specific lexicon rules then apply too).

    Returns the ``status`` the pipeline would give (present / negated / hypothetical / historical / absent /
    other_experiencer) with its deciding ``trigger`` (text, offsets, category, rule) or None, and independent
    ``negated``, ``hypothetical``, ``historical`` and ``experiencer_other`` flags: each is set when any trigger of
    that kind reaches the target ("no history of X" is both negated and historical), or when it is the status.

    The flags are the clinical temporality, the status is the pipeline's verdict on documentation, and the two part
    in one place: a section of kind ``context`` (history of present illness, physical exam, review of systems,
    results) gives the status ``historical`` -- a mention there is the story around today's service, not a record
    of it -- but it describes the current presentation, so it does not set the ``historical`` flag. Only triggers
    and sections of kind ``historical`` (past medical, social, prior treatment history) do.
    """
    if not 0 <= start < end <= len(sentence):
        raise ValueError(f"target offsets {start}-{end} are outside the sentence (length {len(sentence)})")
    engine = annotator("assertion").engine
    layout = analyse_layout(sentence, annotator("layout").matcher)
    unit = next(((s, max(e, end)) for s, e in reversed(layout.units) if s <= start), (0, len(sentence)))
    section = section_at(layout.sections, start)
    triggers, terminators = engine.find_triggers(sentence, unit[0], unit[1], reference_year(sentence))
    assertion = engine.assert_mention(sentence, start, end, unit, section, triggers, terminators, element)
    flags = {t.category for t in engine.covering(sentence, start, end, unit, triggers, terminators, element)}
    context_section = assertion.cue == "section" and section is not None and section.kind == "context"
    if not context_section:
        flags.add(assertion.status)
    if section is not None and section.kind in ("historical", "hypothetical") and start >= section.header_end:
        flags.add(section.kind)
    return {
        "negated": "negated" in flags,
        "hypothetical": "hypothetical" in flags,
        "historical": "historical" in flags,
        "experiencer_other": "other_experiencer" in flags,
        "status": assertion.status,
        "trigger": assertion.trigger.as_dict() if assertion.trigger else None,
    }
