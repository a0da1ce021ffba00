"""Counts of treatment areas and ports, from digits, number words and enumerations.

Each count found is a mention with an integer value and a rank (0 = stated number, 1 = enumerated list,
2 = implied by a beam arrangement such as AP/PA); the findings layer keeps the best-ranked present one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from rtaudit.nlp.regexset import RegexSet

NUMBER_WORDS = {
    "one": 1, "single": 1, "a single": 1, "solitary": 1, "two": 2, "pair of": 2, "a pair of": 2, "both": 2,
    "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
    "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
}
_NUMBER = r"(?:\d{1,2}|" + "|".join(sorted((re.escape(w) for w in NUMBER_WORDS), key=len, reverse=True)) + ")"
_PAREN_DIGIT = r"(?:\s*\(\d{1,2}\))?"

# an adjective before "treatment area" is allowed ("single pelvic treatment area"), not before a bare "sites"
_AREA_NOUN = (r"(?:[a-z][\w\-]* (?=(?:treatment|tx|radiation|RT) (?:areas?|sites?)\b))?"
              r"(?:treatment |tx |anatomic(?:al)? |target |separate |distinct |discrete |individual |different |"
              r"radiation |RT |)(?:separate |distinct |treatment |tx )?(?:areas?|sites?|regions?|"
              r"isocenters? for separate (?:areas|sites))").replace(" ", r"(?:[ \t]*\n)?[ \t]*")  # a wrapped line
_AREA_EXPLICIT = re.compile(
    rf"(?<![\w.])(?P<n>{_NUMBER}){_PAREN_DIGIT}[\s-]+{_AREA_NOUN}\b(?!\s+of\s+(?:disease|metasta|involvement))",
    re.IGNORECASE,
)
_AREA_PAREN = re.compile(rf"\((?P<n>{_NUMBER})\s*(?:(?:treatment\s+)?(?:areas?|sites?))?(?:\s*[,;][^()\n]{{0,30}})?\)",
                         re.IGNORECASE)
_MEASUREMENT = re.compile(r"\b(?:TLDs?|OSLDs?|diodes?|MOSFETs?|dosimet\w*|dosimeters?|measure\w*|readings?|nanoDots?|"
                          r"films?|chambers?|points?)\b", re.IGNORECASE)
_AREA_KEY = re.compile(
    r"^[ \t]*(?:number of |no\.? of |# of |#)?(?:treatment |tx |target |anatomic |)(?:areas?|sites?)(?:\(s\))?"
    r"(?: [a-z]+){0,3}?(?: \(\w+\))?(?:[ \t]*[:=]|[ \t]*\.{3,}|[ \t]{2,}(?=\d))[ \t]*(?P<value>[^\n]*)",
    re.IGNORECASE | re.MULTILINE,
)
_AREA_LIST_HEADER = re.compile(
    r"^[ \t]*[^\n:]{0,40}?\b(?:treatment areas?|treatment sites?|areas?|sites?|targets?)\b[^\n:]{0,40}:[ \t]*\n"
    r"(?P<items>(?:[ \t]*(?:\d{1,2}[.)]|[-*•])[ \t]+[^\n]+\n?)+)",
    re.IGNORECASE | re.MULTILINE,
)
_NUMBERED_SITE = re.compile(r"\b(?:site|area|target|lesion)\s*#?\s*(?P<n>\d{1,2})\s*[:)\-–]", re.IGNORECASE)

_PORT_NOUN = r"(?:(?:treatment|radiation|static|coplanar|non-?coplanar|IMRT|conformal|photon|electron|MLC|shaped|" \
    r"converging|opposed|oblique|wedged|open|external|intensity[- ]modulated|step[- ]and[- ]shoot|sliding[- ]window|" \
    r"\d{1,2}[- ]?MV|\d{1,2}[- ]?MeV)[\s-]+){0,4}(?:fields?|ports?|portals?|beams?|gantry angles)"
_PORT_EXPLICIT = re.compile(
    rf"(?<![\w.])(?P<n>{_NUMBER})\b{_PAREN_DIGIT}[\s-]*{_PORT_NOUN}\b(?!\s+of\s+view)(?![-\s]*a[-\s]*cath)",
    re.IGNORECASE,
)
_PORT_BOX = re.compile(rf"(?<![\w.])(?P<n>{_NUMBER})[\s-]*field[\s-]+box\b", re.IGNORECASE)
_PORT_TOTAL = re.compile(r"\b(?:fields|beams|ports)[ \t]*\((?P<n>\d{1,2})(?:[ \t]+(?:total|in total|fields|beams))?\)",
                         re.IGNORECASE)  # "Fields (3 total): AP and PA, then a PA boost"
_PORT_KEY = re.compile(
    r"^[ \t]*(?:fields?|beams?|ports?|beam arrangement|field arrangement|portals?)(?:[ \t]*[:=]|[ \t]*\.{3,})"
    r"[ \t]*(?P<value>[^\n]*)",
    re.IGNORECASE | re.MULTILINE,
)
_DIRECTION = re.compile(
    r"^(?:AP|PA|RL|LL|RAO|LAO|RPO|LPO|R ?LAT|L ?LAT|LT LAT|RT LAT|right lateral|left lateral|lateral|medial|"
    r"anterior|posterior|oblique|vertex|(?:medial|lateral) tangent(?:ial)?|en face|SCV|PAB|supraclavicular|"
    r"(?:right|left) (?:anterior|posterior) oblique|(?:right|left) lateral|g\d{1,3}|gantry \d{1,3})\b",
    re.IGNORECASE,
)
_PORT_PAIRS = [
    (re.compile(r"\bAP\s*[/:\-]?\s*PA\b|\bPA\s*[/:\-]\s*AP\b|\bAPPA\b", re.IGNORECASE), 2, "port_count/ap-pa"),
    (re.compile(r"\b(?:(?:parallel[- ])?opposed|right and left|left and right|R/L|RL/LL)\s+lateral"
                r"(?:s|(?:\s+(?:parallel[- ])?opposed)?(?:\s+(?!fields|beams|ports|pair)[a-z][\w-]*){0,2}"
                r"\s+(?:fields|beams|ports|pair))\b|\blaterals\s+opposed\b",
                re.IGNORECASE), 2, "port_count/laterals"),
    (re.compile(r"\bmedial and lateral tangen(?:ts|t?i?al (?:fields|beams|ports)|t\s+(?:fields|beams))\b|"
                r"\b(?:pair of|two|opposed) tangen(?:ts|t?i?al (?:fields|beams))\b", re.IGNORECASE), 2,
     "port_count/tangent-pair"),
    (re.compile(r"\bparallel[- ]opposed (?:pair|fields|beams|ports)\b", re.IGNORECASE), 2, "port_count/pop"),
    (re.compile(r"\b(?:single|one|1) (?:en face )?(?:electron |photon )?(?:field|port|beam)\b|\ben face\b",
                re.IGNORECASE), 1, "port_count/single"),
]
#: After a beam pair, one more field matched to it ("tangents matched to an anterior oblique SCV field", "opposed
#: laterals matched to a single PA spine field"): the arrangement has one port more than the pair.
_MATCHED_FIELD = re.compile(
    r"[^.;\n]{0,80}?\bmatched\b[^.;\n]{0,30}?\bto (?:an?|one|a single|the) (?:[\w/-]+ ){0,4}?(?:field|port|beam)\b",
    re.IGNORECASE,
)
_PER_AREA = re.compile(r"[^.;\n]{0,30}?\b(?:(?:at|to|for|on) each (?:site|area|side|level|lesion)|per (?:site|area))\b",
                       re.IGNORECASE)
_LIST_SPLIT = re.compile(r"\s*(?:,|;|\+|\band\b|&)\s*", re.IGNORECASE)
_PARENTHETICAL = re.compile(r"\([^)]*\)")


@dataclass(frozen=True)
class CountMention:
    """A count found in the text."""

    label: str
    start: int
    end: int
    value: int
    rank: int
    rule: str


def _number(word: str) -> int | None:
    word = word.lower().strip()
    if word.isdigit():
        value = int(word)
        return value if 0 < value < 40 else None
    return NUMBER_WORDS.get(word)


def _list_items(value: str) -> list[str]:
    cleaned = _PARENTHETICAL.sub("", value).strip().rstrip(".")
    return [item for item in _LIST_SPLIT.split(cleaned) if item.strip()]


def find_area_counts(text: str) -> list[CountMention]:
    """Treatment-area counts: stated numbers, ``(1 area)``, ``Treatment areas:`` lists, numbered sites."""
    found: list[CountMention] = []
    for match in _word_matches(text, "area"):
        value = _number(match.group("n"))
        clause_start = max(text.rfind("\n", 0, match.start()), text.rfind(". ", 0, match.start())) + 1
        if value and not _MEASUREMENT.search(text, clause_start, match.start()):
            found.append(CountMention("treatment_area_count", match.start(), match.end(), value, 0,
                                      "treatment_area_count/stated"))
    for match in _AREA_PAREN.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        if re.search(r"\b(?:areas?|sites?)\b", text[line_start:match.start()], re.IGNORECASE) or \
                re.search(r"areas?|sites?", match.group(0), re.IGNORECASE):
            value = _number(match.group("n"))
            if value:
                found.append(CountMention("treatment_area_count", match.start(), match.end(), value, 0,
                                          "treatment_area_count/parenthesised"))
    for match in _AREA_KEY.finditer(text):
        value = match.group("value")
        start = match.start("value")
        if not value.strip() or _AREA_EXPLICIT.search(value) or _AREA_PAREN.search(value):
            continue
        number = re.match(rf"^\s*(?P<n>{_NUMBER})\b\s*(?:$|[(,;.\-–])", value, re.IGNORECASE)
        if number and _number(number.group("n")):
            found.append(CountMention("treatment_area_count", start, match.end(), _number(number.group("n")) or 0,
                                      0, "treatment_area_count/key-number"))
            continue
        items = _list_items(value)
        plural = re.search(r"(?:areas|sites)\b", match.group(0)[:match.start("value") - match.start()], re.IGNORECASE)
        if items:
            found.append(CountMention("treatment_area_count", start, match.end(), len(items) if plural else 1, 1,
                                      "treatment_area_count/enumerated"))
    for match in _AREA_LIST_HEADER.finditer(text):
        items = [line for line in match.group("items").splitlines() if line.strip()]
        items = [line for line in items if not re.match(r"\s*[-*•]?\s*(?:no|none|not)\b", line, re.IGNORECASE)]
        if items:
            found.append(CountMention("treatment_area_count", match.start(), match.end("items"), len(items), 1,
                                      "treatment_area_count/listed"))
    numbered = list(_word_matches(text, "numbered-site"))
    if len(numbered) >= 2:
        top = max(numbered, key=lambda m: int(m.group("n")))
        found.append(CountMention("treatment_area_count", top.start(), top.end(), int(top.group("n")), 1,
                                  "treatment_area_count/numbered-sites"))
    return found


_BEAM_DIRECTION = re.compile(
    r"\b(?:AP|PA|anterior|posterior|R ?LAT|L ?LAT|RL|LL|(?:right|left)[ -]lateral|laterals?|RAO|LAO|RPO|LPO|"
    r"obliques?|tangen\w*|vertex|SCV|supraclavicular|en face|medial|arcs?)\b", re.IGNORECASE)
_ONE_AXIS = ({"ap", "pa", "anterior", "posterior"},
             {"r lat", "l lat", "rlat", "llat", "rl", "ll", "right lateral", "left lateral", "right-lateral",
              "left-lateral", "lateral", "laterals"})
_FIELD_TEXT_END = re.compile(r"\n(?=\s*\n|\S)")  # a blank line or a line that is not indented (the next field)


def _opposed_pair_and_boost(text: str, start: int) -> bool:
    """Whether the arrangement described after a stated total is an opposed pair plus a boost on the same axis
    ("Fields (3 total): AP and PA ..., then a reduced PA field boost"). The count keeps its value; the rule id
    lets a checklist say that such ports do not converge (``not_from`` in 77285 and 77262)."""
    end = _FIELD_TEXT_END.search(text, start)
    described = text[start:end.start() if end else min(len(text), start + 300)][:300]
    if not re.search(r"\bboost", described, re.IGNORECASE):
        return False
    directions = {d.lower() for d in _BEAM_DIRECTION.findall(described)}
    return bool(directions) and any(directions <= axis for axis in _ONE_AXIS)


def find_port_counts(text: str) -> list[CountMention]:
    """Port counts: stated numbers, ``N-field box``, ``Fields:`` lists of beam directions, AP/PA-style pairs."""
    found: list[CountMention] = []
    for match in [*_word_matches(text, "port"), *_word_matches(text, "port-box"), *_word_matches(text, "port-total")]:
        value = _number(match.group("n"))
        if value and not any(m.start <= match.start() < m.end for m in found):
            if value >= 3 and _opposed_pair_and_boost(text, match.end()):
                found.append(CountMention("port_count", match.start(), match.end(), value, 0,
                                          "port_count/opposed-pair-and-boost"))
            else:
                found.append(CountMention("port_count", match.start(), match.end(), value, 0, "port_count/stated"))
    for match in _PORT_KEY.finditer(text):
        value = match.group("value")
        if _PORT_EXPLICIT.search(value) or _PORT_BOX.search(value):
            continue
        items = _list_items(value)
        if len(items) >= 2 and all(_DIRECTION.match(item.strip()) for item in items):
            found.append(CountMention("port_count", match.start("value"), match.end(), len(items), 1,
                                      "port_count/enumerated"))
    for _, value, rule in _PORT_PAIRS:
        for match in _word_matches(text, rule):
            if _PER_AREA.match(text, match.end()):
                continue  # "AP/PA at each site": not a single total
            if any(m.start <= match.start() < m.end for m in found):
                continue
            matched = _MATCHED_FIELD.match(text, match.end())
            if matched:  # the whole arrangement, pair plus matched field: as good as an enumeration
                found.append(CountMention("port_count", match.start(), matched.end(), value + 1, 1,
                                          "port_count/pair-and-matched-field"))
            else:
                found.append(CountMention("port_count", match.start(), match.end(), value, 2, rule))
    return found


_WORD_RULES = RegexSet(
    [(_AREA_EXPLICIT.pattern, "area"), (_NUMBERED_SITE.pattern, "numbered-site"), (_PORT_EXPLICIT.pattern, "port"),
     (_PORT_BOX.pattern, "port-box"), (_PORT_TOTAL.pattern, "port-total")]
    + [(pattern.pattern, rule) for pattern, _, rule in _PORT_PAIRS]
)


def _word_matches(text: str, rule: str) -> Iterator[re.Match[str]]:
    """Matches of one of the word-anchored count rules (all found in one pass over the note's words)."""
    cached = _LAST_MATCHES
    if cached[0] is not text:
        grouped: dict[str, list[re.Match[str]]] = {}
        for name, match in _WORD_RULES.matches(text):
            grouped.setdefault(name, []).append(match)
        cached[0], cached[1] = text, grouped
    return iter(cached[1].get(rule, ()))


_LAST_MATCHES: list = [None, {}]


def find_counts(text: str) -> list[CountMention]:
    """All area and port counts in a note (rank ``PAIR_RANK``: implied by a beam pair; the findings layer leaves
    those out where the note affirms two or more areas, since "AP/PA" is then a per-area arrangement)."""
    return find_area_counts(text) + find_port_counts(text)


#: The rank of a port count implied by a beam pair such as AP/PA.
PAIR_RANK = 2
