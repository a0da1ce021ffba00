"""Claim-level rules: one YAML file per rule in ``claim_rules/`` (with sources), validated by pydantic, applied to
a claim's lines and the course's earlier lines.

A rule reads plain facts (codes, modifiers, units, dates, the elements each line's note documents) and returns
findings; it never reads note text and never imports spaCy. ``decisions.yaml`` maps a documentation verdict to
pass or hold; ``mue`` rules read a CSV in CMS's published MUE layout.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import string
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from rtaudit.claims.model import RuleFinding
from rtaudit.datafiles import DataFileError, load_yaml_model
from rtaudit.elements import ELEMENTS

CLAIM_RULES_DIR = Path(__file__).resolve().parents[3] / "claim_rules"
DECISIONS_FILE = "decisions.yaml"
Severity = Literal["hold", "advisory"]


def _expand_codes(specs: list[str]) -> list[str]:
    """``["77280", "77261-77263"]`` -> every code, in order; a range keeps its letter prefix."""
    codes: list[str] = []
    for spec in specs:
        spec = spec.strip().upper()
        first, _, last = spec.partition("-")
        for code in (first, last or first):
            if len(code) != 5 or not code.isalnum():
                raise ValueError(f"'{spec}' is not a code (5 letters/digits) or a range of codes")
        if not last:
            codes.append(first)
            continue
        prefix = first[0] if first[0].isalpha() else ""
        low, high = first[len(prefix):], last[len(prefix):]
        if not (low.isdigit() and high.isdigit() and last.startswith(prefix) and int(low) <= int(high)):
            raise ValueError(f"'{spec}' is not an ascending range of codes")
        width = len(low)
        codes.extend(f"{prefix}{n:0{width}d}" for n in range(int(low), int(high) + 1))
    return list(dict.fromkeys(codes))


def _modifiers(values: list[str]) -> list[str]:
    cleaned = [v.strip().upper() for v in values]
    for value in cleaned:
        if len(value) != 2 or not value.isalnum():
            raise ValueError(f"'{value}' is not a two-character modifier")
    return cleaned


def _elements(values: list[str]) -> list[str]:
    for value in values:
        if value not in ELEMENTS:
            raise ValueError(f"unknown element id '{value}'")
    return values


Codes = Annotated[list[str], AfterValidator(_expand_codes)]
Modifiers = Annotated[list[str], AfterValidator(_modifiers)]
ElementIds = Annotated[list[str], AfterValidator(_elements)]


@dataclass(frozen=True)
class LineFacts:
    """What a rule may know about one charge line; ``number`` is None for a line of an earlier claim."""

    number: int | None
    code: str
    modifiers: frozenset[str]
    units: int
    date: dt.date
    elements: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ClaimFacts:
    """The claim's lines, the course's earlier lines, the payer and the place of service."""

    lines: tuple[LineFacts, ...]
    prior: tuple[LineFacts, ...] = ()
    payer: str | None = None
    place_of_service: str | None = None

    @property
    def course(self) -> tuple[LineFacts, ...]:
        """Every known line of the course: earlier claims first, then this claim."""
        return self.prior + self.lines


def _in_order(lines: list[LineFacts]) -> list[LineFacts]:
    return sorted(lines, key=lambda line: (line.number is not None, line.date, line.number or 0))


class RuleBase(BaseModel):
    """What every rule file has: id (= file name), kind, severity, a message template and its sources."""

    model_config = ConfigDict(extra="forbid")
    FIELDS: ClassVar[frozenset[str]] = frozenset()

    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    kind: str
    title: str
    severity: Severity
    message: str
    sources: list[str] = Field(min_length=1)
    notes: str | None = None

    @field_validator("message")
    @classmethod
    def _placeholders_known(cls, value: str) -> str:
        for _, name, _, _ in string.Formatter().parse(value):
            if name is not None and name not in cls.FIELDS:
                raise ValueError(f"unknown placeholder {{{name}}}; this kind offers {', '.join(sorted(cls.FIELDS))}")
        return value

    def bind(self, folder: Path) -> None:
        """Load what the rule needs beside its YAML (nothing by default)."""

    def finding(self, lines: list[LineFacts], severity: Severity | None = None, **values: Any) -> RuleFinding:
        """A finding about ``lines`` with the message filled in."""
        return RuleFinding(rule=self.id, codes=list(dict.fromkeys(line.code for line in lines)),
                           severity=severity or self.severity, message=self.message.format_map(values),
                           lines=[line.number for line in lines if line.number is not None])

    def apply(self, facts: ClaimFacts) -> list[RuleFinding]:  # pragma: no cover - every kind overrides it
        raise NotImplementedError


class AddonRule(RuleBase):
    """An add-on code needs one of its primary codes on the same date (or anywhere on the claim)."""

    FIELDS: ClassVar[frozenset[str]] = frozenset({"code", "date", "primaries"})
    kind: Literal["addon_requires_primary"]
    addons: Codes
    primaries: Codes
    same_date: bool = True

    def apply(self, facts: ClaimFacts) -> list[RuleFinding]:
        pool = facts.course if self.same_date else facts.lines
        found = []
        for line in facts.lines:
            if line.code not in self.addons:
                continue
            if not any(o.code in self.primaries and (not self.same_date or o.date == line.date) for o in pool):
                found.append(self.finding([line], code=line.code, date=line.date.isoformat(),
                                          primaries=" or ".join(self.primaries)))
        return found


class Window(BaseModel):
    """Which bundled services count: selected by payer and/or place of service; days around the primary's
    date, or the whole course when no days are given."""

    model_config = ConfigDict(extra="forbid")

    name: str
    payers: list[str] = Field(default_factory=list)
    places_of_service: list[str] = Field(default_factory=list)
    days_before: int | None = Field(default=None, ge=0, le=366)
    days_after: int | None = Field(default=None, ge=0, le=366)
    codes: Codes | None = None
    extra_codes: Codes = Field(default_factory=list)
    source: str

    @field_validator("payers")
    @classmethod
    def _payers_lower(cls, value: list[str]) -> list[str]:
        return [v.strip().lower() for v in value]

    @model_validator(mode="after")
    def _days_together(self) -> Window:
        if (self.days_before is None) != (self.days_after is None):
            raise ValueError("give both days_before and days_after, or neither (the whole course)")
        return self

    def matches(self, payer: str | None, place_of_service: str | None) -> bool:
        """True when the claim's payer and place of service select this window."""
        payer_ok = not self.payers or (payer or "").strip().lower() in self.payers
        place_ok = not self.places_of_service or place_of_service in self.places_of_service
        return payer_ok and place_ok

    def covers(self, date: dt.date, primary_date: dt.date) -> bool:
        """True when a service on ``date`` falls inside the window around the primary's date."""
        if self.days_before is None or self.days_after is None:
            return True
        return -self.days_before <= (date - primary_date).days <= self.days_after

    def describe(self) -> str:
        if self.days_before is None:
            return self.name
        return f"{self.name} ({self.days_before} days before to {self.days_after} days after the plan)"


class BundleRule(RuleBase):
    """Services bundled into a primary code when done in the payer's window around it."""

    FIELDS: ClassVar[frozenset[str]] = frozenset({"code", "date", "primary", "primary_date", "window"})
    kind: Literal["bundle"]
    primaries: Codes
    bundled: Codes
    windows: list[Window] = Field(default_factory=list)
    default_window: Window
    distinct_modifiers: Modifiers = Field(default_factory=list)
    distinct_severity: Severity = "advisory"

    @field_validator("windows")
    @classmethod
    def _windows_select(cls, value: list[Window]) -> list[Window]:
        for window in value:
            if not window.payers and not window.places_of_service:
                raise ValueError(f"window '{window.name}' selects nothing: give payers or places_of_service")
        return value

    def window_for(self, facts: ClaimFacts) -> Window:
        """The first window the claim's payer and place of service select, else the default."""
        return next((w for w in self.windows if w.matches(facts.payer, facts.place_of_service)), self.default_window)

    def apply(self, facts: ClaimFacts) -> list[RuleFinding]:
        window = self.window_for(facts)
        bundled = set(window.codes if window.codes is not None else self.bundled) | set(window.extra_codes)
        plans = _in_order([line for line in facts.course if line.code in self.primaries])
        found = []
        for line in facts.lines:
            if line.code not in bundled:
                continue
            plan = next((p for p in plans if window.covers(line.date, p.date)), None)
            if plan is None:
                continue
            distinct = bool(line.modifiers & set(self.distinct_modifiers)) and line.date != plan.date
            found.append(self.finding([line], severity=self.distinct_severity if distinct else None,
                                      code=line.code, date=line.date.isoformat(), primary=plan.code,
                                      primary_date=plan.date.isoformat(), window=window.describe()))
        return found


    def inside_primary(self, codes: list[str]) -> dict[str, str]:
        """For codes billed together with no dates, payer or modifiers (one note's claim context): each code that
        falls inside a primary also on the list, with that primary (the default window: the whole course)."""
        window = self.default_window
        bundled = set(window.codes if window.codes is not None else self.bundled) | set(window.extra_codes)
        primary = next((code for code in codes if code in self.primaries), None)
        if primary is None:
            return {}
        return {code: primary for code in codes if code in bundled and code not in self.primaries}


class OnePerDateRule(RuleBase):
    """One of ``codes`` per date of service; another needs an exception modifier and a documented reason."""

    FIELDS: ClassVar[frozenset[str]] = frozenset({"code", "date", "count", "missing"})
    kind: Literal["one_per_date"]
    codes: Codes
    exception_modifiers: Modifiers
    reason_elements: ElementIds = Field(min_length=1)

    def _missing(self, line: LineFacts) -> str | None:
        parts = []
        if not line.modifiers & set(self.exception_modifiers):
            parts.append("modifier " + " or ".join(self.exception_modifiers))
        if not line.elements & set(self.reason_elements):
            words = ", ".join(ELEMENTS[e] for e in self.reason_elements)
            parts.append(f"a reason documented in its note ({words})")
        return " and ".join(parts) or None

    def apply(self, facts: ClaimFacts) -> list[RuleFinding]:
        by_date: dict[dt.date, list[LineFacts]] = defaultdict(list)
        for line in facts.course:
            if line.code in self.codes:
                by_date[line.date].append(line)
        exceptions = set(self.exception_modifiers)
        found = []
        for date, group in sorted(by_date.items()):
            count = sum(line.units for line in group)
            if count <= 1:
                continue
            ordered = sorted(group, key=lambda x: (bool(x.modifiers & exceptions), x.number is not None,
                                                   x.number or 0))
            for position, line in enumerate(ordered):
                extra = line.units - 1 if position == 0 else line.units
                missing = self._missing(line)
                if extra > 0 and line.number is not None and missing:
                    found.append(self.finding([line], code=line.code, date=date.isoformat(), count=count,
                                              missing=missing))
        return found


class ExcludedInCourseRule(RuleBase):
    """``codes`` are not billable in a course that has any of ``course_codes``."""

    FIELDS: ClassVar[frozenset[str]] = frozenset({"code", "date", "other", "other_date"})
    kind: Literal["not_in_course_with"]
    codes: Codes
    course_codes: Codes

    def apply(self, facts: ClaimFacts) -> list[RuleFinding]:
        others = _in_order([line for line in facts.course if line.code in self.course_codes])
        found = []
        for line in facts.lines:
            other = next((o for o in others if o is not line), None) if line.code in self.codes else None
            if other is not None:
                found.append(self.finding([line], code=line.code, date=line.date.isoformat(), other=other.code,
                                          other_date=other.date.isoformat()))
        return found


class Limit(BaseModel):
    """At most ``max`` units of ``codes`` together per course, or per unit of ``per_codes`` when given."""

    model_config = ConfigDict(extra="forbid")

    codes: Codes
    max: int = Field(ge=1)
    label: str
    per_codes: Codes | None = None
    source: str


class MaxPerCourseRule(RuleBase):
    """Frequency limits per course (or per plan); the lines past the limit are flagged."""

    FIELDS: ClassVar[frozenset[str]] = frozenset({"code", "label", "max", "count"})
    kind: Literal["max_per_course"]
    limits: list[Limit] = Field(min_length=1)

    def apply(self, facts: ClaimFacts) -> list[RuleFinding]:
        found = []
        for limit in self.limits:
            group = _in_order([line for line in facts.course if line.code in limit.codes])
            allowed = limit.max
            if limit.per_codes is not None:
                allowed *= max(1, sum(line.units for line in facts.course if line.code in limit.per_codes))
            count = sum(line.units for line in group)
            running = 0
            for line in group:
                running += line.units
                if running > allowed and line.number is not None:
                    found.append(self.finding([line], code=line.code, label=limit.label, max=allowed, count=count))
        return found


class ModifierGroup(BaseModel):
    """Modifiers that do not apply to ``codes`` (every code when ``codes`` is omitted), and why."""

    model_config = ConfigDict(extra="forbid")

    codes: Codes | None = None
    modifiers: Modifiers = Field(min_length=1)
    reason: str
    source: str


class ModifierRule(RuleBase):
    """Modifiers that are invalid on some codes (or on every code)."""

    FIELDS: ClassVar[frozenset[str]] = frozenset({"code", "modifier", "reason"})
    kind: Literal["modifiers_not_allowed"]
    groups: list[ModifierGroup] = Field(min_length=1)

    def apply(self, facts: ClaimFacts) -> list[RuleFinding]:
        found = []
        for line in facts.lines:
            for group in self.groups:
                if group.codes is not None and line.code not in group.codes:
                    continue
                for modifier in group.modifiers:
                    if modifier in line.modifiers:
                        found.append(self.finding([line], code=line.code, modifier=modifier, reason=group.reason))
        return found


MAI_MEANING = {1: "per claim line", 2: "per date of service (policy)", 3: "per date of service (clinical)"}


@dataclass(frozen=True)
class MueLimit:
    """One row of an MUE file."""

    value: int
    indicator: int
    rationale: str


def _header_index(header: list[str], name: str, path: Path, line: int) -> int:
    names = [cell.strip().lower() for cell in header]
    if name.lower() not in names:
        raise DataFileError(f"{path}:{line}: no column '{name}' in the header")
    return names.index(name.lower())


def load_mue_csv(path: Path, value_column: str) -> dict[str, MueLimit]:
    """Read an MUE file in CMS's layout: notice lines, then a header row with 'HCPCS/CPT Code', the value column,
    'MUE Adjudication Indicator' (a leading 1, 2 or 3) and optionally 'MUE Rationale'."""
    try:
        rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{path}: cannot read the MUE file ({exc})") from None
    start = next((n for n, row in enumerate(rows) if any(c.strip().lower() == "hcpcs/cpt code" for c in row)), None)
    if start is None:
        raise DataFileError(f"{path}: no header row with a 'HCPCS/CPT Code' column")
    header = rows[start]
    code_at = _header_index(header, "HCPCS/CPT Code", path, start + 1)
    value_at = _header_index(header, value_column, path, start + 1)
    mai_at = _header_index(header, "MUE Adjudication Indicator", path, start + 1)
    names = [c.strip().lower() for c in header]
    rationale_at = names.index("mue rationale") if "mue rationale" in names else None
    limits: dict[str, MueLimit] = {}
    for number, row in enumerate(rows[start + 1:], start=start + 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(code_at, value_at, mai_at):
            raise DataFileError(f"{path}:{number}: {len(row)} columns, the header has {len(header)}")
        code, value, mai = row[code_at].strip().upper(), row[value_at].strip(), row[mai_at].strip()
        if len(code) != 5 or not code.isalnum():
            raise DataFileError(f"{path}:{number}: column 'HCPCS/CPT Code': '{code}' is not a code")
        if not value.isdigit():
            raise DataFileError(f"{path}:{number}: column '{value_column}': '{value}' is not a whole number")
        if mai[:1] not in {"1", "2", "3"}:
            raise DataFileError(f"{path}:{number}: column 'MUE Adjudication Indicator': '{mai}' does not start "
                                "with 1, 2 or 3")
        rationale = row[rationale_at].strip() if rationale_at is not None and rationale_at < len(row) else ""
        limits[code] = MueLimit(value=int(value), indicator=int(mai[0]), rationale=rationale)
    return limits


class MueTable(BaseModel):
    """An MUE file and the column to read; ``places_of_service`` selects it (empty: any)."""

    model_config = ConfigDict(extra="forbid")

    file: str = Field(pattern=r"^[\w.-]+\.csv$")
    value_column: str
    places_of_service: list[str] = Field(default_factory=list)
    source: str


class MueRule(RuleBase):
    """Medically unlikely edits: units per line (MAI 1) or per code and date (MAI 2, 3), from CMS-layout CSVs."""

    FIELDS: ClassVar[frozenset[str]] = frozenset({"code", "date", "units", "limit", "indicator"})
    kind: Literal["mue"]
    tables: list[MueTable] = Field(min_length=1)
    _limits: list[dict[str, MueLimit]] = PrivateAttr(default_factory=list)

    def bind(self, folder: Path) -> None:
        self._limits = [load_mue_csv(folder / table.file, table.value_column) for table in self.tables]

    def _table(self, place_of_service: str | None) -> dict[str, MueLimit]:
        for table, limits in zip(self.tables, self._limits, strict=True):
            if not table.places_of_service or place_of_service in table.places_of_service:
                return limits
        return {}

    def apply(self, facts: ClaimFacts) -> list[RuleFinding]:
        limits = self._table(facts.place_of_service)
        per_date: dict[tuple[str, dt.date], int] = defaultdict(int)
        for line in facts.course:
            per_date[(line.code, line.date)] += line.units
        found = []
        for line in facts.lines:
            limit = limits.get(line.code)
            if limit is None:
                continue
            units = line.units if limit.indicator == 1 else per_date[(line.code, line.date)]
            if units > limit.value:
                found.append(self.finding([line], code=line.code, date=line.date.isoformat(), units=units,
                                          limit=limit.value, indicator=MAI_MEANING[limit.indicator]))
        return found


KINDS: dict[str, type[RuleBase]] = {
    "addon_requires_primary": AddonRule, "bundle": BundleRule, "one_per_date": OnePerDateRule,
    "not_in_course_with": ExcludedInCourseRule, "max_per_course": MaxPerCourseRule,
    "modifiers_not_allowed": ModifierRule, "mue": MueRule,
}


class _RuleHeader(BaseModel):
    model_config = ConfigDict(extra="allow")

    kind: Literal[tuple(KINDS)]  # type: ignore[valid-type]


class DecisionPolicy(BaseModel):
    """``decisions.yaml``: pass or hold for each documentation verdict."""

    model_config = ConfigDict(extra="forbid")

    verdicts: dict[Literal["supported", "downcode", "unsupported", "needs_review"], Literal["pass", "hold"]]
    sources: list[str] = Field(min_length=1)
    notes: str | None = None

    @field_validator("verdicts")
    @classmethod
    def _every_verdict(cls, value: dict[str, str]) -> dict[str, str]:
        lacking = {"supported", "downcode", "unsupported", "needs_review"} - set(value)
        if lacking:
            raise ValueError(f"no decision for {', '.join(sorted(lacking))}")
        return value


@dataclass(frozen=True)
class ClaimRules:
    """Every claim rule of a folder, the verdict policy, and a short hash of the files for audit trails."""

    rules: tuple[RuleBase, ...]
    policy: DecisionPolicy
    version: str

    def apply(self, facts: ClaimFacts) -> list[RuleFinding]:
        """Every finding of every rule, in rule-file order."""
        return [finding for rule in self.rules for finding in rule.apply(facts)]


def load_rule(path: Path) -> RuleBase:
    """One rule file; its ``id`` must be the file name."""
    kind = load_yaml_model(path, _RuleHeader).kind
    rule = load_yaml_model(path, KINDS[kind])
    if rule.id != path.stem:
        raise DataFileError(f"{path}: field 'id': '{rule.id}' does not match the file name '{path.stem}'")
    rule.bind(path.parent)
    return rule


def _files_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.csv")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


@lru_cache(maxsize=4)
def load_claim_rules(directory: str | None = None) -> ClaimRules:
    """Every rule file of a folder (the shipped ``claim_rules/`` by default) and its ``decisions.yaml``."""
    folder = Path(directory) if directory else CLAIM_RULES_DIR
    if not (folder / DECISIONS_FILE).is_file():
        raise DataFileError(f"{folder}: no {DECISIONS_FILE} (the pass/hold policy for each verdict)")
    policy = load_yaml_model(folder / DECISIONS_FILE, DecisionPolicy)
    rules = tuple(load_rule(path) for path in sorted(folder.glob("*.yaml")) if path.name != DECISIONS_FILE)
    return ClaimRules(rules=rules, policy=policy, version=_files_hash(folder))
