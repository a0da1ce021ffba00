"""Many rules compiled into one alternation per group, with the matching rule recovered from the group index."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Generic, TypeVar

RuleT = TypeVar("RuleT")


class RegexSet(Generic[RuleT]):
    """Find the leftmost-longest-by-order matches of many regexes in one pass, knowing which rule matched."""

    def __init__(self, rules: Sequence[tuple[str, RuleT]]):
        self._owner: dict[int, RuleT] = {}
        parts: list[str] = []
        group = 1
        for regex, rule in rules:
            self._owner[group] = rule
            parts.append(f"({regex})")
            group += 1 + re.compile(regex).groups
        self.pattern = re.compile("|".join(parts), re.IGNORECASE) if parts else None

    def finditer(self, text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int, RuleT]]:
        """Yield (start, end, rule) for each non-overlapping match in ``text[start:end]``."""
        if self.pattern is None:
            return
        stop = len(text) if end is None else end
        for found in self.pattern.finditer(text, start, stop):
            if found.end() > found.start():
                yield found.start(), found.end(), self._owner[found.lastindex or 1]
