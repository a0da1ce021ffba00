"""The claim a billing system sends (DESIGN.md, "Claims for hook and serve") and the decision rtaudit returns.

Every input format (JSON, HL7 v2, FHIR) is converted to :class:`Claim`; :func:`parse_claim` turns raw data into a
claim or an :class:`InputError` whose message names the field but never quotes the input (it may hold a note).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, field_validator, model_validator

from rtaudit.report.model import ClaimFinding
from rtaudit.rules.evaluate import Verdict

CODE_PATTERN = r"^\s*[0-9A-Za-z]{5}\s*$"  # stored upper-case and trimmed
MODIFIER_PATTERN = r"^\s*[0-9A-Za-z]{2}\s*$"
MAX_NOTE_CHARS = 2_000_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PriorLine(_Strict):
    """A charge already billed in the same course on an earlier claim (used by course rules, never decided)."""

    code: str = Field(pattern=CODE_PATTERN)
    modifiers: list[Annotated[str, Field(pattern=MODIFIER_PATTERN)]] = Field(default_factory=list, max_length=4)
    units: Annotated[int, Strict()] = Field(default=1, ge=1, le=999)
    date_of_service: dt.date = Field(description="ISO date, YYYY-MM-DD")

    @field_validator("code")
    @classmethod
    def _code_upper(cls, value: str) -> str:
        return value.strip().upper()

    @field_validator("modifiers")
    @classmethod
    def _modifiers_upper(cls, value: list[str]) -> list[str]:
        return [v.strip().upper() for v in value]

    @field_validator("date_of_service", mode="before")
    @classmethod
    def _date_text(cls, value: Any) -> Any:
        if not isinstance(value, str | dt.date):
            raise ValueError("a date of service is an ISO date (YYYY-MM-DD)")
        return value


class ClaimLine(PriorLine):
    """One charge line: code, modifiers, units, date of service, rendering provider and the note behind it."""

    rendering_provider: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=200, description="id of an entry of the claim's notes")


class _Note(_Strict):
    id: str = Field(min_length=1, max_length=200)


class TextNote(_Note):
    """A note sent inline; its text is kept exactly as sent (evidence offsets point into it)."""

    text: str = Field(max_length=MAX_NOTE_CHARS)


class PathNote(_Note):
    """A note file named relative to the notes folder."""

    path: str = Field(max_length=1000)


class DocumentNote(_Note):
    """A FHIR DocumentReference whose attachment holds the note (base64 ``data`` or a relative ``url``)."""

    document_reference: dict[str, Any]


NoteRef = TextNote | PathNote | DocumentNote


class Claim(_Strict):
    """A claim with its charge lines and linked notes."""

    claim_id: str = Field(min_length=1, max_length=200)
    patient_id: str | None = Field(default=None, max_length=200)
    course_id: str | None = Field(default=None, max_length=200)
    payer: str | None = Field(default=None, max_length=200)
    place_of_service: str | None = Field(default=None, pattern=r"^[0-9]{2}$")
    lines: list[ClaimLine] = Field(min_length=1, max_length=500)
    notes: list[NoteRef] = Field(default_factory=list, max_length=100,
                                 description="each note has an id and one of text, path or document_reference")
    prior_lines: list[PriorLine] = Field(default_factory=list, max_length=1000,
                                         description="charges already billed in this course on earlier claims")

    @model_validator(mode="after")
    def _notes_linked(self) -> Claim:
        ids = [n.id for n in self.notes]
        if len(set(ids)) != len(ids):
            raise ValueError("note ids must be unique")
        for number, line in enumerate(self.lines, start=1):
            if line.note is not None and line.note not in ids:
                raise ValueError(f"line {number} links note '{line.note}', which is not among the claim's notes")
        return self


class LineDecision(BaseModel):
    """The decision for one charge line."""

    line: int
    code: str
    decision: Literal["pass", "hold"]
    verdict: Verdict
    supported_code: str | None = None
    missing: list[str] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    query: str | None = None


class RuleFinding(ClaimFinding):
    """A claim-rule finding, with the claim lines (1-based) it is about."""

    lines: list[int] = Field(default_factory=list)


class Versions(BaseModel):
    """Short hashes of the checklists and the claim rules that decided."""

    checklists: str
    rules: str


class Decision(BaseModel):
    """One claim's decision: pass or hold, per line and for the claim."""

    claim_id: str
    decision: Literal["pass", "hold"]
    lines: list[LineDecision]
    claim_findings: list[RuleFinding] = Field(default_factory=list)
    versions: Versions


class InputError(BaseModel):
    """A claim that could not be decided: where it came from and why, never quoting the input."""

    claim_id: str | None = None
    decision: Literal["error"] = "error"
    source: str
    error: str


def describe_validation(exc: ValidationError, limit: int = 3) -> str:
    """Field paths and messages of a validation error, without the offending values (they may be note text)."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False)[:limit]:
        field = ".".join(str(p) for p in error["loc"]) or "(claim)"
        parts.append(f"field '{field}': {error['msg']}")
    more = len(exc.errors()) - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _claim_id_of(data: Any) -> str | None:
    if isinstance(data, dict) and isinstance(data.get("claim_id"), str | int):
        return str(data["claim_id"])[:200]
    return None


def parse_claim(data: Any, source: str) -> Claim | InputError:
    """Validate one claim; a bad one becomes an error record naming the source and the field."""
    try:
        return Claim.model_validate(data)
    except ValidationError as exc:
        return InputError(claim_id=_claim_id_of(data), source=source, error=describe_validation(exc))
