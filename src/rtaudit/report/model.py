"""The report for one note: the JSON contract of DESIGN.md as pydantic models."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from rtaudit.findings import ElementFinding
from rtaudit.rules.evaluate import CodeVerdict


class NoteInfo(BaseModel):
    """Which note: its path (when read from a file), its part id inside a file that holds several notes (an HL7
    batch, a FHIR Bundle; None otherwise), content hash, format and detected encoding."""

    path: str | None = None
    part: str | None = None
    sha256: str
    format: str = "txt"
    encoding: str | None = None


class ClaimFinding(BaseModel):
    """A finding about the claim rather than one code's documentation."""

    rule: str
    codes: list[str]
    severity: Literal["hold", "advisory"]
    message: str


class Report(BaseModel):
    """What rtaudit found in one note and what it decided for each billed code."""

    note: NoteInfo
    elements: dict[str, ElementFinding] = Field(default_factory=dict)
    codes: list[CodeVerdict] = Field(default_factory=list)
    claim_findings: list[ClaimFinding] = Field(default_factory=list)

    @property
    def all_supported(self) -> bool:
        """True when there is at least one billed code and every one is supported."""
        return bool(self.codes) and all(c.verdict == "supported" for c in self.codes)

    def to_json(self, indent: int | None = 2) -> str:
        """The JSON contract text."""
        return self.model_dump_json(indent=indent)
