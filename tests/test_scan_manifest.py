"""The charges manifest: paths relative to the manifest, codes and modifiers, and every kind of bad row or bad file
(missing note, unknown code, path outside, broken CSV) as a clear error for that row or for the whole manifest."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fixtures.scan.note_files import COMPLEX_SIM, DOWNCODE_SIM, FOUR_D_CT, write_pdf, write_txt
from rtaudit.cli import app
from rtaudit.scan.manifest import ManifestError, read_manifest

KNOWN = ("77280", "77285", "77290", "77293", "77295", "77301")
runner = CliRunner()


def _manifest(folder, text, name="charges.csv"):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def export(tmp_path):
    notes = tmp_path / "export" / "notes"
    notes.mkdir(parents=True)
    write_txt(notes / "sim_0304.txt", COMPLEX_SIM)
    write_pdf(notes / "sim_0312.pdf", DOWNCODE_SIM)
    write_txt(notes / "4d_0321.txt", FOUR_D_CT, crlf=True)
    return tmp_path / "export"


def test_rows_become_jobs_relative_to_the_manifest(export):
    manifest = _manifest(export, "note,codes,claim_codes,modifiers,date_of_service,patient_id,payer\n"
                                 "notes/sim_0304.txt,77290-26,,,2025-03-04,P-1,medicare\n"
                                 'notes/sim_0312.pdf,"77290; 77280",,TC,2025-03-12,P-2,\n'
                                 "notes/4d_0321.txt,77293,77301,26,2025-03-21,P-3,acme\n")
    jobs = read_manifest(manifest, export, KNOWN)
    assert [j.path for j in jobs] == [str(export / "notes" / n) for n in ("sim_0304.txt", "sim_0312.pdf",
                                                                          "4d_0321.txt")]
    first, second, third = jobs
    assert first.codes == ("77290",) and first.manifest["modifiers"] == ["26"] and first.error is None
    assert first.manifest["lines"] == [2] and first.manifest["payer"] == "medicare"
    assert second.codes == ("77290", "77280") and second.manifest["modifiers"] == ["TC"]
    assert third.claim_codes == ("77301",)


def test_unknown_code_and_malformed_code_are_errors_for_that_row_only(export):
    manifest = _manifest(export, "note,codes\nnotes/sim_0304.txt,77999\nnotes/sim_0312.pdf,77290\n"
                                 "notes/4d_0321.txt,CPT77293\n")
    unknown, good, malformed = read_manifest(manifest, export, KNOWN)
    assert "charges.csv line 2: no checklist for 77999 (known codes: 77280" in unknown.error
    assert good.error is None
    assert "line 4: not a billing code: CPT77293" in malformed.error


def test_paths_outside_the_scanned_folder_and_the_manifest_folder_are_refused(tmp_path, export):
    (tmp_path / "elsewhere.txt").write_text(COMPLEX_SIM)
    manifest = _manifest(export, f"note,codes\n../elsewhere.txt,77290\n{tmp_path / 'elsewhere.txt'},77290\n"
                                 f"notes/../notes/sim_0304.txt,77290\n{export / 'notes' / '4d_0321.txt'},77293\n")
    jobs = {j.path: j for j in read_manifest(manifest, export / "notes", KNOWN)}
    refused = jobs[str(tmp_path / "elsewhere.txt")]
    assert refused.file is None and "outside the scanned folder and the manifest's folder; refused" in refused.error
    assert "line 2" in refused.error and "line 3" in refused.error  # both spellings, one record
    assert jobs[str(export / "notes" / "sim_0304.txt")].error is None  # '..' that stays inside is fine
    assert jobs[str(export / "notes" / "4d_0321.txt")].error is None  # absolute inside is fine


def test_semicolon_separated_manifest_from_a_european_spreadsheet(export):
    manifest = export / "charges.csv"
    manifest.write_bytes("\ufeffnote;codes;payer\r\nnotes/sim_0304.txt;77290 77280;Société\r\n".encode("cp1252",
                                                                                                    "ignore"))
    (job,) = read_manifest(manifest, export, KNOWN)
    assert job.codes == ("77290", "77280") and job.manifest["payer"] == "Société" and job.error is None


def test_rows_naming_the_same_note_are_merged(export):
    manifest = _manifest(export, "note,codes,claim_codes\nnotes/4d_0321.txt,77293,\n./notes/4d_0321.txt,77293,77301\n")
    (job,) = read_manifest(manifest, export, KNOWN)
    assert job.codes == ("77293",) and job.claim_codes == ("77301",) and job.manifest["lines"] == [2, 3]


def test_empty_note_cell_extra_cells_and_unclosed_quote(export):
    manifest = _manifest(export, 'note,codes\n,77290\nnotes/sim_0304.txt,77290,oops\n"notes/sim_0312.pdf,77290\n'
                                 "notes/4d_0321.txt,77293\n")
    jobs = read_manifest(manifest, export, KNOWN)
    errors = [j.error for j in jobs]
    assert any("line 2: the 'note' cell is empty" in e for e in errors if e)
    assert any("more cells than header columns" in e for e in errors if e)
    assert any("spans several lines (an unclosed quote?)" in e for e in errors if e)


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty manifest"), (b"path,codes\nnotes/a.txt,77290\n", "no 'note' column"),
    (b"note,codes,note\nnotes/a.txt,77290,x\n", "appear more than once"),
    (b"note,codes\n\x00\x01\x02", "binary content"),
])
def test_unusable_manifest_files(export, content, reason):
    manifest = export / "charges.csv"
    manifest.write_bytes(content)
    with pytest.raises(ManifestError, match=reason):
        read_manifest(manifest, export, KNOWN)


def test_scan_with_manifest_end_to_end(export, tmp_path):
    (export / "notes" / "unbilled.txt").write_text(COMPLEX_SIM)
    manifest = _manifest(export, "note,codes,claim_codes\nnotes/sim_0304.txt,77290,\nnotes/sim_0312.pdf,77290,\n"
                                 "notes/4d_0321.txt,77293,77301\nnotes/missing.txt,77290,\nnotes/sim_0304.txt,,\n"
                                 "notes/4d_0321.txt,77999,\n")
    out = tmp_path / "results.jsonl"
    result = runner.invoke(app, ["scan", str(export), "--manifest", str(manifest), "--out", str(out),
                                 "--workers", "1"])
    assert result.exit_code == 2, result.output
    records = {r["note"]["path"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert len(records) == 4 and out.read_text().count("\n") == 4
    notes = export / "notes"
    assert records[str(notes / "sim_0304.txt")]["outcome"] == "supported"
    assert records[str(notes / "sim_0304.txt")]["manifest"]["lines"] == [2, 6]
    assert records[str(notes / "sim_0312.pdf")]["codes"][0]["supported_code"] == "77285"
    assert records[str(notes / "missing.txt")]["error"] == "no such file"
    assert "no checklist for 77999" in records[str(notes / "4d_0321.txt")]["error"]
    assert "not named in the manifest (not scanned): 1" in result.output


def test_label_files_beside_listed_notes_are_counted_apart_from_forgotten_notes(export, tmp_path):
    notes = export / "notes"
    (notes / "sim_0304.json").write_text('{"note_id": "sim_0304"}')  # a gold label beside its note
    (notes / "forgotten.txt").write_text(COMPLEX_SIM)
    manifest = _manifest(export, "note,codes\nnotes/sim_0304.txt,77290\n")
    result = runner.invoke(app, ["scan", str(export), "--manifest", str(manifest), "--out", str(tmp_path / "r.jsonl"),
                                 "--workers", "1"])
    assert "label files beside the listed notes (NAME.json by NAME.txt), not scanned: 1" in result.output
    others = [p for p in export.rglob("*") if p.is_file()
              and p not in (notes / "sim_0304.txt", notes / "sim_0304.json", manifest)]
    assert notes / "forgotten.txt" in others
    assert f"files in the folder not named in the manifest (not scanned): {len(others)}" in result.output


def test_claim_codes_from_the_manifest_reach_the_checker(export, tmp_path):
    out = tmp_path / "r.jsonl"
    for claim, verdict in (("", "unsupported"), ("77301", "supported")):
        manifest = _manifest(export, f"note,codes,claim_codes\nnotes/4d_0321.txt,77293,{claim}\n")
        runner.invoke(app, ["scan", str(export), "-m", str(manifest), "-o", str(out), "-w", "1", "-q"])
        (record,) = map(json.loads, out.read_text().splitlines())
        assert record["codes"][0]["verdict"] == verdict, record["codes"]


def test_bad_manifest_is_a_usage_error(export):
    manifest = _manifest(export, "file,codes\nnotes/sim_0304.txt,77290\n")
    result = runner.invoke(app, ["scan", str(export), "--manifest", str(manifest)])
    assert result.exit_code == 2 and "no 'note' column" in result.output
