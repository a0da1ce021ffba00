"""FHIR R4 ``DocumentReference`` (alone or in a ``Bundle``): the note is an attachment, inline or a local file.

A Bundle (searchset, collection...) of several DocumentReferences holds one note per DocumentReference; one that
cannot be read (bad base64, a missing Binary, entered-in-error) is an error for that note only.

``data`` is base64; ``url`` may name a ``Binary`` in the same Bundle or a local file inside the allowed folders
(links out and paths outside them are refused). A stated attachment ``hash`` (SHA-1) is checked.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from rtaudit.ingest.limits import DEFAULT_LIMITS, ReadLimits
from rtaudit.ingest.parts import Part, check_count, label, part_ids
from rtaudit.ingest.paths import resolve_reference
from rtaudit.ingest.text import IngestError, NoteText

#: ``attachment(data, content_type, source) -> NoteText``: reads decoded attachment bytes (the dispatcher).
Attachment = Callable[[bytes, str, str], NoteText]

_PREFERENCE = ("text/plain", "text/html", "application/xhtml+xml", "text/rtf", "application/rtf",
               "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/pdf")


def _load(data: bytes, source: str) -> dict[str, Any]:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise IngestError(f"{source}: FHIR JSON is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise IngestError(f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise IngestError(f"{source}: JSON nested too deeply") from None
    if not isinstance(document, dict) or "resourceType" not in document:
        raise IngestError(f"{source}: JSON without a FHIR resourceType")
    return document


def _documents(document: dict[str, Any], source: str) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The DocumentReferences of the file and the Binary resources they may point to, by reference."""
    kind = document.get("resourceType")
    binaries: dict[str, dict[str, Any]] = {}
    if kind == "DocumentReference":
        return [document], binaries
    if kind != "Bundle":
        raise IngestError(f"{source}: FHIR {str(kind)[:40]} resource, not a DocumentReference or Bundle")
    references = []
    for entry in document.get("entry") or []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            continue
        if resource.get("resourceType") == "DocumentReference":
            references.append(resource)
        elif resource.get("resourceType") == "Binary":
            for key in (entry.get("fullUrl"), f"Binary/{resource.get('id')}"):
                if key:
                    binaries[str(key)] = resource
    if not references:
        raise IngestError(f"{source}: FHIR Bundle without a DocumentReference")
    return references, binaries


def _decode_base64(value: Any, source: str) -> bytes:
    if not isinstance(value, str):
        raise IngestError(f"{source}: attachment data is not a base64 string")
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise IngestError(f"{source}: attachment data is not valid base64") from None


def _attachment_bytes(attachment: dict[str, Any], binaries: dict[str, dict[str, Any]], source: str,
                      base: Path, limits: ReadLimits) -> tuple[bytes, str]:
    content_type = str(attachment.get("contentType") or "")
    if attachment.get("data") is not None:
        data = _decode_base64(attachment["data"], source)
    elif attachment.get("url"):
        url = str(attachment["url"])
        binary = binaries.get(url)
        if binary is not None:
            data = _decode_base64(binary.get("data"), source)
            content_type = content_type or str(binary.get("contentType") or "")
        elif url.startswith(("Binary/", "urn:uuid:", "#")):
            raise IngestError(f"{source}: attachment url '{url[:80]}' names no Binary in this file")
        else:
            path = resolve_reference(url, base, limits.roots)
            if not path.is_file():
                raise IngestError(f"{source}: attachment url '{url[:80]}' names no file")
            if path.stat().st_size > limits.max_bytes:
                raise IngestError(f"{source}: attachment file over the {limits.max_bytes}-byte limit")
            data = path.read_bytes()
    else:
        raise IngestError(f"{source}: DocumentReference attachment has neither data nor url")
    stated = attachment.get("hash")
    if isinstance(stated, str) and stated:
        actual = base64.b64encode(hashlib.sha1(data).digest()).decode()  # noqa: S324 - FHIR's hash is SHA-1
        if actual != stated.strip():
            raise IngestError(f"{source}: attachment does not match its stated SHA-1 hash")
    return data, content_type


def _rank(content: dict[str, Any]) -> int:
    kind = str((content.get("attachment") or {}).get("contentType") or "").split(";")[0].strip().lower()
    return _PREFERENCE.index(kind) if kind in _PREFERENCE else len(_PREFERENCE)


def fhir_parts(data: bytes, source: str, attachment: Attachment, base: Path,
               limits: ReadLimits = DEFAULT_LIMITS) -> list[Part]:
    """The notes of a DocumentReference or a Bundle of them; each is read (from its best attachment) when its
    ``Part`` is read. The JSON is parsed once, here."""
    references, binaries = _documents(_load(data, source), source)
    check_count(len(references), source, limits.max_parts)
    ids = part_ids([r.get("id") if isinstance(r.get("id"), str) else None for r in references])
    return [Part(part, partial(_read_reference, reference, binaries, label(source, part), attachment, base, limits))
            for part, reference in zip(ids, references, strict=True)]


def _read_reference(reference: dict[str, Any], binaries: dict[str, dict[str, Any]], source: str,
                    attachment: Attachment, base: Path, limits: ReadLimits) -> NoteText:
    note = _reference_note(reference, binaries, source, attachment, base, limits)
    return NoteText(text=note.text, format=f"fhir/{note.format}" if note.format != "txt" else "fhir",
                    encoding=note.encoding)


def _reference_note(reference: dict[str, Any], binaries: dict[str, dict[str, Any]], source: str,
                    attachment: Attachment, base: Path, limits: ReadLimits) -> NoteText:
    """The note of one DocumentReference, as read from its best attachment."""
    if reference.get("status") == "entered-in-error" or reference.get("docStatus") == "entered-in-error":
        raise IngestError(f"{source}: DocumentReference is marked entered-in-error")
    contents = [c for c in reference.get("content") or [] if isinstance(c, dict)]
    if not contents:
        raise IngestError(f"{source}: DocumentReference has no content attachment")
    first_error: IngestError | None = None
    for content in sorted(contents, key=_rank):
        described = content.get("attachment")
        if not isinstance(described, dict):
            continue
        try:
            payload, content_type = _attachment_bytes(described, binaries, source, base, limits)
            return attachment(payload, content_type, f"{source} (attachment)")
        except IngestError as exc:
            first_error = first_error or exc
    raise first_error or IngestError(f"{source}: DocumentReference has no readable attachment")
