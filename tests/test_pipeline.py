"""The spaCy pipeline as a spaCy citizen: built from blank English, saved, loaded, pickled, multi-process."""

from __future__ import annotations

import pickle
from pathlib import Path

import spacy

from rtaudit.nlp.pipeline import COMPONENTS, MODEL_DIR, PATTERNS_DIR, build_pipeline

NOTE = """CT SIMULATION
Patient was simulated supine on a wing board. Planning CT acquired with 3 mm slices.
No IV contrast was given. Three tattoos placed.
Electronically signed by Ada Testwell, MD on 03/04/2025 10:00
"""


def _mentions(doc):
    return [(m["label"], m["start"], m["end"], m["status"]) for m in doc._.rt_mentions]


def test_pipeline_is_blank_english_plus_our_components(nlp):
    assert nlp.lang == "en"
    assert nlp.pipe_names == [name for name, _, _ in COMPONENTS]
    assert "ner" not in nlp.pipe_names and "parser" not in nlp.pipe_names


def test_shipped_model_matches_the_pattern_files(nlp):
    """models/ is built from patterns/; a stale build would silently ignore an analyst's edit."""
    fresh = build_pipeline(PATTERNS_DIR)
    for name, _, pattern_file in COMPONENTS:
        if pattern_file:
            assert nlp.get_pipe(name).patterns == fresh.get_pipe(name).patterns, f"rebuild models/: {name}"


def test_shipped_model_loads_with_spacy_load():
    loaded = spacy.load(MODEL_DIR)
    assert loaded.meta["name"] == "rtaudit_ro"
    doc = loaded(NOTE)
    assert any(m["label"] == "immobilization" for m in doc._.rt_mentions)


def test_disk_round_trip_keeps_behaviour(nlp, tmp_path):
    nlp.to_disk(tmp_path / "model")
    reloaded = spacy.load(tmp_path / "model")
    assert _mentions(reloaded(NOTE)) == _mentions(nlp(NOTE))


def test_bytes_round_trip_of_a_component(nlp):
    ruler = nlp.get_pipe("element_ruler")
    data = ruler.to_bytes()
    copy = build_pipeline(PATTERNS_DIR).get_pipe("element_ruler")
    copy.initialize(patterns=[])
    assert copy.patterns == []
    copy.from_bytes(data)
    assert copy.patterns == ruler.patterns


def test_pipeline_pickles(nlp):
    clone = pickle.loads(pickle.dumps(nlp))
    assert _mentions(clone(NOTE)) == _mentions(nlp(NOTE))


def test_nlp_pipe_with_two_processes_gives_the_same_mentions(nlp):
    texts = [NOTE, NOTE.replace("No IV contrast was given", "Oral contrast was given"), NOTE * 2]
    single = [_mentions(doc) for doc in nlp.pipe(texts)]
    multi = [_mentions(doc) for doc in nlp.pipe(texts, n_process=2, batch_size=1)]
    assert multi == single


def test_doc_extensions_hold_plain_data_only(nlp):
    doc = nlp(NOTE)
    restored = type(doc)(nlp.vocab).from_bytes(doc.to_bytes())
    assert restored._.rt_mentions == doc._.rt_mentions
    assert restored.spans["rt_elements"]


def test_element_spans_go_to_doc_spans_with_rule_ids(nlp):
    doc = nlp(NOTE)
    spans = doc.spans["rt_elements"]
    labels = {span.label_ for span in spans}
    assert {"immobilization", "contrast", "physician_signature"} <= labels
    assert all(span.id_ for span in spans)


def test_sentences_follow_clinical_layout(nlp):
    doc = nlp("SIMULATION\nPosition: supine\nImmobilization: Vac-Lok\n- tattoos x3\n- no contrast\n\nPlan. Done.")
    sentences = [s.text.strip() for s in doc.sents]
    assert "Position: supine" in sentences
    assert "Immobilization: Vac-Lok" in sentences
    assert "- tattoos x3" in sentences


def test_abbreviation_defined_by_the_note_carries_the_element(nlp):
    text = ("Motion management: a pneumatic abdominal compression belt (PACB) was fitted at simulation.\n"
            "Plan: PACB used at every fraction.\n")
    doc = nlp(text)
    short_forms = [m for m in doc._.rt_mentions if m["rule"] == "motion_management/note-abbreviation"]
    assert short_forms and text[short_forms[-1]["start"]:short_forms[-1]["end"]] == "PACB"
    assert doc._.rt_abbreviations[0]["long_text"].endswith("compression belt")


def test_known_short_forms_skip_the_abbreviation_detector(nlp):
    doc = nlp("Deep inspiration breath hold (DIBH) was used.\n")
    assert doc._.rt_abbreviations == []


def test_check_path_on_text_gives_the_same_mentions_as_the_doc_pipeline(nlp):
    """check_note runs the components on the text without a token Doc; both paths must agree."""
    from rtaudit.api import find_elements

    sample_notes = Path(__file__).resolve().parents[1] / "sample_notes"
    texts = [p.read_text(encoding="utf-8") for p in sorted(sample_notes.glob("*.txt"))]
    texts.append("Motion management: a pneumatic abdominal compression belt (PACB) was fitted.\nPACB used daily.\n")
    assert len(texts) > 40
    for text in texts:
        assert find_elements(text) == nlp(text)._.rt_mentions


def test_checking_a_note_does_not_import_spacy():
    """``check_note`` runs the annotators read from ``models/`` straight on the text: a one-note check must not
    pay spaCy's start-up (it did until the annotators were separated from the spaCy components)."""
    import subprocess
    import sys

    code = ("import sys; from rtaudit.api import check_note; "
            "r = check_note('CT simulation performed. Vac-Lok bag made.\\nCPT: 77280\\n'); "
            "print(r.codes[0].code, 'spacy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["77280", "False"]


def test_a_note_defined_abbreviation_becomes_a_mention_on_the_text_path():
    from rtaudit.api import find_elements

    text = "Motion management: a pneumatic abdominal compression belt (PACB) was fitted.\nPACB used daily.\n"
    labels = [m["label"] for m in find_elements(text) if m["rule"].endswith("/note-abbreviation")]
    assert labels and set(labels) == {"motion_management"}


def test_a_model_folder_with_an_unknown_component_is_loaded_with_spacy(nlp, tmp_path):
    from rtaudit.nlp.annotators import load_annotators
    from rtaudit.nlp.text_pipeline import load_text_pipeline

    custom = spacy.blank("en")
    for name, _ in nlp.pipeline:
        config = {k: v for k, v in nlp.get_pipe_config(name).items() if k != "factory"}
        custom.add_pipe(nlp.get_pipe_meta(name).factory, name=name, config=config)
        if hasattr(nlp.get_pipe(name), "patterns"):
            custom.get_pipe(name).add_patterns(nlp.get_pipe(name).patterns)
    custom.add_pipe("sentencizer", first=True)
    custom.to_disk(tmp_path / "custom")
    assert load_annotators(tmp_path / "custom") is None  # "sentencizer" is not one of rtaudit's annotators
    custom_pipeline = load_text_pipeline(str(tmp_path / "custom"))
    text = "CT simulation performed; no IV contrast.\n"
    assert custom_pipeline.annotate(text)["rt_mentions"] == nlp(text)._.rt_mentions
    assert custom_pipeline.step("assertion") is not None
