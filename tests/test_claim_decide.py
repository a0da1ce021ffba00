"""Claim -> decision through the engine: note verdicts and claim rules together, pass/hold per line, linked notes
read safely (text, path inside the notes folder, DocumentReference), and no note text in the decision."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from rtaudit.claims.decide import ClaimChecker
from rtaudit.claims.model import Claim, DocumentNote, InputError, PathNote
from rtaudit.claims.notes import NoteError, NoteResolver

NOTES = Path(__file__).parent / "fixtures" / "claims" / "notes"


def note_text(name: str) -> str:
    return (NOTES / f"{name}.txt").read_text(encoding="utf-8")


def make_claim(lines, notes, **fields) -> Claim:
    data = {"claim_id": "C-1", "patient_id": "P-1", "course_id": "K-1", "payer": "medicare", "place_of_service": "11",
            "lines": [{"code": code, "modifiers": list(mods), "date_of_service": date, "note": note}
                      for code, mods, date, note in lines],
            "notes": [{"id": name, "text": note_text(name)} for name in notes]} | fields
    return Claim.model_validate(data)


@pytest.fixture(scope="module")
def checker():
    return ClaimChecker(notes_dir=NOTES)


def test_documented_4dct_with_its_primary_passes(checker):
    claim = make_claim([("77290", ["26"], "2025-03-18", "sim_4dct"), ("77293", ["26"], "2025-03-18", "sim_4dct"),
                        ("77295", ["26"], "2025-03-18", "plan_3d")], ["sim_4dct", "plan_3d"])
    decision = checker.check(claim)
    assert decision.decision == "pass" and decision.claim_findings == []
    assert [(d.line, d.code, d.decision, d.verdict) for d in decision.lines] == [
        (1, "77290", "pass", "supported"), (2, "77293", "pass", "supported"), (3, "77295", "pass", "supported")]
    assert decision.versions.checklists and decision.versions.rules


def test_add_on_without_primary_holds_the_add_on_line_only(checker):
    claim = make_claim([("77290", ["26"], "2025-03-18", "sim_4dct"), ("77293", ["26"], "2025-03-18", "sim_4dct")],
                       ["sim_4dct"])
    decision = checker.check(claim)
    assert decision.decision == "hold"
    sim, addon = decision.lines
    assert sim.decision == "pass" and addon.decision == "hold" and addon.verdict == "unsupported"
    assert any(r.startswith("addon-without-primary (hold):") for r in addon.reasons)
    assert [f.rule for f in decision.claim_findings] == ["addon-without-primary"]


def test_unsigned_note_holds_with_the_physician_query(checker):
    unsigned = note_text("sim_complex").replace("Electronically signed by Ada Testwell, MD on 03/04/2025 16:42",
                                                "Pending signature")
    claim = Claim.model_validate({"claim_id": "C-2", "lines": [{"code": "77290", "date_of_service": "2025-03-04",
                                                                 "note": "n"}],
                                  "notes": [{"id": "n", "text": unsigned}]})
    (line,) = checker.check(claim).lines
    assert line.decision == "hold" and line.verdict == "unsupported" and line.missing == ["physician_signature"]
    assert line.query and line.query.startswith("Please")


def test_line_without_note_is_decided_on_claim_rules_alone(checker):
    claim = Claim.model_validate({"claim_id": "C-3", "lines": [{"code": "77300", "date_of_service": "2025-03-04"}]})
    decision = checker.check(claim)
    (line,) = decision.lines
    assert decision.decision == "pass" and line.verdict == "needs_review" and "no note is linked" in line.reasons[0]
    claim = Claim.model_validate({"claim_id": "C-4", "lines": [{"code": "77300", "modifiers": ["22"],
                                                                 "date_of_service": "2025-03-04"}]})
    assert checker.check(claim).lines[0].decision == "hold"


def test_second_same_day_simulation_needs_a_reason_in_its_own_note(checker):
    lines = [("77290", [], "2025-03-11", "sim_complex"), ("77290", ["76"], "2025-03-11", "brachy_second_sim")]
    decision = checker.check(make_claim(lines, ["sim_complex", "brachy_second_sim"]))
    assert all(f.rule != "one-simulation-per-date" for f in decision.claim_findings)
    lines[1] = ("77290", ["76"], "2025-03-11", "sim_complex")
    decision = checker.check(make_claim(lines, ["sim_complex"]))
    assert [(f.rule, f.lines) for f in decision.claim_findings] == [("one-simulation-per-date", [2])]
    assert decision.lines[1].decision == "hold"


def test_decision_carries_offsets_not_note_words(checker):
    text = note_text("sim_complex")
    claim = Claim.model_validate({"claim_id": "C-5", "lines": [{"code": "77290", "date_of_service": "2025-03-04",
                                                                 "note": "n"}], "notes": [{"id": "n", "text": text}]})
    (line,) = checker.check(claim).lines
    # the engine quotes its evidence ("tangential ports ('tangential' at N-M)"); the decision keeps the offsets
    start = text.index("tangential")
    assert line.verdict == "supported" and "'tangential'" not in line.model_dump_json()
    assert any(f"(chars {start}-{start + 10})" in reason for reason in line.reasons)


def test_reasons_without_note_words_cite_offsets_only():
    """The hook used to strip quoted words from reasons with a regex tied to their wording; the evaluator now
    writes offsets-only reasons itself."""
    from rtaudit.api import check_note

    text = ("CT SIMULATION NOTE\nSingle treatment area: left femur.\nNo IV contrast was given.\n"
            "A Vac-Lok bag was made for immobilization.\nElectronically signed by Ada Testwell, MD on 03/04/2025\n")
    quoted = check_note(text, ["77290"]).codes[0].reasons
    plain = check_note(text, ["77290"], quote_words=False).codes[0].reasons
    assert any("'" in reason for reason in quoted)
    assert all("'" not in reason and "Single treatment" not in reason and "cue" not in reason for reason in plain)
    assert any(re.search(r"chars \d+-\d+", reason) for reason in plain)


def test_same_claim_content_gives_the_same_decision_and_other_claims_differ(checker):
    claim = make_claim([("77290", ["26"], "2025-03-04", "sim_complex")], ["sim_complex"])
    assert checker.check(claim) == checker.check(claim.model_copy())


# linked notes
def test_note_paths_are_read_inside_the_notes_folder(checker):
    claim = Claim.model_validate({"claim_id": "C-6", "lines": [{"code": "77290", "date_of_service": "2025-03-04",
                                                                 "note": "n"}],
                                  "notes": [{"id": "n", "path": "sim_complex.txt"}]})
    assert checker.check(claim).lines[0].verdict == "supported"


@pytest.mark.parametrize("ref,message", [
    ("../secret.txt", "'..' is not allowed"), ("sub/../../x.txt", "'..' is not allowed"),
    ("/etc/passwd", "outside the notes folder"), ("https://example.org/note.txt", "not followed"),
    ("file:///etc/passwd", "not followed"), ("missing.txt", "no such file"),
])
def test_note_paths_outside_the_folder_or_urls_are_refused(ref, message):
    with pytest.raises(NoteError, match=message):
        NoteResolver(NOTES).resolve(PathNote(id="n", path=ref))


def test_note_paths_refused_without_a_notes_folder():
    with pytest.raises(NoteError, match="no notes folder"):
        NoteResolver(None).resolve(PathNote(id="n", path="sim_complex.txt"))


def test_symlink_out_of_the_notes_folder_is_refused(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (tmp_path / "outside.txt").write_text("outside", encoding="utf-8")
    (folder / "link.txt").symlink_to(tmp_path / "outside.txt")
    with pytest.raises(NoteError, match="outside the notes folder"):
        NoteResolver(folder).resolve(PathNote(id="n", path="link.txt"))


def test_document_reference_base64_text_and_refusals():
    resolver = NoteResolver(NOTES)
    data = base64.b64encode(note_text("sim_complex").encode("cp1252")).decode()
    note = resolver.resolve(DocumentNote(id="d", document_reference={
        "content": [{"attachment": {"contentType": "text/plain", "data": data}}]}))
    assert note.text.startswith("CT SIMULATION NOTE") and len(note.sha256) == 64
    relative = resolver.resolve(DocumentNote(id="d", document_reference={"content": [{"attachment": {
        "url": "plan_3d.txt"}}]}))
    assert relative.text == note_text("plan_3d")
    with pytest.raises(NoteError, match="not followed"):
        resolver.resolve(DocumentNote(id="d", document_reference={"content": [{"attachment": {
            "url": "http://example.org/xds/mhd/Binary/07a6483f"}}]}))
    rtf = base64.b64encode(b"{\\rtf1\\ansi CT simulation performed.\\par Signed.\\par}").decode()
    read = resolver.resolve(DocumentNote(id="d", document_reference={"content": [{"attachment": {
        "contentType": "application/rtf", "data": rtf}}]}))
    assert read.text.split() == ["CT", "simulation", "performed.", "Signed."] and read.format == "fhir/rtf"
    with pytest.raises(NoteError, match="note 'd': truncated PDF"):
        resolver.resolve(DocumentNote(id="d", document_reference={"content": [{"attachment": {
            "contentType": "application/pdf", "data": base64.b64encode(b"%PDF-1.4").decode()}}]}))


def test_unreadable_note_is_an_error_record_for_that_claim(checker):
    claim = Claim.model_validate({"claim_id": "C-7", "lines": [{"code": "77290", "date_of_service": "2025-03-04",
                                                                 "note": "n"}],
                                  "notes": [{"id": "n", "path": "../../etc/passwd"}]})
    result = checker.run(claim, "stdin line 7")
    assert isinstance(result, InputError) and result.claim_id == "C-7" and result.source == "stdin line 7"
    assert "'..' is not allowed" in result.error


def test_note_files_of_other_formats_are_read_by_the_ingest_readers(tmp_path):
    (tmp_path / "plan.rtf").write_bytes(b"{\\rtf1\\ansi IMRT plan reviewed.\\par}")
    note = NoteResolver(tmp_path).resolve(PathNote(id="n", path="plan.rtf"))
    assert note.text.strip() == "IMRT plan reviewed." and note.format == "rtf" and note.path == "plan.rtf"
