"""``rtaudit hook``: claims on stdin in every format, one decision JSON line per claim, exit 0 / 3 / 2, error records
for malformed claims while the others are still decided, and re-sent claims answered from the audit trail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rtaudit.cli import app

FIXTURES = Path(__file__).parent / "fixtures" / "claims"
NOTES = FIXTURES / "notes"
runner = CliRunner()


def claim(claim_id: str, lines, note_paths=True) -> dict:
    """lines: (code, modifiers, date, note file stem or None)."""
    stems = sorted({stem for *_, stem in lines if stem})
    return {"claim_id": claim_id, "patient_id": "P-1", "course_id": "K-1", "payer": "medicare",
            "place_of_service": "11",
            "lines": [{"code": code, "modifiers": mods, "units": 1, "date_of_service": date, "note": stem}
                      for code, mods, date, stem in lines],
            "notes": [{"id": stem, "path": f"{stem}.txt"} if note_paths else
                      {"id": stem, "text": (NOTES / f"{stem}.txt").read_text(encoding="utf-8")} for stem in stems]}


PASSING = claim("C-PASS", [("77290", ["26"], "2025-03-18", "sim_4dct"), ("77293", ["26"], "2025-03-18", "sim_4dct"),
                           ("77295", ["26"], "2025-03-18", "plan_3d")])
HOLDING = claim("C-HOLD", [("77290", ["26"], "2025-03-18", "sim_4dct"), ("77293", ["26"], "2025-03-18", "sim_4dct")],
                note_paths=False)


def hook(tmp_path, data: str | bytes, *extra: str):
    args = ["hook", "--audit-db", str(tmp_path / "audit.sqlite3"), "--notes-dir", str(NOTES), *extra]
    result = runner.invoke(app, args, input=data)
    records = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result, records


def test_json_lines_all_pass_exit_zero(tmp_path):
    result, records = hook(tmp_path, json.dumps(PASSING) + "\n")
    assert result.exit_code == 0, result.output
    (record,) = records
    assert set(record) == {"claim_id", "decision", "lines", "claim_findings", "versions"}
    assert record["claim_id"] == "C-PASS" and record["decision"] == "pass"
    assert [(line["code"], line["decision"], line["verdict"]) for line in record["lines"]] == [
        ("77290", "pass", "supported"), ("77293", "pass", "supported"), ("77295", "pass", "supported")]
    assert set(record["lines"][0]) >= {"code", "decision", "verdict", "reasons", "query"}
    assert set(record["versions"]) == {"checklists", "rules"}


def test_any_hold_exits_three_with_reasons_and_query(tmp_path):
    result, records = hook(tmp_path, json.dumps(PASSING) + "\n" + json.dumps(HOLDING) + "\n")
    assert result.exit_code == 3, result.output
    assert [(r["claim_id"], r["decision"]) for r in records] == [("C-PASS", "pass"), ("C-HOLD", "hold")]
    addon = records[1]["lines"][1]
    assert addon["decision"] == "hold" and any("addon-without-primary" in r for r in addon["reasons"])
    assert records[1]["claim_findings"][0]["rule"] == "addon-without-primary"


def test_malformed_claims_get_error_records_and_the_others_are_decided(tmp_path):
    bad_units = json.loads(json.dumps(PASSING))
    bad_units["claim_id"], bad_units["lines"][0]["units"] = "C-BAD", 0
    escaping = claim("C-ESC", [("77290", [], "2025-03-18", "sim_4dct")])
    escaping["notes"][0]["path"] = "../../../etc/passwd"
    text = "\n".join([json.dumps(bad_units), "{broken", json.dumps(PASSING), json.dumps(escaping),
                      json.dumps(HOLDING)]) + "\n"
    result, records = hook(tmp_path, text)
    assert result.exit_code == 2
    assert [(r["claim_id"], r["decision"]) for r in records] == [
        ("C-BAD", "error"), (None, "error"), ("C-PASS", "pass"), ("C-ESC", "error"), ("C-HOLD", "hold")]
    assert records[0]["source"] == "stdin line 1" and "lines.0.units" in records[0]["error"]
    assert "not valid JSON" in records[1]["error"] and "'..' is not allowed" in records[3]["error"]
    assert "stdin line 2" in result.stderr


def test_one_json_document_with_a_list_of_claims(tmp_path):
    result, records = hook(tmp_path, json.dumps([PASSING, HOLDING], indent=2))
    assert result.exit_code == 3 and [r["claim_id"] for r in records] == ["C-PASS", "C-HOLD"]


def test_hl7_batch(tmp_path):
    result, records = hook(tmp_path, (FIXTURES / "ro_batch.hl7").read_bytes())
    assert result.exit_code == 3, result.output
    assert [(r["claim_id"], r["decision"]) for r in records] == [("DFT-1001", "pass"), ("DFT-1002", "hold")]


def test_malformed_hl7_message_is_an_error_record(tmp_path):
    text = (FIXTURES / "ro_batch.hl7").read_text(encoding="utf-8")
    broken = text.replace("FT1|1|TX-DFT-1001-1||20250318", "FT1|1|TX-DFT-1001-1||2025031")
    result, records = hook(tmp_path, broken)
    assert result.exit_code == 2
    assert [(r["claim_id"], r["decision"]) for r in records] == [("DFT-1001", "error"), ("DFT-1002", "hold")]


def test_fhir_bundle(tmp_path):
    result, records = hook(tmp_path, (FIXTURES / "ro_bundle.json").read_bytes())
    assert result.exit_code == 0, result.output
    assert [(r["claim_id"], r["decision"]) for r in records] == [("FHIR-2001", "pass")]


def test_resent_claim_returns_the_recorded_decision(tmp_path):
    first, records = hook(tmp_path, json.dumps(HOLDING) + "\n")
    again, replayed = hook(tmp_path, json.dumps(HOLDING) + "\n")
    assert first.exit_code == again.exit_code == 3 and replayed == records
    export = runner.invoke(app, ["audit", "export", "--audit-db", str(tmp_path / "audit.sqlite3")])
    assert len(export.stdout.splitlines()) == 1


def test_no_note_text_on_stderr_or_in_error_records(tmp_path):
    secret = "Quillon Vexmarrow"
    bad = {
        "claim_id": "C-X", "lines": [{"code": "77290", "date_of_service": "2025-03-18", "units": secret, "note": "n"}],
        "notes": [{"id": "n", "text": secret}]}
    result, records = hook(tmp_path, json.dumps(bad) + "\n")
    assert result.exit_code == 2 and secret not in result.output and secret not in json.dumps(records)


@pytest.mark.parametrize("rules_change", ["kind: frequency"])
def test_bad_claim_rules_folder_fails_with_exit_two(tmp_path, rules_change):
    import shutil

    folder = tmp_path / "rules"
    shutil.copytree(Path(__file__).parents[1] / "claim_rules", folder)
    (folder / "mue.yaml").write_text((folder / "mue.yaml").read_text().replace("kind: mue", rules_change))
    result, records = hook(tmp_path, json.dumps(PASSING) + "\n", "--claim-rules", str(folder))
    assert result.exit_code == 2 and records == [] and "mue.yaml:2" in result.stderr


def test_empty_input_passes(tmp_path):
    result, records = hook(tmp_path, "")
    assert result.exit_code == 0 and records == []
