"""What the scan does for one input path, and the options every worker shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rtaudit.ingest.limits import DEFAULT_LIMITS, ReadLimits


@dataclass(frozen=True)
class Job:
    """One input path: the file to read and the codes to check it against (none: the codes written in the note).

    ``path`` is the key of the output record (as the user wrote it, normalised); ``error`` is a reason found
    before reading (a refused manifest path, an unknown code), and such a job becomes an error record.
    """

    path: str
    file: str | None = None
    codes: tuple[str, ...] = ()
    claim_codes: tuple[str, ...] = ()
    manifest: dict[str, Any] | None = None
    error: str | None = None


@dataclass(frozen=True)
class ScanOptions:
    """Settings shared by every worker (picklable). ``output`` is the format workers render records in;
    ``include_text`` sends the full record and the note text back too (for the HTML report)."""

    limits: ReadLimits = DEFAULT_LIMITS
    timeout: float = 60.0
    include_text: bool = False
    output: str = "jsonl"
    checklist_dir: str | None = None
