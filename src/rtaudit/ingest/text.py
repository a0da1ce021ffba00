"""Plain-text notes in any of the encodings EMR exports use (UTF-8 with or without BOM, cp1252, latin-1)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_BYTES = 5 * 1024 * 1024


class IngestError(ValueError):
    """A file that cannot be read as a note; the message says why and never quotes its content."""


@dataclass(frozen=True)
class NoteText:
    """The text of a note and how it was read; ``part`` names it inside a multi-note file (``PATH#PART``)."""

    text: str
    format: str
    encoding: str
    path: str | None = None
    part: str | None = None


def decode_text(data: bytes, source: str = "<stdin>") -> tuple[str, str]:
    """Decode note bytes; returns (text with normalised line ends, encoding name)."""
    if not data.strip():
        raise IngestError(f"{source}: empty note")
    if b"\x00" in data[:4096]:
        raise IngestError(f"{source}: binary content (NUL bytes), not a text note")
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        name = "utf-8-bom" if encoding == "utf-8-sig" and data.startswith(b"\xef\xbb\xbf") else (
            "utf-8" if encoding == "utf-8-sig" else encoding)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        control = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\t\f")
        if control > max(8, len(text) // 100):
            raise IngestError(f"{source}: mostly control characters, not a text note")
        return text, name
    raise IngestError(f"{source}: not decodable as text")  # pragma: no cover - latin-1 decodes any bytes


def read_note(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> NoteText:
    """Read a text note from disk with size and content checks."""
    file = Path(path)
    if not file.is_file():
        raise IngestError(f"{file}: no such file")
    size = file.stat().st_size
    if size > max_bytes:
        raise IngestError(f"{file}: {size} bytes, over the {max_bytes}-byte limit")
    text, encoding = decode_text(file.read_bytes(), str(file))
    return NoteText(text=text, format="txt", encoding=encoding, path=str(file))
