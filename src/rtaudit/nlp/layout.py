"""Clinical layout: section headers and sentence units that respect how notes are laid out.

A unit is a prose sentence, one ``Key: value`` line (with its wrapped or option-menu continuation lines), one
bullet, one table row or one header. Everything here works on character offsets of the note text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from rtaudit.nlp.patterns import SectionRule
from rtaudit.nlp.regexset import tolerant_spaces

_LINE = re.compile(r"[^\n]*(?:\n|$)")
_BULLET = re.compile(r"^\s*(?:[-*•·▪◦‣>]|\d{1,2}[.)]|[a-z][.)]|\(\d{1,2}\))\s+")
_KEY_VALUE = re.compile(r"^\s*[A-Za-z0-9][A-Za-z0-9 /&()#'.,+-]{0,48}?\s*(?::|\.{3,}|\s-\s)")
_BOX_START = re.compile(r"^\s*(?:\[[ xX✓✔]?\]|[☐☒☑]|\( ?[xX]? ?\))")
_TABLE_ROW = re.compile(r"\|.*\||\t.*\t|\S {3,}\S.* {3,}\S")
_HEADER_COLON = re.compile(r"[ \t]*(?::|\.{3,}|-{1,2}\s|—\s)")
_DECORATION = re.compile(r"^[\s=*#_~-]+|[\s=*#_~:-]+$")
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\.\.)[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])")  # not a "...." leader
_NOT_LETTER = re.compile(r"[^A-Za-z]")
_TWO_DIGITS = re.compile(r"\d{2}")
_LEADER_VALUE = re.compile(r"\.{3,}\s*\S")
_TITLE_LINE = re.compile(r"^[A-Z][A-Za-z/&\-]*(?: [A-Za-z/&\-]+){0,4}:$")  # a short title alone on its line
_DATE_KEY = re.compile(r"^\s*[^:\n]{0,40}?(?<![\d/.\-])\d{1,4}[/.\-]\d{1,2}(?:[/.\-]\d{2,4})?\s*:")
_ABBREVIATION_BEFORE = re.compile(
    r"(?:\b(?:Dr|Mr|Mrs|Ms|Drs|vs|approx|St|No|Fig|e\.g|i\.e|a\.m|p\.m|M\.D|D\.O|Ph\.D|[A-Z])\.)$"
)


@dataclass(frozen=True)
class Section:
    """A header and the text it governs."""

    name: str
    kind: str
    start: int
    end: int
    header_end: int

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "kind": self.kind, "start": self.start, "end": self.end,
                "header_end": self.header_end}


class SectionMatcher:
    """Recognises header lines, using the section rules for names with a known meaning."""

    def __init__(self, rules: list[SectionRule]):
        self.rules = rules
        parts, self._owner, group = [], {}, 1
        for rule in rules:
            regex = tolerant_spaces(rule.to_regex())
            self._owner[group] = rule
            parts.append(f"({regex})")
            group += 1 + re.compile(regex).groups
        after = r"(?:[ \t]*\([^()\n]{1,80}\))?(?=[ \t]*(?::|\.{3,}|-{1,2}\s|—\s)|[\s=*#_~:-]*$)"  # "PRIOR RT (2019):"
        self._known = re.compile(rf"^\s*(?:[-*•][ \t]+|[-=*#_~]{{2,}}[ \t]*)?(?:{'|'.join(parts)}){after}",  # "- Next:"
                                 re.IGNORECASE) if parts else None

    def match(self, line: str) -> tuple[str, str, int, bool] | None:
        """For a header line return (name, kind, header length, has inline content), else None."""
        stripped = line.strip()
        if not stripped or _BOX_START.match(stripped):
            return None
        found = self._known.match(line) if self._known is not None else None
        if found:
            rule = self._owner[found.lastindex or 1]
            rest = line[found.end():]
            colon = _HEADER_COLON.match(rest)
            header_end = found.end() + (colon.end() if colon else len(rest.rstrip("\n")))
            content = line[header_end:].strip()
            return _DECORATION.sub("", found.group(0)).upper(), rule.kind, header_end, bool(content)
        core = _DECORATION.sub("", stripped)
        if _TITLE_LINE.match(stripped):
            return core.rstrip(":").strip(), "current", len(line.rstrip("\n")), False  # "Current problem:" alone
        if len(core) > 90 or core.upper() != core:
            return None
        if len(_NOT_LETTER.sub("", core)) >= 4 and not _TWO_DIGITS.search(core):
            if ":" in core and core.index(":") < len(core) - 1 or _LEADER_VALUE.search(core):
                return None  # "KEY: value" or "KEY ...... value" is a field, not a header
            return core.rstrip(":").strip(), "current", len(line.rstrip("\n")), False
        return None


@dataclass(frozen=True)
class Layout:
    """Sections and sentence units of one note, as character ranges."""

    sections: list[Section]
    units: list[tuple[int, int]]


def _wrapped_date(line: str, previous_line: str) -> bool:
    """A line whose colon follows a date ("04/02/2025: 4.6 cm mass", "with contrast 04/04/2025: new node") right
    after a line that does not end a sentence is the prose wrapping on, not a new field."""
    return bool(_DATE_KEY.match(line)) and bool(previous_line.strip()) and not _ends_clause(previous_line)


def _ends_clause(line: str) -> bool:
    """Whether a line ends a sentence or a field (so the next line starts a unit of its own)."""
    return line.rstrip().endswith((".", ":", "?", "!", ";"))


def _split_prose(text: str, start: int, end: int) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    cursor = start
    for found in _SENTENCE_END.finditer(text, start, end):
        before = text[max(cursor, found.start() - 8):found.start()]
        if _ABBREVIATION_BEFORE.search(before):
            continue
        pieces.append((cursor, found.start()))
        cursor = found.end()
    pieces.append((cursor, end))
    return [(s, e) for s, e in pieces if text[s:e].strip()]


def analyse_layout(text: str, sections: SectionMatcher) -> Layout:
    """Split a note into sections and sentence units.

    A header alone on its line governs the text up to the next such header (a header of kind ``ignore``, such as
    "CHARGES", only up to the next blank line); a header with text after it on the same line (``HPI: ...``) governs
    only that unit, and the section around it goes on afterwards.
    """
    found: list[list] = []  # [name, kind, start, end, header_end]
    blocks: list[list[int]] = []  # line groups that form one unit before prose splitting
    previous_line = ""
    open_block_header: list | None = None  # the block-level header currently in force
    inline_header: list | None = None  # an inline header, extended while its unit continues

    for line_match in _LINE.finditer(text):
        line = line_match.group(0)
        if not line:
            break
        line_start = line_match.start()
        content_end = line_start + len(line.rstrip("\n\r"))
        if not line.strip():
            previous_line = ""
            if open_block_header is not None and open_block_header[1] == "ignore":
                open_block_header = None  # a billing or level block ends at the blank line (a signature may follow)
            continue
        header = sections.match(line)
        starts_unit = (
            not previous_line.strip()
            or header is not None
            or _ends_clause(previous_line)
            or bool(_BULLET.match(line))
            or (bool(_KEY_VALUE.match(line)) and not _wrapped_date(line, previous_line))
            or bool(_TABLE_ROW.search(line))
            or (bool(_BOX_START.match(line)) and not _BOX_START.search(previous_line))
        )
        if starts_unit:
            inline_header = None
        if header is not None:
            name, kind, header_length, inline = header
            entry = [name, kind, line_start, content_end, line_start + header_length]
            found.append(entry)
            if inline:
                inline_header = entry if kind != "ignore" else None  # "Charges: 77290" covers its own line only
            else:
                if open_block_header is not None:
                    open_block_header[3] = line_start
                open_block_header = entry
        if starts_unit or not blocks:
            blocks.append([line_start, content_end])
        else:
            blocks[-1][1] = content_end
            if inline_header is not None:
                inline_header[3] = content_end
        if open_block_header is not None:
            open_block_header[3] = content_end
        previous_line = line

    units: list[tuple[int, int]] = []
    for start, end in blocks:
        leading = len(text[start:end]) - len(text[start:end].lstrip())
        units.extend(_split_prose(text, start + leading, end))
    return Layout([Section(n, k, s, e, h) for n, k, s, e, h in found], units)


def section_at(sections: list[Section], offset: int, starts: list[int] | None = None) -> Section | None:
    """The innermost section that contains ``offset`` (the latest-starting one); ``starts``, the sections' start
    offsets, saves recomputing them when many offsets are looked up."""
    starts = starts if starts is not None else [section.start for section in sections]
    for index in range(bisect_right(starts, offset) - 1, -1, -1):
        section = sections[index]
        if offset < max(section.end, section.start + 1):
            return section
    return None
