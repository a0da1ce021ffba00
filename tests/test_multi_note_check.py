"""``rtaudit check`` on files that hold several notes: each note under a heading, JSON Lines with ``--format
json``, ``FILE#PART`` for one note; single-note files keep their output."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from fixtures.scan.multi_note import plain_concatenation, searchset_bundle, three_message_batch, write_bytes, write_json
from fixtures.scan.note_files import COMPLEX_SIM, write_hl7
from rtaudit.cli import app

runner = CliRunner()


def _check(*args: str):
    return runner.invoke(app, ["check", *args])


def test_json_lines_one_object_per_note_and_an_error_object_for_a_broken_one(tmp_path):
    path = write_bytes(tmp_path / "batch.hl7", three_message_batch())
    result = _check(str(path), "--format", "json")
    assert result.exit_code == 2  # a note could not be read
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    first, broken, third = (json.loads(line) for line in lines)
    assert [o["note"]["part"] for o in (first, broken, third)] == ["DOC-0001", "DOC-0002", "DOC-0003"]
    assert first["note"]["path"] == str(path) and first["codes"][0]["verdict"] == "supported"
    assert set(first) == {"note", "elements", "codes", "claim_findings"}
    assert third["codes"][0]["verdict"] == "downcode"
    assert broken["error"] == "OBX ED attachment is not valid base64" and broken["codes"] == []
    assert result.stderr == f"rtaudit: {path}#DOC-0002: OBX ED attachment is not valid base64\n"
    assert "SECRETNAME" not in result.output


def test_each_note_has_a_heading_with_its_part_never_cut_short_by_a_long_path(tmp_path):
    """A rich rule truncated the heading of a long path, hiding the part id it exists to show."""
    path = write_json(tmp_path / "search.json", searchset_bundle())
    result = _check(str(path), "--code", "77290")
    assert result.exit_code == 2
    for index, part in enumerate(("sim-1", "sim-2", "sim-3"), start=1):
        assert f"{path}#{part}  (note {index} of 3)" in result.stdout
    assert "not checked: attachment data is not valid base64" in result.stdout
    assert result.stdout.count("77290  SUPPORTED") == 1 and "77290  DOWNCODE" in result.stdout


def test_exit_status_of_a_readable_multi_note_file_follows_its_verdicts(tmp_path):
    path = write_bytes(tmp_path / "two.hl7", plain_concatenation())
    assert _check(str(path), "--format", "json").exit_code == 1  # DOC-0102 has no billed code
    assert _check(f"{path}#DOC-0101", "--format", "json").exit_code == 0


def test_file_hash_part_checks_just_that_note(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a short path: the panel title fits the 80-column test terminal
    path = write_bytes(tmp_path / "batch.hl7", three_message_batch()).relative_to(tmp_path)
    result = _check(f"{path}#DOC-0003", "--format", "json")
    report = json.loads(result.stdout)  # one (pretty) object, as for a single-note file
    assert report["note"]["path"] == str(path) and report["note"]["part"] == "DOC-0003"
    assert report["codes"][0]["verdict"] == "downcode" and result.exit_code == 1
    table = _check(f"{path}#DOC-0001")
    assert f"rtaudit: {path}#DOC-0001" in table.stdout and "(note 1 of" not in table.stdout


def test_a_missing_or_broken_part_is_one_line_and_exit_two(tmp_path):
    path = write_bytes(tmp_path / "batch.hl7", three_message_batch())
    missing = _check(f"{path}#DOC-0404")
    assert missing.exit_code == 2
    assert missing.stderr == (f"rtaudit: {path}: no note 'DOC-0404' in this file (its notes: DOC-0001, DOC-0002, "
                              "DOC-0003)\n")
    broken = _check(f"{path}#DOC-0002")
    assert broken.exit_code == 2 and broken.stderr.count("\n") == 1 and "not valid base64" in broken.stderr


def test_single_note_files_keep_their_output(tmp_path):
    path = write_hl7(tmp_path / "one.hl7", COMPLEX_SIM)
    result = _check(str(path), "--format", "json")
    assert result.exit_code == 0 and result.stdout.startswith("{\n")  # one pretty object, not JSON Lines
    report = json.loads(result.stdout)
    assert report["note"] == {"path": str(path), "part": None, "sha256": report["note"]["sha256"], "format": "hl7",
                              "encoding": "ascii"}
    assert "(note 1 of" not in _check(str(path)).stdout
