"""``--resume``: find the notes an earlier (perhaps killed) run finished, keep exactly those records, redo the rest.

A note counts as done when its record has the same path and part (the note's id inside a multi-note file), the
same file SHA-256 (and, for JSONL, the same codes from the manifest). A multi-note file with some notes done is
read again for the rest only. The output is rewritten atomically with one record per done note, so a torn last line, a
changed file or a note no longer in the input never leaves a duplicate or a stale record behind.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from rtaudit.scan.jobs import Job
from rtaudit.scan.records import resume_key
from rtaudit.scan.writers import CSV_COLUMNS

Key = tuple[Any, ...]
#: A note of the output: its path and its part id (None for a single-note file).
NoteId = tuple[str, str | None]


def _file_sha256(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def part_key(job: Job, part: str | None, digest: str, fmt: str) -> Key | None:
    """The key the record of note ``part`` of this job's file would have now (None: it would not be checked)."""
    charges = job.charges(part)
    if charges is None or charges.error:
        return None
    if fmt == "csv":
        return (job.path, part, digest)
    with_manifest = charges.manifest is not None
    return (job.path, part, digest, charges.codes if with_manifest else (),
            charges.claim_codes if with_manifest else ())


def done_parts(job: Job, earlier: dict[str | None, Key], fmt: str) -> set[str | None]:
    """The notes of this job's file whose earlier record still holds (same file bytes, same codes).

    A record without a part (a single-note file, or an error for the whole file) stands for the whole file.
    """
    if job.error or job.file is None or not earlier:
        return set()
    digest = _file_sha256(job.file)
    if digest is None:
        return set()
    if None in earlier:
        return {None} if earlier[None] == part_key(job, None, digest, fmt) else set()
    return {part for part, key in earlier.items() if key == part_key(job, part, digest, fmt)}


def _unformula(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:2] in ("=", "+", "-", "@", "\t", "\r") else cell


def _jsonl_records(path: Path) -> Iterable[dict[str, Any]]:
    with open(path, "rb") as handle:
        for line in handle:
            if not line.endswith(b"\n"):
                return  # torn by a kill: the record was never finished
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and isinstance(record.get("note"), dict) and record["note"].get("path"):
                yield record


def _csv_text(path: Path) -> tuple[str, str]:
    """(BOM prefix, text up to the last complete row)."""
    text = path.read_bytes().decode("utf-8", "replace")
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    text = text[len(bom):]
    if not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]
    return bom, text


def _csv_records(path: Path) -> Iterable[dict[str, Any]]:
    """CSV rows grouped back into per-note records (enough for the summary and the resume key)."""
    _, text = _csv_text(path)
    rows = csv.reader(io.StringIO(text, newline=""))
    header = next(rows, None)
    if header not in (list(CSV_COLUMNS), list(CSV_COLUMNS[:-1])):  # the second: written before the part column
        return
    current: dict[str, Any] | None = None
    for values in rows:
        if len(values) != len(header):
            continue
        row = dict(zip(header, (_unformula(v) for v in values), strict=True))
        part = row.get("part") or None
        if current is None or _note_id(current) != (row["path"], part):
            if current is not None:
                yield current
            current = {"note": {"path": row["path"], "part": part, "format": row["format"] or None,
                                "file_sha256": row["file_sha256"] or None},
                       "codes": [], "outcome": row["outcome"], "error": row["error"] or None, "claim_findings": []}
        if row["verdict"] == "error" and row["code"]:
            current.setdefault("manifest", {"codes": []})["codes"].append(row["code"])
        elif row["code"]:
            current["codes"].append({"code": row["code"], "verdict": row["verdict"],
                                     "supported_code": row["supported_code"] or None,
                                     "missing": [m for m in row["missing"].split("; ") if m],
                                     "query": row["query"] or None,
                                     "reasons": [r for r in row["reasons"].split("; ") if r]})
        elif row["reasons"]:
            current["claim_findings"].append({"rule": "no-billed-code", "codes": [], "severity": "hold",
                                              "message": row["reasons"]})
    if current is not None:
        yield current


def _key(record: dict[str, Any], fmt: str) -> Key:
    if fmt == "csv":
        return (record["note"]["path"], record["note"].get("part"), record["note"].get("file_sha256"))
    return resume_key(record)


def _note_id(record: dict[str, Any]) -> NoteId:
    return record["note"]["path"], record["note"].get("part")


def previous_keys(path: Path, fmt: str) -> dict[str, dict[str | None, Key]]:
    """Path -> part -> resume key of every whole record in an earlier output (first record per note)."""
    if not path.exists():
        return {}
    records = _csv_records(path) if fmt == "csv" else _jsonl_records(path)
    keys: dict[str, dict[str | None, Key]] = {}
    for record in records:
        keys.setdefault(record["note"]["path"], {}).setdefault(record["note"].get("part"), _key(record, fmt))
    return keys


def keep_done(path: Path, fmt: str, done: set[NoteId], on_record: Callable[[dict[str, Any]], None]) -> int:
    """Rewrite ``path`` with one record per done note (atomically); ``on_record`` sees each kept record."""
    if not path.exists():
        return 0
    kept: set[NoteId] = set()
    temporary = path.with_name(path.name + ".resume-tmp")
    with open(temporary, "w", encoding="utf-8", newline="") as out:
        if fmt == "csv":
            bom, _ = _csv_text(path)
            out.write(bom)
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(CSV_COLUMNS)
            from rtaudit.scan.writers import csv_rows

            for record in _csv_records(path):
                if _note_id(record) in done and _note_id(record) not in kept:
                    kept.add(_note_id(record))
                    writer.writerows(csv_rows(record))
                    on_record(record)
        else:
            for record in _jsonl_records(path):
                if _note_id(record) in done and _note_id(record) not in kept:
                    kept.add(_note_id(record))
                    out.write(json.dumps(record, ensure_ascii=True, separators=(",", ":")) + "\n")
                    on_record(record)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
    return len(kept)
