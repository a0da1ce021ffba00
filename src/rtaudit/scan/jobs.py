"""What the scan does for one input file, and the options every worker shares."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rtaudit.ingest.limits import DEFAULT_LIMITS, ReadLimits


@dataclass(frozen=True)
class Charges:
    """The codes to check one note against (none: the codes written in the note) and the manifest row(s) they
    came from; ``error`` is a problem with those rows (an unknown code), reported for that note."""

    codes: tuple[str, ...] = ()
    claim_codes: tuple[str, ...] = ()
    manifest: dict[str, Any] | None = None
    error: str | None = None


@dataclass(frozen=True)
class Job:
    """One input file: the file to read and the codes to check its notes against.

    ``path`` is the key of the output records (as the user wrote it, normalised); ``error`` is a reason found
    before reading (a refused manifest path, an unknown code), and such a job becomes one error record.
    ``codes``, ``claim_codes`` and ``manifest`` apply to the file's note, or to every note of a multi-note file;
    ``parts`` holds the codes of notes named one by one (manifest rows ``PATH#PART``), and ``every_part=False``
    means only those are checked (the manifest has no row for the whole file). ``skip_parts`` are notes an
    earlier run finished (``--resume``); ``only`` limits the job to some notes (a retry, note by note).
    """

    path: str
    file: str | None = None
    codes: tuple[str, ...] = ()
    claim_codes: tuple[str, ...] = ()
    manifest: dict[str, Any] | None = None
    error: str | None = None
    parts: Mapping[str, Charges] = field(default_factory=dict)
    every_part: bool = True
    skip_parts: frozenset[str] = frozenset()
    only: frozenset[str] | None = None

    def charges(self, part: str | None) -> Charges | None:
        """The codes for one note of the file (None: the manifest does not name it, so it is not checked)."""
        if part is not None and part in self.parts:
            return self.parts[part]
        if self.every_part:
            return Charges(self.codes, self.claim_codes, self.manifest)
        return None

    def wants(self, part: str | None) -> bool:
        """Whether this job covers the note ``part`` (not finished earlier, inside ``only``)."""
        if part is None:
            return True
        return part not in self.skip_parts and (self.only is None or part in self.only)


@dataclass(frozen=True)
class ScanOptions:
    """Settings shared by every worker (picklable). ``output`` is the format workers render records in;
    ``include_text`` sends the full record and the note text back too (for the HTML report)."""

    limits: ReadLimits = DEFAULT_LIMITS
    timeout: float = 60.0
    include_text: bool = False
    output: str = "jsonl"
    checklist_dir: str | None = None
