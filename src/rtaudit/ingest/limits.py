"""Limits every reader honours: file size, pages, text length, unzipped size, and where references may point."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """How much a reader may take in, and the folders a reference inside a file (a FHIR ``url``) may point into.

    ``max_parts`` caps the notes one file may hold (an HL7 batch, a FHIR Bundle).

    ``roots`` empty means: only the folder of the file that holds the reference.
    """

    max_bytes: int = 20 * MB
    max_pages: int = 200
    max_chars: int = 2_000_000
    max_unzipped_bytes: int = 200 * MB
    max_parts: int = 10_000
    roots: tuple[str, ...] = ()


DEFAULT_LIMITS = ReadLimits()
