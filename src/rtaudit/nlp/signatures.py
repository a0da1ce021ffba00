"""Signatures: who signed (physician, physicist, other staff), when, and the forms that are not a signature.

"Pending signature", "Dictated but not read", blank signature lines and therapist/dosimetrist-only signatures
are not a physician signature; dictation, transcription and print time stamps are not a signature date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rtaudit.nlp.regexset import lower_same_length

DATE = (
    r"(?:\d{1,2}/\d{1,2}/\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}-\d{1,2}-\d{2,4}|\d{1,2}[- ][A-Za-z]{3,9}\.?[- ]\d{2,4}"
    r"|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.? \d{1,2},? \d{4})"
)
_DATE = re.compile(rf"\b{DATE}\b")
_UNSIGNED = re.compile(
    r"\b(?:pending (?:physician |md |attending )?(?:signature|e-?signature|attestation|review and signature)|"
    r"(?:signature|signed|attestation)[ \t]*[:\-]?[ \t]*(?:pending|required|needed|outstanding|awaited)|"
    r"unsigned|not (?:yet )?(?:been )?(?:e-?)?signed|"
    r"awaiting (?:physician |attending |md )?(?:review and )?(?:signature|attestation|co-?sign(?:ature)?|e-?signature)|"
    r"co-?sign(?:ature)? (?:needed|required|pending)|dictated (?:but|and|,)? ?not (?:read|reviewed|signed)|"
    r"DBNR|preliminary (?:report|note|draft)|draft(?: only)?|incomplete (?:note|documentation))\b",
    re.IGNORECASE,
)
_SIGN_VERB = re.compile(
    r"(?:\b(?:electronically|digitally|e-?)\s*(?:signed|authenticated|attested|approved)\b|"
    r"\b(?:e-?signed|esigned|signed|authenticated|attested|co-?signed|countersigned|approved|verified|"
    r"reviewed and approved|reviewed/approved|signature)\b|/s/)",
    re.IGNORECASE,
)
_PHYSICIAN = re.compile(
    r"\b(?:M\.?D\.?|D\.?O\.?|MBBS|MBChB|FRCPC|radiation oncologist|attending(?: physician)?)(?![\w])|\bDr\.?\s+[A-Z]",
    re.IGNORECASE,
)
_PHYSICIST = re.compile(r"\b(?:Ph\.?D\.?|DABR|QMP|M\.?S\.?(?=[,\s]+DABR)|MS,? DABR|medical physicist|physicist)\b",
                        re.IGNORECASE)
_OTHER_STAFF = re.compile(
    r"\b(?:R\.?T\.?T\.?|CMD|CNMT|RT|RTT|RN|BSN|NP|PA-?C|LPN|MA|CMA|scribe|dosimetrist|therapist|"
    r"technologist|tech|nurse|transcription(?:ist)?|coder|CPC)\b|\bRT\s?\([TNRM]\)",
    re.IGNORECASE,
)
_NOT_SIGNATURE_CONTEXT = re.compile(
    r"\b(?:dictated|transcribed|printed|typed|entered|D:|T:)\s*(?:on|by|at|:)?\s*$", re.IGNORECASE
)
_BLANK_SIGNER = re.compile(r"^\s*(?:by)?\s*[:\-]?\s*(?:_{2,}|\[\s*\]|\s*$)")
_DATE_FIELD = re.compile(rf"\b(?:date(?: signed)?|signed on|signature date)\s*[:\-]?\s*(?P<value>{DATE}|_{{2,}}|\s*$)",
                         re.IGNORECASE)


#: Words one of which every signature form or unsigned form contains (a cheap filter before the regexes).
_SIGNATURE_WORDS = ("sign", "attest", "authenticat", "approv", "verif", "/s/", "dictated", "dbnr", "draft",
                    "preliminary", "incomplete")
_SIGNATURE_WORD = re.compile("|".join(re.escape(word) for word in _SIGNATURE_WORDS))


@dataclass(frozen=True)
class SignatureMention:
    """A signature-related mention. ``status`` is forced (not left to the assertion layer)."""

    label: str
    start: int
    end: int
    status: str
    rule: str
    value: dict[str, str] = field(default_factory=dict)


def _role(text: str) -> str:
    if _PHYSICIAN.search(text):
        return "physician"
    if _PHYSICIST.search(text):
        return "physicist"
    if _OTHER_STAFF.search(text):
        return "other"
    return "unknown"


def find_signatures(text: str) -> list[SignatureMention]:
    """Signature and signature-date mentions, line by line."""
    mentions: list[SignatureMention] = []
    offset = 0
    lines = text.split("\n")
    lower = lower_same_length(text)
    if not _SIGNATURE_WORD.search(lower):
        return mentions
    for index, line in enumerate(lines):
        line_start = offset
        offset += len(line) + 1
        if not _SIGNATURE_WORD.search(lower, line_start, line_start + len(line)):
            continue
        unsigned = _UNSIGNED.search(line)
        if unsigned:
            mentions.append(SignatureMention("physician_signature", line_start + unsigned.start(),
                                             line_start + unsigned.end(), "negated", "physician_signature/unsigned",
                                             {"cue": unsigned.group(0)}))
            continue
        verb = _SIGN_VERB.search(line)
        if not verb:
            continue
        after = line[verb.end():]
        before = line[:verb.start()]
        if _BLANK_SIGNER.match(after) and not re.search(r"[A-Za-z]{2,}.*\b(?:MD|DO|PhD|DABR)\b", before):
            continue
        signer_text = after if re.search(r"[A-Za-z]", after) else before
        role = _role(signer_text) if _role(signer_text) != "unknown" else _role(line)
        has_name = bool(re.search(r"[A-Z][a-z]+|[A-Z]\.\s*[A-Z]", signer_text))
        if not has_name or (role == "unknown" and not re.search(r"\bby\b|/s/|:", line[verb.start():])):
            continue
        status = "present" if role in ("physician", "physicist", "unknown") else "negated"
        rule = f"physician_signature/{role}"
        mentions.append(SignatureMention("physician_signature", line_start + verb.start(), line_start + len(line),
                                         status, rule, {"role": role}))
        if status != "present":
            continue
        date = _signature_date(line, verb.end())
        if date is not None:
            mentions.append(SignatureMention("signature_date", line_start + date[0], line_start + date[1],
                                             "present", "signature_date/on-signature-line"))
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        date_field = _DATE_FIELD.search(following)
        if date_field and _DATE.search(date_field.group("value") or ""):
            start = offset + date_field.start("value")
            mentions.append(SignatureMention("signature_date", start, start + len(date_field.group("value")),
                                             "present", "signature_date/next-line"))
    return mentions


def _signature_date(line: str, after: int) -> tuple[int, int] | None:
    """The first date after the signing verb that is not a dictation/transcription stamp."""
    for match in _DATE.finditer(line, after):
        if _NOT_SIGNATURE_CONTEXT.search(line[max(after, match.start() - 20):match.start()]):
            continue
        return match.start(), match.end()
    return None
