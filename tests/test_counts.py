"""Treatment-area and port counts from digits, number words, enumerations and beam arrangements."""

from __future__ import annotations

import pytest

from rtaudit.nlp.counts import find_area_counts, find_port_counts


def _best(counts):
    best_rank = min(c.rank for c in counts)
    return max((c for c in counts if c.rank == best_rank), key=lambda c: c.start).value


@pytest.mark.parametrize(("text", "value"), [
    ("There is one treatment area, the left hilum.", 1),
    ("Two separate treatment areas were set up: pelvis and left femur.", 2),
    ("Three sites: L-spine, right femur and skull.", 3),
    ("Treatment area:    Left whole breast (1 area)", 1),
    ("Treatment areas: left breast, SCV and IMN", 3),
    ("Sites: T10-T12", 1),
    ("Treatment sites: T10-T12 vertebral bodies; left sacrum", 2),
    ("Number of treatment areas: 2", 2),
    ("a single site (whole brain)", 1),
    ("Site 1: L-spine\nSite 2: right femur\nSite 3: skull", 3),
    ("Treatment area(s) ....... 1 - sacrum / presacral mass", 1),  # dotted-leader field
    ("This is a single pelvic treatment area, four-field box.", 1),  # a site adjective before "treatment area"
    ("Treatment areas  1  (T4-T9; one field encompasses the lesions)", 1),  # two spaces for a separator
    ("Beam arrangement:  four-field box (gantry 0/90/180/270), single treatment\narea.", 1),  # a wrapped line
])
def test_area_counts(text, value):
    assert _best(find_area_counts(text)) == value


def test_disease_sites_are_not_treatment_areas():
    assert find_area_counts("Metastatic disease at 5 sites of disease; multiple bone metastases.") == []


@pytest.mark.parametrize(("text", "value"), [
    ("AP/PA parallel-opposed fields", 2),
    ("Opposed laterals to the whole brain", 2),
    ("Medial and lateral tangential fields", 2),
    ("four-field box, 15 MV", 4),
    ("4-field box", 4),
    ("six (6) fields, step-and-shoot IMRT", 6),
    ("7-field IMRT", 7),
    ("Fields: PA, right lateral, left lateral", 3),
    ("Beams: AP, PA", 2),
    ("single en face electron field", 1),
    ("3-field: PA, right lateral, left lateral (3 ports)", 3),
    ("The right breast is treated with medial and lateral tangental fields.", 2),  # common misspelling
    ("Opposed lateral whole-brain fields, 6 MV", 2),
    ("Medial and lateral tangential fields matched at a single isocenter to an anterior oblique SCV field", 3),
    ("Opposed lateral cranial fields matched to a single PA spine field, 6 MV", 3),
    ("Fields (3 total) ........ RAO, LAO and PA", 3),
])
def test_port_counts(text, value):
    assert _best(find_port_counts(text)) == value


@pytest.mark.parametrize("text", [
    "Port-a-cath in place, accessed for chemotherapy.",
    "The scan field of view was extended.",
    "PA and lateral chest x-ray reviewed in the consult." ,
])
def test_port_false_friends_are_not_counted(text):
    assert all(c.rank == 2 or c.value != 1 for c in find_port_counts(text)) or not find_port_counts(text)
    assert not [c for c in find_port_counts(text) if c.rank == 0]


def test_counts_in_pipeline_carry_value_and_offsets(findings_of):
    text = "Treatment area: Pelvis (1)\nFields: 3-field: PA, right lateral, left lateral (3 ports)\n"
    findings = findings_of(text)
    assert findings["treatment_area_count"].value == 1
    assert findings["port_count"].value == 3
    evidence = findings["port_count"].evidence[0]
    assert text[evidence.start:evidence.end] == evidence.text


def test_hypothetical_extra_site_does_not_raise_the_count(findings_of):
    text = ("Two sites were simulated today: left hip and right femur.\n"
            "A third site may be added if the humerus becomes symptomatic.")
    assert findings_of(text)["treatment_area_count"].value == 2


def test_a_matched_field_needs_the_word_matched():
    counts = find_port_counts("AP/PA fields to the pelvis. An electron boost field will follow.")
    assert [c.value for c in counts] == [2]


def test_beam_pair_is_per_area_when_the_note_sets_up_several_areas(findings_of):
    text = "Two treatment areas: left hip and right femur.\nAP/PA fields to each.\n"
    assert "port_count" not in findings_of(text)


def test_level_claim_of_several_areas_does_not_hide_the_beam_pair(findings_of):
    """A scheduling line "Complex (3 areas)" (a level claim, not documentation) made the AP/PA pair look like a
    per-area arrangement and dropped the note's only port count."""
    text = ("Areas planned now: [x] 1   [ ] 2   [ ] 3 or more\n"
            "Ports:            AP/PA parallel-opposed pair\n"
            "Planning level (as selected by scheduling): [ ] Simple  [ ] Intermediate  [x] Complex (3 areas)\n")
    findings = findings_of(text)
    assert findings["port_count"].value == 2
    assert findings["treatment_area_count"].value == 1


def test_opposed_pair_plus_boost_keeps_its_total_under_its_own_rule():
    text = ("Fields (3 total) ........ AP and PA (parallel-opposed) to 20 Gy in 5 fx,\n"
            "                          then a reduced PA field boost, 8 Gy in 2 fx\nPrescription ..... 28 Gy\n")
    stated = [c for c in find_port_counts(text) if c.rank == 0]
    assert [(c.value, c.rule) for c in stated] == [(3, "port_count/opposed-pair-and-boost")]
    converging = "Fields (3 total) ........ RAO, LAO and PA, then a PA boost\n"
    assert [c.rule for c in find_port_counts(converging) if c.rank == 0] == ["port_count/stated"]
