"""Readers: bytes in, note text out, with what was detected (format, encoding) and clear errors."""

from rtaudit.ingest.text import IngestError, NoteText, decode_text, read_note

__all__ = ["IngestError", "NoteText", "decode_text", "read_note"]
