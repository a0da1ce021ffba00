"""The element vocabulary: every documentation element rtaudit can find in a note, in one place.

Ids follow the labeling guide of the gold corpora; new ids may be added when a checklist needs them, but an id is
never renamed (downstream tools key on them).
"""

from __future__ import annotations

from typing import Literal

Status = Literal["present", "negated", "hypothetical", "historical"]
STATUSES: tuple[Status, ...] = ("present", "negated", "hypothetical", "historical")

#: Elements whose finding carries an integer ``value``.
COUNT_ELEMENTS: frozenset[str] = frozenset({"treatment_area_count", "port_count"})

#: Elements decided from the claim, not from the note text.
CLAIM_ELEMENTS: frozenset[str] = frozenset({"primary_plan"})

ELEMENTS: dict[str, str] = {
    "simulation_performed": "a simulation / field-setting session was performed",
    "imaging_modality": "planning images acquired (CT, MRI, PET/CT, fluoroscopy) for this simulation",
    "patient_position": "patient position documented (supine/prone, arms, head first...)",
    "immobilization": "an immobilization device made or used (mask, vacuum cushion, board, bite block...)",
    "isocenter_marks": "isocenter / reference marks / tattoos / BBs placed",
    "treatment_area_count": "number of separate treatment areas",
    "port_count": "number of ports / fields / beams",
    "parallel_opposed": "parallel-opposed ports (AP/PA, opposed laterals)",
    "tangential_ports": "tangential ports or fields",
    "complex_blocking": "complex blocking or custom shielding (Cerrobend, custom MLC shielding)",
    "multiple_blocks": "multiple (non-complex) blocks",
    "rotation_arc": "rotational or arc therapy (arcs, VMAT)",
    "contrast": "contrast material used (IV, oral, rectal, bladder)",
    "brachy_source_verification": "brachytherapy source or applicator verification",
    "hyperthermia_probe_verification": "hyperthermia probe verification",
    "respiratory_motion_assessment": "4DCT / respiration-correlated CT acquired",
    "itv": "internal target volume or motion envelope delineated",
    "motion_management": "gating, breath-hold/DIBH, abdominal compression or tracking",
    "target_volumes": "GTV / CTV / PTV delineated",
    "oar_contours": "organs at risk contoured",
    "image_fusion": "MRI / PET fusion or registration to the planning CT",
    "pet_ct_acquisition": "PET and CT data acquired for radiopharmaceutical-directed planning",
    "volume_reconstruction_3d": "computer-generated 3D reconstruction of volumes",
    "volumetric_dose_calculation": "volumetric (3D) dose calculation",
    "dvh": "dose-volume histogram generated",
    "dose_distribution": "isodose / dose distribution reviewed",
    "treatment_intent": "treatment intent stated (curative, palliative...)",
    "prescription": "dose prescription (dose, fractions)",
    "dose_constraints": "dose constraints for targets and organs at risk",
    "imrt_medical_necessity": "why IMRT rather than 3D / conventional planning",
    "medical_necessity": "patient-specific clinical rationale for the service",
    "physician_request": "written request from the treating physician",
    "physics_report": "physicist's written analysis or report",
    "dosimetry_type": "dosimetry device or type (TLD, OSLD, diode, film...)",
    "dosimetry_results": "measured dosimetry results",
    "plan_adjustment": "decision on the plan from the results (no change needed counts)",
    "physician_signature": "signed by the responsible physician (or physicist where the code is theirs)",
    "signature_date": "the signature carries a date",
    "date_of_service": "date of service present",
    "wedge_compensator": "wedges, compensators or field-in-field modulation",
    "multiple_modalities": "two or more radiation treatment modalities in the plan",
    "time_dose_constraints": "special time/dose considerations (BID, hyperfractionation, re-irradiation limits)",
    "bolus": "tissue-equivalent bolus",
    "primary_plan": "a primary planning code (77295 or 77301) on the same claim",
}


#: Elements proposed beyond the labeling guide's vocabulary: scored only where a corpus labels them.
PROPOSED_ELEMENTS: frozenset[str] = frozenset(
    {"wedge_compensator", "multiple_modalities", "time_dose_constraints", "bolus", "primary_plan"})
