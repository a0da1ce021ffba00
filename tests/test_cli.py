"""The command line through typer's CliRunner: check (file, stdin, JSON contract, exit codes), codes, explain, eval."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from rtaudit.cli import app

runner = CliRunner()

COMPLEX_SIM = """CT SIMULATION NOTE
Date of service: 03/04/2025
The patient underwent CT simulation today. She was positioned supine on a breast board with both arms up.
Planning CT of the chest was acquired with 2.5 mm slices. Three tattoos were placed.
Left whole breast, one treatment area, treated with medial and lateral tangential fields.
IV contrast: none.
CPT: 77290
Electronically signed by Ada Testwell, MD on 03/04/2025 16:42
"""


def _write(tmp_path, text, name="note.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_check_json_contract_and_exit_zero_when_supported(tmp_path):
    path = _write(tmp_path, COMPLEX_SIM)
    result = runner.invoke(app, ["check", str(path), "--code", "77290", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) == {"note", "elements", "codes", "claim_findings"}
    assert report["note"]["path"] == str(path) and len(report["note"]["sha256"]) == 64
    assert report["note"]["encoding"] == "utf-8"
    (code,) = report["codes"]
    assert code["code"] == "77290" and code["verdict"] == "supported" and code["supported_code"] == "77290"
    assert code["checklist"]["id"] == "77290" and code["checklist"]["sources"]
    tangents = report["elements"]["tangential_ports"]
    assert tangents["status"] == "present"
    evidence = tangents["evidence"][0]
    assert COMPLEX_SIM[evidence["start"]:evidence["end"]] == evidence["text"]
    assert report["elements"]["contrast"]["status"] == "negated"
    assert report["elements"]["treatment_area_count"]["value"] == 1


def test_check_uses_codes_written_in_the_note(tmp_path):
    result = runner.invoke(app, ["check", str(_write(tmp_path, COMPLEX_SIM)), "--format", "json"])
    assert [c["code"] for c in json.loads(result.output)["codes"]] == ["77290"]


def test_check_exit_one_when_a_code_is_not_supported(tmp_path):
    text = COMPLEX_SIM.replace("Electronically signed by Ada Testwell, MD on 03/04/2025 16:42", "Pending signature")
    result = runner.invoke(app, ["check", str(_write(tmp_path, text)), "-c", "77290", "-f", "json"])
    assert result.exit_code == 1
    (code,) = json.loads(result.output)["codes"]
    assert code["verdict"] == "unsupported" and code["missing"] == ["physician_signature"]
    assert code["query"].startswith("Please")


def test_check_reads_stdin_and_claim_codes():
    note = ("4DCT simulation with RPM; 10 phases reconstructed, MIP generated. ITV contoured on the MIP.\n"
            "Electronically signed by Ada Testwell, MD on 03/04/2025 16:42\n")
    alone = runner.invoke(app, ["check", "-", "--code", "77293", "-f", "json"], input=note)
    assert alone.exit_code == 1
    assert json.loads(alone.output)["codes"][0]["missing"] == ["primary_plan"]
    with_primary = runner.invoke(app, ["check", "-", "--code", "77293", "--claim-code", "77295", "-f", "json"],
                                 input=note)
    assert with_primary.exit_code == 0, with_primary.output


def test_check_table_output_shows_verdict_and_evidence(tmp_path):
    result = runner.invoke(app, ["check", str(_write(tmp_path, COMPLEX_SIM)), "--code", "77290"])
    assert result.exit_code == 0
    assert "SUPPORTED" in result.output and "tangential_ports" in result.output


def test_unknown_code_is_bad_usage(tmp_path):
    result = runner.invoke(app, ["check", str(_write(tmp_path, COMPLEX_SIM)), "--code", "99999"])
    assert result.exit_code == 2 and "no checklist for 99999" in result.output


def test_missing_file_is_exit_two_with_one_line(tmp_path):
    result = runner.invoke(app, ["check", str(tmp_path / "absent.txt"), "--code", "77290"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "no such file" in result.output


def test_empty_and_binary_notes_are_exit_two_without_quoting_content(tmp_path):
    empty = _write(tmp_path, "   \n", "empty.txt")
    assert runner.invoke(app, ["check", str(empty)]).exit_code == 2
    binary = tmp_path / "scan.txt"
    binary.write_bytes(b"\x00\x01SECRET-PHI\x00" * 20)
    result = runner.invoke(app, ["check", str(binary)])
    assert result.exit_code == 2 and "binary" in result.output and "SECRET-PHI" not in result.output


def test_cp1252_note_is_read_and_reported(tmp_path):
    path = tmp_path / "cp.txt"
    path.write_bytes(COMPLEX_SIM.replace("breast board", "breast board \u2013 10\u00b0 incline").encode("cp1252"))
    result = runner.invoke(app, ["check", str(path), "-c", "77290", "-f", "json"])
    assert result.exit_code == 0
    assert json.loads(result.output)["note"]["encoding"] == "cp1252"


def test_note_without_any_billed_code_is_flagged(tmp_path):
    text = COMPLEX_SIM.replace("CPT: 77290\n", "")
    result = runner.invoke(app, ["check", str(_write(tmp_path, text)), "-f", "json"])
    assert result.exit_code == 1
    assert json.loads(result.output)["claim_findings"][0]["rule"] == "no-billed-code"


def test_codes_and_explain():
    listing = runner.invoke(app, ["codes"])
    assert listing.exit_code == 0 and "77290" in listing.output and "G0562" in listing.output
    explained = runner.invoke(app, ["explain", "77290"])
    assert explained.exit_code == 0
    assert "tangential ports" in explained.output and "Sources:" in explained.output
    assert "77280 < 77285 < 77290" in explained.output
    assert runner.invoke(app, ["explain", "12345"]).exit_code == 2


def test_eval_scores_a_labeled_folder(tmp_path):
    _write(tmp_path, COMPLEX_SIM, "case.txt")
    label = {"note_id": "case", "billed": ["77290"], "claim_context": [],
             "expected": {"77290": {"verdict": "supported", "supported_code": "77290", "missing": []}},
             "elements": {"tangential_ports": "present", "contrast": "negated", "treatment_area_count": 1}}
    (tmp_path / "case.json").write_text(json.dumps(label))
    result = runner.invoke(app, ["eval", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0
    figures = json.loads(result.output)
    assert figures["verdict_accuracy"] == 1.0 and figures["false_passes"] == 0
    assert figures["count_accuracy"] == 1.0


def test_eval_verbose_lists_a_right_verdict_with_a_different_missing_list(tmp_path):
    _write(tmp_path, COMPLEX_SIM, "case.txt")
    label = {"note_id": "case", "billed": ["77290"], "claim_context": [],
             "expected": {"77290": {"verdict": "supported", "supported_code": "77290", "missing": ["contrast"]}},
             "elements": {}}
    (tmp_path / "case.json").write_text(json.dumps(label))
    result = runner.invoke(app, ["eval", str(tmp_path), "--verbose"])
    assert result.exit_code == 0
    assert "case 77290: right verdict, missing list differs: gold ['contrast'], got []" in result.output


def test_paste_mode_on_a_terminal_checks_each_note_until_an_empty_one(monkeypatch):
    import rtaudit.cli as cli

    monkeypatch.setattr(cli, "_stdin_is_terminal", lambda: True)
    result = runner.invoke(app, ["check", "--code", "77290", "--format", "json"], input=COMPLEX_SIM)
    assert result.exit_code == 0
    assert '"verdict": "supported"' in result.output
    assert "Ctrl-D" in result.output and "bye" in result.output


def test_paste_mode_quits_at_once_on_an_empty_note(monkeypatch):
    import rtaudit.cli as cli

    monkeypatch.setattr(cli, "_stdin_is_terminal", lambda: True)
    result = runner.invoke(app, ["check"], input="")
    assert result.exit_code == 0 and "bye" in result.output and "verdict" not in result.output


def test_check_reads_a_docx_note(tmp_path):
    import docx

    document = docx.Document()
    for line in COMPLEX_SIM.splitlines():
        document.add_paragraph(line)
    path = tmp_path / "note.docx"
    document.save(path)
    result = runner.invoke(app, ["check", str(path), "--code", "77290", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["note"]["format"] == "docx" and report["codes"][0]["verdict"] == "supported"
