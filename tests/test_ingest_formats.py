"""Every reader on real-shaped files built here (python-docx, fpdf2, RTF, HL7 v2 MDM^T02, FHIR R4): the text that
reaches the checker, what was detected, and the verdict the note then gets."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from fixtures.scan.note_files import (
    COMPLEX_SIM,
    DOWNCODE_SIM,
    bundle,
    document_reference,
    hl7_message,
    html_document,
    pdf_bytes,
    rtf_document,
    write_docx,
    write_fhir,
    write_txt,
)
from rtaudit.ingest import IngestError, ReadLimits, read_any, read_bytes

FIXTURES = Path(__file__).parent / "fixtures" / "scan"
KEY_LINES = ("Planning CT of the chest was acquired with 2.5 mm slices. IV contrast: none.",
             "Left whole breast, one treatment area, treated with medial and lateral tangential fields.",
             "Electronically signed by Ada Testwell, MD on 03/04/2025 16:42")


def _verdicts(text: str) -> list[tuple[str, str, str | None]]:
    from rtaudit.api import check_note

    return [(c.code, c.verdict, c.supported_code) for c in check_note(text).codes]


@pytest.mark.parametrize(("encoding", "bom", "crlf", "detected"), [
    ("utf-8", False, False, "utf-8"), ("utf-8", True, True, "utf-8-bom"), ("cp1252", False, True, "cp1252"),
    ("latin-1", False, False, "cp1252"),
])
def test_text_exports_in_every_encoding(tmp_path, encoding, bom, crlf, detected):
    text = COMPLEX_SIM.replace("Diagnosis:", "Diagnóstico (café) ≥ 2:" if encoding == "utf-8" else "Diagnóstico:")
    note = read_any(write_txt(tmp_path / "note.txt", text, encoding, bom, crlf))
    assert (note.format, note.encoding) == ("txt", detected)
    assert note.text == text and "\r" not in note.text
    assert _verdicts(note.text) == [("77290", "supported", "77290")]


def test_rtf_with_code_page_escapes_and_table_rows(tmp_path):
    text = COMPLEX_SIM.replace("Attending: Ada Testwell, MD", "Attending: Zoë Testwell, MD")
    path = tmp_path / "note.rtf"
    path.write_bytes(rtf_document(text))
    note = read_any(path)
    assert (note.format, note.encoding) == ("rtf", "cp1252")
    assert "Attending: Zoë Testwell, MD" in note.text  # \'eb decoded, table row read as "Key: value"
    assert "Date of service: 03/04/2025" in note.text
    assert all(line in note.text for line in KEY_LINES)
    assert "Riched20" not in note.text and "Arial" not in note.text  # destinations and tables are not text
    assert _verdicts(note.text) == [("77290", "supported", "77290")]


def test_docx_paragraphs_tables_header_and_footer_in_order(tmp_path):
    note = read_any(write_docx(tmp_path / "note.docx", COMPLEX_SIM))
    assert (note.format, note.encoding) == ("docx", "utf-8")
    lines = note.text.splitlines()
    assert lines[0] == "Lakeside Radiation Center (TEST ENVIRONMENT)"  # header first
    assert "Date of service: 03/04/2025" in lines  # a two-column table row
    assert lines[-1] == KEY_LINES[2]  # the signature lives in the footer
    assert _verdicts(note.text) == [("77290", "supported", "77290")]


def test_docx_headers_of_every_section_once_and_linked_sections_skipped(tmp_path):
    import docx
    from docx.enum.section import WD_SECTION

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "Lakeside Radiation Center"
    document.add_paragraph("CT simulation performed with a Vac-Lok bag.")
    second = document.add_section(WD_SECTION.NEW_PAGE)
    second.header.is_linked_to_previous = False
    second.header.paragraphs[0].text = "Page header of the planning section"
    second.footer.is_linked_to_previous = False
    second.footer.paragraphs[0].text = "Electronically signed by Ada Testwell, MD 03/04/2025"
    document.add_paragraph("Planning CT acquired with 2.5 mm slices.")
    third = document.add_section(WD_SECTION.NEW_PAGE)
    third.header.is_linked_to_previous = True  # repeats the second section's header: not read twice
    third.footer.is_linked_to_previous = True
    document.add_paragraph("Isocenter marked with three tattoos.")
    path = tmp_path / "sections.docx"
    document.save(str(path))
    lines = [line for line in read_any(path).text.splitlines() if line.strip()]
    assert lines == ["Lakeside Radiation Center", "Page header of the planning section",
                     "CT simulation performed with a Vac-Lok bag.", "Planning CT acquired with 2.5 mm slices.",
                     "Isocenter marked with three tattoos.", "Electronically signed by Ada Testwell, MD 03/04/2025"]


def test_docx_unticked_legacy_checkbox_is_not_documentation(tmp_path):
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    document.add_paragraph("CT SIMULATION NOTE")
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    for checked, label in (("1", "Breast board"), ("0", "Vac-Lok")):
        document.element.body.append(parse_xml(
            f'<w:p {ns}><w:r><w:t xml:space="preserve">Immobilization: </w:t></w:r><w:r><w:fldChar '
            f'w:fldCharType="begin"><w:ffData><w:checkBox><w:sizeAuto/><w:default w:val="{checked}"/></w:checkBox>'
            f'</w:ffData></w:fldChar></w:r><w:r><w:instrText> FORMCHECKBOX </w:instrText></w:r><w:r><w:fldChar '
            f'w:fldCharType="end"/></w:r><w:r><w:t xml:space="preserve"> {label}</w:t></w:r>'
            f'<w:del w:id="1" w:author="x"><w:r><w:delText>Aquaplast mask</w:delText></w:r></w:del></w:p>'))
    path = tmp_path / "template.docx"
    document.save(str(path))
    text = read_any(path).text
    assert "Immobilization: [x]  Breast board" in text
    assert "Immobilization: [ ]  Vac-Lok" in text
    assert "FORMCHECKBOX" not in text and "Aquaplast" not in text  # field codes and tracked deletions are not text


def test_pdf_text_layer(tmp_path):
    path = tmp_path / "note.pdf"
    path.write_bytes(pdf_bytes(DOWNCODE_SIM))
    note = read_any(path)
    assert note.format == "pdf"
    assert "Fields: AP/PA parallel-opposed pair at each site" in note.text
    assert _verdicts(note.text) == [("77290", "downcode", "77285")]


def test_html_export_visible_text_only(tmp_path):
    path = tmp_path / "note.html"
    path.write_text(html_document(COMPLEX_SIM), encoding="utf-8")
    note = read_any(path)
    assert (note.format, note.encoding) == ("html", "utf-8")
    assert "Date of service: 03/04/2025" in note.text  # <tr><th>..</th><td>..</td></tr>
    assert "var audit" not in note.text and "Note export" not in note.text  # script and head
    assert "Aquaplast" not in note.text  # display:none template block
    assert _verdicts(note.text) == [("77290", "supported", "77290")]


def test_html_form_controls_show_only_what_was_chosen():
    markup = (b"<html><body><h2>Setup</h2><p>Device: <input type=checkbox checked> Vac-Lok "
              b"<input type=checkbox> Aquaplast mask</p><p>Contrast: <select><option>--</option>"
              b"<option selected>None</option><option>IV contrast</option></select></p>"
              b"<dl><dt>Position</dt><dd>Supine, arms up</dd></dl><ul><li>Right acetabulum</li></ul></body></html>")
    text = read_bytes(markup, "form.html", suffix=".html").text
    assert "Device: [x] Vac-Lok [ ] Aquaplast mask" in text
    assert "Contrast: None" in text and "IV contrast" not in text
    assert "Position: Supine, arms up" in text and "- Right acetabulum" in text


def test_html_charset_from_meta():
    markup = '<html><head><meta charset="windows-1252"></head><body><p>Patient: Zoë</p></body></html>'
    note = read_bytes(markup.encode("cp1252"), "n.htm", suffix=".htm")
    assert note.text.strip() == "Patient: Zoë" and note.encoding == "windows-1252"


@pytest.mark.parametrize("separator", ["\r", "\n", "\r\n"])
def test_hl7_mdm_t02_obx_lines_joined_in_order_with_any_separator(tmp_path, separator):
    path = tmp_path / "note.hl7"
    path.write_bytes(hl7_message(COMPLEX_SIM, separator))
    note = read_any(path)
    assert (note.format, note.encoding) == ("hl7", "ascii")
    assert note.text == COMPLEX_SIM  # escapes (e.g. "&" and "^") undone, one OBX per line, in order
    assert _verdicts(note.text) == [("77290", "supported", "77290")]


def test_hl7_formatted_text_with_line_breaks():
    note = read_bytes(hl7_message(DOWNCODE_SIM, value_type="FT"), "ft.hl7", suffix=".hl7")
    assert "Setup: Supine, arms on chest, lower-body Vac-Lok indexed to couch, knee wedge\n" in note.text
    assert _verdicts(note.text) == [("77290", "downcode", "77285")]


def test_hl7_obx_ed_base64_pdf_and_text(tmp_path):
    pdf = read_bytes(hl7_message(ed=("application", "pdf", pdf_bytes(COMPLEX_SIM))), "ed.hl7", suffix=".hl7")
    assert pdf.format == "hl7/pdf" and KEY_LINES[1] in pdf.text
    plain = read_bytes(hl7_message(ed=("text", "plain", DOWNCODE_SIM.encode())), "ed.hl7", suffix=".hl7")
    assert plain.format == "hl7" and plain.text.strip() == DOWNCODE_SIM.strip()


def test_hl7_interop_message_with_empty_ed_is_a_clear_error():
    with pytest.raises(IngestError, match="OBX ED attachment \\(application/pdf\\) has no data"):
        read_any(FIXTURES / "mdm_t02_empty_ed.hl7")


def test_hl7_charge_message_is_not_a_note():
    with pytest.raises(IngestError, match="DFT\\^P03.* not a document message"):
        read_any(FIXTURES / "dft_p03.hl7")


def test_hl7_batch_of_two_messages_asks_single_note_readers_to_name_one():
    data = hl7_message(COMPLEX_SIM) + hl7_message(DOWNCODE_SIM)
    with pytest.raises(IngestError, match=r"batch.hl7: 2 notes in one file \(DOC-2025-0042, DOC-2025-0042@2\); "
                                          r"name one as PATH#PART"):
        read_bytes(data, "batch.hl7", suffix=".hl7")
    assert read_bytes(data, "batch.hl7", suffix=".hl7", part="DOC-2025-0042@2").text == DOWNCODE_SIM


def test_fhir_document_reference_inline_base64(tmp_path):
    note = read_any(write_fhir(tmp_path / "doc.json", COMPLEX_SIM))
    assert (note.format, note.encoding) == ("fhir", "utf-8")
    assert note.text == COMPLEX_SIM


def test_fhir_bundle_with_pdf_attachment(tmp_path):
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle(document_reference(pdf_bytes(DOWNCODE_SIM), "application/pdf"))))
    note = read_any(path)
    assert note.format == "fhir/pdf"
    assert _verdicts(note.text) == [("77290", "downcode", "77285")]


def test_fhir_url_to_a_local_file_in_the_folder(tmp_path):
    (tmp_path / "attachments").mkdir()
    (tmp_path / "attachments" / "sim.rtf").write_bytes(rtf_document(COMPLEX_SIM))
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document_reference(url="attachments/sim.rtf", content_type="text/rtf")))
    note = read_any(path)
    assert note.format == "fhir/rtf" and KEY_LINES[0] in note.text


def test_fhir_binary_in_the_same_bundle(tmp_path):
    reference = document_reference(url="urn:uuid:binary-1", content_type="text/plain")
    document = bundle(reference)
    document["entry"].append({"fullUrl": "urn:uuid:binary-1", "resource": {
        "resourceType": "Binary", "contentType": "text/plain", "data": base64.b64encode(b"CT SIMULATION").decode()}})
    path = tmp_path / "b.json"
    path.write_text(json.dumps(document))
    assert read_any(path).text.strip() == "CT SIMULATION"


def test_fhir_prefers_plain_text_among_several_renditions():
    reference = document_reference(pdf_bytes(DOWNCODE_SIM), "application/pdf")
    reference["content"].append(document_reference(COMPLEX_SIM.encode(), "text/plain")["content"][0])
    note = read_bytes(json.dumps(reference).encode(), "two.json", suffix=".json")
    assert note.format == "fhir" and note.text == COMPLEX_SIM


def test_fhir_official_example_http_url_is_not_followed():
    with pytest.raises(IngestError, match="link out \\(http:\\)"):
        read_any(FIXTURES / "documentreference_example.json")


def test_fhir_converter_bundle_without_attachment_data():
    with pytest.raises(IngestError, match="neither data nor url"):
        read_any(FIXTURES / "mdm_t02_bundle.json")


def test_limits_apply_to_every_format(tmp_path):
    big = write_txt(tmp_path / "big.txt", COMPLEX_SIM * 40)
    with pytest.raises(IngestError, match="over the 4000-byte limit"):
        read_any(big, ReadLimits(max_bytes=4000))
    pages = tmp_path / "long.pdf"
    pages.write_bytes(pdf_bytes(COMPLEX_SIM, pages=4))
    with pytest.raises(IngestError, match="4 pages, over the 3-page limit"):
        read_any(pages, ReadLimits(max_pages=3))
    with pytest.raises(IngestError, match="over the 500-character limit"):
        read_any(write_docx(tmp_path / "n.docx", COMPLEX_SIM), ReadLimits(max_chars=500))
