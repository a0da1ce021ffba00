"""Readers: bytes in, note text out, with what was detected (format, encoding) and clear errors.

``read_any`` takes any supported file (txt, rtf, docx, pdf, html, HL7 v2 MDM, FHIR DocumentReference/Bundle);
``read_notes`` every note of a file that may hold several (an HL7 batch, a FHIR Bundle), each with its part id;
``read_note`` reads plain text only. The format readers (and their third-party parsers) are imported only when
first used, so ``rtaudit check`` on a text note starts as fast as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rtaudit.ingest.text import IngestError, NoteText, decode_text, read_note

if TYPE_CHECKING:
    from rtaudit.ingest.dispatch import (
        open_bytes,
        open_file,
        read_any,
        read_bytes,
        read_file_bytes,
        read_notes,
        read_parts,
        sniff,
    )
    from rtaudit.ingest.limits import ReadLimits
    from rtaudit.ingest.parts import NotePart, Part, label, split_reference

__all__ = ["IngestError", "NotePart", "NoteText", "Part", "ReadLimits", "decode_text", "label", "open_bytes",
           "open_file", "read_any", "read_bytes", "read_file_bytes", "read_note", "read_notes", "read_parts",
           "sniff", "split_reference"]

_LAZY = {"read_any": "dispatch", "read_bytes": "dispatch", "read_file_bytes": "dispatch", "sniff": "dispatch",
         "open_bytes": "dispatch", "open_file": "dispatch", "read_notes": "dispatch", "read_parts": "dispatch",
         "ReadLimits": "limits", "NotePart": "parts", "Part": "parts", "label": "parts",
         "split_reference": "parts"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f"rtaudit.ingest.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'rtaudit.ingest' has no attribute {name!r}")
