"""ConText-style assertion: is a mention affirmed, negated, hypothetical, historical, or about someone else?

Pure Python on character offsets, so the pipeline component and :func:`rtaudit.assertion.classify` share it.
Besides classic trigger/scope logic it reads the forms of templated documentation: checkboxes (``[x]`` / ``[ ]``),
option menus with nothing selected, and ``Key: value`` lines whose value is ``None``, ``N/A`` or ``Yes``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from rtaudit.nlp.layout import Section
from rtaudit.nlp.patterns import ContextRule
from rtaudit.nlp.regexset import RegexSet, TextIndex, preload_keys, tolerant_spaces, word_start_keys

_DATED_BY_CHARGE_LINES = frozenset({"date_of_service"})  # "Charges: 77331 (DOS 04/28/2025)" dates it
_BOX = re.compile(r"\[\s*[xX✓✔■*]\s*\]|\[\s*\]|[☐☒☑✅]|\(\s*[xX✓✔]\s*\)|\(\s*\)")
_CHECKED = re.compile(r"[xX✓✔■*☒☑✅]")
_KEY = re.compile(r"^[ \t]*[^\s:][^\n:.;,]{0,60}?(?::|\.{3,}|\s-\s)")
_KEY_WORDS = 8  # a longer "key" is a sentence with a colon in it
_NEGATIVE_VALUE = re.compile(
    r"^\s*(?:(?:none|no|n|n/?a|nil|negative|not (?:done|performed|applicable|indicated|needed|required|used|given|"
    r"obtained|acquired)|declined|refused|omitted|held)\b(?!\s*(?:\d|change))|[-0]\s*$)",
    re.IGNORECASE,
)
_AFFIRMATIVE_VALUE = re.compile(r"^\s*(?:yes|y|done|performed|completed|obtained|acquired|used|given)\b", re.IGNORECASE)
_BLANK_VALUE = re.compile(r"^[ \t]*(?:_{2,}|\[\s*\]|\(\s*\))[\s_.]*$")
_YEAR = re.compile(r"(?<![\d/.-])(?:19[6-9]\d|20[0-4]\d)(?![\d/])")
_WORD = re.compile(r"\S+")

PRIORITY = {"other_experiencer": 0, "negated": 1, "hypothetical": 2, "historical": 3}


@dataclass(frozen=True)
class Trigger:
    """A matched trigger: its category, rule and character offsets."""

    category: str
    rule: str
    start: int
    end: int
    text: str
    direction: str = "forward"
    max_scope: int | None = None
    elements: tuple[str, ...] | None = None

    def as_dict(self) -> dict[str, object]:
        return {"text": self.text, "start": self.start, "end": self.end, "category": self.category,
                "rule": self.rule}


@dataclass(frozen=True)
class Assertion:
    """The decision for one mention. ``status`` is present / negated / hypothetical / historical / absent /
    other_experiencer; ``cue`` says which form decided it (trigger, checkbox, key-value, section, year)."""

    status: str
    trigger: Trigger | None = None
    cue: str = "none"


class ContextEngine:
    """Applies a ConText lexicon to mentions inside one sentence unit."""

    #: Terminators that do not end an experiencer's scope ("Her mother was treated ... using a mask").
    experiencer_passes = frozenset({"term/affirmed-action", "term/parenthesis"})

    def __init__(self, rules: list[ContextRule], default_max_scope: int = 8):
        self.rules = rules
        self.default_max_scope = default_max_scope
        regexes = []
        for rule in rules:
            regex = tolerant_spaces(rule.to_regex())
            if regex != rule.to_regex():  # a space never starts a word: reuse the word keys saved for the rule
                keys = word_start_keys(rule.to_regex())
                preload_keys({regex: None if keys is None else sorted(keys)})
            regexes.append((regex, rule))
        self._lexicon = RegexSet(regexes)
        self._forms: dict[tuple, tuple[list[tuple[int, int, bool]], int | None]] = {}

    # -- triggers -------------------------------------------------------------------------------------------
    def find_triggers(self, text: str, start: int, end: int, reference_year: int | None = None,
                      index: TextIndex | None = None) -> tuple[list[Trigger], list[tuple[int, str]]]:
        """Triggers and scope-terminator positions inside ``text[start:end]``, in text order.

        Overlaps are resolved (leftmost, then longest) within each group: pseudo-triggers, terminators, historical
        triggers, and the other triggers. Temporality is an axis of its own, so a historical trigger may share its
        words with a negation ("denies" in "denies alcohol use" both negates and marks a social-history habit)."""
        groups: dict[str, list[tuple[int, int, ContextRule]]] = {"pseudo": [], "terminate": [], "historical": [],
                                                                 "trigger": []}
        reached = dict.fromkeys(groups, start)  # each group resolves its own overlaps, leftmost then longest
        rule_of = self._lexicon.rule
        for begin, negative_end, rule_index in self._lexicon.candidates(text, start, end, index):
            rule = rule_of(rule_index)
            kind = rule.category if rule.category in groups else "trigger"
            if begin >= reached[kind]:
                groups[kind].append((begin, -negative_end, rule))
                reached[kind] = -negative_end
        pseudo = [(s, e) for s, e, _ in groups["pseudo"]]
        triggers: list[Trigger] = []
        for s, e, rule in groups["historical"] + groups["trigger"]:
            if any(ps <= s < pe or ps < e <= pe for ps, pe in pseudo):
                continue
            elements = tuple(rule.elements) if rule.elements else None
            triggers.append(Trigger(rule.category, rule.id, s, e, text[s:e], rule.direction, rule.max_scope,
                                    elements))
        if reference_year is not None:
            for found in _YEAR.finditer(text, start, end):
                if _MONTH_BEFORE.search(text, max(0, found.start() - 12), found.start()):
                    continue  # a dated event ("Jan 2005") is part of the story, not a prior episode
                if int(found.group(0)) < reference_year:
                    triggers.append(Trigger("historical", "hist/earlier-year", found.start(), found.end(),
                                            found.group(0), "both", 6))
        triggers.sort(key=lambda t: t.start)
        covered = set()
        for trigger in triggers:
            covered.update(range(trigger.start, trigger.end))
        terminators = [(s, rule.id) for s, e, rule in groups["terminate"]
                       if covered.isdisjoint(range(s, e))
                       and not (rule.id == "term/parenthesis" and _abbreviation_parenthesis(text, s))]
        return triggers, terminators

    def _covers(self, text: str, trigger: Trigger, start: int, end: int, terminators: list[tuple[int, str]],
                unit: tuple[int, int]) -> bool:
        if trigger.start < end and start < trigger.end:
            return True  # an overlapping trigger that governs the mention (see _governs_overlap)
        limit = trigger.max_scope if trigger.max_scope is not None else self.default_max_scope
        stops = [t for t, rule in terminators if trigger.category != "other_experiencer"
                 or rule not in self.experiencer_passes]
        if trigger.direction in ("forward", "both") and trigger.end <= start:
            if any(trigger.end <= t < start and not _inside_aside(text, trigger.end, t, forward=True) for t in stops):
                return False
            between = text[trigger.end:start]
            return len(_WORD.findall(between)) <= limit or (
                trigger.category == "negated" and _list_reaches(between, limit))
        if trigger.direction in ("backward", "both") and trigger.start >= end:
            if any(end <= t < trigger.start and not _inside_aside(text, t, trigger.start, forward=False)
                   for t in stops):
                return False
            return len(_WORD.findall(text, end, trigger.start)) <= limit
        return False

    def covering(self, text: str, start: int, end: int, unit: tuple[int, int], triggers: list[Trigger],
                 terminators: list[tuple[int, str]], label: str | None = None) -> list[Trigger]:
        """Every trigger whose scope reaches the mention ``text[start:end]``."""
        found = []
        for trigger in triggers:
            if trigger.elements is not None and not _applies(trigger, label):
                continue  # a trigger for named elements only (a target of unknown type is not one of them)
            if trigger.start < end and start < trigger.end and not _governs_overlap(text, trigger, start, end):
                continue  # a trigger inside the mention itself is part of its name
            if self._covers(text, trigger, start, end, terminators, unit):
                found.append(trigger)
        return found

    def classify_in_unit(self, text: str, start: int, end: int, unit: tuple[int, int],
                         triggers: list[Trigger], terminators: list[tuple[int, str]], label: str | None = None
                         ) -> Assertion:
        """Classic ConText for one mention: the strongest trigger whose scope reaches it (the nearest among
        equals)."""
        covering = self.covering(text, start, end, unit, triggers, terminators, label)
        if not covering:
            return Assertion("present")
        best = min(covering, key=lambda t: (PRIORITY[t.category], _distance(t, start, end)))
        return Assertion(best.category, best, "trigger")

    # -- templated forms ------------------------------------------------------------------------------------
    def template_form(self, text: str, start: int, end: int, unit: tuple[int, int], triggers: list[Trigger],
                      label: str | None = None) -> Assertion | None:
        """Checkbox and ``Key: value`` forms; None when the unit is prose."""
        boxes, key_end = self._unit_form(text, unit)
        if boxes:
            return self._checkbox_form(text, start, end, unit, boxes, key_end)
        if key_end is not None and end <= key_end:
            value = text[key_end:unit[1]]
            if _BLANK_VALUE.match(value):
                return Assertion("absent", cue="blank-field")
            if _NEGATIVE_VALUE.match(value):
                return Assertion("negated", _value_trigger(text, key_end, unit[1]), "key-value")
            if _AFFIRMATIVE_VALUE.match(value):
                return Assertion("present", cue="key-value")
            first_words_end = _nth_word_end(text, key_end, unit[1], 5)
            leading = [t for t in triggers if key_end <= t.start < first_words_end
                       and t.category in ("negated", "hypothetical", "historical")
                       and (t.elements is None or _applies(t, label))]
            if leading:
                trigger = min(leading, key=lambda t: PRIORITY[t.category])
                return Assertion(trigger.category, trigger, "key-value")
        return None

    def _key_trigger(self, text: str, start: int, unit: tuple[int, int], triggers: list[Trigger],
                     label: str | None) -> Trigger | None:
        """A negation or plan word in a ``Key:`` governs the whole value after it ("CT simulation scheduled
        04/18: supine, Vac-Lok, IV contrast"; "Not performed: 4DCT"); None for a mention in the key or a plain key."""
        _, key_end = self._unit_form(text, unit)
        if key_end is None or start < key_end:
            return None
        in_key = [t for t in triggers if unit[0] <= t.start and t.end <= key_end
                  and t.category in ("negated", "hypothetical")  # history keys are section headers
                  and (t.elements is None or _applies(t, label))]
        return min(in_key, key=lambda t: PRIORITY[t.category]) if in_key else None

    def _unit_form(self, text: str, unit: tuple[int, int]) -> tuple[list[tuple[int, int, bool]], int | None]:
        """The checkboxes of a unit and where its ``Key:`` ends (cached: a unit holds several mentions)."""
        cache_key = (unit[0], text[unit[0]:unit[1]])
        cached = self._forms.get(cache_key)
        if cached is None:
            unit_text = text[unit[0]:unit[1]]
            boxes = [(unit[0] + m.start(), unit[0] + m.end(), bool(_CHECKED.search(m.group(0))))
                     for m in _BOX.finditer(unit_text)] if ("[" in unit_text or "(" in unit_text
                                                             or any(c in unit_text for c in "☐☒☑✅")) else []
            key = _KEY.match(unit_text)
            key_end = unit[0] + key.end() if key and len(key.group(0).split()) <= _KEY_WORDS else None
            if len(self._forms) > 4096:
                self._forms.clear()
            cached = self._forms[cache_key] = (boxes, key_end)
        return cached

    def _checkbox_form(self, text: str, start: int, end: int, unit: tuple[int, int],
                       boxes: list[tuple[int, int, bool]], key_end: int | None) -> Assertion | None:
        options = []
        for index, (box_start, box_end, checked) in enumerate(boxes):
            option_end = boxes[index + 1][0] if index + 1 < len(boxes) else unit[1]
            newline = text.find("\n", box_end, option_end)
            if newline != -1:
                option_end = newline
            options.append((box_start, box_end, option_end, checked))
        for box_start, box_end, option_end, checked in options:
            if box_end <= start < option_end or (box_start <= start < box_end):
                if checked:
                    return Assertion("present", cue="checkbox")
                return Assertion("absent", cue="checkbox")
        first_box = options[0][0]
        if end <= first_box:
            selected = [text[b_end:o_end] for _, b_end, o_end, checked in options if checked]
            if not selected:
                return Assertion("absent", cue="menu-unselected")
            if all(_NEGATIVE_VALUE.match(option) for option in selected):
                box_start, box_end, option_end, _ = next(o for o in options if o[3])
                trigger = Trigger("negated", "form/checked-none", box_start, option_end,
                                  text[box_start:option_end].strip())
                return Assertion("negated", trigger, "checkbox")
            return Assertion("present", cue="checkbox")
        return None

    # -- the whole decision ---------------------------------------------------------------------------------
    def assert_mention(self, text: str, start: int, end: int, unit: tuple[int, int],
                       section: Section | None, triggers: list[Trigger], terminators: list[tuple[int, str]],
                       label: str | None = None) -> Assertion:
        """The status of the mention ``text[start:end]`` that lies in ``unit``."""
        if section is not None and section.kind == "ignore" and label not in _DATED_BY_CHARGE_LINES:
            return Assertion("absent", cue="section")
        form = self.template_form(text, start, end, unit, triggers, label)
        if form is not None:
            return form
        in_unit = self.classify_in_unit(text, start, end, unit, triggers, terminators, label)
        if in_unit.status != "present":
            return in_unit
        key_trigger = self._key_trigger(text, start, unit, triggers, label)
        if key_trigger is not None:
            return Assertion(key_trigger.category, key_trigger, "key-value")
        if section is not None and section.kind in ("historical", "context", "hypothetical") and \
                start >= section.header_end:
            category = "historical" if section.kind == "context" else section.kind
            trigger = Trigger(category, f"section/{section.name.lower()}", section.start, section.header_end,
                              section.name)
            return Assertion(category, trigger, "section")
        return in_unit


def _inside_aside(text: str, start: int, end: int, *, forward: bool) -> bool:
    """Whether the terminator at ``end`` (forward) or ``start`` (backward) opens or lies inside a parenthetical
    that begins on the far side of the trigger: an aside elaborates what comes before it and does not end the
    trigger's clause ("booked for tomorrow (04/23), supine", "RT in 2023 (50.4 Gy/28; 4DCT simulation)"). A
    parenthesis that closes an aside holding the trigger still ends its scope."""
    if forward:
        between, opening, closing, mark = text[start:end], "(", ")", text[end]
    else:
        between, opening, closing, mark = text[start + 1:end], ")", "(", text[start]
    if mark == opening:
        return True
    return between.count(opening) > between.count(closing)


_LIST_SEPARATOR = re.compile(r"\s*,\s*(?:(?:or|and|nor)\s+)?|\s+(?:or|and|nor)\s+", re.IGNORECASE)
_CLAUSE_WORD = re.compile(
    r"\b(?:is|are|was|were|be|been|has|have|had|which|that|who|but|although|though|however|because|since|while|"
    r"he|she|they|we|i|it|this|there|no|not|denies|denied|reports|reported|states|complains|presents)\b",
    re.IGNORECASE)
_LIST_ITEM_WORDS = 6


def _list_reaches(between: str, limit: int) -> bool:
    """Whether a negation's scope runs on through a list to the item that follows ``between``: the list starts within
    ``limit`` words of the trigger, its items are short noun phrases, and the text before the target ends at a
    list separator ("denies palpitations, shortness of breath, chest pain, headache, or [lightheadedness]")."""
    pieces = _LIST_SEPARATOR.split(between + " ")
    if len(pieces) < 3 or pieces[-1].strip():
        return False  # fewer than two separators, or the target does not follow one
    first, items = pieces[0], pieces[1:-1]
    if len(_WORD.findall(first)) > limit or _CLAUSE_WORD.search(first):
        return False
    return all(0 < len(_WORD.findall(item)) <= _LIST_ITEM_WORDS and not _CLAUSE_WORD.search(item) for item in items)


_ARTICLE_ONLY = re.compile(r"^\s*(?:(?:a|an|the|some)\s+)?$", re.IGNORECASE)
_ABBREVIATION_OPEN = re.compile(r"\(\s*[A-Za-z][\w/&+-]{0,9}\s*\)")
_ABBREVIATION_CLOSE = re.compile(r"\(\s*[A-Za-z][\w/&+-]{0,9}\s*\)$")


def _abbreviation_parenthesis(text: str, position: int) -> bool:
    """True for a bracket of a short abbreviation such as "(DIBH)": it does not end a clause."""
    if text[position] == "(":
        return bool(_ABBREVIATION_OPEN.match(text, position))
    return bool(_ABBREVIATION_CLOSE.search(text, max(0, position - 14), position + 1))


def _applies(trigger: Trigger, label: str | None) -> bool:
    """Whether an element-restricted trigger applies to a mention of ``label`` ("*": any documentation element)."""
    return label is not None and ("*" in (trigger.elements or ()) or label in (trigger.elements or ()))


def _governs_overlap(text: str, trigger: Trigger, start: int, end: int) -> bool:
    """A trigger overlapping a mention counts when it is a prefix of a one-word mention ("non" in "noncontrast",
    not in "nondilated left ventricle") or when the mention
    is the head or the tail of the trigger phrase ("Pending signature", "Outside MRI"); a mention in the middle of a
    long trigger ("tried at simulation and not tolerated") is only a bystander."""
    prefix = trigger.start == start and trigger.end < end and not any(c.isspace() for c in text[start:end])
    contains = trigger.start <= start and end <= trigger.end and (trigger.start, trigger.end) != (start, end)
    at_edge = trigger.start == start or trigger.end == end
    first_word = _WORD.match(trigger.text)
    object_of_first_word = first_word is not None and bool(
        _ARTICLE_ONLY.match(trigger.text[first_word.end():start - trigger.start]))
    return prefix or (contains and (at_edge or object_of_first_word))


def _distance(trigger: Trigger, start: int, end: int) -> int:
    if trigger.start < end and start < trigger.end:
        return 0
    return start - trigger.end if trigger.end <= start else trigger.start - end


def _nth_word_end(text: str, start: int, end: int, n: int) -> int:
    position = start
    for count, found in enumerate(_WORD.finditer(text, start, end), start=1):
        position = found.end()
        if count >= n:
            break
    return position


def _value_trigger(text: str, start: int, end: int) -> Trigger:
    value = text[start:end]
    leading = len(value) - len(value.lstrip())
    word = _WORD.match(value, leading)
    s, e = (start + word.start(), start + word.end()) if word else (start, end)
    return Trigger("negated", "form/key-value", s, e, text[s:e])


_ANY_YEAR = re.compile(r"(?<!\d)(?:19[6-9]\d|20[0-4]\d)(?!\d)")
_FULL_DATE = re.compile(
    r"\d{1,2}[/-]\d{1,2}[/-](?:19|20)\d{2}|(?:19|20)\d{2}-\d{2}-\d{2}|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2},? (?:19|20)\d{2}",
    re.IGNORECASE,
)


_MONTH_BEFORE = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s*(?:\d{1,2},?\s*)?$", re.IGNORECASE
)


def reference_year(text: str, today: int | None = None) -> int:
    """The year of service: the latest year in the note's dates, else this year; earlier years are history."""
    years = {int(y) for y in _ANY_YEAR.findall(text)}
    if years and (_FULL_DATE.search(text) or len(years) > 1):
        return max(years)
    return today or date.today().year
