"""Every input format to the claim model: JSON claims, HL7 v2 DFT^P03 + MDM^T02 (CR or LF), FHIR Claim / Bundle /
DocumentReference; malformed input becomes per-claim error records that never quote the input."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from rtaudit.claims.fhir import claims_from_fhir
from rtaudit.claims.hl7 import claims_from_hl7
from rtaudit.claims.inputs import read_claims
from rtaudit.claims.model import Claim, InputError, parse_claim

FIXTURES = Path(__file__).parent / "fixtures" / "claims"
NOTES = FIXTURES / "notes"
SECRET = "Zyxwv-Patient-Quux"


def valid_claim(**changes):
    data = {"claim_id": "C-1", "patient_id": "P-1", "course_id": "K-1", "payer": "medicare", "place_of_service": "11",
            "lines": [{"code": "77290", "modifiers": ["26"], "units": 1, "date_of_service": "2025-03-18",
                       "note": "n1"}],
            "notes": [{"id": "n1", "text": "CT simulation note"}]}
    data.update(changes)
    return data


# the claim model
def test_claim_model_normalises_codes_and_modifiers():
    data = valid_claim()
    data["lines"][0].update(code=" 77290 ", modifiers=["tc"])
    claim = parse_claim(data, "test")
    assert isinstance(claim, Claim)
    assert claim.lines[0].code == "77290" and claim.lines[0].modifiers == ["TC"]
    assert claim.lines[0].date_of_service == dt.date(2025, 3, 18)


@pytest.mark.parametrize("change,field", [
    ({"lines": []}, "lines"),
    ({"place_of_service": "office"}, "place_of_service"),
    ({"notes": [{"id": "n1"}]}, "notes.0"),
    ({"notes": [{"id": "n1", "text": SECRET, "path": "a.txt"}]}, "notes.0"),
    ({"notes": []}, "line 1 links note 'n1'"),
])
def test_bad_claims_become_error_records_naming_the_field(change, field):
    result = parse_claim(valid_claim(**change), "stdin line 4")
    assert isinstance(result, InputError) and result.decision == "error"
    assert result.claim_id == "C-1" and result.source == "stdin line 4" and field in result.error
    assert SECRET not in result.error


def test_error_records_never_quote_the_bad_value():
    data = valid_claim()
    data["lines"][0]["units"] = SECRET
    data["notes"][0]["text"] = 12
    result = parse_claim(data, "x")
    assert isinstance(result, InputError) and "lines.0.units" in result.error and SECRET not in result.error


# HL7 v2
def test_hl7_batch_pairs_charges_with_notes_by_order_number():
    claims = claims_from_hl7((FIXTURES / "ro_batch.hl7").read_text(encoding="utf-8"))
    first, second = claims
    assert isinstance(first, Claim) and isinstance(second, Claim)
    assert (first.claim_id, first.patient_id, first.course_id, first.payer) == ("DFT-1001", "TST-001515", "V-1515",
                                                                               "MEDICARE")
    assert [(line.code, line.modifiers, line.units, str(line.date_of_service)) for line in first.lines] == [
        ("77290", ["26"], 1, "2025-03-18"), ("77293", ["26"], 1, "2025-03-18"), ("77295", ["26"], 1, "2025-03-18")]
    notes = {n.id: n.text for n in first.notes}
    assert first.lines[0].note == first.lines[1].note == "mdm-DOC-SIM-1" and first.lines[2].note == "mdm-DOC-PLAN-1"
    assert notes["mdm-DOC-SIM-1"] == (NOTES / "sim_4dct.txt").read_text(encoding="utf-8").rstrip("\n")
    assert first.lines[0].rendering_provider == "1234567890"
    # no order number in common: paired by visit number
    assert second.lines[0].note == "mdm-DOC-SIM-2" and second.course_id == "V-2000"


def test_hl7_line_feed_and_crlf_separators_read_the_same():
    text = (FIXTURES / "ro_batch.hl7").read_text(encoding="utf-8")
    expected = [c.model_dump() for c in claims_from_hl7(text)]
    assert [c.model_dump() for c in claims_from_hl7(text.replace("\r", "\n"))] == expected
    assert [c.model_dump() for c in claims_from_hl7(text.replace("\r", "\r\n"))] == expected


def _segment(name: str, fields: dict[int, str]) -> str:
    values = [""] * max(fields)
    for number, value in fields.items():
        values[number - 1] = value
    return "|".join([name, *values])


def _message(*segments: str) -> str:
    return "\r".join(["MSH|^~\\&|ROIS|RADONC|BILL|HOSP|202503181200||DFT^P03|M-9|P|2.5", *segments])


def test_hl7_escapes_repeated_modifiers_and_fallback_procedure_code():
    visit = _segment("PV1", {1: "1", 2: "O", 19: "V-9"})
    dft = _message(visit,
                   _segment("FT1", {1: "1", 4: "20250318", 6: "CG", 7: "CDM-77", 10: "2", 25: "77285^sim^C4",
                                    26: "26~59"}))
    mdm = ("MSH|^~\\&|ROIS|RADONC|BILL|HOSP|202503181200||MDM^T02|M-10|P|2.5\r" + visit + "\r"
           "TXA|1|RO|TX|20250318\rOBX|1|TX|||Breast \\T\\ chest wall\\.br\\second line~third line")
    (claim,) = claims_from_hl7(dft + "\r" + mdm)
    assert isinstance(claim, Claim)
    assert (claim.lines[0].code, claim.lines[0].modifiers, claim.lines[0].units) == ("77285", ["26", "59"], 2)
    assert claim.notes[0].text == "Breast & chest wall\nsecond line\nthird line"


def test_hl7_charge_without_a_note_has_no_note_link():
    (claim,) = claims_from_hl7(_message("FT1|1|||20250318||CG|77290^sim^C4|||1"))
    assert isinstance(claim, Claim) and claim.lines[0].note is None and claim.notes == []


def test_malformed_hl7_messages_are_error_records_and_the_rest_still_convert():
    good = _message("FT1|1|||20250318||CG|77290^sim^C4|||1")
    bad_date = _message("FT1|1|||2025-99||CG|77290^sim^C4|||1").replace("M-9", "M-BAD")
    no_charges = _message("PV1|1|O").replace("M-9", "M-EMPTY")
    other_type = _message().replace("DFT^P03", "ADT^A01").replace("M-9", "M-ADT")
    text = "\n".join(["PID|1||orphan", good, bad_date, no_charges, other_type])
    results = claims_from_hl7(text)
    errors = [r for r in results if isinstance(r, InputError)]
    assert [r.claim_id for r in results if isinstance(r, Claim)] == ["M-9"]
    assert [e.claim_id for e in errors] == [None, "M-BAD", "M-EMPTY", "M-ADT"]
    assert "before the first MSH" in errors[0].error and "date_of_service" in errors[1].error
    assert "no charge" in errors[2].error and "ADT^A01" in errors[3].error


def test_hl7_shared_interop_examples_convert():
    dft = (FIXTURES / "interop" / "fhirconverter_DFT-P03-01.hl7").read_text(encoding="utf-8")
    mdm = (FIXTURES / "interop" / "fhirconverter_MDM-T02-02.hl7").read_text(encoding="utf-8")
    (claim,) = claims_from_hl7(dft + "\n" + mdm)
    assert isinstance(claim, Claim)
    assert claim.claim_id == "MSG00001" and claim.patient_id == "PATID1234" and claim.payer == "BAV"
    # FT1-7 carries the CPT code on line 1; line 2's FT1-7 is not a CPT code, so FT1-25 is used
    assert [(line.code, line.modifiers, line.units) for line in claim.lines] == [("71045", ["26"], 2),
                                                                                 ("99011", [], 1)]


def test_garbage_that_is_not_hl7_is_one_error():
    (error,) = claims_from_hl7("hello\nworld")
    assert isinstance(error, InputError) and "before the first MSH" in error.error


# FHIR R4
def _bundle():
    return json.loads((FIXTURES / "ro_bundle.json").read_text(encoding="utf-8"))


def test_fhir_bundle_claim_with_document_references():
    (claim,) = claims_from_fhir(_bundle(), "stdin")
    assert isinstance(claim, Claim)
    assert (claim.claim_id, claim.patient_id, claim.course_id, claim.payer, claim.place_of_service) == (
        "FHIR-2001", "TST-001515", "K-1515", "medicare", "11")
    assert [(line.code, line.modifiers, line.note) for line in claim.lines] == [
        ("77290", ["26"], "DocumentReference/sim"), ("77293", ["26"], "DocumentReference/sim"),
        ("77295", ["26"], "DocumentReference/plan")]
    assert claim.lines[0].rendering_provider == "1234567890"
    assert {n.id for n in claim.notes} == {"DocumentReference/sim", "DocumentReference/plan"}


def test_fhir_claim_with_contained_document_is_linked_to_every_line():
    bundle = _bundle()
    claim_resource = bundle["entry"][0]["resource"]
    document = copy.deepcopy(bundle["entry"][1]["resource"])
    document["id"] = "note1"
    claim_resource["contained"] = [document]
    claim_resource["supportingInfo"] = claim_resource["supportingInfo"][:1]
    for item in claim_resource["item"]:
        del item["informationSequence"]
    (claim,) = claims_from_fhir(claim_resource, "stdin")
    assert isinstance(claim, Claim) and {line.note for line in claim.lines} == {"#note1"}


def test_fhir_reference_to_a_missing_document_is_an_error():
    bundle = _bundle()
    del bundle["entry"][2]
    (error,) = claims_from_fhir(bundle, "stdin")
    assert isinstance(error, InputError) and "DocumentReference/plan" in error.error


def test_fhir_resources_that_are_not_claims_are_errors():
    (error,) = claims_from_fhir({"resourceType": "Patient"}, "stdin")
    assert isinstance(error, InputError) and "not a Claim or a Bundle" in error.error
    (error,) = claims_from_fhir({"resourceType": "Bundle", "entry": []}, "stdin")
    assert isinstance(error, InputError) and "no Claim" in error.error


def test_fhir_shared_interop_claim_converts():
    resource = json.loads((FIXTURES / "interop" / "claim-example-cms1500-medical.json").read_text(encoding="utf-8"))
    (claim,) = claims_from_fhir(resource, "stdin")
    assert isinstance(claim, Claim)
    assert (claim.claim_id, claim.patient_id, claim.payer, claim.place_of_service) == ("MED-00050", "patient-1",
                                                                                       "Humana Inc.", "24")
    assert [(line.code, str(line.date_of_service)) for line in claim.lines] == [("62264", "2015-10-13")]


def test_fhir_document_reference_attachment_decoding():
    from rtaudit.claims.fhir import attachment_of

    document = {"content": [{"attachment": {"contentType": "text/plain",
                                            "data": base64.b64encode(b"note text").decode()}}]}
    assert attachment_of(document).data == b"note text"
    shared = json.loads((FIXTURES / "interop" / "documentreference-example.json").read_text(encoding="utf-8"))
    assert attachment_of(shared).url.startswith("http://example.org/")
    with pytest.raises(ValueError, match="not valid base64"):
        attachment_of({"content": [{"attachment": {"data": "@@@"}}]})
    with pytest.raises(ValueError, match="no attachment"):
        attachment_of({"content": []})


# telling the formats apart on standard input
def _read(text: str | bytes):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return list(read_claims(io.BytesIO(data)))


def test_input_json_lines_one_claim_per_line_with_bad_lines_as_errors():
    lines = [json.dumps(valid_claim()), "", "{not json", json.dumps(valid_claim(claim_id="C-2")), "[1]"]
    items = _read("\n".join(lines) + "\n")
    assert [(source, getattr(item, "claim_id", None), type(item).__name__) for source, item in items] == [
        ("stdin line 1", "C-1", "Claim"), ("stdin line 3", None, "InputError"), ("stdin line 4", "C-2", "Claim"),
        ("stdin line 5 item 1", None, "InputError")]


def test_input_one_pretty_printed_document_or_list():
    items = _read(json.dumps([valid_claim(), valid_claim(claim_id="C-2")], indent=2))
    assert [item.claim_id for _, item in items] == ["C-1", "C-2"]
    (item,) = [i for _, i in _read(json.dumps(valid_claim(), indent=2))]
    assert isinstance(item, Claim)


def test_input_broken_document_is_one_error_with_its_line():
    text = json.dumps(valid_claim(), indent=2)
    text = text.replace('"payer": "medicare",', '"payer": "medicare"')
    ((source, error),) = _read("\n" + text)
    assert isinstance(error, InputError) and "not valid JSON" in error.error and "line " in error.error


def test_input_hl7_and_fhir_are_recognised():
    hl7_items = _read((FIXTURES / "ro_batch.hl7").read_bytes())
    assert [item.claim_id for _, item in hl7_items] == ["DFT-1001", "DFT-1002"]
    fhir_items = _read((FIXTURES / "ro_bundle.json").read_bytes())
    assert [item.claim_id for _, item in fhir_items] == ["FHIR-2001"]


def test_input_not_utf8_is_an_error():
    ((_, item),) = _read(b"\xff\xfe{}\n")
    assert isinstance(item, InputError) and "not UTF-8" in item.error


def test_hl7_mdm_without_content_is_not_paired_and_pdf_attachments_are_kept_for_the_reader():
    visit = _segment("PV1", {1: "1", 2: "O", 19: "V-9"})
    dft = _message(visit, "FT1|1|||20250318||CG|77290^sim^C4|||1")
    empty = "\r".join(["MSH|^~\\&|A|B|||||MDM^T02|M-20|P|2.5", visit, "TXA|1|RO|TX|20250318",
                       "OBX|1|ED|x||^application^pdf^Base64^"])
    (claim,) = claims_from_hl7(dft + "\r" + empty)
    assert isinstance(claim, Claim) and claim.lines[0].note is None
    pdf = empty.replace("Base64^", "Base64^" + base64.b64encode(b"%PDF-1.4 ...").decode())
    (claim,) = claims_from_hl7(dft + "\r" + pdf)
    (note,) = claim.notes
    assert note.document_reference["content"][0]["attachment"]["contentType"] == "application/pdf"
