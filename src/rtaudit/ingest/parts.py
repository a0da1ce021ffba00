"""Files that hold several notes (an HL7 v2 batch, a FHIR Bundle of DocumentReferences): naming each note.

A note inside such a file is addressed as ``PATH#PART``. The part id is the document's own id (FHIR
``DocumentReference.id``; HL7 TXA-12, else MSH-10), else its 1-based position in the file; an id seen before in
the same file gets ``@POSITION`` added, so every part id of a file is unique. A file with one note has no part id.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rtaudit.ingest.text import IngestError, NoteText

MAX_ID_CHARS = 64
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Part:
    """One note of a file, not read yet: ``read()`` gives its text or raises ``IngestError``."""

    id: str | None
    read: Callable[[], NoteText]


@dataclass(frozen=True)
class NotePart:
    """One note of a file as read: its text, or why it cannot be read (``error``, never quoting the note)."""

    part: str | None
    note: NoteText | None = None
    error: str | None = None


def label(path: str, part: str | None) -> str:
    """How a note is named to people: ``PATH`` or ``PATH#PART``."""
    return path if part is None else f"{path}#{part}"


def part_ids(found: Sequence[str | None]) -> list[str | None]:
    """Unique part ids for the notes of one file, from their own ids (None or unusable: the position).

    A file with a single note gets ``[None]``: it is addressed by its path alone, as always.
    """
    if len(found) == 1:
        return [None]
    ids: list[str | None] = []
    seen: set[str] = set()
    for position, raw in enumerate(found, start=1):
        name = (raw or "").strip()
        if not name or len(name) > MAX_ID_CHARS or _UNSAFE.search(name):
            name = str(position)
        if name in seen:
            name = f"{name}@{position}"
        seen.add(name)
        ids.append(name)
    return ids


def check_count(count: int, source: str, limit: int) -> None:
    """Refuse a file with more notes than ``limit`` (a file-level error)."""
    if count > limit:
        raise IngestError(f"{source}: {count} notes in one file, over the {limit}-note limit (split the file)")


def describe(ids: Sequence[str | None], most: int = 5) -> str:
    """A short list of part ids for a message: ``a, b, c, ... (12 in all)``."""
    shown = ", ".join(str(i) for i in ids[:most])
    return shown + (f", ... ({len(ids)} in all)" if len(ids) > most else "")


def only_part(parts: Sequence[Part], source: str, wanted: str | None = None) -> Part:
    """The one note a single-note caller asked for: ``wanted`` by id, or the file's only note."""
    ids = [p.id for p in parts]
    if wanted is not None:
        for part in parts:
            if part.id == wanted:
                return part
        held = "it holds a single note" if ids == [None] else f"its notes: {describe(ids)}"
        raise IngestError(f"{source}: no note '{wanted[:MAX_ID_CHARS]}' in this file ({held})")
    if len(parts) > 1:
        raise IngestError(f"{source}: {len(parts)} notes in one file ({describe(ids)}); name one as "
                          f"PATH#PART (e.g. {source}#{ids[0]}), or read them all with 'rtaudit check' or "
                          "'rtaudit scan'")
    return parts[0]


def split_reference(reference: str | os.PathLike[str]) -> tuple[Path, str | None]:
    """``PATH#PART`` -> (PATH, PART). A name that exists is a path, even with a ``#`` in it; otherwise the first
    ``#`` before which the text names an existing file splits it. Nothing found: the whole text is the path (so
    the error names what was written)."""
    text = os.fspath(reference)
    if "#" not in text or os.path.exists(text):
        return Path(text), None
    for cut in (i for i, ch in enumerate(text) if ch == "#"):
        if os.path.isfile(text[:cut]):
            return Path(text[:cut]), text[cut + 1:] or None
    return Path(text), None
