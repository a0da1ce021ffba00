"""Pydantic models for the pattern data files, and their compilation to regular expressions."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from rtaudit.elements import ELEMENTS

_SEPARATOR = r"[\s\-/]*"


def phrase_to_regex(phrase: str) -> str:
    """A literal phrase as a regex: whole words, any of space / hyphen / slash / nothing between its words."""
    words = [w for w in re.split(r"[\s\-/]+", phrase.strip()) if w]
    body = _SEPARATOR.join(re.escape(w) for w in words)
    start = r"\b" if re.match(r"\w", words[0]) else ""
    end = r"\b" if re.search(r"\w$", words[-1]) else ""
    return f"{start}{body}{end}"


def _check_regex(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        compiled = re.compile(value, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    if compiled.groupindex:
        raise ValueError("named groups are not allowed")
    if compiled.search("") is not None:
        raise ValueError("the pattern matches the empty string")
    return value


class _MatchSpec(BaseModel):
    """A rule matched either by ``regex`` or by ``phrase``."""

    model_config = ConfigDict(extra="forbid")

    id: str
    regex: str | None = None
    phrase: str | None = None
    comment: str | None = None

    @field_validator("regex")
    @classmethod
    def _valid_regex(cls, value: str | None) -> str | None:
        return _check_regex(value)

    @model_validator(mode="after")
    def _one_of(self) -> _MatchSpec:
        if (self.regex is None) == (self.phrase is None):
            raise ValueError("give exactly one of 'regex' or 'phrase'")
        if self.phrase is not None and not self.phrase.strip():
            raise ValueError("'phrase' is empty")
        return self

    def to_regex(self) -> str:
        """The rule as a regular expression."""
        return self.regex if self.regex is not None else phrase_to_regex(self.phrase or "")


class ElementPattern(_MatchSpec):
    """One line of ``elements.jsonl``."""

    label: str
    exclude: bool = False
    negation_only: bool = False

    @field_validator("label")
    @classmethod
    def _known_label(cls, value: str) -> str:
        if value not in ELEMENTS:
            raise ValueError(f"unknown element id '{value}' (see rtaudit.elements)")
        return value


ContextCategory = Literal["negated", "hypothetical", "historical", "other_experiencer", "pseudo", "terminate"]


class ContextRule(_MatchSpec):
    """One line of ``context.jsonl``: a ConText trigger, a pseudo-trigger or a scope terminator."""

    category: ContextCategory
    direction: Literal["forward", "backward", "both"] = "forward"
    max_scope: int | None = None
    elements: list[str] | None = None

    @field_validator("elements")
    @classmethod
    def _known_elements(cls, value: list[str] | None) -> list[str] | None:
        for element in value or []:
            if element not in ELEMENTS and element != "*":
                raise ValueError(f"unknown element id '{element}' (see rtaudit.elements)")
        return value


class SectionRule(_MatchSpec):
    """One line of ``sections.jsonl``: a header name and what mentions under it usually mean."""

    kind: Literal["current", "historical", "context", "hypothetical", "addendum", "ignore"] = "current"


#: The pattern files of ``patterns/`` and the model that validates each.
PATTERN_FILES: dict[str, type[_MatchSpec]] = {
    "sections.jsonl": SectionRule,
    "elements.jsonl": ElementPattern,
    "context.jsonl": ContextRule,
}
