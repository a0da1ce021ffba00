"""Element matching on note text: one compiled alternation per element, false friends removed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from rtaudit.nlp.patterns import ElementPattern
from rtaudit.nlp.regexset import RegexSet, TextIndex


@dataclass(frozen=True)
class ElementMatch:
    """One mention of an element: label, rule id and character offsets."""

    label: str
    rule: str
    start: int
    end: int
    negation_only: bool = False


class ElementMatcher:
    """Finds element mentions; overlapping mentions of different elements are all kept."""

    def __init__(self, patterns: list[ElementPattern]):
        self.patterns = list(patterns)
        include = [p for p in self.patterns if not p.exclude]
        exclude = [p for p in self.patterns if p.exclude]
        self._include = RegexSet([(p.to_regex(), (p.label, p.id, p.negation_only)) for p in include])
        self._exclude = RegexSet([(p.to_regex(), p.label) for p in exclude])

    def find(self, text: str) -> list[ElementMatch]:
        """Every element mention in ``text``, sorted by position; within one element matches do not overlap
        (leftmost, then longest), and a false friend of the element removes the matches it overlaps."""
        index = TextIndex.of(text)
        blocked: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for begin, negative_end, rule_index in self._exclude.candidates(text, index=index):
            blocked[self._exclude.rule(rule_index)].append((begin, -negative_end))
        reached: dict[str, int] = {}
        found: list[ElementMatch] = []
        for begin, negative_end, rule_index in self._include.candidates(text, index=index):
            label, rule, negation_only = self._include.rule(rule_index)
            if begin < reached.get(label, 0):
                continue
            end = -negative_end
            if any(s < end and begin < e for s, e in blocked.get(label, ())):
                continue
            reached[label] = end
            found.append(ElementMatch(label, rule, begin, end, negation_only))
        return found
