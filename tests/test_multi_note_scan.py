"""``rtaudit scan`` over files that hold several notes: a record per note (``note.part``), the manifest's
``PATH#PART`` rows, resume per note, and a worker killed in the middle of a file."""

from __future__ import annotations

import csv
import hashlib
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixtures.scan.multi_note import (
    kill_worker_on_note,
    plain_concatenation,
    searchset_bundle,
    three_message_batch,
    write_bytes,
    write_json,
)
from fixtures.scan.note_files import COMPLEX_SIM, write_txt
from rtaudit.cli import app
from rtaudit.ingest.limits import ReadLimits
from rtaudit.scan import ScanOptions, ScanRequest, read_manifest, run_scan, walk_folder

KNOWN = ("77280", "77285", "77290", "77293", "77295", "77301")
runner = CliRunner()


def _scan(*args: str):
    return runner.invoke(app, ["scan", *args])


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _by_note(records: list[dict], folder: Path) -> dict[str, dict]:
    """``relative/path#part`` -> record, checking no note appears twice."""
    keyed = {}
    for record in records:
        name = os.path.relpath(record["note"]["path"], folder)
        name += f"#{record['note']['part']}" if record["note"]["part"] is not None else ""
        assert name not in keyed, f"{name} appears twice"
        keyed[name] = record
    return keyed


def make_multi_export(folder: Path) -> dict[str, str]:
    """An export with an HL7 batch, a plain HL7 concatenation, a FHIR searchset and a single note; returns
    ``path#part`` -> expected outcome."""
    write_bytes(folder / "batch.hl7", three_message_batch())
    write_bytes(folder / "sub" / "two.hl7", plain_concatenation())
    write_json(folder / "search.json", searchset_bundle())
    write_txt(folder / "single.txt", COMPLEX_SIM)
    return {"batch.hl7#DOC-0001": "supported", "batch.hl7#DOC-0002": "error", "batch.hl7#DOC-0003": "downcode",
            "sub/two.hl7#DOC-0101": "supported", "sub/two.hl7#DOC-0102": "needs_review",
            "search.json#sim-1": "supported", "search.json#sim-2": "downcode", "search.json#sim-3": "error",
            "single.txt": "supported"}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    folder = tmp_path_factory.mktemp("multi") / "export"
    expected = make_multi_export(folder)
    out = folder.parent / "results.jsonl"
    html = folder.parent / "report.html"
    result = _scan(str(folder), "--out", str(out), "--workers", "2", "--html", str(html))
    return folder, expected, out, html, result


def test_every_note_of_every_file_appears_exactly_once(scanned):
    folder, expected, out, _, result = scanned
    records = _by_note(_records(out), folder)
    assert {name: r["outcome"] for name, r in records.items()} == expected
    assert result.exit_code == 2  # two notes could not be read


def test_records_keep_the_file_path_and_name_the_part(scanned):
    folder, _, out, _, _ = scanned
    records = _by_note(_records(out), folder)
    first, broken = records["batch.hl7#DOC-0001"], records["batch.hl7#DOC-0002"]
    digest = hashlib.sha256((folder / "batch.hl7").read_bytes()).hexdigest()
    assert first["note"]["path"] == str(folder / "batch.hl7") and first["note"]["part"] == "DOC-0001"
    assert first["note"]["file_sha256"] == broken["note"]["file_sha256"] == digest
    assert first["note"]["sha256"] == hashlib.sha256(COMPLEX_SIM.encode()).hexdigest()
    assert list(first["note"]) == ["path", "part", "sha256", "format", "encoding", "file_sha256"]
    assert broken["error"] == "OBX ED attachment is not valid base64" and broken["note"]["format"] == "hl7"
    assert records["search.json#sim-3"]["error"] == "attachment data is not valid base64"
    assert records["single.txt"]["note"]["part"] is None


def test_summary_counts_notes_and_files_holding_several(scanned):
    *_, result = scanned
    assert "notes: 9 (7 checked, 2 errors)" in result.output
    assert "files holding several notes: 3 (8 of the notes)" in result.output
    assert "SECRETNAME" not in result.output


def test_html_report_labels_each_note_path_hash_part(scanned):
    folder, _, _, html, _ = scanned
    page = html.read_text(encoding="utf-8")
    assert f"{folder / 'batch.hl7'}#DOC-0003" in page and f"{folder / 'search.json'}#sim-2" in page


def test_csv_has_a_part_column(tmp_path):
    folder = tmp_path / "export"
    make_multi_export(folder)
    out = tmp_path / "r.csv"
    _scan(str(folder), "--out", str(out), "--format", "csv", "-w", "1")
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert list(rows[0])[-1] == "part"  # added last: columns of earlier versions keep their places
    parts = {(os.path.relpath(r["path"], folder), r["part"]) for r in rows}
    assert ("batch.hl7", "DOC-0002") in parts and ("single.txt", "") in parts and len(parts) == 9


def test_part_cap_is_a_file_level_error(tmp_path):
    folder = tmp_path / "export"
    write_bytes(folder / "batch.hl7", three_message_batch())
    out = tmp_path / "r.jsonl"
    options = ScanOptions(limits=ReadLimits(max_parts=2))
    summary = run_scan(ScanRequest(jobs=lambda: walk_folder(folder), out=out, workers=1, options=options))
    (record,) = _records(out)
    assert record["note"]["part"] is None and summary.notes == 1
    assert record["error"] == "3 notes in one file, over the 2-note limit (split the file)"


# -- manifest -------------------------------------------------------------------------------------------------


def _manifest(folder: Path, text: str) -> Path:
    path = folder / "charges.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_manifest_path_row_applies_to_every_note_unless_a_part_row_names_it(tmp_path):
    folder = tmp_path / "export"
    make_multi_export(folder)
    manifest = _manifest(folder, "note,codes\n"
                                 "batch.hl7,77290\n"
                                 "batch.hl7#DOC-0003,77285\n"
                                 "batch.hl7#DOC-0404,77290\n"
                                 "search.json#sim-2,77290\n"
                                 "search.json#sim-1,77999\n")
    out = tmp_path / "r.jsonl"
    result = _scan(str(folder), "--manifest", str(manifest), "--out", str(out), "-w", "2")
    records = _by_note(_records(out), folder)
    assert sorted(records) == ["batch.hl7#DOC-0001", "batch.hl7#DOC-0002", "batch.hl7#DOC-0003",
                               "batch.hl7#DOC-0404", "search.json#sim-1", "search.json#sim-2"]
    first, own = records["batch.hl7#DOC-0001"], records["batch.hl7#DOC-0003"]
    assert [c["code"] for c in first["codes"]] == ["77290"] and first["manifest"]["lines"] == [2]
    assert [c["code"] for c in own["codes"]] == ["77285"] and own["outcome"] == "supported"
    assert own["manifest"]["lines"] == [3]
    missing = records["batch.hl7#DOC-0404"]
    assert missing["outcome"] == "error" and missing["manifest"]["lines"] == [4]
    assert missing["error"] == ("no note 'DOC-0404' in this file, though the manifest names it "
                                "(its notes: DOC-0001, DOC-0002, DOC-0003)")
    assert records["search.json#sim-2"]["outcome"] == "downcode"
    assert "no checklist for 77999" in records["search.json#sim-1"]["error"]  # that row's problem, that note only
    assert "notes of multi-note files not named in the manifest (not scanned): 1" in result.output  # sim-3


def test_manifest_rows_of_one_file_make_one_job(tmp_path):
    folder = tmp_path / "export"
    make_multi_export(folder)
    manifest = _manifest(folder, "note,codes\nbatch.hl7#DOC-0003,77285\nsingle.txt,77290\nbatch.hl7,77290\n"
                                 "batch.hl7#DOC-0003,77280\n")
    batch, single = read_manifest(manifest, folder, KNOWN)
    assert batch.path == str(folder / "batch.hl7") and batch.every_part and batch.codes == ("77290",)
    assert set(batch.parts) == {"DOC-0003"} and batch.parts["DOC-0003"].codes == ("77285", "77280")
    assert batch.parts["DOC-0003"].manifest["lines"] == [2, 5]
    assert single.parts == {} and single.codes == ("77290",)


def test_manifest_part_rows_only_and_refused_part_paths(tmp_path):
    folder = tmp_path / "export"
    make_multi_export(folder)
    write_bytes(tmp_path / "outside.hl7", three_message_batch())
    manifest = _manifest(folder, "note,codes\nsearch.json#sim-1,77290\n../outside.hl7#DOC-1,77290\n")
    search, outside = read_manifest(manifest, folder, KNOWN)
    assert not search.every_part and set(search.parts) == {"sim-1"}
    assert outside.file is None and "outside the scanned folder" in outside.error
    out = tmp_path / "r.jsonl"
    _scan(str(folder), "--manifest", str(manifest), "--out", str(out), "-w", "1")
    records = _records(out)
    refused = next(r for r in records if r["outcome"] == "error")
    assert refused["note"]["part"] == "DOC-1" and "refused" in refused["error"]
    assert len(records) == 2


def test_a_part_row_naming_a_single_note_file_is_an_error_not_a_skip(tmp_path):
    folder = tmp_path / "export"
    make_multi_export(folder)
    manifest = _manifest(folder, "note,codes\nsingle.txt#1,77290\n")
    out = tmp_path / "r.jsonl"
    _scan(str(folder), "--manifest", str(manifest), "--out", str(out), "-w", "1")
    (record,) = _records(out)
    assert record["note"]["part"] == "1"
    assert record["error"] == "no note '1' in this file, though the manifest names it (it holds a single note)"


# -- resume and lost workers ------------------------------------------------------------------------------------


def _resume(folder: Path, out: Path, *extra: str):
    return runner.invoke(app, ["scan", str(folder), "--out", str(out), "--resume", "-w", "1", *extra])


def _watch_checks(monkeypatch) -> list[str]:
    """The notes actually checked (in this process: ``-w 1``)."""
    import rtaudit.scan.worker as worker

    checked: list[str] = []
    real = worker._FileRead.check

    def check(self, part, charges, options):
        checked.append(f"{os.path.basename(self.job.path)}#{part.id}")
        return real(self, part, charges, options)

    monkeypatch.setattr(worker._FileRead, "check", check)
    return checked


def test_resume_after_partial_output_neither_repeats_nor_drops_a_note(tmp_path, monkeypatch):
    folder = tmp_path / "export"
    expected = make_multi_export(folder)
    out = tmp_path / "r.jsonl"
    _scan(str(folder), "--out", str(out), "-w", "1")
    lines = {name: json.dumps(r, separators=(",", ":")) for name, r in _by_note(_records(out), folder).items()}
    kept = [lines[n] for n in ("batch.hl7#DOC-0001", "batch.hl7#DOC-0002", "search.json#sim-1", "single.txt")]
    torn = lines["search.json#sim-2"]
    out.write_text("".join(line + "\n" for line in kept) + torn[: len(torn) // 2])  # killed mid-file, mid-line
    checked = _watch_checks(monkeypatch)
    result = _resume(folder, out)
    records = _by_note(_records(out), folder)  # fails on any note written twice
    assert {name: r["outcome"] for name, r in records.items()} == expected
    assert out.read_text().splitlines()[:4] == kept  # done notes kept as they were, first
    assert checked == ["batch.hl7#DOC-0003", "search.json#sim-2", "search.json#sim-3", "two.hl7#DOC-0101",
                       "two.hl7#DOC-0102"]
    assert "4 kept from the earlier run" in result.output
    checked.clear()
    before = out.read_text()
    assert "9 kept from the earlier run" in _resume(folder, out).output
    assert out.read_text() == before and checked == []


def test_resume_redoes_only_the_note_whose_manifest_codes_changed(tmp_path, monkeypatch):
    folder = tmp_path / "export"
    make_multi_export(folder)
    manifest = _manifest(folder, "note,codes\nbatch.hl7,77290\nbatch.hl7#DOC-0003,77290\n")
    out = tmp_path / "r.jsonl"
    _scan(str(folder), "--manifest", str(manifest), "--out", str(out), "-w", "1")
    _manifest(folder, "note,codes\nbatch.hl7,77290\nbatch.hl7#DOC-0003,77285\n")
    checked = _watch_checks(monkeypatch)
    _resume(folder, out, "--manifest", str(manifest))
    records = _by_note(_records(out), folder)
    assert checked == ["batch.hl7#DOC-0003"]
    assert sorted(records) == ["batch.hl7#DOC-0001", "batch.hl7#DOC-0002", "batch.hl7#DOC-0003"]
    assert records["batch.hl7#DOC-0003"]["codes"][0]["code"] == "77285"


def test_csv_resume_keys_on_path_and_part(tmp_path):
    folder = tmp_path / "export"
    make_multi_export(folder)
    out = tmp_path / "r.csv"
    _scan(str(folder), "--out", str(out), "--format", "csv", "-w", "1")
    rows = out.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text("".join(r for r in rows if "DOC-0003" not in r and "sim-1" not in r), encoding="utf-8")
    result = _resume(folder, out, "--format", "csv")
    notes = [(r["path"], r["part"]) for r in csv.DictReader(out.read_text(encoding="utf-8").splitlines())]
    assert len(notes) == len(set(notes)) == 9
    assert "7 kept from the earlier run" in result.output


def test_csv_written_before_the_part_column_still_resumes(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    write_txt(folder / "a.txt", COMPLEX_SIM)
    write_txt(folder / "b.txt", COMPLEX_SIM)
    out = tmp_path / "r.csv"
    _scan(str(folder), "--out", str(out), "--format", "csv", "-w", "1")
    old = [line.rsplit(",", 1)[0] + "\r\n" for line in out.read_text(encoding="utf-8").splitlines()]
    assert old[0] == "path,code,verdict,supported_code,missing,query,reasons,error,outcome,format,file_sha256\r\n"
    out.write_text("".join(old), encoding="utf-8", newline="")
    assert "2 kept from the earlier run" in _resume(folder, out, "--format", "csv").output


def test_a_worker_killed_on_one_note_of_a_batch_loses_only_that_note(tmp_path, monkeypatch):
    """A multi-note file whose worker dies is tried again alone, then note by note: the other notes of the file
    get their results and the note that kills its worker becomes the only error record."""
    folder = tmp_path / "export"
    expected = make_multi_export(folder)
    for index in range(12):  # several chunks in flight when the worker dies
        write_txt(folder / f"sim_{index:02d}.txt", COMPLEX_SIM)
        expected[f"sim_{index:02d}.txt"] = "supported"
    kill_worker_on_note(monkeypatch, "DOC-0003")
    out = tmp_path / "r.jsonl"
    result = _scan(str(folder), "--out", str(out), "-w", "2")
    records = _by_note(_records(out), folder)
    assert sorted(records) == sorted(expected)
    assert "worker process checking this note died" in records["batch.hl7#DOC-0003"]["error"]
    assert records["batch.hl7#DOC-0001"]["outcome"] == "supported"
    assert records["batch.hl7#DOC-0002"]["error"] == "OBX ED attachment is not valid base64"
    assert "notes: 21 (18 checked, 3 errors)" in result.output


def test_a_note_retried_alone_in_a_file_that_became_unreadable_is_an_error_for_that_note_only(tmp_path):
    """A retry limited to one note got a record for the whole file when the file could no longer be read,
    beside the records of the file's other notes."""
    from rtaudit.scan import Job
    from rtaudit.scan.worker import refused

    job = Job(path=str(tmp_path / "batch.hl7"), file=str(tmp_path / "batch.hl7"), only=frozenset({"DOC-0003"}))
    (record, _), = refused(job, "no such file")
    assert record["note"]["part"] == "DOC-0003" and record["error"] == "no such file"
    whole = refused(Job(path="b.hl7", file="b.hl7"), "empty file")
    assert [r["note"]["part"] for r, _ in whole] == [None]


def test_time_limit_and_engine_errors_hold_per_note_of_a_batch(tmp_path, monkeypatch):
    import time

    import rtaudit.api

    folder = tmp_path / "export"
    write_bytes(folder / "batch.hl7", three_message_batch())
    real = rtaudit.api.check_note

    def slow_on_one(text, *args, **kwargs):
        if "tangential" in text:  # DOC-0001
            time.sleep(5)
        if "parallel-opposed" in text:  # DOC-0003
            raise ValueError(f"cannot parse {text[:40]}")
        return real(text, *args, **kwargs)

    monkeypatch.setattr(rtaudit.api, "check_note", slow_on_one)
    out = tmp_path / "r.jsonl"
    result = _scan(str(folder), "--out", str(out), "-w", "1", "--timeout", "1")
    errors = {r["note"]["part"]: r["error"] for r in _records(out)}
    assert errors == {"DOC-0001": "took longer than 1 s; skipped (raise --timeout to allow more)",
                      "DOC-0002": "OBX ED attachment is not valid base64",
                      "DOC-0003": "internal error (ValueError) while checking this note; please report it"}
    assert "PALLIATIVE" not in result.output
