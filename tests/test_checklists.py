"""Checklist files: every shipped one loads and cites sources; broken ones fail with file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rtaudit.datafiles import DataFileError
from rtaudit.rules.checklist import CHECKLIST_DIR, load_checklists

REQUIRED_CODES = {"77280", "77285", "77290", "77293", "G0562", "77295", "77261", "77262", "77263", "77301",
                  "77331", "77370", "77470"}


def test_every_required_code_has_a_checklist_with_sources_and_queries():
    checklists = load_checklists()
    assert REQUIRED_CODES <= set(checklists.checklists)
    for checklist in checklists.checklists.values():
        assert checklist.sources, checklist.code
        assert checklist.named_elements() <= set(checklist.queries), checklist.code


def test_ladders_run_from_simple_to_complex():
    checklists = load_checklists()
    assert [c.code for c in checklists.ladder("simulation")] == ["77280", "77285", "77290"]
    assert [c.code for c in checklists.ladder("clinical_planning")] == ["77261", "77262", "77263"]


def _broken_copy(tmp_path: Path, code: str, old: str, new: str) -> Path:
    folder = tmp_path / "checklists"
    shutil.copytree(CHECKLIST_DIR, folder)
    path = folder / f"{code}.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    load_checklists.cache_clear()
    return folder


def test_unknown_element_names_file_line_field_and_value(tmp_path):
    folder = _broken_copy(tmp_path, "77290", "{element: tangential_ports}", "{element: tangent_ports}")
    with pytest.raises(DataFileError) as error:
        load_checklists(str(folder))
    message = str(error.value)
    assert "77290.yaml:" in message and "level_criteria.1.element" in message and "tangent_ports" in message
    line = int(message.split("77290.yaml:")[1].split(":")[0])
    assert "tangent_ports" in (folder / "77290.yaml").read_text().splitlines()[line - 1]


def test_count_criterion_without_bounds_is_rejected(tmp_path):
    folder = _broken_copy(tmp_path, "77285", "{element: treatment_area_count, min: 2, max: 2, label: two separate "
                          "treatment areas}", "{element: treatment_area_count}")
    with pytest.raises(DataFileError, match="needs a min or max"):
        load_checklists(str(folder))


def test_file_name_must_match_code(tmp_path):
    folder = _broken_copy(tmp_path, "77280", 'code: "77280"', 'code: "77281"')
    with pytest.raises(DataFileError, match="does not match the file name"):
        load_checklists(str(folder))


def test_missing_sources_is_rejected(tmp_path):
    folder = tmp_path / "checklists"
    shutil.copytree(CHECKLIST_DIR, folder)
    path = folder / "77370.yaml"
    path.write_text(path.read_text().split("sources:")[0])
    load_checklists.cache_clear()
    with pytest.raises(DataFileError, match="field 'sources'"):
        load_checklists(str(folder))


def test_missing_query_is_reported_with_the_file(tmp_path):
    folder = tmp_path / "checklists"
    shutil.copytree(CHECKLIST_DIR, folder)
    queries = folder / "queries.yaml"
    queries.write_text("\n".join(line for line in queries.read_text().splitlines()
                                 if not line.startswith("hyperthermia_probe_verification:")))
    load_checklists.cache_clear()
    with pytest.raises(DataFileError, match="no physician query for hyperthermia_probe_verification"):
        load_checklists(str(folder))


def test_invalid_yaml_names_the_line(tmp_path):
    folder = _broken_copy(tmp_path, "77331", "version:", "version: [unclosed\nx:")
    with pytest.raises(DataFileError, match=r"77331\.yaml:\d+: not valid YAML"):
        load_checklists(str(folder))
