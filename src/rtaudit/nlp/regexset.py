"""Many regex rules matched fast: each rule is tried only where a word starts with one of its possible prefixes.

A rule that begins at a word start (``\\bvac...``, ``\\b(?:no|not)``) gets the set of its possible first letters
(up to three, lower-cased) from the regex parser; a note is split into words once, and a rule is matched (anchored)
only at the words that start with one of its prefixes. Rules whose start cannot be listed are scanned the usual
way. Where several rules match at one position the longest match wins, and matches do not overlap.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Generic, TypeVar

try:  # Python >= 3.11
    from re import _constants as sre_constants
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

RuleT = TypeVar("RuleT")

_PREFIX = 4
_MAX_KEYS = 300
_EXPANSION_BUDGET = _MAX_KEYS * 40  # partial prefixes explored before a rule is given up as unlistable
_WORD = re.compile(r"\w+")
_WORD_CHAR = re.compile(r"\w")


def lower_same_length(text: str) -> str:
    """``text`` lower-cased with every offset kept (the few letters that change length, such as "İ", stay as
    they are), so matches in the lower-cased copy point at the same characters of the note."""
    lower = text.lower()
    if len(lower) != len(text):
        lower = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return lower


class TextIndex:
    """The words of a text as (offset, lower-cased word), computed once and shared by every rule set."""

    def __init__(self, text: str):
        self.text = text
        lower = lower_same_length(text)
        self.words: list[tuple[int, str]] = [(found.start(), found.group()) for found in _WORD.finditer(lower)]
        self._by_word: dict[str, list[int]] | None = None

    @property
    def by_word(self) -> dict[str, list[int]]:
        """Each distinct word with its offsets (notes repeat words: rule sets look each one up once)."""
        if self._by_word is None:
            grouped: dict[str, list[int]] = {}
            for position, word in self.words:
                positions = grouped.get(word)
                if positions is None:
                    grouped[word] = [position]
                else:
                    positions.append(position)
            self._by_word = grouped
        return self._by_word

    @classmethod
    def of(cls, text: str) -> TextIndex:
        """The index of ``text``, reused while the same text object is processed by several rule sets."""
        cached = _LAST_INDEX[0]
        if cached is None or cached.text is not text:
            cached = cls(text)
            _LAST_INDEX[0] = cached
        return cached


_LAST_INDEX: list[TextIndex | None] = [None]


_EXACT = "$"
_NON_WORD_CATEGORIES = {sre_constants.CATEGORY_SPACE, sre_constants.CATEGORY_NOT_WORD,
                        sre_constants.CATEGORY_NOT_DIGIT}


def _class_chars(value: list) -> tuple[list[str], bool] | None:
    """The characters of a character class (lower-cased) and whether it can also match a non-word character;
    None when the class is too wide to list."""
    chars: list[str] = []
    non_word = False
    for op, item in value:
        if op is sre_constants.LITERAL:
            char = chr(item).lower()
            if _WORD_CHAR.match(char):
                chars.append(char)
            else:
                non_word = True
        elif op is sre_constants.CATEGORY and item is sre_constants.CATEGORY_DIGIT:
            chars.extend("0123456789")
        elif op is sre_constants.CATEGORY and item in _NON_WORD_CATEGORIES:
            non_word = True
        else:
            return None
    return chars, non_word


def _prefixes(items: list, depth: int = _PREFIX) -> set[str] | None:
    """Possible lower-case word prefixes of a parsed regex sequence; None when they cannot be listed.

    A key ending in ``$`` is a whole word (the regex needs the word to end there, as in ``\\bno\\b`` or
    ``\\bw/o``); other keys are the first one to ``depth`` letters of the word.
    """
    results: set[str] = set()
    stack: list[tuple[list, str]] = [(list(items), "")]
    while stack:
        sequence, prefix = stack.pop()
        if len(prefix) >= depth or not sequence:
            results.add(prefix)
            continue
        op, value = sequence[0]
        rest = sequence[1:]
        if op is sre_constants.LITERAL:
            char = chr(value).lower()
            if _WORD_CHAR.match(char):
                stack.append((rest, prefix + char))
            else:
                results.add(prefix + _EXACT if prefix else "")
        elif op is sre_constants.AT:
            if prefix and value is sre_constants.AT_BOUNDARY:
                results.add(prefix + _EXACT)
            elif value in (sre_constants.AT_BOUNDARY, sre_constants.AT_BEGINNING_STRING):
                stack.append((rest, prefix))
            else:
                results.add(prefix)
        elif op in (sre_constants.ASSERT_NOT, sre_constants.ASSERT):
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
            listed = _class_chars(value)
            if listed is None or len(listed[0]) > 10:
                results.add(prefix)
                continue
            chars, non_word = listed
            for char in set(chars):
                stack.append((rest, prefix + char))
            if non_word:
                results.add(prefix + _EXACT if prefix else "")
        else:
            results.add(prefix)
        if len(results) + len(stack) > _EXPANSION_BUDGET:
            return None
    if "" in results or _EXACT in results:
        return None
    return _fewer_keys(results)


def _fewer_keys(keys: set[str]) -> set[str] | None:
    """At most ``_MAX_KEYS`` keys: where many keys share a shorter prefix ("c1", "c12", "c2$"... from a
    "[CTLS]\\d" level), they are replaced by that prefix, while the other keys keep their full length."""
    for size in range(_PREFIX - 1, 0, -1):
        if len(keys) <= _MAX_KEYS:
            return keys
        groups: dict[str, set[str]] = defaultdict(set)
        for key in keys:
            groups[key[:size] if len(key.rstrip(_EXACT)) > size else key].add(key)
        keys = {prefix if len(members) > 8 else key for prefix, members in groups.items() for key in members}
    return keys if len(keys) <= _MAX_KEYS else None


_KEY_CACHE: dict[str, frozenset[str] | None] = {}


def known_keys(regexes: list[str]) -> dict[str, list[str] | None]:
    """The word keys of ``regexes`` as plain data, to save beside a component's patterns."""
    return {regex: None if (keys := word_start_keys(regex)) is None else sorted(keys) for regex in regexes}


def preload_keys(saved: dict[str, list[str] | None]) -> None:
    """Reuse word keys saved by :func:`known_keys` (parsing every regex again is most of a cold start)."""
    for regex, keys in saved.items():
        _KEY_CACHE[regex] = None if keys is None else frozenset(keys)


def word_start_keys(regex: str) -> set[str] | None:
    """The word prefixes a match of ``regex`` must start with, or None when the rule must be scanned."""
    if regex in _KEY_CACHE:
        cached = _KEY_CACHE[regex]
        return None if cached is None else set(cached)
    keys = _parse_keys(regex)
    _KEY_CACHE[regex] = None if keys is None else frozenset(keys)
    return keys


def _parse_keys(regex: str) -> set[str] | None:
    try:
        parsed = sre_parse.parse(regex, re.IGNORECASE)
    except re.error:
        return None
    items = list(parsed)
    if not _anchored(items):
        return None
    for depth in range(_PREFIX, 0, -1):  # too many prefixes to list even after _fewer_keys: try shorter ones
        keys = _prefixes(items, depth)
        if keys is not None:
            return keys
    return None


def _anchored(items: list) -> bool:
    """True when every way through the regex starts at a word boundary (or behind a non-word lookbehind)."""
    if not items:
        return False
    op, value = items[0]
    if op is sre_constants.AT:
        return value is sre_constants.AT_BOUNDARY
    if op is sre_constants.ASSERT_NOT and value[0] < 0:
        return True
    if op is sre_constants.ASSERT and value[0] < 0:
        return _anchored(items[1:])  # a lookbehind followed by a word boundary ("(?<=-)\\bve for")
    if op is sre_constants.SUBPATTERN:
        return _anchored(list(value[-1]) + items[1:])
    if op is sre_constants.BRANCH:
        return all(_anchored(list(branch) + items[1:]) for branch in value[1])
    return False


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
        self._by_key = dict(self._by_key)
        self._word_rules: dict[str, tuple[int, ...]] = {}

    def __len__(self) -> int:
        return len(self._rules)

    def _rules_for(self, word: str) -> tuple[int, ...]:
        """The rules worth trying at a word (by its first letters, or the whole short word); memoised, since the
        vocabulary of notes repeats."""
        if len(word) >= _PREFIX:
            keys = [word[:size] for size in range(1, _PREFIX + 1)]
        else:
            keys = [word[:size] for size in range(1, len(word) + 1)] + [word + _EXACT]
        found = tuple(sorted({i for key in keys for i in self._by_key.get(key, ())}))
        if len(self._word_rules) > 50_000:
            self._word_rules.clear()
        self._word_rules[word] = found
        return found

    def rule(self, index: int) -> RuleT:
        """The rule at ``index`` (as returned by :meth:`candidates`)."""
        return self._rules[index]

    def matches(self, text: str, index: TextIndex | None = None) -> list[tuple[RuleT, re.Match[str]]]:
        """Every match of every rule with its match object (for groups), in text order; overlaps are kept."""
        return [(self._rules[rule_index], self._compiled[rule_index].match(text, begin))
                for begin, _, rule_index in self.candidates(text, 0, None, index)]

    def candidates(self, text: str, start: int = 0, end: int | None = None, index: TextIndex | None = None
                   ) -> list[tuple[int, int, int]]:
        """Every match of every rule as (start, -end, rule index), sorted: overlaps are not resolved."""
        stop = len(text) if end is None else end
        index = index if index is not None and index.text is text else TextIndex.of(text)
        found: list[tuple[int, int, int]] = []
        compiled = self._compiled
        word_rules = self._word_rules
        if start <= 0 and stop >= len(text):  # the whole text: each distinct word once
            places: Iterable[tuple[str, list[int]]] = index.by_word.items()
        else:
            words = index.words
            places = ((word, [position]) for position, word in words[bisect_left(words, (start, "")):]
                      if position < stop)
        for word, positions in places:
            rule_indexes = word_rules.get(word)
            if rule_indexes is None:
                rule_indexes = self._rules_for(word)
            if not rule_indexes:
                continue
            for position in positions:
                for rule_index in rule_indexes:
                    match = compiled[rule_index].match(text, position, stop)
                    if match is not None and match.end() > position:
                        found.append((position, -match.end(), rule_index))
        for rule_index in self._scanned:
            for match in compiled[rule_index].finditer(text, start, stop):
                if match.end() > match.start():
                    found.append((match.start(), -match.end(), rule_index))
        found.sort()
        return found

    def finditer(self, text: str, start: int = 0, end: int | None = None, index: TextIndex | None = None
                 ) -> Iterator[tuple[int, int, RuleT]]:
        """Yield (start, end, rule) for the matches inside ``text[start:end]``, in text order."""
        reached = start
        for begin, negative_end, rule_index in self.candidates(text, start, end, index):
            if begin >= reached:
                yield begin, -negative_end, self._rules[rule_index]
                reached = -negative_end


_GAP = r"[ \t]+(?:\n[ \t]*)?|\n[ \t]*"  # a run of spaces, or a line wrapped there (one newline, no blank line)


def tolerant_spaces(regex: str) -> str:
    """``regex`` with each literal space (and each character class that admits a space, such as ``[- ]``) also
    matching a run of spaces or tabs, or a single line break: dictated and wrapped notes space words irregularly
    ("history  of", "may   represent", "no longer\nbeing used"), and a lexicon entry should not care. Lookbehinds
    keep their fixed width, and negated classes are left alone."""
    out: list[str] = []
    groups: list[bool] = []  # one entry per open group: is it a lookbehind?
    class_start = -1  # where the character class being read starts in ``out``, or -1
    class_space = False
    escaped = False
    for position, char in enumerate(regex):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif class_start >= 0:
            body = "".join(out[class_start + 1:])
            if char == "]" and body not in ("", "^"):
                out.append(char)
                if class_space and not body.startswith("^") and not any(groups):
                    out[class_start:] = [f"(?:{_GAP}|" + "".join(out[class_start:]) + ")"]
                class_start = -1
                continue
            class_space = class_space or char == " "
        elif char == "[":
            class_start, class_space = len(out), False
        elif char == "(":
            groups.append(regex.startswith(("(?<=", "(?<!"), position))
        elif char == ")" and groups:
            groups.pop()
        elif char == " " and not any(groups):
            out.append(f"(?:{_GAP})")
            continue
        out.append(char)
    return "".join(out)
