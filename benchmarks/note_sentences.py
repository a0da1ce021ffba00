"""The sentences the speed benchmarks build synthetic notes from, by section: the layouts and cues of real
simulation and planning notes (immobilization, contrast given and withheld, 4DCT, counts, a prior course, a
family member, a plan for later). Shared by ``check_speed.py`` and ``scan_bench.py``."""

from __future__ import annotations

SECTIONS = {
    "SIMULATION": [
        "The patient underwent CT simulation today in the treatment position.",
        "She was positioned supine with arms above her head on a wing board.",
        "A custom Vac-Lok cushion was fabricated for immobilization.",
        "Planning CT was acquired from the mandible to the iliac crests with 3 mm slices.",
        "No IV contrast was given because of reduced renal function.",
        "Oral contrast was administered 30 minutes before the scan.",
        "Three tattoos were placed and BBs were used to mark the isocenter.",
        "A 4DCT was acquired with the RPM block and sorted into 10 phases.",
        "Deep inspiration breath hold was considered but not used.",
        "The patient tolerated the procedure well without difficulty.",
    ],
    "PLANNING": [
        "The ITV was contoured on the MIP and verified on each phase.",
        "Treatment areas: left lung, mediastinum and right adrenal.",
        "Fields: AP, PA, right lateral, left lateral.",
        "Custom MLC shielding of the heart and spinal cord was designed.",
        "MRI fusion will be performed once the study is obtained.",
        "Dose constraints: cord max < 45 Gy, mean lung dose < 20 Gy, V20 < 30%.",
        "Prescription: 60 Gy in 30 fractions with VMAT, two arcs.",
        "Target volumes: GTV, CTV and PTV were delineated; OARs were contoured.",
    ],
    "HISTORY": [
        "The prior course in 2019 used an Aquaplast mask and opposed laterals.",
        "Her mother was treated with radiation for breast cancer.",
        "History: s/p left upper lobectomy in 2021 with adjuvant chemotherapy.",
        "Plan: start treatment next week after physics QA.",
    ],
}

#: Every sentence, section by section.
SENTENCES = [sentence for sentences in SECTIONS.values() for sentence in sentences]
