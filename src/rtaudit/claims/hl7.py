"""HL7 v2 input: DFT^P03 charge messages become claims, MDM^T02 document messages become their notes.

A batch may mix both, in any order, with CR, LF or CRLF segment separators (FHS/BHS/BTS/FTS envelopes are
skipped). Each DFT message is one claim: claim id MSH-10, patient PID-3, course and visit PV1-19, payer IN1-2 (or
IN1-4); one line per charge FT1 (FT1-6 CG or empty): date FT1-4, code FT1-7 (FT1-25 when FT1-7 is not a CPT/HCPCS
code), modifiers FT1-26, units FT1-10, rendering provider FT1-20. A charge pairs with the MDM notes sharing an order
or accession number (FT1-23 and the ORC/OBR before it; TXA-14/15, ORC-2/3, OBR-2/3/18/20 of the note), else the
visit number (PV1-19); several candidates are narrowed to the charge's date, and those left are read together.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import hl7

from rtaudit.claims.model import Claim, InputError, parse_claim

CPT_SYSTEMS = {"C4", "C5", "CPT", "CPT4", "HCPCS", "HC", "HCPT"}
ENVELOPE = ("FHS", "BHS", "BTS", "FTS")
TEXT_TYPES = {"TX", "FT", "ST"}


@dataclass
class _Note:
    id: str
    visit: str
    keys: set[str]
    date: dt.date | None
    text: str | None = None
    document: dict[str, Any] | None = None


@dataclass
class _Charge:
    fields: dict[str, Any]
    keys: set[str] = field(default_factory=set)


def split_messages(text: str) -> tuple[list[str], list[str]]:
    """HL7 text -> (messages with CR separators, problems found outside messages)."""
    segments = [s.strip("\x0b\x1c\ufeff ") for s in text.replace("\r\n", "\r").replace("\n", "\r").split("\r")]
    messages: list[list[str]] = []
    problems: list[str] = []
    for segment in filter(None, segments):
        if segment.startswith(ENVELOPE):
            continue
        if segment.startswith("MSH"):
            messages.append([segment])
        elif messages:
            messages[-1].append(segment)
        elif not problems:
            problems.append(f"segment '{segment[:3]}' before the first MSH")
    return ["\r".join(m) for m in messages], problems


class _Message:
    """A parsed message with safe, unescaped field access."""

    def __init__(self, raw: str) -> None:
        self.message = hl7.parse(raw)
        separators = self.message.separators
        self.rep, self.comp = separators[2], separators[3]

    def segments(self, name: str) -> list[Any]:
        return [s for s in self.message if str(s[0]) == name]

    def repetitions(self, segment: Any, number: int) -> list[list[str]]:
        """Repetitions of a field, each as its components (unescaped)."""
        if segment is None or number >= len(segment):
            return []
        raw = str(segment[number])
        return [[self.message.unescape(c) for c in rep.split(self.comp)] for rep in raw.split(self.rep) if rep]

    def value(self, segment: Any, number: int, component: int = 1) -> str:
        reps = self.repetitions(segment, number)
        return reps[0][component - 1].strip() if reps and len(reps[0]) >= component else ""

    def first(self, name: str) -> Any:
        found = self.segments(name)
        return found[0] if found else None

    def kind(self) -> str:
        msh = self.first("MSH")
        return f"{self.value(msh, 9, 1)}^{self.value(msh, 9, 2)}"


def _date(value: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(value[:8], "%Y%m%d").date() if len(value) >= 8 else None
    except ValueError:
        return None


def _order_keys(message: _Message, segment: Any) -> set[str]:
    name = str(segment[0])
    numbers = {"ORC": (2, 3), "OBR": (2, 3, 18, 20), "TXA": (14, 15), "FT1": (23,)}.get(name, ())
    return {message.value(segment, n) for n in numbers} - {""}


def _note(message: _Message, number: int) -> _Note:
    txa, msh = message.first("TXA"), message.first("MSH")
    keys: set[str] = set()
    for segment in message.message:
        keys |= _order_keys(message, segment)
    date = next((d for d in (_date(message.value(txa, 4)), _date(message.value(txa, 6)),
                             _date(message.value(message.first("OBR"), 7))) if d), None)
    note_id = f"mdm-{message.value(txa, 12) or message.value(msh, 10) or number}"
    lines: list[str] = []
    document = None
    for obx in message.segments("OBX"):
        value_type = message.value(obx, 2).upper()
        if value_type in TEXT_TYPES:
            lines.extend("".join(rep) for rep in message.repetitions(obx, 5))
        elif value_type == "ED" and document is None:
            ed = (message.repetitions(obx, 5) or [[]])[0] + ["", "", "", "", ""]
            if ed[4] and ed[3].lower() == "base64":
                document = {"content": [{"attachment": {"contentType": f"{ed[1]}/{ed[2]}".lower(), "data": ed[4]}}]}
    text = "\n".join(lines).replace("\r\n", "\n").replace("\r", "\n")
    return _Note(id=note_id, visit=message.value(message.first("PV1"), 19), keys=keys, date=date,
                 text=text if text.strip() else None, document=None if text.strip() else document)


def _charge_code(message: _Message, ft1: Any) -> str:
    code, system = message.value(ft1, 7, 1), message.value(ft1, 7, 3).upper()
    if code and (system in CPT_SYSTEMS or (len(code) == 5 and code.isalnum())):
        return code
    return message.value(ft1, 25, 1) or code


def _units(value: str) -> Any:
    if not value:
        return 1
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() else value


def _charges(message: _Message) -> list[_Charge]:
    charges: list[_Charge] = []
    context: set[str] = set()
    for segment in message.message:
        name = str(segment[0])
        if name == "ORC":
            context = _order_keys(message, segment)
        elif name == "OBR":
            context = context | _order_keys(message, segment)
        elif name == "FT1" and message.value(segment, 6).upper() in ("", "CG"):
            date = message.value(segment, 4)
            fields = {"code": _charge_code(message, segment),
                      "modifiers": [r[0] for r in message.repetitions(segment, 26) if r and r[0]],
                      "units": _units(message.value(segment, 10)),
                      "date_of_service": _date(date) or date or None,
                      "rendering_provider": message.value(segment, 20) or None}
            charges.append(_Charge(fields, context | _order_keys(message, segment)))
    return charges


def _pair(charge: _Charge, visit: str, notes: list[_Note]) -> list[_Note]:
    notes = [n for n in notes if n.text or n.document]
    matched = [n for n in notes if n.keys & charge.keys] or [n for n in notes if visit and n.visit == visit]
    date = charge.fields["date_of_service"]
    same_day = [n for n in matched if n.date == date]
    return same_day or matched


def _claim(message: _Message, notes: list[_Note], source: str) -> Claim | InputError:
    msh, pv1, in1 = message.first("MSH"), message.first("PV1"), message.first("IN1")
    visit = message.value(pv1, 19)
    lines, linked = [], {}
    for charge in _charges(message):
        paired = _pair(charge, visit, notes)
        if paired:
            note_id = "+".join(n.id for n in paired)
            if note_id not in linked:
                texts = [n.text for n in paired if n.text]
                linked[note_id] = ({"id": note_id, "text": "\n\n".join(texts)} if texts else
                                   {"id": note_id, "document_reference": paired[0].document})
            charge.fields["note"] = note_id
        lines.append(charge.fields)
    data = {"claim_id": message.value(msh, 10) or None, "patient_id": message.value(message.first("PID"), 3) or None,
            "course_id": visit or None, "payer": message.value(in1, 2) or message.value(in1, 4) or None,
            "lines": lines, "notes": list(linked.values())}
    if not lines:
        return InputError(claim_id=data["claim_id"], source=source, error="DFT^P03 message with no charge (FT1 CG)")
    return parse_claim(data, source)


def claims_from_hl7(text: str, source: str = "HL7") -> list[Claim | InputError]:
    """Every DFT^P03 message of an HL7 v2 batch as a claim, with the MDM^T02 notes paired to its charges."""
    raw_messages, problems = split_messages(text)
    if not raw_messages and not problems:
        problems = ["no HL7 message (MSH) found"]
    items: list[InputError | tuple[str, _Message]] = [InputError(source=source, error=p) for p in problems]
    notes: list[_Note] = []
    for number, raw in enumerate(raw_messages, start=1):
        where = f"{source} message {number}"
        try:
            message = _Message(raw)
            kind = message.kind()
        except Exception as exc:  # noqa: BLE001 - any parser failure is a per-message error record
            items.append(InputError(source=where, error=f"not a valid HL7 v2 message ({type(exc).__name__})"))
            continue
        if kind == "DFT^P03":
            items.append((where, message))
        elif kind.startswith("MDM^"):
            note = _note(message, number)
            if any(n.id == note.id for n in notes):
                note.id = f"{note.id}#{number}"
            notes.append(note)
        else:
            items.append(InputError(claim_id=message.value(message.first("MSH"), 10) or None, source=where,
                                    error=f"message type {kind} is neither DFT^P03 nor MDM^T02"))
    return [item if isinstance(item, InputError) else _claim(item[1], notes, item[0]) for item in items]
