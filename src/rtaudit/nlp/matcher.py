"""Element matching on note text: one compiled alternation per element, false friends removed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from rtaudit.nlp.patterns import ElementPattern
from rtaudit.nlp.regexset import RegexSet


@dataclass(frozen=True)
class ElementMatch:
    """One mention of an element: label, rule id and character offsets."""

    label: str
    rule: str
    start: int
    end: int


class ElementMatcher:
    """Finds element mentions; overlapping mentions of different elements are all kept."""

    def __init__(self, patterns: list[ElementPattern]):
        self.patterns = list(patterns)
        grouped: dict[str, list[ElementPattern]] = defaultdict(list)
        excluded: dict[str, list[ElementPattern]] = defaultdict(list)
        for pattern in self.patterns:
            (excluded if pattern.exclude else grouped)[pattern.label].append(pattern)
        self._include = {label: RegexSet([(p.to_regex(), p.id) for p in rules]) for label, rules in grouped.items()}
        self._exclude = {label: RegexSet([(p.to_regex(), p.id) for p in rules]) for label, rules in excluded.items()}

    def find(self, text: str) -> list[ElementMatch]:
        """Every element mention in ``text``, sorted by position."""
        found: list[ElementMatch] = []
        for label, regexes in self._include.items():
            matches = [ElementMatch(label, rule, s, e) for s, e, rule in regexes.finditer(text)]
            if not matches:
                continue
            exclusions = self._exclude.get(label)
            if exclusions is not None:
                blocked = [(s, e) for s, e, _ in exclusions.finditer(text)]
                matches = [m for m in matches if not any(s < m.end and m.start < e for s, e in blocked)]
            found.extend(matches)
        found.sort(key=lambda m: (m.start, m.end))
        return found
