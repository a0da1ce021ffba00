"""What ``rtaudit hook`` reads: JSON lines (streamed, one decision per line as it arrives), one JSON document (a
claim, a list of claims, or a FHIR Claim/Bundle), or an HL7 v2 batch; the kind is told from the first line."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from rtaudit.claims.fhir import claims_from_fhir
from rtaudit.claims.hl7 import claims_from_hl7
from rtaudit.claims.model import Claim, InputError, parse_claim

Item = tuple[str, Claim | InputError]
HL7_STARTS = ("MSH", "FHS", "BHS", "\x0bMSH")


def claims_from_json(value: Any, source: str) -> list[Claim | InputError]:
    """A parsed JSON value: a claim, a FHIR resource, or a list of either."""
    if isinstance(value, list):
        return [c for n, v in enumerate(value, start=1) for c in claims_from_json(v, f"{source} item {n}")]
    if isinstance(value, dict) and "resourceType" in value:
        return claims_from_fhir(value, source)
    if isinstance(value, dict):
        return [parse_claim(value, source)]
    return [InputError(source=source, error=f"expected a claim object, got {type(value).__name__}")]


def _decode(raw: bytes, source: str) -> str | InputError:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return InputError(source=source, error=f"not UTF-8 (byte {exc.start})")


def _json_error(exc: json.JSONDecodeError) -> str:
    return f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"


def _labelled(items: list[Claim | InputError], source: str) -> Iterator[Item]:
    for item in items:
        yield (item.source if isinstance(item, InputError) else source), item


def read_claims(stream: Iterable[bytes], name: str = "stdin") -> Iterator[Item]:
    """(source, claim or error record) for every claim of a byte stream, yielded as soon as each is read."""
    lines = iter(stream)
    number, first = 0, ""
    for raw in lines:
        number += 1
        decoded = _decode(raw, f"{name} line {number}")
        if isinstance(decoded, InputError):
            yield decoded.source, decoded
            return
        if decoded.strip():
            first = decoded
            break
    if not first:
        return
    if first.lstrip().startswith(HL7_STARTS):
        rest = _decode(b"".join(lines), f"{name} after line {number}")
        if isinstance(rest, InputError):
            yield rest.source, rest
            return
        yield from _labelled(claims_from_hl7(first + rest, name), name)
        return
    try:
        value = json.loads(first)
    except json.JSONDecodeError:
        yield from _document(first, lines, number, name)
        return
    yield from _labelled(claims_from_json(value, f"{name} line {number}"), f"{name} line {number}")
    yield from _json_lines(lines, number, name)


def _json_lines(lines: Iterator[bytes], number: int, name: str) -> Iterator[Item]:
    for raw in lines:
        number += 1
        source = f"{name} line {number}"
        text = _decode(raw, source)
        if isinstance(text, InputError):
            yield source, text
            continue
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            yield source, InputError(source=source, error=_json_error(exc))
            continue
        yield from _labelled(claims_from_json(value, source), source)


def _document(first: str, lines: Iterator[bytes], number: int, name: str) -> Iterator[Item]:
    rest = _decode(b"".join(lines), name)
    if isinstance(rest, InputError):
        yield rest.source, rest
        return
    try:
        value = json.loads(first + rest)
    except json.JSONDecodeError as exc:
        yield name, InputError(source=name, error=_json_error(exc).replace(
            f"line {exc.lineno},", f"line {exc.lineno + number - 1},"))
        return
    yield from _labelled(claims_from_json(value, name), name)
