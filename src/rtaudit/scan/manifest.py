"""The charges manifest: a CSV naming each note (relative to the manifest) and the codes billed for it.

Columns (DESIGN.md): ``note``, ``codes`` (space, ``;`` or ``,`` separated; ``77290-26`` carries a modifier) and
optional ``claim_codes``, ``modifiers``, ``date_of_service``, ``patient_id``, ``course_id``, ``payer``. A row's
problems (no path, a path outside the allowed folders, an unknown code) become error jobs for that note; a file
that is not a usable CSV at all raises ``ManifestError``. Rows naming the same note are merged into one job.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rtaudit.ingest.paths import is_inside
from rtaudit.scan.jobs import Job

COLUMNS = ("note", "codes", "claim_codes", "modifiers", "date_of_service", "patient_id", "course_id", "payer")
MAX_MANIFEST_BYTES = 200 * 1024 * 1024
_EXTRA = "\x00extra"
_SPLIT = re.compile(r"[\s;,]+")
_CODE = re.compile(r"^(?P<code>[0-9A-Z]\d{3}[0-9A-Z])(?:-(?P<modifiers>[0-9A-Z]{2}(?:-[0-9A-Z]{2})*))?$")


class ManifestError(ValueError):
    """The manifest cannot be used at all (unreadable, not CSV, no ``note`` column)."""


@dataclass
class _Entry:
    """One note of the manifest, possibly gathered from several rows."""

    path: str
    file: Path | None
    lines: list[int]
    codes: list[str] = field(default_factory=list)
    claim_codes: list[str] = field(default_factory=list)
    modifiers: list[str] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _decode(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_MANIFEST_BYTES:
            raise ManifestError(f"{path}: {size} bytes, over the {MAX_MANIFEST_BYTES}-byte manifest limit")
        data = path.read_bytes()
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read the manifest ({exc.strerror})") from None
    if b"\x00" in data:
        raise ManifestError(f"{path}: binary content (NUL bytes), not a CSV manifest")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _codes(cell: str | None) -> tuple[list[str], list[str], list[str]]:
    """(codes, modifiers, malformed values) of a codes cell."""
    codes, modifiers, bad = [], [], []
    for value in _SPLIT.split((cell or "").strip().upper()):
        if not value:
            continue
        found = _CODE.match(value)
        if not found:
            bad.append(value[:20])
            continue
        if found.group("code") not in codes:
            codes.append(found.group("code"))
        modifiers += [m for m in (found.group("modifiers") or "").split("-") if m and m not in modifiers]
    return codes, modifiers, bad


def _delimiter(text: str) -> str:
    """``,`` unless the header row is clearly ``;``- or tab-separated (spreadsheets in some locales)."""
    header = text.split("\n", 1)[0]
    if "," in header:
        return ","
    return ";" if ";" in header else "\t" if "\t" in header else ","


def _header(reader: csv.DictReader, path: Path) -> None:
    if not reader.fieldnames:
        raise ManifestError(f"{path}: empty manifest (no header row)")
    names = [(name or "").strip().lower() for name in reader.fieldnames]
    if "note" not in names:
        raise ManifestError(f"{path}: no 'note' column in the header (columns: {', '.join(COLUMNS)})")
    duplicated = sorted({n for n in names if n and names.count(n) > 1})
    if duplicated:
        raise ManifestError(f"{path}: column(s) {', '.join(duplicated)} appear more than once in the header")
    reader.fieldnames = names


def read_manifest(path: Path, scan_root: Path, known_codes: Iterable[str]) -> list[Job]:
    """One job per note named in the manifest, in first-appearance order; row problems become error jobs."""
    known = set(known_codes)
    text = _decode(path)
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey=_EXTRA, delimiter=_delimiter(text))
    _header(reader, path)
    entries: dict[str, _Entry] = {}
    try:
        for row in reader:
            if any((value or "").strip() for value in row.values() if isinstance(value, str)):
                _add_row(row, reader.line_num, path, scan_root, known, entries)
    except csv.Error as exc:
        raise ManifestError(f"{path} line {reader.line_num}: not valid CSV ({exc})") from None
    return [_job(entry) for entry in entries.values()]


def _entry(row: dict, line: int, manifest: Path, scan_root: Path, entries: dict[str, _Entry]) -> _Entry:
    """The entry a row adds to: by resolved path, or by where it stands when its path cannot be used."""
    note = (row.get("note") or "").strip()
    where = f"{manifest.name} line {line}"
    if not note:
        entry = entries[f"{manifest}:{line}"] = _Entry(path=f"{manifest}:{line}", file=None, lines=[line])
        entry.errors.append(f"{where}: the 'note' cell is empty")
        return entry
    if "\n" in note or "\r" in note or "\x00" in note:
        entry = entries[f"{manifest}:{line}"] = _Entry(path=f"{manifest}:{line}", file=None, lines=[line])
        entry.errors.append(f"{where}: the 'note' cell spans several lines (an unclosed quote?)")
        return entry
    file = Path(note) if Path(note).is_absolute() else manifest.parent / note
    display = os.path.normpath(file)
    if not is_inside(file, [scan_root, manifest.parent]):
        entry = entries.setdefault(f"refused:{display}", _Entry(path=display, file=None, lines=[]))
        entry.lines.append(line)
        entry.errors.append(f"{where}: path leads outside the scanned folder and the manifest's folder; refused")
        return entry
    key = str(file.resolve())
    if key not in entries:
        entries[key] = _Entry(path=display, file=file.resolve(), lines=[],
                              meta={k: (row.get(k) or "").strip() for k in COLUMNS[4:] if (row.get(k) or "").strip()})
    entries[key].lines.append(line)
    return entries[key]


def _add_row(row: dict, line: int, manifest: Path, scan_root: Path, known: set[str],
             entries: dict[str, _Entry]) -> None:
    entry = _entry(row, line, manifest, scan_root, entries)
    if entry.file is None:
        return
    where = f"{manifest.name} line {line}"
    if row.get(_EXTRA):
        entry.errors.append(f"{where}: more cells than header columns (an unquoted comma?)")
    codes, modifiers, bad = _codes(row.get("codes"))
    claim_codes, _, bad_claim = _codes(row.get("claim_codes"))
    modifiers += [m for m in _SPLIT.split((row.get("modifiers") or "").strip().upper()) if m]
    unknown = [c for c in codes if c not in known]
    if bad or bad_claim:
        entry.errors.append(f"{where}: not a billing code: {', '.join(bad + bad_claim)}")
    if unknown:
        entry.errors.append(f"{where}: no checklist for {', '.join(unknown)} (known codes: "
                            f"{', '.join(sorted(known))})")
    entry.codes += [c for c in codes if c not in entry.codes]
    entry.claim_codes += [c for c in claim_codes if c not in entry.claim_codes]
    entry.modifiers += [m for m in modifiers if m not in entry.modifiers]


def _job(entry: _Entry) -> Job:
    manifest = {"lines": entry.lines, "codes": entry.codes, "claim_codes": entry.claim_codes,
                "modifiers": entry.modifiers} | entry.meta
    return Job(path=entry.path, file=str(entry.file) if entry.file else None, codes=tuple(entry.codes),
               claim_codes=tuple(entry.claim_codes), manifest=manifest, error="; ".join(entry.errors) or None)
