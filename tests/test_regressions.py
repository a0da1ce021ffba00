"""Regression tests, each named after the mistake it caught on a development note."""

from __future__ import annotations

import pytest

from rtaudit.api import check_note


def test_key_value_on_a_prose_sentence_with_a_colon_is_not_a_template_field(status_of):
    text = ("After coaching, two CT data sets were acquired: one free-breathing and one during a voluntary deep "
            "inspiration breath-hold.")
    assert status_of(text, "imaging_modality") == "present"


def test_free_breathing_negates_motion_management_only(status_of):
    text = "Planning CT acquired free-breathing with gating considered unnecessary."
    assert status_of(text, "imaging_modality") == "present"


def test_long_key_value_line_is_still_a_section_header(status_of):
    text = ("CLINICAL TREATMENT PLANNING\nPrior RT:        2018 - right breast and supraclavicular region, 50 Gy in "
            "25 fractions using\n                 tangential fields plus an SCV field (outside facility)\n"
            "Treatment area:  L4 vertebral body (single area)\n")
    assert status_of(text, "tangential_ports") == "historical"


def test_key_starting_with_a_digit_starts_its_own_line_unit(status_of):
    text = "Imaging: Helical CT abdomen, 2 mm, with IV and oral contrast\n4DCT: Deferred to 03/24/2025\n"
    assert status_of(text, "respiratory_motion_assessment") == "hypothetical"
    assert status_of(text, "contrast") == "present"


def test_parenthesised_number_word_counts_areas(findings_of):
    text = "Sites simulated today (two):\n  - left hip\n  - right femur\nT8 as a third site once the MRI is reviewed.\n"
    assert findings_of(text)["treatment_area_count"].value == 2


def test_numeric_value_zero_point_five_is_not_a_none_value(status_of):
    assert status_of("Bolus:           0.5 cm tissue-equivalent bolus every other day\n", "bolus") == "present"


def test_earlier_today_is_this_episode(status_of):
    text = "Simulation:       CT simulation completed earlier today (supine, lower-body Vac-Lok)\n"
    assert status_of(text, "simulation_performed") == "present"


def test_bystander_inside_a_failed_attempt_is_not_negated(status_of):
    text = "Severe kyphosis; a Vac-Lok cushion was tried at simulation and not tolerated.\n"
    assert status_of(text, "immobilization") == "negated"
    assert status_of(text, "simulation_performed") == "present"


def test_considered_but_not_required_negates_the_device(status_of):
    text = ("I considered custom Cerrobend blocks to shield the larynx, but they are not required: the larynx lies "
            "outside the fields as drawn.")
    assert status_of(text, "complex_blocking") == "negated"


def test_template_entry_selected_in_error_documents_nothing(status_of):
    text = ('Blocking:\n  Open fields - no blocks (the "multiple blocks" entry below was selected\n'
            '                  in error by the template default)\n')
    assert status_of(text, "multiple_blocks") == "negated"


def test_self_declared_complexity_line_is_not_evidence(findings_of):
    text = "Complexity ...... [ ] Simple  [x] Intermediate - multiple blocks  [ ] Complex\n"
    assert "multiple_blocks" not in findings_of(text)


def test_abbreviation_in_brackets_shares_the_assertion_of_its_long_form(status_of):
    text = "We will consider deep inspiration breath hold (DIBH) with AlignRT surface monitoring."
    assert status_of(text, "motion_management") == "hypothetical"


def test_future_attempt_is_hypothetical_not_negated(status_of):
    assert status_of("A repeat 4DCT will be attempted at a re-sim next week.", "respiratory_motion_assessment") == \
        "hypothetical"


def test_conditional_intent_is_not_negated_by_no_other_disease(status_of):
    text = "If restaging shows no other disease, the goal will be curative; otherwise palliative."
    assert status_of(text, "treatment_intent") == "hypothetical"


def test_knee_sponge_and_straps_are_not_immobilization(status_of):
    assert status_of("Immobilization: None. Standard headrest, knee sponge and ankle roll only.",
                     "immobilization") == "negated"


def test_bgrt_unit_named_alone_is_not_pet_acquisition(status_of):
    assert status_of("kVCT acquired on the BgRT unit, 2 mm, free breathing.", "pet_ct_acquisition") is None


def test_technologist_cosignature_is_not_a_physician_signature(status_of):
    text = ("Documented and e-signed by: J. Testwell, RT(T)  06/04/2025 11:48\n"
            "Co-signed: P. Testwell, CNMT  06/04/2025 11:52\n"
            "Attending physician review / signature: not yet signed\n")
    assert status_of(text, "physician_signature") == "negated"


def test_dosimetry_sites_are_not_treatment_areas(findings_of):
    text = "- OSLD in vivo dosimetry at ten sites on fraction 1.\n"
    assert "treatment_area_count" not in findings_of(text)


def test_per_area_beam_pairs_are_not_a_port_total(findings_of):
    text = ("There are two separate treatment areas. The adrenal mass will be treated with AP/PA opposed fields and "
            "the humerus with AP/PA opposed fields.")
    findings = findings_of(text)
    assert findings["treatment_area_count"].value == 2 and "port_count" not in findings


def test_megavoltage_energy_is_not_a_port_count(findings_of):
    text = "one area, the whole bladder, using AP/PA parallel-opposed 10 MV fields without blocks."
    assert findings_of(text)["port_count"].value == 2


def test_addendum_correction_wins_over_the_body():
    text = ("CT SIMULATION - PELVIS\nSimulation: CT simulation performed, supine, Vac-Lok.\n"
            "Contrast: IV contrast (Omnipaque) planned to outline the nodal vessels.\n"
            "Treatment areas: pelvis, para-aortic nodes\n\nADDENDUM 06/02/2025\nCorrection: IV contrast was NOT "
            "administered; IV access failed.\nElectronically signed by Ada Testwell, MD on 06/02/2025 12:00\n")
    (verdict,) = check_note(text, ["77290"]).codes
    assert (verdict.verdict, verdict.supported_code, verdict.missing) == ("downcode", "77285", ["contrast"])


@pytest.mark.parametrize(("text", "expected"), [
    ("The thoracic tumor board recommended postoperative radiotherapy, and the intent is curative.", "present"),
    ("The treatment intent is therefore to be determined after restaging.", "hypothetical"),
])
def test_recommendation_scope_stops_before_a_new_clause(status_of, text, expected):
    assert status_of(text, "treatment_intent") == expected


def test_doses_to_be_confirmed_later_in_a_long_clause_are_not_a_prescription(status_of):
    text = ("Planned doses: 45 Gy in 5 fractions to the adrenal and 35 Gy in 5 fractions to L2 and the iliac bone, "
            "to be confirmed after modeling review.")
    assert status_of(text, "prescription") == "hypothetical"


def test_signature_found_after_letters_that_grow_when_lower_cased():
    """'İ' lower-cases to two characters; the signature search sliced a lower-cased copy by the original offsets and
    missed a signature word at the end of a later line."""
    from rtaudit.nlp.signatures import find_signatures

    text = "Patient: İİİİİİİİİİİİ\nAda Testwell, MD 03/04/2025 electronically signed\n"
    found = [(m.label, m.status) for m in find_signatures(text)]
    assert ("physician_signature", "present") in found


def test_charge_line_describing_the_code_is_not_documentation_of_a_simulation():
    text = ("ASSESSMENT AND PLAN:\n - CT simulation scheduled 04/18/2025: supine, Vac-Lok lower body, IV contrast\n"
            " - Consent signed today\n\nCharges: 99205-25; 77290 (complex simulation)\n\n"
            "Electronically signed by Marcus Demo, MD 04/11/2025 17:55\n")
    report = check_note(text, ["77290"])
    assert report.codes[0].verdict == "unsupported"
    assert report.elements["simulation_performed"].status == "hypothetical"
    assert report.elements["contrast"].status == "hypothetical"


def test_charges_block_header_ends_at_the_blank_line_before_the_signature(status_of):
    text = "CHARGES\n77290 complex simulation\n\nElectronically signed by Ingrid Mockford, MD 04/09/2025 12:10\n"
    assert status_of(text, "physician_signature") == "present"
    assert status_of(text, "simulation_performed") is None or status_of(text, "simulation_performed") == "absent"


def test_addendum_header_with_a_time_corrects_the_body(status_of):
    text = ("Simulation: CT simulation performed. IV contrast administered.\n\n"
            "ADDENDUM  04/10/2025 09:05\nCorrection to the note above: IV contrast was NOT given at this simulation. "
            "The scan was non-contrast.\n")
    assert status_of(text, "contrast") == "negated"
    assert status_of(text, "simulation_performed") == "present"


def test_dotted_leader_field_with_none_is_a_negative_value_not_a_header(status_of):
    text = "Marks .......... (x) Tattoos x3\nContrast ....... None\n4DCT ........... N/A\nPorts .......... AP/PA\n"
    assert status_of(text, "contrast") == "negated"
    assert status_of(text, "respiratory_motion_assessment") == "negated"


PHYSICS_CONSULT = (
    "SPECIAL MEDICAL PHYSICS CONSULTATION\nDate of service: 04/29/2025\n"
    "Dr. Demo requested registration of the post-operative MRI to the planning CT for IMRT planning.\n"
    "Physics report: deformable registration performed and checked; agreement within 1.5 mm. Report attached.\n"
    "Signed: Lena Sampleman, PhD, DABR 04/29/2025 09:12\n")


def test_physics_consult_billed_with_imrt_planning_is_bundled_not_supported():
    alone = check_note(PHYSICS_CONSULT, ["77370"])
    assert alone.codes[0].verdict == "supported"
    bundled = check_note(PHYSICS_CONSULT, ["77370"], ["77301", "77338"])
    assert bundled.codes[0].verdict == "unsupported" and bundled.codes[0].supported_code is None
    assert "inside 77301" in bundled.codes[0].reasons[0]
    assert [(f.rule, f.codes) for f in bundled.claim_findings] == [("imrt-planning-bundle", ["77370", "77301"])]


def test_bundling_is_left_to_the_caller_that_applies_dated_claim_rules():
    report = check_note(PHYSICS_CONSULT, ["77370"], ["77301"], bundling=False)
    assert report.codes[0].verdict == "supported" and report.claim_findings == []


# One status each, named for what it caught: (id, note text, element, expected status).
STATUS_REGRESSIONS = [
    ("section_header_with_irregular_spacing_is_still_a_history_section",
     "Past  medical   history:  left breast cancer, tangential fields to 50 Gy.\n\n"
     "SIMULATION:\nCT simulation performed supine on a breast board.\n", "tangential_ports", "historical"),
    ("date_of_service_on_a_charge_line_still_dates_the_service",
     "Plan adjustment: none required.\nCharges: 77331 (DOS 04/28/2025)\n", "date_of_service", "present"),
    ("failed_4dct_attempt_cancels_the_belt_and_phases_it_used",
     "We attempted a four dimensional CT with the Anzai belt, however his breathing was very irregular, the phase "
     "sorted images showed severe artifact, and the 4D data set is not usable for planning.\n",
     "respiratory_motion_assessment", "negated"),
    ("device_used_after_a_failed_attempt_is_still_present",
     "A thermoplastic mask was attempted but not tolerated; a Vac-Lok bag was used instead.\n",
     "immobilization", "present"),
    ("arc_therapy_considered_and_not_pursued_is_negated",
     "Beam arrangement: four-field box. VMAT was considered and not pursued.\n", "rotation_arc", "negated"),
    ("date_and_time_measured_is_a_date_of_service",
     "Date/time measured: 04/28/2025 08:15 (fraction 1)\n", "date_of_service", "present"),
    ("first_person_request_is_a_physician_request",
     "REQUEST\nI request that total skin electron beam therapy be carried out as a special procedure.\n",
     "physician_request", "present"),
    ("standing_treatment_positions_document_patient_position",
     "Six patient positions (anterior, posterior and four oblique standing positions); patient stood at the "
     "stand.\n", "patient_position", "present"),
    ("form_version_tag_is_not_a_dvh_metric",
     "[RO SIM + PLANNING WORKSHEET v5]\nDOS ............ 04/14/2025\n", "dvh", None),
    ("dvh_metric_with_its_achieved_value_is_a_dvh",
     "Lung V20 = 28%, mean lung dose 14 Gy.\n", "dvh", "present"),
    ("drug_taken_bid_is_not_twice_daily_fractionation",
     "New headaches on dexamethasone 4 mg BID; lumbar puncture done.\n", "time_dose_constraints", None),
    ("twice_daily_fractions_are_special_time_dose_constraints",
     "TBI 12 Gy in 6 fractions BID, at least 6 hours apart.\n", "time_dose_constraints", "present"),
    ("mlc_conformal_shaping_only_with_no_custom_blocks_is_not_complex_blocking",
     "Three converging fields, AP and two posterior obliques. MLC conformal shaping only; no custom blocks.\n",
     "complex_blocking", "negated"),
    ("mlc_shaping_to_shield_an_organ_is_complex_blocking",
     "Opposed laterals with MLC shaping to shield the parotids and the oral cavity.\n", "complex_blocking",
     "present"),
    ("indication_and_need_field_states_medical_necessity",
     "Indication and need: myeloablative conditioning before allogeneic transplant; lung shielding and in vivo "
     "verification at every fraction.\n", "medical_necessity", "present"),
    ("header_with_a_parenthetical_before_its_colon_is_a_prior_course_section",
     "PRIOR RADIATION (outside facility, records reviewed):\nTreated with AP/PA fields shaped with custom "
     "Cerrobend blocks.\n\nAssessment and plan:\n- Three converging fields; no custom blocks this course.\n",
     "complex_blocking", "negated"),
    ("short_title_line_ends_a_prior_course_section",
     "PRIOR RADIATION:\nIn 2022, 30 Gy in 10 fractions, palliative.\n\nCurrent problem:\nPalliative intent; "
     "Rx 20 Gy in 5 fractions.\n", "prescription", "present"),
    ("bulleted_next_item_is_a_plan_for_later",
     "Assessment and plan:\n- Rx: 20 Gy in 5 fractions.\n- Next: CT simulation 10/23, 3D plan review, start 10/28.\n",
     "simulation_performed", "hypothetical"),
    ("signature_field_marked_pending_is_an_unsigned_note",
     "Dictated by: J. Tech, RTT 03/01/2025\nPhysician signature: pending\n", "physician_signature", "negated"),
    ("arcs_considered_but_not_selected_are_negated",
     "Dynamic conformal arcs were considered but not selected because of the gating\nwindow.\n", "rotation_arc",
     "negated"),
    ("initially_planned_technique_replaced_later_is_negated",
     "Initially planned VMAT (2 full arcs) to bladder plus nodes; the plan was changed to 3D conformal. VMAT is no "
     "longer\nbeing used.\n", "rotation_arc", "negated"),
    ("negation_phrase_wrapped_over_a_line_break_still_negates",
     "After review the plan was changed. Gating is no longer\nbeing used for this patient.\n", "motion_management",
     "negated"),
    ("pasted_outside_record_is_an_earlier_episode",
     "Today: non-contrast CT.\n\n--- Pasted from outside record (Lakeview, Simulation Report, 03/14/2023) ---\n"
     "\"Blocks: custom Cerrobend cord-sparing blocks.\"\n--- end of pasted text ---\n", "complex_blocking",
     "historical"),
    ("measurement_date_and_time_field_is_a_date_of_service",
     "Measurement date/time: 08/05/2025 10:42 (fraction 1)\n", "date_of_service", "present"),
    ("order_signed_by_a_physician_is_a_physician_request",
     "Order text (copied from order #4471820):\n   - OSLD on the chest wall scar\n   - Ordered by R. Haddad, MD "
     "07/29/2025\n", "physician_request", "present"),
    ("analysis_heading_of_a_physics_worksheet_is_a_physics_report",
     "PHYSICS WORKSHEET - CIED\n\nAnalysis\n  1. Device 4 cm from the field edge; estimated dose 0.8 Gy.\n",
     "physics_report", "present"),
    ("attending_addendum_inline_corrects_the_resident_body",
     "Procedure: vaginal marker placed with contrast gel.\n\nATTENDING ADDENDUM: I disagree with the resident. The "
     "marker was inserted dry; no contrast was given. Remainder of the note is accurate.\n", "contrast", "negated"),
    ("encounter_field_with_a_date_is_a_date_of_service",
     "Name: TESTPATIENT, BRAVO    Encounter: 04/03/2025\n", "date_of_service", "present"),
    ("wrapped_prose_line_opening_with_a_dated_finding_stays_in_its_section",
     "HPI: 47 y/o with cervical carcinoma, FIGO IIB. MRI pelvis\n04/02/2025: 4.6 cm cervical mass. "
     "CT chest/abdomen/pelvis\nwith contrast 04/04/2025: new supraclavicular node.\n\n"
     "PLAN:\nCT simulation scheduled next week.\n", "contrast", "historical"),
]


@pytest.mark.parametrize(("text", "element", "expected"), [pytest.param(*case[1:], id=case[0])
                                                            for case in STATUS_REGRESSIONS])
def test_status_regression(status_of, text, element, expected):
    assert status_of(text, element) == expected


def test_three_field_plan_considered_but_a_simple_pair_chosen_is_not_three_converging_ports():
    text = ("Clinical treatment planning. Intent: palliative. Rx 30 Gy in 10 fractions.\n"
            " - One treatment area: pancreatic head.\n"
            " - A three-field arrangement (AP + opposed laterals) was considered to lower kidney and\n"
            "   bowel dose, but because he cannot lie flat for long, a simple AP/PA pair was chosen.\n"
            "Electronically signed by Ana Testdoc, MD 06/02/2025 10:00\n")
    verdict = check_note(text, ["77262"]).codes[0]
    assert (verdict.verdict, verdict.supported_code) == ("downcode", "77261")


def test_every_element_rule_is_keyed_to_words_but_the_title_line_ones():
    """A rule with no word key is tried at every word of every note: one such rule made checking 20% slower."""
    import json

    from rtaudit.nlp.text_pipeline import model_path

    keys = json.loads((model_path() / "element_ruler" / "word_keys.json").read_text(encoding="utf-8"))
    unkeyed = [rule for rule, words in (keys.items() if isinstance(keys, dict) else enumerate(keys)) if not words]
    assert all(str(rule).startswith("\\A") for rule in unkeyed), unkeyed
