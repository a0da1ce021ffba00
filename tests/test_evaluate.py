"""Verdict paths of every checklist, from plain findings (the rules layer never sees spaCy)."""

from __future__ import annotations

import pytest

from rtaudit.findings import ElementFinding, Evidence
from rtaudit.rules.checklist import load_checklists
from rtaudit.rules.evaluate import evaluate

SIM_BASE = {"simulation_performed": "present", "imaging_modality": "present", "patient_position": "present",
            "physician_signature": "present"}


def _findings(spec: dict[str, object]) -> dict[str, ElementFinding]:
    findings = {}
    for element, status in spec.items():
        value = None
        if isinstance(status, int) and not isinstance(status, bool):
            value, status = status, "present"
        if element == "physician_signature" and isinstance(status, tuple):
            status, role = status
            value = {"role": role}
        evidence = [Evidence(text=element, start=0, end=len(element), status=status, rule=f"{element}/test")]
        findings[element] = ElementFinding(status=status, value=value, evidence=evidence)
    return findings


def _verdict(code: str, spec: dict[str, object], claim: tuple[str, ...] = ()):
    (verdict,) = evaluate([code], _findings(spec), load_checklists(), claim)
    return verdict


@pytest.mark.parametrize(("code", "criterion"), [
    ("77290", {"tangential_ports": "present"}),
    ("77290", {"treatment_area_count": 3}),
    ("77290", {"complex_blocking": "present"}),
    ("77290", {"rotation_arc": "present"}),
    ("77290", {"contrast": "present"}),
    ("77290", {"brachy_source_verification": "present"}),
    ("77290", {"hyperthermia_probe_verification": "present"}),
    ("77285", {"treatment_area_count": 2}),
    ("77285", {"port_count": 4}),
    ("77285", {"multiple_blocks": "present"}),
    ("77280", {"treatment_area_count": 1}),
    ("77280", {"parallel_opposed": "present"}),
])
def test_simulation_level_criteria_are_any_of(code, criterion):
    verdict = _verdict(code, SIM_BASE | criterion)
    assert verdict.verdict == "supported" and verdict.supported_code == code and verdict.missing == []


def test_simulation_billed_lower_than_documented_is_supported():
    assert _verdict("77280", SIM_BASE | {"tangential_ports": "present"}).verdict == "supported"


def test_complex_sim_with_negated_contrast_downcodes_to_simple_naming_contrast():
    verdict = _verdict("77290", SIM_BASE | {"contrast": "negated", "treatment_area_count": 1, "port_count": 2,
                                            "parallel_opposed": "present"})
    assert (verdict.verdict, verdict.supported_code, verdict.missing) == ("downcode", "77280", ["contrast"])
    assert verdict.query and "contrast" in verdict.query


def test_complex_sim_with_two_areas_downcodes_to_intermediate_naming_area_count():
    verdict = _verdict("77290", SIM_BASE | {"treatment_area_count": 2})
    assert (verdict.verdict, verdict.supported_code, verdict.missing) == ("downcode", "77285",
                                                                         ["treatment_area_count"])


@pytest.mark.parametrize("element", ["simulation_performed", "imaging_modality", "physician_signature"])
def test_simulation_without_a_basic_element_is_unsupported(element):
    spec = SIM_BASE | {"tangential_ports": "present"}
    spec[element] = "negated"
    verdict = _verdict("77290", spec)
    assert verdict.verdict == "unsupported" and element in verdict.missing


def test_simulation_needs_position_or_immobilization():
    spec = {k: v for k, v in SIM_BASE.items() if k != "patient_position"} | {"treatment_area_count": 1}
    verdict = _verdict("77280", spec)
    assert verdict.missing == ["patient_position", "immobilization"]
    assert _verdict("77280", spec | {"immobilization": "present"}).verdict == "supported"


def test_simulation_without_any_level_information_is_unsupported_on_area_count():
    verdict = _verdict("77285", SIM_BASE)
    assert (verdict.verdict, verdict.missing) == ("unsupported", ["treatment_area_count"])


def test_signature_by_a_physicist_does_not_sign_a_simulation():
    spec = SIM_BASE | {"treatment_area_count": 1, "physician_signature": ("present", "physicist")}
    assert _verdict("77280", spec).verdict == "unsupported"


@pytest.mark.parametrize(("spec", "claim", "verdict", "missing"), [
    ({"respiratory_motion_assessment": "present", "itv": "present"}, ("77295",), "supported", []),
    ({"respiratory_motion_assessment": "present", "motion_management": "present", "itv": "negated"}, ("77301",),
     "supported", []),
    ({"respiratory_motion_assessment": "present", "itv": "present"}, ("77306",), "unsupported", ["primary_plan"]),
    ({"respiratory_motion_assessment": "hypothetical", "motion_management": "present"}, ("77295",), "unsupported",
     ["respiratory_motion_assessment"]),
    ({"respiratory_motion_assessment": "present"}, ("77295",), "unsupported", ["itv"]),
])
def test_respiratory_motion_addon(spec, claim, verdict, missing):
    result = _verdict("77293", spec | {"physician_signature": "present"}, claim)
    assert (result.verdict, result.missing) == (verdict, missing)


def test_addon_primary_billed_on_the_same_note_counts():
    findings = _findings({"respiratory_motion_assessment": "present", "itv": "present",
                          "physician_signature": "present", "volume_reconstruction_3d": "present",
                          "volumetric_dose_calculation": "present", "dvh": "present"})
    verdicts = evaluate(["77295", "77293"], findings, load_checklists())
    assert [v.verdict for v in verdicts] == ["supported", "supported"]


def test_g0562_needs_pet_ct_and_a_complex_criterion():
    base = {"pet_ct_acquisition": "present", "patient_position": "present", "physician_signature": "present"}
    assert _verdict("G0562", base | {"treatment_area_count": 3}).verdict == "supported"
    result = _verdict("G0562", base | {"treatment_area_count": 1})
    assert (result.verdict, result.missing) == ("unsupported", ["treatment_area_count"])
    result = _verdict("G0562", {"patient_position": "present", "physician_signature": "present",
                                "treatment_area_count": 3})
    assert result.missing == ["pet_ct_acquisition"]


@pytest.mark.parametrize(("spec", "verdict", "missing"), [
    ({"volume_reconstruction_3d": "present", "volumetric_dose_calculation": "present", "dvh": "present"},
     "supported", []),
    ({"target_volumes": "present", "oar_contours": "present", "volumetric_dose_calculation": "present",
      "dvh": "present"}, "supported", []),
    ({"target_volumes": "present", "volumetric_dose_calculation": "present", "dvh": "present"}, "unsupported",
     ["volume_reconstruction_3d"]),
    ({"volume_reconstruction_3d": "present", "volumetric_dose_calculation": "negated", "dvh": "negated"},
     "unsupported", ["volumetric_dose_calculation", "dvh"]),
])
def test_3d_plan(spec, verdict, missing):
    result = _verdict("77295", spec | {"physician_signature": "present"})
    assert (result.verdict, result.missing) == (verdict, missing)


PLANNING_BASE = {"treatment_intent": "present", "prescription": "present", "physician_signature": "present"}


@pytest.mark.parametrize(("code", "criterion"), [
    ("77263", {"tangential_ports": "present"}), ("77263", {"wedge_compensator": "present"}),
    ("77263", {"multiple_modalities": "present"}), ("77263", {"treatment_area_count": 4}),
    ("77263", {"complex_blocking": "present"}), ("77263", {"rotation_arc": "present"}),
    ("77262", {"treatment_area_count": 2}), ("77262", {"port_count": 3}),
    ("77262", {"multiple_blocks": "present"}), ("77262", {"time_dose_constraints": "present"}),
    ("77261", {"treatment_area_count": 1}), ("77261", {"port_count": 1}),
])
def test_clinical_planning_levels(code, criterion):
    assert _verdict(code, PLANNING_BASE | criterion).verdict == "supported"


def test_clinical_planning_downcodes_and_requires_prescription():
    result = _verdict("77263", PLANNING_BASE | {"treatment_area_count": 1, "tangential_ports": "historical"})
    assert (result.verdict, result.supported_code, result.missing) == ("downcode", "77261", ["tangential_ports"])
    result = _verdict("77262", PLANNING_BASE | {"treatment_area_count": 2, "prescription": "hypothetical"})
    assert (result.verdict, result.missing) == ("unsupported", ["prescription"])


IMRT = {"prescription": "present", "dose_constraints": "present", "imrt_medical_necessity": "present",
        "target_volumes": "present", "immobilization": "present", "physician_signature": "present",
        "signature_date": "present"}


@pytest.mark.parametrize("element", sorted(IMRT))
def test_imrt_plan_needs_each_element(element):
    assert _verdict("77301", IMRT).verdict == "supported"
    spec = {k: v for k, v in IMRT.items() if k != element}
    result = _verdict("77301", spec)
    assert (result.verdict, result.missing) == ("unsupported", [element])


def test_special_dosimetry_physicist_signature_counts_and_no_change_is_an_adjustment():
    spec = {"physician_request": "present", "dosimetry_type": "present", "date_of_service": "present",
            "dosimetry_results": "present", "plan_adjustment": "present",
            "physician_signature": ("present", "physicist")}
    assert _verdict("77331", spec).verdict == "supported"
    spec |= {"dosimetry_results": "hypothetical", "plan_adjustment": "hypothetical"}
    assert _verdict("77331", spec).missing == ["dosimetry_results", "plan_adjustment"]


def test_physics_consult_and_special_procedure():
    consult = {"physician_request": "present", "physics_report": "present",
               "physician_signature": ("present", "physicist")}
    assert _verdict("77370", consult).verdict == "supported"
    assert _verdict("77370", consult | {"physics_report": "hypothetical"}).missing == ["physics_report"]
    procedure = {"physician_request": "present", "medical_necessity": "present", "physician_signature": "present"}
    assert _verdict("77470", procedure).verdict == "supported"
    assert _verdict("77470", {k: v for k, v in procedure.items() if k != "medical_necessity"}).missing == [
        "medical_necessity"]


def test_unknown_code_needs_review():
    result = _verdict("77399", SIM_BASE)
    assert result.verdict == "needs_review" and result.checklist is None


def test_every_verdict_carries_reasons_and_its_checklist():
    for code in load_checklists().checklists:
        result = _verdict(code, {})
        assert result.reasons and result.checklist and result.checklist.sources
        assert result.verdict == "unsupported" and result.query


def test_opposed_pair_plus_boost_is_not_three_converging_ports():
    spec = {"treatment_intent": "present", "prescription": "present", "physician_signature": "present",
            "port_count": 3, "treatment_area_count": 1, "parallel_opposed": "present"}
    assert _verdict("77262", spec).verdict == "supported"
    findings = _findings(spec)
    findings["port_count"].evidence[0].rule = "port_count/opposed-pair-and-boost"
    result = evaluate(["77262"], findings, load_checklists(), [])[0]
    assert result.verdict == "downcode" and result.supported_code == "77261"
