"""The end-of-scan summary: notes (each note of a multi-note file counts), codes by verdict, errors by reason, the
files that held several notes, and the exit status."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

EXIT_OK, EXIT_FINDINGS, EXIT_ERRORS, EXIT_INTERRUPTED = 0, 1, 2, 130
VERDICTS = ("supported", "downcode", "unsupported", "needs_review")
_NUMBER = re.compile(r"\d+")


@dataclass
class Summary:
    """Counts over every record of the output (including those kept from an earlier run with ``--resume``)."""

    notes: int = 0
    resumed: int = 0
    outcomes: Counter = field(default_factory=Counter)
    verdicts: Counter = field(default_factory=Counter)
    by_code: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    missing: Counter = field(default_factory=Counter)
    error_reasons: Counter = field(default_factory=Counter)
    formats: Counter = field(default_factory=Counter)
    no_code: int = 0
    hidden: int = 0
    unlisted: int = 0
    sidecars: int = 0
    unlisted_notes: int = 0
    multi_note_files: set[str] = field(default_factory=set)
    multi_note_notes: int = 0
    interrupted: bool = False
    seconds: float = 0.0

    def add(self, record: dict[str, Any], resumed: bool = False) -> None:
        """Count one output record."""
        self.notes += 1
        self.resumed += resumed
        self.outcomes[record["outcome"]] += 1
        self.formats[record["note"].get("format") or "unknown"] += 1
        if record["note"].get("part") is not None:
            self.multi_note_files.add(record["note"]["path"])
            self.multi_note_notes += 1
        if record.get("error"):
            self.error_reasons[_NUMBER.sub("N", record["error"])] += 1
            return
        if not record["codes"]:
            self.no_code += 1
            self.by_code["(none)"]["needs_review"] += 1
        for code in record["codes"]:
            self.verdicts[code["verdict"]] += 1
            self.by_code[code["code"]][code["verdict"]] += 1
            self.missing.update(code["missing"])

    @property
    def errors(self) -> int:
        return self.outcomes["error"]

    @property
    def codes(self) -> int:
        return sum(self.verdicts.values())

    def exit_code(self) -> int:
        """0 when every billed code is supported, 1 when any is not (or needs review), 2 when any note failed."""
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.errors or not self.notes:
            return EXIT_ERRORS
        return EXIT_OK if self.outcomes["supported"] == self.notes else EXIT_FINDINGS

    def lines(self) -> list[str]:
        """The summary as plain lines (what a log or a non-terminal gets)."""
        rate = f" in {self.seconds:.1f} s ({(self.notes - self.resumed) / self.seconds:.1f} notes/s)" \
            if self.seconds > 0 and self.notes > self.resumed else ""
        done = f", {self.resumed} kept from the earlier run" if self.resumed else ""
        out = [f"notes: {self.notes} ({self.notes - self.errors} checked, {self.errors} errors{done}){rate}"]
        out.append("codes: " + str(self.codes) + " (" + ", ".join(f"{v} {self.verdicts[v]}" for v in VERDICTS) + ")")
        if self.multi_note_files:
            out.append(f"files holding several notes: {len(self.multi_note_files)} ({self.multi_note_notes} of the "
                       "notes)")
        if self.no_code:
            out.append(f"notes with no billed code (needs_review): {self.no_code}")
        if self.missing:
            out.append("most often missing: " + ", ".join(f"{e} ({n})" for e, n in self.missing.most_common(5)))
        for reason, count in self.error_reasons.most_common(8):
            out.append(f"error x{count}: {reason}")
        if len(self.error_reasons) > 8:
            out.append(f"... and {len(self.error_reasons) - 8} other error reasons (see the output)")
        if self.hidden:
            out.append(f"hidden files and folders left out: {self.hidden}")
        if self.unlisted:
            out.append(f"files in the folder not named in the manifest (not scanned): {self.unlisted}")
        if self.sidecars:
            out.append(f"label files beside the listed notes (NAME.json by NAME.txt), not scanned: {self.sidecars}")
        if self.unlisted_notes:
            out.append(f"notes of multi-note files not named in the manifest (not scanned): {self.unlisted_notes}")
        if self.interrupted:
            out.append("interrupted: the output holds every note finished so far; rerun with --resume to finish")
        return out

    def as_dict(self) -> dict[str, Any]:
        """The numbers, JSON-able (for the HTML report and tools)."""
        return {"notes": self.notes, "errors": self.errors, "resumed": self.resumed, "codes": self.codes,
                "no_code": self.no_code,
                "outcomes": dict(self.outcomes), "verdicts": dict(self.verdicts),
                "by_code": {k: dict(v) for k, v in sorted(self.by_code.items())},
                "missing": dict(self.missing.most_common()), "error_reasons": dict(self.error_reasons.most_common()),
                "formats": dict(self.formats), "hidden": self.hidden, "unlisted": self.unlisted,
                "sidecars": self.sidecars,
                "unlisted_notes": self.unlisted_notes, "multi_note_files": len(self.multi_note_files),
                "multi_note_notes": self.multi_note_notes,
                "interrupted": self.interrupted, "seconds": round(self.seconds, 2)}
