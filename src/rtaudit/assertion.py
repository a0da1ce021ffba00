"""Assertion of one target span, for benchmarks and tools: the pipeline's own layout, lexicon and rules."""

from __future__ import annotations

from typing import Any

from rtaudit.nlp.components import assert_matches
from rtaudit.nlp.layout import analyse_layout
from rtaudit.nlp.pipeline import load_pipeline


def classify(sentence: str, start: int, end: int) -> dict[str, Any]:
    """Classify the target ``sentence[start:end]``.

    Returns ``negated``, ``hypothetical``, ``historical`` and ``experiencer_other`` flags, the ``status`` word
    (present / negated / hypothetical / historical / absent / other_experiencer) and the deciding ``trigger``
    (text, offsets, category, rule) or None.
    """
    if not 0 <= start < end <= len(sentence):
        raise ValueError(f"target offsets {start}-{end} are outside the sentence (length {len(sentence)})")
    nlp = load_pipeline()
    layout = analyse_layout(sentence, nlp.get_pipe("layout").matcher)
    units = [list(unit) for unit in layout.units] or [[0, len(sentence)]]
    match = {"label": None, "rule": "target", "start": start, "end": end}
    ((_, assertion, _, _),) = assert_matches(sentence, [match], units, layout.sections,
                                             nlp.get_pipe("assertion").engine)
    return {
        "negated": assertion.status == "negated",
        "hypothetical": assertion.status == "hypothetical",
        "historical": assertion.status == "historical",
        "experiencer_other": assertion.status == "other_experiencer",
        "status": assertion.status,
        "trigger": assertion.trigger.as_dict() if assertion.trigger else None,
    }
