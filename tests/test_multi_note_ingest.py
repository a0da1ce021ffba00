"""Readers for files that hold several notes: HL7 v2 batches and FHIR Bundles of DocumentReferences.

Each note comes back with a stable part id; a broken note is an error for that note only; single-note files read
exactly as before; single-note callers get an error that says how to name one note.
"""

from __future__ import annotations

import pytest

from fixtures.scan.multi_note import (
    SECRET_LINE,
    broken_ed_mdm,
    hl7_batch,
    mdm,
    plain_concatenation,
    searchset_bundle,
    three_message_batch,
    write_bytes,
    write_json,
)
from fixtures.scan.note_files import COMPLEX_SIM, DOWNCODE_SIM, FOUR_D_CT, document_reference, write_hl7
from rtaudit.ingest import IngestError, NotePart, ReadLimits, read_any, read_bytes, read_notes
from rtaudit.ingest.parts import part_ids, split_reference


def test_hl7_batch_with_fhs_bhs_gives_each_message_by_its_txa12_and_keeps_a_broken_one_to_itself(tmp_path):
    path = write_bytes(tmp_path / "batch.hl7", three_message_batch())
    first, broken, third = read_notes(path)
    assert [first.part, broken.part, third.part] == ["DOC-0001", "DOC-0002", "DOC-0003"]
    assert first.note.text == COMPLEX_SIM and third.note.text == DOWNCODE_SIM
    assert (first.note.format, first.note.encoding, first.note.path, first.note.part) == (
        "hl7", "ascii", str(path), "DOC-0001")
    assert broken.note is None
    assert broken.error == f"{path}#DOC-0002: OBX ED attachment is not valid base64"


def test_plain_concatenation_with_line_feeds(tmp_path):
    notes = read_notes(write_bytes(tmp_path / "two.hl7", plain_concatenation()))
    assert [(n.part, n.note.text) for n in notes] == [("DOC-0101", COMPLEX_SIM), ("DOC-0102", FOUR_D_CT)]


def test_messages_captured_with_their_mllp_frames(tmp_path):
    framed = b"".join(b"\x0b" + mdm(text, doc, ctl) + b"\x1c\r" for text, doc, ctl in (
        (COMPLEX_SIM, "DOC-0201", "MSG0201"), (FOUR_D_CT, "DOC-0202", "MSG0202")))
    notes = read_notes(write_bytes(tmp_path / "capture.hl7", framed))
    assert [(n.part, n.note.text) for n in notes] == [("DOC-0201", COMPLEX_SIM), ("DOC-0202", FOUR_D_CT)]
    single = read_any(write_bytes(tmp_path / "one.hl7", b"\x0b" + mdm(COMPLEX_SIM) + b"\x1c\r"))
    assert single.text == COMPLEX_SIM and single.format == "hl7"


@pytest.mark.parametrize("separator", ["\r", "\n", "\r\n"])
def test_batch_segment_separators(tmp_path, separator):
    notes = read_notes(write_bytes(tmp_path / "b.hl7", three_message_batch(separator)))
    assert [n.part for n in notes if n.error is None] == ["DOC-0001", "DOC-0003"]


def test_part_ids_fall_back_to_msh10_then_position_and_stay_unique():
    data = hl7_batch(mdm(COMPLEX_SIM, None, "MSG-77"), mdm(COMPLEX_SIM, None, ""), mdm(COMPLEX_SIM, "DUP", "A"),
                     mdm(COMPLEX_SIM, "DUP", "B"))
    ids = [p.part for p in _read_bytes_all(data, "b.hl7")]
    assert ids == ["MSG-77", "2", "DUP", "DUP@4"]
    assert part_ids(["a\nb", "x" * 65, None]) == ["1", "2", "3"]  # control characters, too long, none


def test_a_non_document_message_in_a_batch_is_an_error_for_that_message_only():
    data = hl7_batch(mdm(COMPLEX_SIM, "DOC-1", "M1"), mdm(COMPLEX_SIM, None, "ADT-9", kind="ADT^A08^ADT_A01"),
                     mdm(None, "DOC-3", "M3"))
    first, adt, empty = _read_bytes_all(data, "b.hl7")
    assert first.note.text == COMPLEX_SIM
    assert adt.part == "ADT-9" and adt.error == "b.hl7#ADT-9: HL7 ADT^A08^ADT_A01 message, not a document message " \
                                                "(MDM^T02)"
    assert empty.error == "b.hl7#DOC-3: HL7 MDM^T02^MDM_T02 message has no OBX text (TX/FT/ST) or ED attachment"


def test_fhir_searchset_bundle_with_a_binary_and_bad_base64(tmp_path):
    path = write_json(tmp_path / "search.json", searchset_bundle())
    inline, linked, broken = read_notes(path)
    assert (inline.part, inline.note.text, inline.note.format) == ("sim-1", COMPLEX_SIM, "fhir")
    assert (linked.part, linked.note.text) == ("sim-2", DOWNCODE_SIM)  # from the Binary entry of the Bundle
    assert broken.part == "sim-3" and broken.error == f"{path}#sim-3: attachment data is not valid base64"


def test_fhir_part_ids_fall_back_to_position(tmp_path):
    bundle = searchset_bundle()
    del bundle["entry"][0]["resource"]["id"]
    bundle["entry"][1]["resource"]["id"] = 42  # not a string: unusable
    assert [n.part for n in read_notes(write_json(tmp_path / "s.json", bundle))] == ["1", "2", "sim-3"]


def test_empty_batch_and_bundle_without_document_reference_are_file_errors(tmp_path):
    empty = b"FHS|^~\\&|ARIA\rBHS|^~\\&|ARIA\rBTS|0\rFTS|1\r"
    with pytest.raises(IngestError, match=r"empty\.hl7: HL7 batch file holds no message$"):
        read_notes(write_bytes(tmp_path / "empty.hl7", empty))
    patients = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {"resourceType": "Patient"}}]}
    with pytest.raises(IngestError, match="FHIR Bundle without a DocumentReference"):
        read_notes(write_json(tmp_path / "p.json", patients))


def test_part_cap(tmp_path):
    path = write_bytes(tmp_path / "big.hl7", three_message_batch())
    with pytest.raises(IngestError, match=r"big\.hl7: 3 notes in one file, over the 2-note limit \(split the file\)"):
        read_notes(path, ReadLimits(max_parts=2))
    bundle = write_json(tmp_path / "big.json", searchset_bundle())
    with pytest.raises(IngestError, match="3 notes in one file, over the 1-note limit"):
        read_notes(bundle, ReadLimits(max_parts=1))
    assert len(read_notes(path, ReadLimits(max_parts=3))) == 3


def test_single_note_files_read_exactly_as_before(tmp_path):
    hl7 = write_hl7(tmp_path / "one.hl7", COMPLEX_SIM)
    (only,) = read_notes(hl7)
    assert only == NotePart(None, read_any(hl7))
    assert (only.note.text, only.note.format, only.note.encoding, only.note.part) == (COMPLEX_SIM, "hl7", "ascii",
                                                                                      None)
    one_doc = write_json(tmp_path / "one.json", {"resourceType": "Bundle", "entry": [
        {"resource": document_reference(COMPLEX_SIM.encode())}]})
    assert read_notes(one_doc)[0].part is None and read_any(one_doc).format == "fhir"
    broken = write_bytes(tmp_path / "broken.hl7", broken_ed_mdm("DOC-9", "M9"))
    with pytest.raises(IngestError, match=r"broken\.hl7: OBX ED attachment is not valid base64$"):
        read_notes(broken)  # a single-note file's problem is the file's, with today's message


def test_single_note_readers_are_told_how_to_name_one_note(tmp_path):
    path = write_bytes(tmp_path / "batch.hl7", three_message_batch())
    with pytest.raises(IngestError) as caught:
        read_any(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: 3 notes in one file (DOC-0001, DOC-0002, DOC-0003); name one as PATH#PART "
                              f"(e.g. {path}#DOC-0001)")
    note = read_any(f"{path}#DOC-0003")
    assert (note.text, note.path, note.part) == (DOWNCODE_SIM, str(path), "DOC-0003")
    assert read_any(path, part="DOC-0001").text == COMPLEX_SIM
    with pytest.raises(IngestError, match=r"no note 'DOC-0009' in this file \(its notes: DOC-0001, DOC-0002, "):
        read_any(f"{path}#DOC-0009")
    with pytest.raises(IngestError, match=r"#DOC-0002: OBX ED attachment is not valid base64"):
        read_any(f"{path}#DOC-0002")


def test_batch_charset_is_read_from_the_first_msh_not_the_fhs_line():
    """The character set (MSH-18) was looked for on the file's first line only, which in a batch is FHS."""
    message = mdm("REF. Dr MUELLER\nCPT: 77290", "D1", "M1").replace(b"|ASCII", b"|8859/1")
    data = hl7_batch(message.replace(b"REF", b"R\xe9f").replace(b"MUELLER", b"M\xfcller"), mdm(COMPLEX_SIM, "D2"))
    first, _ = _read_bytes_all(data, "b.hl7")
    assert first.note.encoding == "latin-1" and "Réf. Dr Müller" in first.note.text


def test_part_errors_never_quote_the_note(tmp_path):
    path = write_bytes(tmp_path / "b.hl7", hl7_batch(broken_ed_mdm("D1", "M1"), mdm(SECRET_LINE, "D2")))
    bundle = write_json(tmp_path / "s.json", searchset_bundle())
    errors = [n.error for n in read_notes(path) + read_notes(bundle) if n.error]
    assert len(errors) == 2 and not any("SECRETNAME" in e for e in errors)


def test_split_reference(tmp_path):
    plain = write_bytes(tmp_path / "a.hl7", b"x")
    hashed = write_bytes(tmp_path / "odd#name.hl7", b"x")
    assert split_reference(f"{plain}#DOC-1") == (plain, "DOC-1")
    assert split_reference(f"{plain}#A#B") == (plain, "A#B")
    assert split_reference(str(hashed)) == (hashed, None)  # an existing name keeps its '#'
    assert split_reference(f"{hashed}#P") == (hashed, "P")
    assert split_reference(str(tmp_path / "missing#P")) == (tmp_path / "missing#P", None)


def _read_bytes_all(data: bytes, source: str) -> list[NotePart]:
    from rtaudit.ingest import open_bytes, read_parts

    return read_parts(open_bytes(data, source, suffix=".hl7"))


def test_read_bytes_reads_one_named_part():
    assert read_bytes(three_message_batch(), "b.hl7", part="DOC-0003").text == DOWNCODE_SIM


def test_hook_note_paths_name_one_note_of_a_batch(tmp_path):
    from rtaudit.claims.model import PathNote
    from rtaudit.claims.notes import NoteError, NoteResolver

    write_bytes(tmp_path / "batch.hl7", three_message_batch())
    resolver = NoteResolver(tmp_path)
    assert resolver.resolve(PathNote(id="n1", path="batch.hl7#DOC-0003")).text == DOWNCODE_SIM
    with pytest.raises(NoteError, match=r"note 'n1': .*batch\.hl7: 3 notes in one file .*name one as PATH#PART"):
        resolver.resolve(PathNote(id="n1", path="batch.hl7"))
