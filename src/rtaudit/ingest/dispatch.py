"""Any note file to text: choose the reader by content (magic bytes, MSH, JSON, markup), then by extension.

A file whose content contradicts its name, an unknown or binary file, an empty, truncated, oversized or
undecodable one becomes an ``IngestError`` with a clear reason that never quotes the note.

Most formats hold one note; an HL7 v2 batch or a FHIR Bundle may hold several (``open_bytes`` lists them as
``Part``s, read one by one; ``read_notes`` reads them all). ``read_any`` and ``read_bytes`` read one note.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from rtaudit.ingest.limits import DEFAULT_LIMITS, ReadLimits
from rtaudit.ingest.parts import NotePart, Part, label, only_part, split_reference
from rtaudit.ingest.text import IngestError, NoteText, decode_text

TEXT_SUFFIXES = frozenset({".txt", ".text", ".note", ".asc", ""})
SUFFIX_FORMATS = {".rtf": "rtf", ".docx": "docx", ".pdf": "pdf", ".html": "html", ".htm": "html",
                  ".xhtml": "html", ".hl7": "hl7", ".json": "fhir"} | {s: "txt" for s in TEXT_SUFFIXES}
CONTENT_TYPES = {"text/plain": "txt", "text/html": "html", "application/xhtml+xml": "html", "text/rtf": "rtf",
                 "application/rtf": "rtf", "application/pdf": "pdf",
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
                 "application/hl7-v2": "hl7", "x-application/hl7-v2+er7": "hl7"}
_REFUSED_MAGIC = (
    (b"\xd0\xcf\x11\xe0", "legacy Word .doc or encrypted Office file (OLE2); save it as .docx"),
    (b"\x89PNG", "PNG image, no text layer; run OCR on it first"),
    (b"\xff\xd8\xff", "JPEG image, no text layer; run OCR on it first"),
    (b"GIF8", "GIF image, no text layer"),
    (b"II*\x00", "TIFF image, no text layer; run OCR on it first"),
    (b"MM\x00*", "TIFF image, no text layer; run OCR on it first"),
    (b"\x1f\x8b", "gzip archive; unpack it first"),
    (b"7z\xbc\xaf", "7-Zip archive; unpack it first"),
    (b"Rar!", "RAR archive; unpack it first"),
    (b"\x7fELF", "executable, not a note"),
    (b"MZ", "executable, not a note"),
)
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<body", b"<head", b"<div", b"<p>", b"<p ", b"<table", b"<br")
_MAX_DEPTH = 1


def sniff(data: bytes, suffix: str = "", content_type: str = "") -> str:
    """The reader for ``data``: ``txt``, ``rtf``, ``docx``, ``pdf``, ``html``, ``hl7`` or ``fhir``.

    Content decides when it is unambiguous; the declared content type or the file extension decides the rest.
    Raises ``IngestError`` (without the file name; the caller adds it) for files no reader can take.
    """
    head = data[:1024]
    for magic, reason in _REFUSED_MAGIC:
        if head.startswith(magic):
            raise IngestError(reason)
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n\x0b")  # \x0b: a message captured with its MLLP frame
    if stripped.startswith(b"{\\rtf"):
        return "rtf"
    if stripped.startswith((b"MSH|", b"FHS|", b"BHS|")):
        return "hl7"
    if stripped.startswith(b"{") and b'"resourceType"' in data[:65536]:
        return "fhir"
    declared = CONTENT_TYPES.get(content_type.split(";")[0].strip().lower())
    expected = declared or SUFFIX_FORMATS.get(suffix.lower())
    lowered = stripped[:512].lower()
    if expected in (None, "txt", "html") and lowered.startswith(b"<") and any(m in lowered for m in _HTML_MARKERS):
        return "html"
    if expected in ("pdf", "docx", "rtf", "hl7"):
        raise IngestError(f"not a valid {expected.upper()} file (its content does not start like one)")
    if expected == "fhir":
        raise IngestError("JSON that is not a FHIR DocumentReference or Bundle")
    if expected is None:
        if declared is None and content_type and not suffix:
            raise IngestError(f"attachment of unknown type '{content_type[:60]}'")
        raise IngestError(f"unknown file type '{suffix[:20]}' (rename it .txt to read it as text)")
    return expected


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"').lower()
    return None


def _plain_text(data: bytes, source: str, content_type: str) -> tuple[str, str]:
    charset = _charset(content_type)
    if charset:
        try:
            text = data.decode(charset).lstrip("\ufeff")
            if text.strip():
                return text.replace("\r\n", "\n").replace("\r", "\n"), charset
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text(data, source)


def open_bytes(data: bytes, source: str, *, suffix: str = "", content_type: str = "", base: Path | None = None,
               limits: ReadLimits = DEFAULT_LIMITS, depth: int = 0) -> list[Part]:
    """The notes of a file's bytes, not read yet: one ``Part`` for most files, one per note for an HL7 batch or
    a FHIR Bundle of DocumentReferences. File-level problems (empty, oversized, unknown type, an empty batch)
    raise ``IngestError`` here; a note's own problems are raised when its ``Part`` is read.
    ``base`` is the folder references inside the file are relative to."""
    if not data.strip():
        raise IngestError(f"{source}: empty file")
    if len(data) > limits.max_bytes:
        raise IngestError(f"{source}: {len(data)} bytes, over the {limits.max_bytes}-byte limit")
    try:
        kind = sniff(data, suffix, content_type)
    except IngestError as exc:
        raise IngestError(f"{source}: {exc}") from None
    folder = base or Path.cwd()

    def attachment(payload: bytes, inner_type: str, inner_source: str) -> NoteText:
        if depth >= _MAX_DEPTH:
            raise IngestError(f"{inner_source}: attachment nested inside another attachment; not read")
        return read_bytes(payload, inner_source, content_type=inner_type, base=folder, limits=limits,
                          depth=depth + 1)

    if kind == "hl7":
        from rtaudit.ingest.hl7 import hl7_parts

        parts = hl7_parts(data, source, attachment, limits.max_parts)
    elif kind == "fhir":
        from rtaudit.ingest.fhir import fhir_parts

        parts = fhir_parts(data, source, attachment, folder, limits)
    else:
        parts = [Part(None, partial(_read_single, kind, data, source, content_type, limits))]
    return [Part(part.id, partial(_capped, part.read, label(source, part.id), limits)) for part in parts]


def _read_single(kind: str, data: bytes, source: str, content_type: str, limits: ReadLimits) -> NoteText:
    """A file of a format that holds one note."""
    if kind == "txt":
        text, encoding = _plain_text(data, source, content_type)
    elif kind == "rtf":
        from rtaudit.ingest.rtf import read_rtf

        text, encoding = read_rtf(data, source)
    elif kind == "docx":
        from rtaudit.ingest.docx import read_docx

        text, encoding = read_docx(data, source, limits), "utf-8"
    elif kind == "pdf":
        from rtaudit.ingest.pdf import read_pdf

        text, encoding = read_pdf(data, source, limits), "pdf-text"
    else:
        from rtaudit.ingest.html import read_html

        text, encoding = read_html(data, source)
    return NoteText(text=text, format=kind, encoding=encoding)


def _capped(read: Callable[[], NoteText], source: str, limits: ReadLimits) -> NoteText:
    note = read()
    if len(note.text) > limits.max_chars:
        raise IngestError(f"{source}: {len(note.text)} characters of text, over the {limits.max_chars}-character "
                          "limit")
    return note


def read_bytes(data: bytes, source: str, *, suffix: str = "", content_type: str = "", base: Path | None = None,
               limits: ReadLimits = DEFAULT_LIMITS, depth: int = 0, part: str | None = None) -> NoteText:
    """Read one note from bytes of any supported format: the file's only note, or the note ``part`` of a
    multi-note file (a multi-note file without ``part`` is an ``IngestError`` that says how to name one)."""
    parts = open_bytes(data, source, suffix=suffix, content_type=content_type, base=base, limits=limits,
                       depth=depth)
    return only_part(parts, source, part).read()


def read_parts(parts: list[Part]) -> list[NotePart]:
    """Read every note of a multi-note file, each note's error kept to itself; a single-note file raises its
    ``IngestError`` as it always did."""
    if len(parts) == 1 and parts[0].id is None:
        return [NotePart(None, parts[0].read())]
    read: list[NotePart] = []
    for part in parts:
        try:
            read.append(NotePart(part.id, part.read()))
        except IngestError as exc:
            read.append(NotePart(part.id, error=str(exc)))
    return read


def read_file_bytes(path: str | Path, limits: ReadLimits = DEFAULT_LIMITS) -> bytes:
    """The bytes of a note file, refusing what is not a regular file or is over the size limit."""
    file = Path(path)
    if not file.exists():
        raise IngestError(f"{file}: no such file")
    if not file.is_file():
        raise IngestError(f"{file}: not a regular file")
    size = file.stat().st_size
    if size > limits.max_bytes:
        raise IngestError(f"{file}: {size} bytes, over the {limits.max_bytes}-byte limit")
    try:
        return file.read_bytes()
    except OSError as exc:
        raise IngestError(f"{file}: cannot read ({exc.strerror})") from None


def open_file(path: str | Path, limits: ReadLimits = DEFAULT_LIMITS) -> list[Part]:
    """The notes of a file, not read yet (see ``open_bytes``)."""
    file = Path(path)
    data = read_file_bytes(file, limits)
    return open_bytes(data, str(file), suffix=file.suffix, base=file.parent, limits=limits)


def read_notes(path: str | Path, limits: ReadLimits = DEFAULT_LIMITS) -> list[NotePart]:
    """Every note of a file with its part id (None for a single-note file); a note that cannot be read carries
    its ``error``. File-level problems, and any problem of a single-note file, raise ``IngestError``."""
    file = Path(path)
    return [NotePart(p.part, _with_path(p.note, file, p.part) if p.note else None, p.error)
            for p in read_parts(open_file(file, limits))]


def read_any(path: str | Path, limits: ReadLimits = DEFAULT_LIMITS, part: str | None = None) -> NoteText:
    """Read one note file of any supported format; references inside it are followed only within
    ``limits.roots`` (by default the file's own folder). ``part`` (or a ``PATH#PART`` path) picks one note of
    a multi-note file; without it such a file is an ``IngestError`` that lists its notes."""
    file, named = (Path(path), None) if part is not None else split_reference(path)
    part = part if part is not None else named
    note = only_part(open_file(file, limits), str(file), part).read()
    return _with_path(note, file, part)


def _with_path(note: NoteText, file: Path, part: str | None) -> NoteText:
    return NoteText(text=note.text, format=note.format, encoding=note.encoding, path=str(file), part=part)
