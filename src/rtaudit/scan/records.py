"""Output records: the JSON contract of DESIGN.md for a note, plus ``outcome``, ``error`` and the manifest row.

A result record is the ``Report`` JSON with ``note.file_sha256`` (the hash of the file's bytes, the resume key
with the path and ``note.part``, the note's id inside a multi-note file, null otherwise); an error record has the
same keys, empty findings, ``outcome: "error"`` and the reason.
"""

from __future__ import annotations

from typing import Any

OUTCOMES = ("supported", "downcode", "needs_review", "unsupported", "error")
_SEVERITY = {"supported": 0, "downcode": 1, "needs_review": 2, "unsupported": 3}


def outcome(codes: list[dict[str, Any]]) -> str:
    """The note's worst verdict; a note with no billed code needs review."""
    if not codes:
        return "needs_review"
    return max((c["verdict"] for c in codes), key=lambda v: _SEVERITY.get(v, 2))


def result_record(report: dict[str, Any], file_sha256: str, manifest: dict[str, Any] | None) -> dict[str, Any]:
    """A checked note (``report`` is ``Report.model_dump(mode="json")``)."""
    record = dict(report)
    record["note"] = dict(report["note"]) | {"file_sha256": file_sha256}
    record["outcome"] = outcome(report["codes"])
    record["error"] = None
    if manifest is not None:
        record["manifest"] = manifest
    return record


def error_record(path: str, reason: str, *, part: str | None = None, file_sha256: str | None = None,
                 format: str | None = None, manifest: dict[str, Any] | None = None) -> dict[str, Any]:
    """A note that could not be checked, with a reason that never quotes its text."""
    record: dict[str, Any] = {
        "note": {"path": path, "part": part, "sha256": None, "format": format, "encoding": None,
                 "file_sha256": file_sha256},
        "elements": {}, "codes": [], "claim_findings": [], "outcome": "error", "error": reason,
    }
    if manifest is not None:
        record["manifest"] = manifest
    return record


def strip_path(reason: str, *paths: str | None) -> str:
    """A reader's message without the leading ``path: `` (the record already names the path)."""
    for path in paths:
        if path and reason.startswith(path):
            return reason[len(path):].lstrip(": ") or reason
    return reason


def resume_key(record: dict[str, Any]) -> tuple[str, str | None, str | None, tuple[str, ...], tuple[str, ...]]:
    """What must match for a record to count as done: path, part, file hash, and the codes the manifest asked
    for."""
    manifest = record.get("manifest") or {}
    note = record["note"]
    return (note["path"], note.get("part"), note.get("file_sha256"), tuple(manifest.get("codes") or ()),
            tuple(manifest.get("claim_codes") or ()))


def brief(record: dict[str, Any]) -> dict[str, Any]:
    """What the summary and the progress bar need of a record (small, cheap to send between processes)."""
    note = record["note"]
    return {"note": {"path": note["path"], "part": note.get("part"), "format": note.get("format"),
                     "file_sha256": note.get("file_sha256")},
            "outcome": record["outcome"], "error": record.get("error"),
            "codes": [{"code": c["code"], "verdict": c["verdict"], "missing": c.get("missing") or []}
                      for c in record["codes"]]}
