"""HL7 v2 document messages (MDM^T02 and friends; ORU text reports) through python-hl7.

The note is the OBX text (TX, FT, ST) joined in message order, plus any OBX ED attachment (base64 text, RTF or
PDF) decoded through ``attachment``. CR, CRLF or LF segment separators are all accepted. A batch file (several
MSH messages, optionally inside FHS/BHS ... BTS/FTS) holds one note per message; a message that is not a
document, or has no text, is an error for that note only.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from functools import partial

from rtaudit.ingest.parts import Part, check_count, label, part_ids
from rtaudit.ingest.text import IngestError, NoteText, decode_text

#: ``attachment(data, content_type, source) -> NoteText``: reads a decoded ED payload (the dispatcher).
Attachment = Callable[[bytes, str, str], NoteText]

_TEXT_TYPES = {"TX", "FT", "ST"}
_DOCUMENT_MESSAGES = {"MDM", "ORU"}
_RETRACTED = {"D", "W"}
_CHARSETS = {"UNICODE UTF-8": "utf-8", "UTF-8": "utf-8", "8859/1": "latin-1", "ASCII": "ascii",
             "8859/15": "iso8859-15", "UNICODE": "utf-8"}
_BATCH = ("FHS", "BHS", "BTS", "FTS")
_FIRST_MSH = re.compile(rb"(?:\A|[\r\n\x0b])MSH")
_MLLP_FRAME = str.maketrans({"\x0b": "\n", "\x1c": "\n"})  # start and end of block


def _segments(text: str) -> tuple[list[str], bool]:
    """The message segments of a file (batch header and trailer segments dropped) and whether it had any."""
    text = text.translate(_MLLP_FRAME)  # messages captured from an MLLP stream keep their frame characters
    lines = [line for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n") if line.strip()]
    segments = [line for line in lines if not line.startswith(_BATCH)]
    return segments, len(segments) < len(lines)


def _messages(segments: list[str]) -> list[list[str]]:
    """Segments grouped into messages, each starting at its MSH."""
    messages: list[list[str]] = []
    for segment in segments:
        if segment.startswith("MSH") or not messages:
            messages.append([])
        messages[-1].append(segment)
    return messages


def _decode(data: bytes, source: str) -> tuple[str, str]:
    """The file's text in the character set its first MSH declares (MSH-18), else the text fallbacks."""
    found = _FIRST_MSH.search(data, 0, 4096)
    head = data[found.end() - 3:found.end() + 2045].split(b"\r")[0].split(b"\n")[0] if found else b""
    fields = head.split(head[3:4]) if len(head) > 3 else []
    declared = fields[17].split(b"~")[0].decode("ascii", "replace").upper() if len(fields) > 17 else ""
    charset = _CHARSETS.get(declared)
    if charset:
        try:
            return data.decode(charset).lstrip("\ufeff"), charset
        except UnicodeDecodeError:
            pass
    return decode_text(data, source)


def _document_id(message: list[str]) -> str | None:
    """The message's document number (TXA-12, first component), else its control id (MSH-10)."""
    msh = message[0]
    field, components = msh[3:4], msh[4:5] or "^"
    if not field:
        return None
    for segment in message[1:]:
        if segment.startswith("TXA" + field):
            fields = segment.split(field)
            number = fields[12].split(components)[0].strip() if len(fields) > 12 else ""
            if number:
                return number
    fields = msh.split(field)
    return fields[9].split(components)[0].strip() if len(fields) > 9 else None


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


def hl7_parts(data: bytes, source: str, attachment: Attachment, max_parts: int) -> list[Part]:
    """The notes of an HL7 v2 file: one message, or a batch of them (FHS/BHS ... BTS/FTS optional).

    The file is decoded and split here; each message is read when its ``Part`` is read.
    """
    text, encoding = _decode(data, source)
    segments, batch = _segments(text.lstrip("\ufeff \t\n\x0b"))
    if batch and not segments:
        raise IngestError(f"{source}: HL7 batch file holds no message")
    if not segments or not segments[0].startswith("MSH"):
        raise IngestError(f"{source}: not an HL7 v2 message (no MSH segment first)")
    messages = _messages(segments)
    check_count(len(messages), source, max_parts)
    ids = part_ids([_document_id(message) for message in messages])
    return [Part(part, partial(_read_message, message, label(source, part), encoding, attachment))
            for part, message in zip(ids, messages, strict=True)]


def _read_message(segments: list[str], source: str, encoding: str, attachment: Attachment) -> NoteText:
    text, inner = _message_text(segments, source, attachment)
    return NoteText(text=text, format=f"hl7/{inner}" if inner and inner != "txt" else "hl7", encoding=encoding)


def _message_text(segments: list[str], source: str, attachment: Attachment) -> tuple[str, str | None]:
    """The note text of one document message and the format of any ED attachment."""
    import hl7

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
    return body + "\n", inner
