"""Checklists: one YAML file per billing code, validated by pydantic.

A checklist names what every note for the code must show (``required``: all groups, each group any-of), the level
criteria of its ladder (``level_criteria``: any-of, CPT style), advisory elements, a physician query per element,
claim requirements (an add-on's primary code) and its sources.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rtaudit.datafiles import DataFileError, load_yaml_model
from rtaudit.elements import COUNT_ELEMENTS, ELEMENTS

CHECKLIST_DIR = Path(__file__).resolve().parents[3] / "checklists"
QUERIES_FILE = "queries.yaml"


def _known(element: str) -> str:
    if element not in ELEMENTS:
        raise ValueError(f"unknown element id '{element}'")
    return element


class Requirement(BaseModel):
    """All of ``any_of``'s alternatives are tried; one satisfied alternative satisfies the group.

    An alternative is an element id or a list of element ids that must all be present.
    """

    model_config = ConfigDict(extra="forbid")

    any_of: list[str | list[str]] = Field(min_length=1)
    missing: list[str] | None = None
    signer: Literal["physician", "physician_or_physicist"] = "physician"
    reason: str | None = None

    @field_validator("any_of")
    @classmethod
    def _elements_known(cls, value: list[str | list[str]]) -> list[str | list[str]]:
        for alternative in value:
            for element in [alternative] if isinstance(alternative, str) else alternative:
                _known(element)
        return value

    def missing_ids(self) -> list[str]:
        """The ids to report when the group is not satisfied."""
        if self.missing is not None:
            return self.missing
        first = self.any_of[0]
        if all(isinstance(a, str) for a in self.any_of):
            return [a for a in self.any_of if isinstance(a, str)]
        return [first] if isinstance(first, str) else list(first)


class Criterion(BaseModel):
    """One level criterion: an element present, or a count within bounds. ``not_from`` lists element-rule ids
    whose evidence does not meet it (a port count of an opposed pair plus a boost is not "converging ports")."""

    model_config = ConfigDict(extra="forbid")

    element: str
    min: int | None = None
    max: int | None = None
    label: str | None = None
    not_from: list[str] = Field(default_factory=list)

    @field_validator("element")
    @classmethod
    def _element_known(cls, value: str) -> str:
        return _known(value)

    @model_validator(mode="after")
    def _bounds_for_counts(self) -> Criterion:
        has_bounds = self.min is not None or self.max is not None
        if has_bounds and self.element not in COUNT_ELEMENTS:
            raise ValueError(f"min/max apply to counts only ({', '.join(sorted(COUNT_ELEMENTS))})")
        if self.element in COUNT_ELEMENTS and not has_bounds:
            raise ValueError(f"'{self.element}' needs a min or max")
        return self

    def describe(self) -> str:
        """Plain words for reasons and ``explain``."""
        if self.label:
            return self.label
        if self.element in COUNT_ELEMENTS:
            noun = self.element.replace("_count", "s").replace("_", " ")
            if self.min is not None and self.min == self.max:
                return f"{self.min} {noun}"
            if self.max is None:
                return f"{self.min} or more {noun}"
            return f"{self.min or 1} to {self.max} {noun}"
        return self.element.replace("_", " ")


class ClaimRequirement(BaseModel):
    """A code that needs one of ``any_of`` billed with it or on the same claim."""

    model_config = ConfigDict(extra="forbid")

    any_of: list[str] = Field(min_length=1)
    missing: str = "primary_plan"
    reason: str


class Checklist(BaseModel):
    """What a note must show for one code."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^(?:\d{5}|[A-Z]\d{4})$")
    title: str
    version: str
    ladder: str | None = None
    level: int | None = None
    required: list[Requirement] = Field(default_factory=list)
    level_criteria: list[Criterion] = Field(default_factory=list)
    no_level_missing: list[str] = Field(default_factory=list)
    advisory: list[str] = Field(default_factory=list)
    claim: ClaimRequirement | None = None
    queries: dict[str, str] = Field(default_factory=dict)
    sources: list[str] = Field(min_length=1)
    notes: str | None = None

    @field_validator("advisory")
    @classmethod
    def _advisory_known(cls, value: list[str]) -> list[str]:
        return [_known(v) for v in value]

    @field_validator("queries")
    @classmethod
    def _query_keys_known(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            _known(key)
        return value

    @model_validator(mode="after")
    def _ladder_has_level(self) -> Checklist:
        if (self.ladder is None) != (self.level is None):
            raise ValueError("'ladder' and 'level' go together")
        return self

    def named_elements(self) -> set[str]:
        """Every element id the checklist can report as missing."""
        named = {e for r in self.required for a in r.any_of for e in ([a] if isinstance(a, str) else a)}
        named |= {m for r in self.required for m in r.missing or []}
        named |= {c.element for c in self.level_criteria} | set(self.no_level_missing)
        if self.claim:
            named.add(self.claim.missing)
        return named


class DefaultQueries(BaseModel):
    """``queries.yaml``: the default physician query per element id."""

    queries: dict[str, str]

    @field_validator("queries")
    @classmethod
    def _keys_known(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            _known(key)
        return value


class ChecklistSet(BaseModel):
    """Every checklist, by code, with the ladders they form."""

    checklists: dict[str, Checklist]

    def get(self, code: str) -> Checklist | None:
        return self.checklists.get(code)

    def ladder(self, name: str) -> list[Checklist]:
        """The codes of a ladder from the lowest level up."""
        return sorted((c for c in self.checklists.values() if c.ladder == name), key=lambda c: c.level or 0)

    def version(self) -> str:
        """A short hash of every checklist's code and version, for audit trails."""
        joined = ";".join(f"{c.code}:{c.version}" for c in sorted(self.checklists.values(), key=lambda c: c.code))
        return hashlib.sha256(joined.encode()).hexdigest()[:12]


def load_checklist(path: Path) -> Checklist:
    """One checklist file; the file name must be the code."""
    checklist = load_yaml_model(path, Checklist)
    if path.stem != checklist.code:
        raise DataFileError(f"{path}: field 'code': '{checklist.code}' does not match the file name '{path.stem}'")
    return checklist


def _default_queries(folder: Path) -> dict[str, str]:
    path = folder / QUERIES_FILE
    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8")
    return load_yaml_model(path, DefaultQueries, wrap="queries").queries if text.strip() else {}


@lru_cache(maxsize=4)
def load_checklists(directory: str | None = None) -> ChecklistSet:
    """Every ``*.yaml`` checklist of a directory (the shipped ``checklists/`` by default), with the default
    physician queries of ``queries.yaml`` filled in."""
    folder = Path(directory) if directory else CHECKLIST_DIR
    defaults = _default_queries(folder)
    checklists: dict[str, Checklist] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name == QUERIES_FILE:
            continue
        checklist = load_checklist(path)
        queries = defaults | checklist.queries
        lacking = sorted(e for e in checklist.named_elements() if e not in queries)
        if lacking:
            raise DataFileError(f"{path}: field 'queries': no physician query for {', '.join(lacking)} "
                                f"(add it here or to {QUERIES_FILE})")
        checklists[checklist.code] = checklist.model_copy(update={"queries": queries})
    if not checklists:
        raise DataFileError(f"{folder}: no checklist files (*.yaml)")
    return ChecklistSet(checklists=checklists)
