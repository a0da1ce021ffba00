"""Resolve a claim's linked notes to text: inline text, a path inside the notes folder, or a FHIR DocumentReference
(base64 ``data`` or a relative ``url``). Files and attachments of any format the ingest readers take (txt, rtf,
docx, pdf, html, HL7 MDM, FHIR) are read with them. Errors name the note and the reason, never its content."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from rtaudit.claims.fhir import attachment_of
from rtaudit.claims.model import DocumentNote, NoteRef, PathNote, TextNote
from rtaudit.ingest import IngestError, ReadLimits, read_any, read_bytes


class NoteError(ValueError):
    """A linked note that cannot be read or may not be followed."""


@dataclass(frozen=True)
class ResolvedNote:
    """A note's text, its sha256 and how it was read."""

    id: str
    text: str
    sha256: str
    format: str
    encoding: str | None
    path: str | None = None


def safe_path(base: Path | None, ref: str) -> Path:
    """The file ``ref`` names inside ``base``; URLs, ``..`` and paths leading outside ``base`` are refused."""
    if base is None:
        raise NoteError(f"'{ref}': note paths are not accepted here (no notes folder is configured)")
    if "://" in ref or ref.lower().startswith(("file:", "data:", "urn:")):
        raise NoteError(f"'{ref}': links to other locations are not followed; give a path inside the notes folder")
    if ".." in PurePosixPath(ref.replace("\\", "/")).parts or ".." in PureWindowsPath(ref).parts:
        raise NoteError(f"'{ref}': '..' is not allowed in a note path")
    root = base.resolve()
    target = (root / ref).resolve()
    if not target.is_relative_to(root):
        raise NoteError(f"'{ref}': outside the notes folder {root}")
    return target


def _resolved(note_id: str, text: str, fmt: str, encoding: str | None, path: str | None = None) -> ResolvedNote:
    if not text.strip():
        raise NoteError(f"note '{note_id}': empty")
    return ResolvedNote(id=note_id, text=text, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                        format=fmt, encoding=encoding, path=path)


class NoteResolver:
    """Reads linked notes; paths are followed only inside ``base_dir`` (None: paths are refused)."""

    def __init__(self, base_dir: Path | None = None) -> None:
        self.base_dir = base_dir
        self.limits = ReadLimits(roots=(str(base_dir.resolve()),)) if base_dir else ReadLimits()

    def _from_path(self, note_id: str, ref: str) -> ResolvedNote:
        path = safe_path(self.base_dir, ref)
        try:
            read = read_any(path, self.limits)
        except IngestError as exc:
            raise NoteError(f"note '{note_id}': {exc}") from None
        except OSError as exc:
            raise NoteError(f"note '{note_id}': '{ref}' cannot be read ({exc.strerror})") from None
        return _resolved(note_id, read.text, read.format, read.encoding, ref)

    def _from_document_reference(self, note_id: str, document: dict) -> ResolvedNote:
        try:
            attachment = attachment_of(document)
        except ValueError as exc:
            raise NoteError(f"note '{note_id}': {exc}") from None
        if attachment.url is not None:
            return self._from_path(note_id, attachment.url)
        try:
            read = read_bytes(attachment.data or b"", f"note '{note_id}'",
                              content_type=attachment.content_type or "text/plain", base=self.base_dir,
                              limits=self.limits)
        except IngestError as exc:
            raise NoteError(str(exc)) from None
        return _resolved(note_id, read.text, f"fhir/{read.format}", read.encoding)

    def resolve(self, note: NoteRef) -> ResolvedNote:
        """The text of one linked note."""
        if isinstance(note, TextNote):
            return _resolved(note.id, note.text, "txt", None)
        if isinstance(note, PathNote):
            return self._from_path(note.id, note.path)
        assert isinstance(note, DocumentNote)
        return self._from_document_reference(note.id, note.document_reference)
