"""``rtaudit scan`` on a mixed export: every path exactly once (result or error), the JSON contract per note,
CSV for spreadsheets, exit codes, a summary that never quotes a note, and the worker pool."""

from __future__ import annotations

import csv
import hashlib
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixtures.scan.note_files import COMPLEX_SIM, DOWNCODE_SIM, make_export, write_txt
from rtaudit.cli import app

runner = CliRunner()


def _scan(*args: str):
    return runner.invoke(app, ["scan", *args])


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """A mixed export scanned once with two worker processes."""
    folder = tmp_path_factory.mktemp("export")
    expected = make_export(folder)
    out = folder.parent / "results.jsonl"
    result = _scan(str(folder), "--out", str(out), "--workers", "2")
    return folder, expected, out, result


def test_every_input_path_appears_exactly_once(mixed):
    folder, expected, out, result = mixed
    records = _records(out)
    paths = [os.path.relpath(r["note"]["path"], folder) for r in records]
    assert sorted(paths) == sorted(expected)  # nothing lost, nothing doubled, the hidden .DS_Store left out
    assert {p: r["outcome"] for p, r in zip(paths, records, strict=True)} == expected
    assert result.exit_code == 2  # some files could not be read


def test_error_records_say_why_and_keep_the_contract_shape(mixed):
    folder, _, out, _ = mixed
    errors = {os.path.relpath(r["note"]["path"], folder): r for r in _records(out) if r["error"]}
    assert errors["empty.txt"]["error"] == "empty file"
    assert "PDF has no text layer" in errors["scanned.pdf"]["error"]
    assert errors["scanned.pdf"]["note"]["format"] == "pdf"
    assert "unknown file type '.xyz'" in errors["notes.xyz"]["error"]
    assert "corrupt or truncated .docx" in errors["sub/cut.docx"]["error"]
    for record in errors.values():
        assert set(record) == {"note", "elements", "codes", "claim_findings", "outcome", "error"}
        assert record["codes"] == [] and record["outcome"] == "error"


def test_result_records_follow_the_json_contract(mixed):
    folder, _, out, _ = mixed
    by_path = {os.path.relpath(r["note"]["path"], folder): r for r in _records(out)}
    record = by_path["complex.txt"]
    assert {"note", "elements", "codes", "claim_findings"} <= set(record)
    assert record["note"]["format"] == "txt" and len(record["note"]["sha256"]) == 64
    assert record["note"]["file_sha256"] == hashlib.sha256((folder / "complex.txt").read_bytes()).hexdigest()
    (code,) = record["codes"]
    assert (code["code"], code["verdict"], code["checklist"]["id"]) == ("77290", "supported", "77290")
    evidence = record["elements"]["tangential_ports"]["evidence"][0]
    assert COMPLEX_SIM[evidence["start"]:evidence["end"]] == evidence["text"]
    assert by_path["sub/downcode.pdf"]["codes"][0]["supported_code"] == "77285"
    assert {r["note"]["format"] for r in by_path.values() if not r["error"]} == {"txt", "rtf", "docx", "pdf", "html",
                                                                                 "hl7", "fhir"}


def test_a_note_without_a_billed_code_needs_review(mixed):
    folder, _, out, _ = mixed
    record = next(r for r in _records(out) if r["note"]["path"].endswith("no_code.hl7"))
    assert record["outcome"] == "needs_review" and record["codes"] == []
    assert [f["rule"] for f in record["claim_findings"]] == ["no-billed-code"]


def test_summary_counts_and_never_quotes_a_note(mixed):
    _, _, _, result = mixed
    output = result.output
    assert "notes: 32 (28 checked, 4 errors)" in output
    assert "codes: 21 (supported 7, downcode 7, unsupported 7, needs_review 0)" in output
    assert "notes with no billed code (needs_review): 7" in output
    assert "hidden files and folders left out: 1" in output
    for phrase in ("TESTCASE", "tangential", "Vac-Lok", "lumpectomy"):
        assert phrase not in output


@pytest.mark.parametrize(("notes", "code"), [((COMPLEX_SIM,), 0), ((COMPLEX_SIM, DOWNCODE_SIM), 1)])
def test_exit_codes(tmp_path, notes, code):
    for index, text in enumerate(notes):
        write_txt(tmp_path / f"n{index}.txt", text)
    result = _scan(str(tmp_path), "--out", str(tmp_path.parent / f"r{code}.jsonl"), "--workers", "1")
    assert result.exit_code == code, result.output


def test_empty_folder_and_missing_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    assert _scan(str(tmp_path / "empty"), "--out", str(tmp_path / "r.jsonl")).exit_code == 2
    result = _scan(str(tmp_path / "nope"))
    assert result.exit_code == 2 and "not a folder" in result.output


def test_output_and_report_inside_the_scanned_folder_are_not_scanned(tmp_path):
    write_txt(tmp_path / "a.txt", COMPLEX_SIM)
    for _ in range(2):
        result = _scan(str(tmp_path), "--out", str(tmp_path / "r.jsonl"), "--html", str(tmp_path / "r.html"),
                       "-w", "1")
        assert result.exit_code == 0, result.output
        assert [r["note"]["path"] for r in _records(tmp_path / "r.jsonl")] == [str(tmp_path / "a.txt")]


def test_standard_output(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_txt(folder / "a.txt", COMPLEX_SIM)
    result = _scan(str(folder), "--out", "-", "-w", "1", "-q")
    (line,) = [x for x in result.stdout.splitlines() if x.strip()]
    assert json.loads(line)["outcome"] == "supported"


def test_csv_one_row_per_note_and_code_spreadsheet_safe(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = Path("=export")  # a folder name a spreadsheet would run as a formula
    folder.mkdir()
    write_txt(folder / "sim, left breast.txt", COMPLEX_SIM)
    write_txt(folder / "sim_0312.txt", DOWNCODE_SIM)
    (folder / "empty.txt").write_bytes(b"")
    manifest = folder / "charges.csv"
    manifest.write_text('note,codes\n"sim, left breast.txt",77290 77280\nsim_0312.txt,77290\nempty.txt,77285 77290\n')
    result = _scan(str(folder), "-m", str(manifest), "--format", "csv", "--bom", "--out", "r.csv", "-w", "1")
    assert result.exit_code == 2, result.output
    raw = Path("r.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfpath,code,verdict,supported_code,missing,query,reasons,error")
    assert raw.count(b"\r\n") == 6
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert [(r["path"], r["code"], r["verdict"], r["supported_code"]) for r in rows] == [
        ("'=export/sim, left breast.txt", "77290", "supported", "77290"),
        ("'=export/sim, left breast.txt", "77280", "supported", "77280"),
        ("'=export/sim_0312.txt", "77290", "downcode", "77285"),
        ("'=export/empty.txt", "77285", "error", ""), ("'=export/empty.txt", "77290", "error", "")]
    assert rows[2]["missing"] == "contrast" and rows[2]["query"].startswith("Please")
    assert rows[3]["error"] == "empty file" and rows[3]["outcome"] == "error"


def test_note_text_stays_out_of_the_terminal_on_errors(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "broken.hl7").write_text("MSH|^~\\&|A|B|C|D|2025||ADT^A01|1|P|2.5\rPID|1||TESTCASE^MARGARET\r")
    (folder / "note.pdf").write_text(COMPLEX_SIM)
    result = _scan(str(folder), "--out", str(tmp_path / "r.jsonl"), "-w", "1")
    assert result.exit_code == 2
    assert "TESTCASE" not in result.output and "tangential" not in result.output
    assert "not a document message" in result.output and "not a valid PDF file" in result.output


def test_a_note_that_runs_too_long_or_breaks_the_engine_is_an_error_record(tmp_path, monkeypatch):
    import time

    import rtaudit.api

    folder = tmp_path / "export"
    folder.mkdir()
    write_txt(folder / "slow.txt", COMPLEX_SIM)
    write_txt(folder / "boom.txt", DOWNCODE_SIM)
    real = rtaudit.api.check_note

    def flaky(text, *args, **kwargs):
        if "tangential" in text:
            time.sleep(5)
        if "parallel-opposed" in text:
            raise ValueError(f"cannot parse {text[:40]}")  # a message that quotes the note
        return real(text, *args, **kwargs)

    monkeypatch.setattr(rtaudit.api, "check_note", flaky)
    out = tmp_path / "r.jsonl"
    started = time.perf_counter()
    result = _scan(str(folder), "--out", str(out), "-w", "1", "--timeout", "1")
    assert time.perf_counter() - started < 5
    errors = {os.path.basename(r["note"]["path"]): r["error"] for r in _records(out)}
    assert errors["slow.txt"] == "took longer than 1 s; skipped (raise --timeout to allow more)"
    assert errors["boom.txt"] == "internal error (ValueError) while checking this note; please report it"
    assert "PALLIATIVE" not in result.output and result.exit_code == 2


def test_jsonl_lines_are_ascii_escaped_exactly_as_json_dumps_writes_them():
    """The fast writer (pydantic-core, then escaping) must give the same line as ``json.dumps(ensure_ascii=True)``:
    checklist sources carry "§", and a U+2028 in a note would otherwise split a line for some readers."""
    from rtaudit.scan.writers import JsonlWriter

    record = {"note": {"path": "notes/sim é.txt"}, "sources": ["rules digest §2.2"], "quote": "☒ 4DCT\u2028😀 \"x\"\n",
              "values": [1, 2.5, None, True]}
    line = JsonlWriter.render(record)
    assert line == json.dumps(record, ensure_ascii=True, separators=(",", ":")) + "\n"
    assert line.isascii() and line.count("\n") == 1 and json.loads(line) == record


def test_a_worker_killed_mid_note_loses_nothing_and_does_not_hang(tmp_path, monkeypatch):
    """A worker process killed by the system (out of memory) broke the pool and the scan waited forever; now the
    notes in flight are run again and the note that kills its worker twice becomes an error record."""
    import signal
    import time

    import rtaudit.scan.worker

    folder = tmp_path / "export"
    folder.mkdir()
    for index in range(40):  # several chunks in flight when the worker dies
        write_txt(folder / f"sim_{index:02d}.txt", COMPLEX_SIM)
    write_txt(folder / "sim_03_kills_its_worker.txt", DOWNCODE_SIM)
    real = rtaudit.scan.worker._check

    def dies_on_one_note(job, options):  # runs in the forked workers
        if "kills_its_worker" in job.path:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(job, options)

    monkeypatch.setattr(rtaudit.scan.worker, "_check", dies_on_one_note)
    out = tmp_path / "r.jsonl"
    started = time.perf_counter()
    result = _scan(str(folder), "--out", str(out), "-w", "2")
    assert time.perf_counter() - started < 30
    records = {os.path.basename(r["note"]["path"]): r for r in _records(out)}
    assert sorted(records) == sorted(p.name for p in folder.iterdir())  # each path exactly once
    assert "worker process checking this note died" in records["sim_03_kills_its_worker.txt"]["error"]
    assert all(r["outcome"] == "supported" for name, r in records.items() if "kills" not in name)
    assert result.exit_code == 2
