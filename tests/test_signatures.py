"""Physician signatures and signature dates: what counts and what does not."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("line", [
    "Electronically signed by Hollis Testwell, MD on 03/04/2025 16:42",
    "e-signed V. Testwell MD 04/03/25 11:07",
    "Signed: Corinne Testwell-Lowe, MD    03/11/2025 11:48",
    "Reviewed: Priya Testwell, MD - electronically signed 04/02/2025 16:02",
    "Electronically signed: Mireille Testwell, MD 03/13/2025 10:05",
    "Attested by Dr. Ann Testwell on 2025-03-14",
])
def test_physician_signature_with_date(findings_of, line):
    findings = findings_of(f"Plan approved.\n{line}\n")
    assert findings["physician_signature"].status == "present"
    assert findings["physician_signature"].value["role"] == "physician"
    assert findings["signature_date"].status == "present"


@pytest.mark.parametrize("line", [
    "Attending physician signature: Pending signature",
    "*** DICTATED BUT NOT READ ***",
    "Transcribed 03/27/2025 09:12 by TX-088. Awaiting physician review and signature.",
    "Status: UNSIGNED",
])
def test_unsigned_forms_negate_the_signature(findings_of, line):
    findings = findings_of(f"CT simulation performed.\n{line}\n")
    assert findings["physician_signature"].status == "negated"
    assert "signature_date" not in findings


def test_blank_signature_date_is_not_a_date(findings_of):
    findings = findings_of("Physician signature: /s/ Rhiannon Testwell, MD          Date: ______________\n")
    assert findings["physician_signature"].status == "present"
    assert "signature_date" not in findings


def test_date_on_the_line_below_the_signature(findings_of):
    findings = findings_of("Signature: Ada Testwell, MD\nDate: 03/05/2025\n")
    assert findings["signature_date"].status == "present"


def test_therapist_signature_is_not_a_physician_signature(findings_of):
    findings = findings_of("Simulation performed.\nSigned by: D. Testwell, RT(T) 03/04/2025\n")
    finding = findings.get("physician_signature")
    assert finding is None or finding.status != "present"


def test_physicist_signature_is_recorded_as_physicist(findings_of):
    findings = findings_of("Electronically signed by Greta Testwell, MS, DABR on 04/07/2025 at 14:30.\n")
    assert findings["physician_signature"].value["role"] == "physicist"


def test_dictation_stamp_is_not_a_signature_date(findings_of):
    findings = findings_of("Dictated by Dr. Ada Testwell. Dictated: 03/04/2025 14:02\nPending signature\n")
    assert "signature_date" not in findings


def test_signed_prescription_without_signer_is_not_a_signature(findings_of):
    findings = findings_of("Prescription:      On file, signed 03/20/2025 - 55 Gy in 20 fractions\n")
    assert "physician_signature" not in findings


def test_later_signature_after_dictation_wins(findings_of):
    text = ("DICTATED BUT NOT READ\n\nADDENDUM 03/06/2025\n"
            "Electronically signed by Ada Testwell, MD on 03/06/2025 09:00\n")
    assert findings_of(text)["physician_signature"].status == "present"
