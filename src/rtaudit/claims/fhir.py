"""FHIR R4 input: a Claim (with contained or bundled DocumentReferences) or a Bundle holding Claims and
DocumentReferences, converted to the claim model. Items link notes through ``informationSequence`` ->
``supportingInfo`` (a DocumentReference reference or an inline attachment); when no item names a note and exactly
one DocumentReference came with the claim, it is linked to every line.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from rtaudit.claims.model import Claim, InputError, parse_claim

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
CODE_SYSTEMS = ("cpt", "hcpcs")
COURSE_CATEGORIES = {"course", "course-id", "courseid", "episode", "episodeofcare"}


@dataclass(frozen=True)
class Attachment:
    """The note content of a DocumentReference: decoded ``data`` or a ``url`` to follow."""

    data: bytes | None
    url: str | None
    content_type: str | None


def attachment_of(document: dict[str, Any]) -> Attachment:
    """The first attachment of a DocumentReference with data or a url; ValueError when there is none."""
    for content in document.get("content") or []:
        attachment = content.get("attachment") if isinstance(content, dict) else None
        if not isinstance(attachment, dict):
            continue
        content_type = attachment.get("contentType")
        if isinstance(attachment.get("data"), str):
            encoded = attachment["data"]
            if len(encoded) > MAX_ATTACHMENT_BYTES * 4 // 3 + 4:
                raise ValueError(f"attachment over the {MAX_ATTACHMENT_BYTES}-byte limit")
            try:
                return Attachment(base64.b64decode(encoded, validate=True), None, content_type)
            except (binascii.Error, ValueError):
                raise ValueError("attachment data is not valid base64") from None
        if isinstance(attachment.get("url"), str):
            return Attachment(None, attachment["url"], content_type)
    raise ValueError("the DocumentReference has no attachment with data or a url")


def _first_code(concept: Any) -> str | None:
    codings = concept.get("coding") if isinstance(concept, dict) else None
    if not isinstance(codings, list) or not codings:
        return None
    preferred = [c for c in codings if isinstance(c, dict) and any(s in str(c.get("system", "")).lower()
                                                                     for s in CODE_SYSTEMS)]
    chosen = (preferred or [c for c in codings if isinstance(c, dict)] or [None])[0]
    return chosen.get("code") if chosen else None


def _reference_id(reference: Any) -> str | None:
    """``{"reference": "Patient/p1"}`` or ``"#p1"`` -> ``"p1"``; identifiers and displays as fallbacks."""
    if not isinstance(reference, dict):
        return None
    ref = reference.get("reference")
    if isinstance(ref, str) and ref:
        return ref.lstrip("#").rsplit("/", 1)[-1]
    identifier = reference.get("identifier")
    if isinstance(identifier, dict) and identifier.get("value"):
        return str(identifier["value"])
    return reference.get("display")


def _payer(claim: dict[str, Any]) -> str | None:
    insurer = claim.get("insurer")
    if isinstance(insurer, dict):
        return insurer.get("display") or _reference_id(insurer)
    return None


def _course(claim: dict[str, Any]) -> str | None:
    for info in claim.get("supportingInfo") or []:
        if isinstance(info, dict) and str(_first_code(info.get("category")) or "").lower() in COURSE_CATEGORIES:
            value = info.get("valueString") or _reference_id(info.get("valueReference")) or \
                _reference_id({"identifier": info.get("valueIdentifier")})
            if value:
                return str(value)
    return None


def _date(item: dict[str, Any]) -> str | None:
    if item.get("servicedDate"):
        return str(item["servicedDate"])[:10]
    period = item.get("servicedPeriod")
    return str(period["start"])[:10] if isinstance(period, dict) and period.get("start") else None


def _units(item: dict[str, Any]) -> Any:
    value = (item.get("quantity") or {}).get("value", 1) if isinstance(item.get("quantity"), dict) else 1
    return int(value) if isinstance(value, float) and value.is_integer() else value


class _Converter:
    """One FHIR Claim and the DocumentReferences that came with it -> claim data."""

    def __init__(self, claim: dict[str, Any], documents: dict[str, dict[str, Any]]) -> None:
        contained = {f"#{r['id']}": r for r in claim.get("contained") or []
                     if isinstance(r, dict) and r.get("resourceType") == "DocumentReference" and r.get("id")}
        self.claim = claim
        self.documents = documents | contained
        self.notes: dict[str, dict[str, Any]] = {}
        self.info = {i.get("sequence"): i for i in claim.get("supportingInfo") or [] if isinstance(i, dict)}
        self.team = {t.get("sequence"): t for t in claim.get("careTeam") or [] if isinstance(t, dict)}

    def _note_for(self, item: dict[str, Any]) -> str | None:
        for sequence in item.get("informationSequence") or []:
            info = self.info.get(sequence) or {}
            if isinstance(info.get("valueAttachment"), dict):
                key = f"supportingInfo-{sequence}"
                self.notes[key] = {"content": [{"attachment": info["valueAttachment"]}]}
                return key
            ref = (info.get("valueReference") or {}).get("reference") if isinstance(info.get("valueReference"),
                                                                                      dict) else None
            if isinstance(ref, str):
                document = self.documents.get(ref) or self.documents.get(ref.rsplit("/", 1)[-1])
                if document is None:
                    raise ValueError(f"supportingInfo {sequence} refers to {ref}, which did not come with the claim")
                self.notes[ref] = document
                return ref
        return None

    def _provider(self, item: dict[str, Any]) -> str | None:
        for sequence in item.get("careTeamSequence") or []:
            member = self.team.get(sequence)
            if member:
                return _reference_id(member.get("provider"))
        return None

    def convert(self) -> dict[str, Any]:
        claim = self.claim
        identifiers = [i.get("value") for i in claim.get("identifier") or [] if isinstance(i, dict)]
        items = [i for i in claim.get("item") or [] if isinstance(i, dict)]
        lines = [{"code": _first_code(item.get("productOrService")),
                  "modifiers": [c for c in (_first_code(m) for m in item.get("modifier") or []) if c],
                  "units": _units(item), "date_of_service": _date(item), "rendering_provider": self._provider(item),
                  "note": self._note_for(item)} for item in items]
        unique = {id(d): key for key, d in self.documents.items()}
        if not self.notes and len(unique) == 1:
            (key,) = unique.values()
            self.notes[key] = self.documents[key]
            for line in lines:
                line["note"] = key
        places = [_first_code(i.get("locationCodeableConcept")) for i in items if i.get("locationCodeableConcept")]
        return {"claim_id": next((v for v in identifiers if v), None) or claim.get("id"),
                "patient_id": _reference_id(claim.get("patient")), "course_id": _course(claim),
                "payer": _payer(claim), "place_of_service": places[0] if places else None, "lines": lines,
                "notes": [{"id": key, "document_reference": doc} for key, doc in self.notes.items()]}


def _documents(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    documents: dict[str, dict[str, Any]] = {}
    for entry in entries:
        resource = entry.get("resource")
        if isinstance(resource, dict) and resource.get("resourceType") == "DocumentReference":
            key = f"DocumentReference/{resource.get('id', len(documents))}"
            documents[key] = resource
            if entry.get("fullUrl"):
                documents[str(entry["fullUrl"])] = resource
    return documents


def _claim_from(resource: dict[str, Any], documents: dict[str, dict[str, Any]], source: str) -> Claim | InputError:
    try:
        data = _Converter(resource, documents).convert()
    except ValueError as exc:
        return InputError(claim_id=resource.get("id"), source=source, error=str(exc))
    return parse_claim(data, source)


def claims_from_fhir(resource: dict[str, Any], source: str) -> list[Claim | InputError]:
    """Claims of a FHIR Claim or Bundle; anything else is an error record."""
    kind = resource.get("resourceType")
    if kind == "Claim":
        return [_claim_from(resource, {}, source)]
    if kind == "Bundle":
        entries = [e for e in resource.get("entry") or [] if isinstance(e, dict)]
        documents = _documents(entries)
        claims = [e["resource"] for e in entries
                  if isinstance(e.get("resource"), dict) and e["resource"].get("resourceType") == "Claim"]
        if not claims:
            return [InputError(source=source, error="the FHIR Bundle holds no Claim")]
        return [_claim_from(claim, documents, f"{source}, Claim {n}") for n, claim in enumerate(claims, start=1)]
    return [InputError(source=source, error=f"FHIR resource '{str(kind)[:40]}' is not a Claim or a Bundle")]
