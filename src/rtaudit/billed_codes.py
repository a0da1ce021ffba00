"""Billed codes written in a note (``CPT: 77290``, ``Billing: 77290-26``, ``Codes billed: 77290, 77293``)."""

from __future__ import annotations

import re

_BILLING_LINE = re.compile(
    r"^[ \t*>-]*(?:CPT|HCPCS|CPT/HCPCS|billing|billed|bill|charges?|charge codes?|codes? billed|billing codes?|"
    r"procedure codes?|codes?)(?: codes?| code\(s\)| billed)?[ \t]*(?:[:#=]|-\s)[ \t]*(?P<value>[^\n]*)",
    re.IGNORECASE | re.MULTILINE,
)
_CODE = re.compile(r"(?<![\w.])(?P<code>77\d{3}|G0\d{3})(?:-(?P<modifier>[0-9A-Z]{2}))*(?![\w.])")


def billed_codes_in(text: str) -> list[str]:
    """The codes named on billing lines of a note, in order of first appearance, without modifiers."""
    codes: list[str] = []
    for line in _BILLING_LINE.finditer(text):
        for found in _CODE.finditer(line.group("value")):
            if found.group("code") not in codes:
                codes.append(found.group("code"))
    return codes
