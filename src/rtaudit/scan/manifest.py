"""The charges manifest: a CSV naming each note (relative to the manifest) and the codes billed for it.

Columns (DESIGN.md): ``note``, ``codes`` (space, ``;`` or ``,`` separated; ``77290-26`` carries a modifier) and
optional ``claim_codes``, ``modifiers``, ``date_of_service``, ``patient_id``, ``course_id``, ``payer``. A row's
problems (no path, a path outside the allowed folders, an unknown code) become error jobs for that note; a file
that is not a usable CSV at all raises ``ManifestError``. Rows naming the same note are merged into one job.

In a file that holds several notes (an HL7 batch, a FHIR Bundle), ``note`` may be ``PATH#PART`` to give one note
its own codes. A ``PATH`` row applies to every note of the file that no ``PATH#PART`` row names; without a
``PATH`` row only the named notes are checked. All the rows of one file make one job, so the file is read once.
A problem with a ``PATH#PART`` row is an error for that note only; one with the ``PATH`` row (or a refused path)
stops the whole file, with an error record for each of its rows.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rtaudit.ingest.parts import split_reference
from rtaudit.ingest.paths import is_inside
from rtaudit.scan.jobs import Charges, Job

COLUMNS = ("note", "codes", "claim_codes", "modifiers", "date_of_service", "patient_id", "course_id", "payer")
MAX_MANIFEST_BYTES = 200 * 1024 * 1024
_EXTRA = "\x00extra"
_SPLIT = re.compile(r"[\s;,]+")
_CODE = re.compile(r"^(?P<code>[0-9A-Z]\d{3}[0-9A-Z])(?:-(?P<modifiers>[0-9A-Z]{2}(?:-[0-9A-Z]{2})*))?$")


class ManifestError(ValueError):
    """The manifest cannot be used at all (unreadable, not CSV, no ``note`` column)."""


@dataclass
class _Entry:
    """One note (or, for a ``PATH`` row, one file) of the manifest, possibly gathered from several rows.

    ``group`` is the key of the file it belongs to; ``part`` is set for a ``PATH#PART`` row.
    """

    path: str
    file: Path | None
    lines: list[int]
    group: str = ""
    part: str | None = None
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
    groups: dict[str, list[_Entry]] = {}
    for entry in entries.values():
        groups.setdefault(entry.group, []).append(entry)
    return [_job(group) for group in groups.values()]


def _unusable(entries: dict[str, _Entry], manifest: Path, line: int, reason: str) -> _Entry:
    """An entry for a row whose path cannot be used, named by where the row stands."""
    key = f"{manifest}:{line}"
    entry = entries[key] = _Entry(path=key, file=None, lines=[line], group=key)
    entry.errors.append(f"{manifest.name} line {line}: {reason}")
    return entry


def _entry(row: dict, line: int, manifest: Path, scan_root: Path, entries: dict[str, _Entry]) -> _Entry:
    """The entry a row adds to: by resolved path (and part), or by where it stands when its path cannot be
    used."""
    note = (row.get("note") or "").strip()
    where = f"{manifest.name} line {line}"
    if not note:
        return _unusable(entries, manifest, line, "the 'note' cell is empty")
    if "\n" in note or "\r" in note or "\x00" in note:
        return _unusable(entries, manifest, line, "the 'note' cell spans several lines (an unclosed quote?)")
    file, part = split_reference(Path(note) if Path(note).is_absolute() else manifest.parent / note)
    display = os.path.normpath(file)
    suffix = "" if part is None else f"#{part}"
    if not is_inside(file, [scan_root, manifest.parent]):
        group = f"refused:{display}{suffix}"
        entry = entries.setdefault(group, _Entry(path=display, file=None, lines=[], group=group, part=part))
        entry.lines.append(line)
        entry.errors.append(f"{where}: path leads outside the scanned folder and the manifest's folder; refused")
        return entry
    group = str(file.resolve())
    key = group + suffix
    if key not in entries:
        entries[key] = _Entry(path=display, file=file.resolve(), lines=[], group=group, part=part,
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


def _manifest(entry: _Entry) -> dict:
    return {"lines": entry.lines, "codes": entry.codes, "claim_codes": entry.claim_codes,
            "modifiers": entry.modifiers} | entry.meta


def _job(group: list[_Entry]) -> Job:
    """The job for one file: its ``PATH`` entry (if any) and its ``PATH#PART`` entries."""
    whole = next((entry for entry in group if entry.part is None), None)
    first = whole or group[0]
    parts = {entry.part: Charges(tuple(entry.codes), tuple(entry.claim_codes), _manifest(entry),
                                 "; ".join(entry.errors) or None)
             for entry in group if entry.part is not None}
    errors = whole.errors if whole is not None else []
    if first.file is None:  # a refused path: nothing of it is read
        errors = [e for entry in group for e in entry.errors]
    return Job(path=first.path, file=str(first.file) if first.file else None,
               codes=tuple(whole.codes) if whole else (), claim_codes=tuple(whole.claim_codes) if whole else (),
               manifest=_manifest(whole) if whole else None, error="; ".join(errors) or None, parts=parts,
               every_part=whole is not None)
