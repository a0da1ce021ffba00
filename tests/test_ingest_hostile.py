"""Corrupt, truncated, disguised and hostile files: each is a clear IngestError that never quotes the note, and no
reader follows a link out, expands an external entity or unpacks a bomb."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from fixtures.scan.note_files import (
    COMPLEX_SIM,
    document_reference,
    hl7_message,
    image_only_pdf_bytes,
    pdf_bytes,
    rtf_document,
    write_docx,
)
from rtaudit.ingest import IngestError, ReadLimits, read_any, read_bytes

SECRET = "TESTCASE, MARGARET"  # a patient name from the note: must never show up in an error


def _error(data: bytes, name: str, **kwargs) -> str:
    with pytest.raises(IngestError) as caught:
        read_bytes(data, name, suffix="." + name.rsplit(".", 1)[-1] if "." in name else "", **kwargs)
    message = str(caught.value)
    assert message.startswith(name) and SECRET not in message
    return message


def test_scanned_pdf_without_text_layer_says_so():
    assert "PDF has no text layer" in _error(image_only_pdf_bytes(), "scan.pdf")


def test_truncated_pdf():
    data = pdf_bytes(COMPLEX_SIM)
    assert "truncated PDF" in _error(data[: len(data) // 2], "cut.pdf")


def test_corrupt_pdf_body():
    data = pdf_bytes(COMPLEX_SIM)
    broken = data[:200] + b"\x00garbage\x00" * 50 + data[-200:]
    assert "corrupt PDF" in _error(broken, "broken.pdf")


def test_encrypted_pdf_needs_a_password():
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(COMPLEX_SIM))))
    writer.encrypt("secret-password", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    assert "encrypted PDF" in _error(buffer.getvalue(), "locked.pdf")


def test_truncated_docx(tmp_path):
    data = write_docx(tmp_path / "n.docx", COMPLEX_SIM).read_bytes()
    assert "corrupt or truncated .docx" in _error(data[: len(data) // 2], "cut.docx")


def test_zip_that_is_not_a_word_document():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes/sim.txt", COMPLEX_SIM)
    assert "a ZIP archive, not a Word .docx document" in _error(buffer.getvalue(), "export.docx")


def test_docx_zip_bomb_is_refused_before_unpacking(tmp_path):
    data = write_docx(tmp_path / "n.docx", COMPLEX_SIM).read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            out.writestr(item, source.read(item))
        out.writestr("word/media/padding.bin", b"\x00" * (30 * 1024 * 1024))  # 30 MB of zeros, ~30 KB zipped
    message = _error(buffer.getvalue(), "bomb.docx", limits=ReadLimits(max_unzipped_bytes=10 * 1024 * 1024))
    assert "unzips to" in message and "over the" in message


def test_docx_external_entity_is_not_expanded(tmp_path):
    data = write_docx(tmp_path / "n.docx", COMPLEX_SIM).read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as out:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "word/document.xml":
                content = content.replace(b"<w:document", b'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM '
                                          b'"file:///etc/passwd">]><w:document', 1)
                content = content.replace(b"CT SIMULATION NOTE", b"CT SIMULATION NOTE &xxe;", 1)
            out.writestr(item, content)
    try:
        text = read_bytes(buffer.getvalue(), "xxe.docx", suffix=".docx").text
    except IngestError:
        return  # refusing the file is fine too
    assert "root:" not in text


def test_legacy_word_and_images_are_named():
    assert "legacy Word .doc" in _error(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "old.doc")
    assert "PNG image, no text layer" in _error(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "scan.txt")


def test_binary_and_undecodable_text():
    assert "binary content" in _error(b"CT SIM\x00\x01\x02" * 50, "dump.txt")
    assert "control characters" in _error(bytes(range(1, 9)) * 200, "noise.txt")


def test_empty_and_whitespace_files():
    assert "empty file" in _error(b"", "empty.txt")
    assert "empty file" in _error(b" \r\n\t \n", "blank.rtf")


def test_name_and_content_disagree():
    assert "not a valid PDF file" in _error(COMPLEX_SIM.encode(), "note.pdf")
    assert "not a valid HL7 file" in _error(COMPLEX_SIM.encode(), "note.hl7")
    assert "not a FHIR DocumentReference" in _error(b'{"note": "x"}', "note.json")
    # content wins when it is unambiguous: an RTF saved as .txt is read as RTF
    assert read_bytes(rtf_document(COMPLEX_SIM), "x.txt", suffix=".txt").format == "rtf"


def test_unknown_extension_is_not_guessed():
    assert "unknown file type '.xyz'" in _error(COMPLEX_SIM.encode(), "note.xyz")


def test_rtf_cut_short():
    data = rtf_document(COMPLEX_SIM)
    assert "truncated or malformed RTF" in _error(data[: len(data) // 2], "cut.rtf")


def test_hl7_ed_with_broken_base64():
    data = hl7_message(ed=("application", "pdf", b"x")).replace(b"^Base64^eA==", b"^Base64^@@not-base64@@")
    assert "not valid base64" in _error(data, "bad.hl7")


def test_html_script_in_a_note_is_not_text():
    markup = b"<html><body><p>Plan: <script>alert('x')</script>CT simulation</p><style>p{}</style></body></html>"
    assert read_bytes(markup, "n.html", suffix=".html").text.strip() == "Plan: CT simulation"


def test_fhir_links_out_and_paths_outside_are_refused(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (tmp_path / "outside.txt").write_text(COMPLEX_SIM)
    for url, reason in (("https://emr.example.org/Binary/1", "link out"), ("../outside.txt", "leads outside"),
                        (str(tmp_path / "outside.txt"), "leads outside"),
                        ((tmp_path / "outside.txt").as_uri(), "leads outside"),
                        ("file://fileserver/share/n.txt", "another host")):
        path = folder / "doc.json"
        path.write_text(json.dumps(document_reference(url=url)))
        with pytest.raises(IngestError, match=reason):
            read_any(path, ReadLimits(roots=(str(folder),)))


def test_fhir_symlink_out_of_the_folder_is_refused(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (tmp_path / "outside.txt").write_text(COMPLEX_SIM)
    (folder / "link.txt").symlink_to(tmp_path / "outside.txt")
    path = folder / "doc.json"
    path.write_text(json.dumps(document_reference(url="link.txt")))
    with pytest.raises(IngestError, match="leads outside"):
        read_any(path, ReadLimits(roots=(str(folder),)))


def test_fhir_attachment_hash_mismatch():
    reference = document_reference(COMPLEX_SIM.encode())
    reference["content"][0]["attachment"]["hash"] = "2jmj7l5rSw0yVb/vlWAYkK/YBwk="
    assert "stated SHA-1 hash" in _error(json.dumps(reference).encode(), "doc.json")


def test_fhir_bundle_of_several_notes_and_retracted_documents():
    two = {"resourceType": "Bundle", "entry": [{"resource": document_reference(b"a")},
                                              {"resource": document_reference(b"b")}]}
    assert "2 notes in one file (sim-0042, sim-0042@2); name one as PATH#PART" in _error(json.dumps(two).encode(),
                                                                                          "two.json")
    retracted = document_reference(COMPLEX_SIM.encode()) | {"status": "entered-in-error"}
    assert "entered-in-error" in _error(json.dumps(retracted).encode(), "gone.json")


def test_fhir_attachment_nesting_stops():
    inner = json.dumps(document_reference(COMPLEX_SIM.encode())).encode()
    outer = document_reference(inner, "application/fhir+json")
    assert "nested inside another attachment" in _error(json.dumps(outer).encode(), "nest.json")


def test_deeply_nested_or_invalid_json():
    assert "not valid JSON" in _error(b'{"resourceType": "DocumentReference", ', "cut.json")
    deep = b'{"resourceType": "Bundle", "entry": ' + b"[" * 100000 + b"]" * 100000 + b"}"
    assert _error(deep, "deep.json")
