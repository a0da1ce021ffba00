"""HL7 v2 document messages (MDM^T02 and friends; ORU text reports) through python-hl7.

The note is the OBX text (TX, FT, ST) joined in message order, plus any OBX ED attachment (base64 text, RTF or
PDF) decoded through ``attachment``. CR, CRLF or LF segment separators are all accepted.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from rtaudit.ingest.text import IngestError, NoteText, decode_text

#: ``attachment(data, content_type, source) -> NoteText``: reads a decoded ED payload (the dispatcher).
Attachment = Callable[[bytes, str, str], NoteText]

_TEXT_TYPES = {"TX", "FT", "ST"}
_DOCUMENT_MESSAGES = {"MDM", "ORU"}
_RETRACTED = {"D", "W"}
_CHARSETS = {"UNICODE UTF-8": "utf-8", "UTF-8": "utf-8", "8859/1": "latin-1", "ASCII": "ascii",
             "8859/15": "iso8859-15", "UNICODE": "utf-8"}


def _segments(text: str) -> list[str]:
    lines = [line for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n") if line.strip()]
    return [line for line in lines if not line.startswith(("FHS", "BHS", "BTS", "FTS"))]


def _decode(data: bytes, source: str) -> tuple[str, str]:
    head = data[:2048].split(b"\r")[0].split(b"\n")[0]
    fields = head.split(head[3:4]) if head.startswith(b"MSH") and len(head) > 3 else []
    declared = fields[17].split(b"~")[0].decode("ascii", "replace").upper() if len(fields) > 17 else ""
    charset = _CHARSETS.get(declared)
    if charset:
        try:
            return data.decode(charset).lstrip("\ufeff"), charset
        except UnicodeDecodeError:
            pass
    return decode_text(data, source)


def _ed_payload(raw: str, components: str, message, source: str) -> tuple[bytes, str]:  # noqa: ANN001
    parts = raw.split(components)
    parts += [""] * (5 - len(parts))
    kind, subtype, encoding, payload = (p.strip() for p in parts[1:5])
    content_type = f"{kind}/{subtype}".lower() if kind or subtype else "application/octet-stream"
    if not payload:
        raise IngestError(f"{source}: OBX ED attachment ({content_type}) has no data")
    encoding = encoding.upper()
    try:
        if encoding in ("BASE64", "B64"):
            return base64.b64decode("".join(payload.split()), validate=True), content_type
        if encoding == "HEX":
            return bytes.fromhex(payload), content_type
        if encoding in ("A", ""):
            return message.unescape(payload).encode("utf-8"), content_type
    except (binascii.Error, ValueError):
        raise IngestError(f"{source}: OBX ED attachment is not valid {encoding.lower()}") from None
    raise IngestError(f"{source}: OBX ED attachment in unknown encoding '{encoding[:20]}'")


def read_hl7(data: bytes, source: str, attachment: Attachment) -> tuple[str, str, str | None]:
    """The note text of one HL7 v2 document message, its character set and the format of any ED attachment."""
    import hl7

    text, encoding = _decode(data, source)
    segments = _segments(text.lstrip("\ufeff \t\n"))
    if not segments or not segments[0].startswith("MSH"):
        raise IngestError(f"{source}: not an HL7 v2 message (no MSH segment first)")
    messages = sum(1 for segment in segments if segment.startswith("MSH"))
    if messages > 1:
        raise IngestError(f"{source}: {messages} HL7 messages in one file; rtaudit reads one note per file")
    try:
        message = hl7.parse(segments[0])  # the MSH: message type, separators and escapes
        kind = str(message.segment("MSH")[9])
    except Exception as exc:  # noqa: BLE001 - python-hl7 raises several kinds on malformed input
        raise IngestError(f"{source}: malformed HL7 message ({type(exc).__name__})") from None
    separators = segments[0][3:8]
    field, repetition, components = separators[0:1], separators[2:3] or "~", separators[1:2] or "^"
    family = kind.split(components)[0].upper()
    if family not in _DOCUMENT_MESSAGES:
        raise IngestError(f"{source}: HL7 {kind[:20]} message, not a document message (MDM^T02)")
    lines: list[str] = []
    inner: str | None = None
    for segment in segments[1:]:  # OBX fields by position (OBX-2 type, OBX-5 value, OBX-11 status)
        fields = segment.split(field)
        if fields[0] != "OBX" or len(fields) < 6:
            continue
        if len(fields) > 11 and fields[11].strip().upper() in _RETRACTED:
            continue
        value_type, raw = fields[2].strip().upper(), fields[5]
        if value_type in _TEXT_TYPES:
            for piece in raw.split(repetition):
                lines.append(message.unescape(piece).replace("\r\n", "\n").replace("\r", "\n"))
        elif value_type == "ED":
            payload, content_type = _ed_payload(raw, components, message, source)
            note = attachment(payload, content_type, f"{source} (OBX ED)")
            lines.append(note.text.strip("\n"))
            inner = inner or note.format
    body = "\n".join(lines).strip("\n")
    if not body.strip():
        raise IngestError(f"{source}: HL7 {kind[:20]} message has no OBX text (TX/FT/ST) or ED attachment")
    return body + "\n", encoding, inner
