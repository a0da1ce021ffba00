"""Readers: bytes in, note text out, with what was detected (format, encoding) and clear errors.

``read_any`` takes any supported file (txt, rtf, docx, pdf, html, HL7 v2 MDM, FHIR DocumentReference/Bundle);
``read_note`` reads plain text only. Third-party parsers are imported only when a file of their kind is read.
"""

from rtaudit.ingest.dispatch import read_any, read_bytes, read_file_bytes, sniff
from rtaudit.ingest.limits import ReadLimits
from rtaudit.ingest.text import IngestError, NoteText, decode_text, read_note

__all__ = ["IngestError", "NoteText", "ReadLimits", "decode_text", "read_any", "read_bytes", "read_file_bytes",
           "read_note", "sniff"]
