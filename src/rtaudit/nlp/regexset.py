"""Many regex rules matched fast: each rule is tried only where a word starts with one of its possible prefixes.

A rule that begins at a word start (``\\bvac...``, ``\\b(?:no|not)``) gets the set of its possible first letters
(up to three, lower-cased) from the regex parser; a note is indexed once by the first letters of its words, and the
rule is matched (anchored) only at those words. Rules whose start cannot be indexed are scanned the usual way.
Where several rules match at one position the longest match wins, and matches do not overlap.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Generic, TypeVar

try:  # Python >= 3.11
    from re import _constants as sre_constants
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

RuleT = TypeVar("RuleT")

_PREFIX = 3
_MAX_KEYS = 64
_WORD = re.compile(r"\w+")
_WORD_CHAR = re.compile(r"\w")


class TextIndex:
    """Word starts of a text, keyed by their first one, two and three lower-cased characters."""

    def __init__(self, text: str):
        self.text = text
        self.by_prefix: dict[str, list[int]] = defaultdict(list)
        for word in _WORD.finditer(text.lower()):
            token, start = word.group(0), word.start()
            for size in range(1, min(_PREFIX, len(token)) + 1):
                self.by_prefix[token[:size]].append(start)

    def starts(self, key: str) -> list[int]:
        return self.by_prefix.get(key, [])

    @classmethod
    def of(cls, text: str) -> TextIndex:
        """The index of ``text``, reused while the same text object is being processed by several rule sets."""
        cached = _LAST_INDEX[0]
        if cached is None or cached.text is not text:
            cached = cls(text)
            _LAST_INDEX[0] = cached
        return cached


_LAST_INDEX: list[TextIndex | None] = [None]


def _prefixes(items: list, keys: set[str] | None = None) -> set[str] | None:
    """Possible lower-case word prefixes of a parsed regex sequence; None when they cannot be listed."""
    results: set[str] = set()
    stack: list[tuple[list, str]] = [(list(items), "")]
    while stack:
        sequence, prefix = stack.pop()
        if len(prefix) >= _PREFIX or not sequence:
            results.add(prefix)
            continue
        op, value = sequence[0]
        rest = sequence[1:]
        if op is sre_constants.LITERAL:
            char = chr(value).lower()
            if not _WORD_CHAR.match(char):
                results.add(prefix)
                continue
            stack.append((rest, prefix + char))
        elif op is sre_constants.AT or (op is sre_constants.ASSERT_NOT and value[0] < 0) or \
                (op is sre_constants.ASSERT and value[0] < 0):
            stack.append((rest, prefix))
        elif op is sre_constants.SUBPATTERN:
            stack.append((list(value[-1]) + rest, prefix))
        elif op is sre_constants.BRANCH:
            for branch in value[1]:
                stack.append((list(branch) + rest, prefix))
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            low, _, body = value
            if low == 0:
                stack.append((rest, prefix))
            stack.append((list(body), prefix))  # one pass through the body, then stop extending
        elif op is sre_constants.IN:
            chars = [chr(v).lower() for o, v in value if o is sre_constants.LITERAL]
            if len(chars) != len(value) or len(chars) > 8:
                results.add(prefix)
                continue
            for char in set(chars):
                if _WORD_CHAR.match(char):
                    stack.append((rest, prefix + char))
                else:
                    results.add(prefix)
        else:
            results.add(prefix)
        if len(results) + len(stack) > _MAX_KEYS * 4:
            return None
    if "" in results or len(results) > _MAX_KEYS:
        return None
    return results


def word_start_keys(regex: str) -> set[str] | None:
    """The word prefixes a match of ``regex`` must start with, or None when the rule must be scanned."""
    try:
        parsed = sre_parse.parse(regex, re.IGNORECASE)
    except re.error:
        return None
    items = list(parsed)
    leading = items[0] if items else None
    anchored = leading is not None and (
        (leading[0] is sre_constants.AT and leading[1] is sre_constants.AT_BOUNDARY)
        or (leading[0] is sre_constants.ASSERT_NOT and leading[1][0] < 0))
    if not anchored:
        return None
    return _prefixes(items)


class RegexSet(Generic[RuleT]):
    """Non-overlapping, leftmost-longest matches of many rules, each reported with its rule."""

    def __init__(self, rules: Sequence[tuple[str, RuleT]]):
        self._rules: list[RuleT] = []
        self._compiled: list[re.Pattern[str]] = []
        self._by_key: dict[str, list[int]] = defaultdict(list)
        self._scanned: list[int] = []
        for index, (regex, rule) in enumerate(rules):
            self._rules.append(rule)
            self._compiled.append(re.compile(regex, re.IGNORECASE))
            keys = word_start_keys(regex)
            if keys is None:
                self._scanned.append(index)
            else:
                for key in keys:
                    self._by_key[key].append(index)

    def __len__(self) -> int:
        return len(self._rules)

    def finditer(self, text: str, start: int = 0, end: int | None = None, index: TextIndex | None = None
                 ) -> Iterator[tuple[int, int, RuleT]]:
        """Yield (start, end, rule) for the matches inside ``text[start:end]``, in text order."""
        if not self._rules:
            return
        stop = len(text) if end is None else end
        index = index if index is not None and index.text is text else TextIndex.of(text)
        candidates: list[tuple[int, int, int]] = []
        for key, rule_indexes in self._by_key.items():
            positions = index.starts(key)
            if not positions:
                continue
            first = bisect_left(positions, start)
            for position in positions[first:]:
                if position >= stop:
                    break
                for rule_index in rule_indexes:
                    found = self._compiled[rule_index].match(text, position, stop)
                    if found is not None and found.end() > found.start():
                        candidates.append((found.start(), -found.end(), rule_index))
        for rule_index in self._scanned:
            for found in self._compiled[rule_index].finditer(text, start, stop):
                if found.end() > found.start():
                    candidates.append((found.start(), -found.end(), rule_index))
        candidates.sort()
        reached = start
        for begin, negative_end, rule_index in candidates:
            if begin >= reached:
                yield begin, -negative_end, self._rules[rule_index]
                reached = -negative_end
