"""Claim-level rules on plain facts: for each shipped rule, a claim that trips it and one that does not; the rule
files and the MUE CSV validate with errors naming file, line and field."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from rtaudit.claims.rules import CLAIM_RULES_DIR, ClaimFacts, LineFacts, load_claim_rules, load_mue_csv
from rtaudit.datafiles import DataFileError

D = dt.date(2025, 3, 18)


def line(number, code, *modifiers, units=1, date=D, elements=()):
    return LineFacts(number, code, frozenset(modifiers), units, date, frozenset(elements))


def prior(code, *modifiers, units=1, date=D):
    return line(None, code, *modifiers, units=units, date=date)


def claim(*lines, prior_lines=(), payer="medicare", pos="11"):
    return ClaimFacts(lines=tuple(lines), prior=tuple(prior_lines), payer=payer, place_of_service=pos)


@pytest.fixture(scope="module")
def rules():
    return load_claim_rules()


def fired(rules, facts, rule_id):
    """(line numbers, severity) of each finding of one rule."""
    return [(f.lines, f.severity) for f in rules.apply(facts) if f.rule == rule_id]


def days(n):
    return D + dt.timedelta(days=n)


# add-on without primary
def test_addon_without_primary_holds_77293_alone(rules):
    assert fired(rules, claim(line(1, "77290"), line(2, "77293")), "addon-without-primary") == [([2], "hold")]


def test_addon_with_primary_on_same_date_passes(rules):
    for primary in ("77295", "77301"):
        assert fired(rules, claim(line(1, "77293"), line(2, primary)), "addon-without-primary") == []


def test_addon_with_primary_on_another_date_holds(rules):
    facts = claim(line(1, "77293"), line(2, "77295", date=days(3)))
    assert fired(rules, facts, "addon-without-primary") == [([1], "hold")]


def test_addon_primary_billed_earlier_the_same_day_counts(rules):
    assert fired(rules, claim(line(1, "77293"), prior_lines=[prior("77295")]), "addon-without-primary") == []


# IMRT planning bundle and its per-payer window
def test_imrt_bundle_same_course_for_medicare_freestanding(rules):
    facts = claim(line(1, "77290", date=days(-40)), line(2, "77295", date=days(-5)), line(3, "77301"),
                  line(4, "77300"))
    assert fired(rules, facts, "imrt-planning-bundle") == [([1], "hold"), ([2], "hold")]


def test_imrt_bundle_needs_77301_in_the_course(rules):
    assert fired(rules, claim(line(1, "77290"), line(2, "77295")), "imrt-planning-bundle") == []


def test_imrt_bundle_sees_77301_billed_on_an_earlier_claim(rules):
    facts = claim(line(1, "77370", date=days(2)), prior_lines=[prior("77301")])
    assert fired(rules, facts, "imrt-planning-bundle") == [([1], "hold")]


def test_imrt_bundle_opps_window_is_14_days_before(rules):
    inside = claim(line(1, "77290", date=days(-14)), line(2, "77301"), pos="22")
    outside = claim(line(1, "77290", date=days(-15)), line(2, "77301"), pos="22")
    after = claim(line(1, "77290", date=days(1)), line(2, "77301"), pos="22")
    assert fired(rules, inside, "imrt-planning-bundle") == [([1], "hold")]
    assert fired(rules, outside, "imrt-planning-bundle") == []
    assert fired(rules, after, "imrt-planning-bundle") == []


def test_imrt_bundle_opps_adds_brachytherapy_isodose_plans(rules):
    assert fired(rules, claim(line(1, "77316"), line(2, "77301"), pos="22"), "imrt-planning-bundle") == [([1], "hold")]
    assert fired(rules, claim(line(1, "77316"), line(2, "77301"), pos="11"), "imrt-planning-bundle") == []


def test_imrt_bundle_commercial_window_is_30_days_around(rules):
    facts = claim(line(1, "77290", date=days(30)), line(2, "77295", date=days(31)), line(3, "77014"),
                  line(4, "77301"), payer="BCBSNC", pos="22")
    # Blue Cross NC: 30 days before or after, and its list leaves 77014 out
    assert fired(rules, facts, "imrt-planning-bundle") == [([1], "hold")]


def test_imrt_bundle_distinct_modifier_on_another_date_is_advisory(rules):
    facts = claim(line(1, "77290", "59", date=days(-3)), line(2, "77285", "59"), line(3, "77301"))
    assert fired(rules, facts, "imrt-planning-bundle") == [([1], "advisory"), ([2], "hold")]


# one simulation per date
def test_second_simulation_same_date_holds(rules):
    facts = claim(line(1, "77290"), line(2, "77280"))
    assert fired(rules, facts, "one-simulation-per-date") == [([2], "hold")]


def test_simulations_on_different_dates_pass(rules):
    assert fired(rules, claim(line(1, "77290"), line(2, "77280", date=days(7))), "one-simulation-per-date") == []


def test_second_simulation_with_76_and_documented_reason_passes(rules):
    facts = claim(line(1, "77290"), line(2, "77290", "76", elements={"brachy_source_verification"}))
    assert fired(rules, facts, "one-simulation-per-date") == []


def test_second_simulation_with_76_but_no_reason_holds_and_says_what_is_missing(rules):
    facts = claim(line(1, "77290", "76"), line(2, "77290"))
    (finding,) = [f for f in rules.apply(facts) if f.rule == "one-simulation-per-date"]
    assert finding.lines == [1] and "reason documented" in finding.message and "modifier" not in finding.message


def test_second_simulation_with_reason_but_no_modifier_holds(rules):
    facts = claim(line(1, "77290"), line(2, "77290", elements={"time_dose_constraints"}))
    (finding,) = [f for f in rules.apply(facts) if f.rule == "one-simulation-per-date"]
    assert finding.lines == [2] and "modifier 76 or 59" in finding.message


def test_two_units_of_simulation_on_one_line_holds(rules):
    assert fired(rules, claim(line(1, "77285", units=2)), "one-simulation-per-date") == [([1], "hold")]


def test_simulation_already_billed_that_day_counts(rules):
    facts = claim(line(1, "77280"), prior_lines=[prior("77290")])
    assert fired(rules, facts, "one-simulation-per-date") == [([1], "hold")]


# verification simulation in an IMRT course
def test_verification_simulation_in_imrt_course_holds(rules):
    facts = claim(line(1, "77280", date=days(20)), prior_lines=[prior("77301")])
    assert fired(rules, facts, "verification-simulation-in-imrt-course") == [([1], "hold")]


def test_verification_simulation_in_3d_course_passes(rules):
    facts = claim(line(1, "77280", date=days(20)), prior_lines=[prior("77295")])
    assert fired(rules, facts, "verification-simulation-in-imrt-course") == []


# once per course, 77338 once per IMRT plan
@pytest.mark.parametrize("codes", [("77263", "77262"), ("77295", "77295"), ("77301", "77301"), ("77370", "77370"),
                                   ("77470", "77470")])
def test_second_once_per_course_service_holds(rules, codes):
    facts = claim(line(1, codes[0]), line(2, codes[1], date=days(9)))
    assert fired(rules, facts, "once-per-course") == [([2], "hold")]


def test_once_per_course_services_once_each_pass(rules):
    facts = claim(line(1, "77263"), line(2, "77295"), line(3, "77370"), line(4, "77470"))
    assert fired(rules, facts, "once-per-course") == []


def test_once_per_course_counts_earlier_claims_and_units(rules):
    assert fired(rules, claim(line(1, "77263"), prior_lines=[prior("77261", date=days(-9))]),
                 "once-per-course") == [([1], "hold")]
    assert fired(rules, claim(line(1, "77470", units=2)), "once-per-course") == [([1], "hold")]


def test_77338_once_per_imrt_plan(rules):
    one_plan = claim(line(1, "77301"), line(2, "77338"), line(3, "77338", date=days(10)))
    assert fired(rules, one_plan, "once-per-course") == [([3], "hold")]
    boost_plan = claim(line(1, "77338", date=days(10)), prior_lines=[prior("77301"), prior("77338"),
                                                                      prior("77301", date=days(9))])
    # a second 77301 on an earlier claim allows a second 77338 (the 77301 repeat is that claim's problem)
    assert fired(rules, boost_plan, "once-per-course") == []


# professional/technical split and invalid modifiers
@pytest.mark.parametrize("code,modifier", [("77263", "26"), ("77261", "TC"), ("77336", "26"), ("77370", "26")])
def test_split_modifier_on_single_component_code_holds(rules, code, modifier):
    assert fired(rules, claim(line(1, code, modifier)), "professional-technical-split") == [([1], "hold")]


@pytest.mark.parametrize("code,modifier", [("77290", "26"), ("77295", "TC"), ("77336", "TC"), ("77263", "GC")])
def test_allowed_modifiers_pass(rules, code, modifier):
    assert fired(rules, claim(line(1, code, modifier)), "professional-technical-split") == []
    assert fired(rules, claim(line(1, code, modifier)), "invalid-modifiers") == []


def test_modifier_11_is_a_place_of_service(rules):
    (finding,) = [f for f in rules.apply(claim(line(1, "77293", "11"), line(2, "77295"))) if
                  f.rule == "invalid-modifiers"]
    assert finding.lines == [1] and "place-of-service" in finding.message


def test_modifier_22_does_not_fit_planning_codes(rules):
    assert fired(rules, claim(line(1, "77290", "22")), "invalid-modifiers") == [([1], "hold")]
    assert fired(rules, claim(line(1, "77778", "22")), "invalid-modifiers") == []


# MUE from the CSV
def test_mue_over_the_limit_per_date_holds(rules):
    facts = claim(line(1, "77293"), line(2, "77293"), line(3, "77295"))
    found = fired(rules, facts, "mue")
    assert found == [([1], "hold"), ([2], "hold")]


def test_mue_within_the_limit_or_without_a_row_passes(rules):
    assert fired(rules, claim(line(1, "77293"), line(2, "77295"), line(3, "77300", units=6)), "mue") == []


def test_mue_comes_from_the_csv_not_the_code(tmp_path):
    folder = tmp_path / "rules"
    shutil.copytree(CLAIM_RULES_DIR, folder)
    csv_path = folder / "mue_practitioner_example.csv"
    csv_path.write_text(csv_path.read_text(encoding="utf-8").replace('"77293","1"', '"77293","2"'), encoding="utf-8")
    facts = claim(line(1, "77293", units=2), line(2, "77295"))
    assert fired(load_claim_rules(str(folder)), facts, "mue") == []
    assert fired(load_claim_rules(), facts, "mue") == [([1], "hold")]
    assert load_claim_rules(str(folder)).version != load_claim_rules().version


def test_mue_line_indicator_counts_each_line_alone(tmp_path):
    path = tmp_path / "mue.csv"
    path.write_text('"HCPCS/CPT Code","Practitioner Services MUE Values","MUE Adjudication Indicator"\n'
                    '"77300","10","1 Line Edit"\n', encoding="utf-8")
    limits = load_mue_csv(path, "Practitioner Services MUE Values")
    assert limits["77300"].value == 10 and limits["77300"].indicator == 1


# the rule files themselves
def test_every_shipped_rule_has_sources_and_a_known_kind(rules):
    assert {r.id for r in rules.rules} >= {"addon-without-primary", "imrt-planning-bundle", "one-simulation-per-date",
                                           "verification-simulation-in-imrt-course", "once-per-course",
                                           "professional-technical-split", "invalid-modifiers", "mue"}
    assert all(r.sources and r.severity in ("hold", "advisory") for r in rules.rules)
    assert rules.policy.verdicts["unsupported"] == "hold" and len(rules.version) == 12


def _copy_rules(tmp_path):
    folder = tmp_path / "rules"
    shutil.copytree(CLAIM_RULES_DIR, folder)
    return folder


def test_bad_rule_file_error_names_file_line_and_field(tmp_path):
    folder = _copy_rules(tmp_path)
    path = folder / "once-per-course.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('codes: ["77470"]', 'codes: ["7747"]'), encoding="utf-8")
    line_number = next(n for n, t in enumerate(path.read_text().splitlines(), 1) if '"7747"' in t)
    with pytest.raises(DataFileError) as error:
        load_claim_rules(str(folder))
    assert f"once-per-course.yaml:{line_number}:" in str(error.value)
    assert "limits.4.codes" in str(error.value) and "'7747'" in str(error.value)


def test_unknown_kind_and_unknown_placeholder_are_refused(tmp_path):
    folder = _copy_rules(tmp_path)
    path = folder / "mue.yaml"
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace("kind: mue", "kind: frequency"), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"mue.yaml:2: field 'kind'"):
        load_claim_rules(str(folder))
    path.write_text(original.replace("{limit}", "{maximum}"), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"field 'message'.*unknown placeholder \{maximum\}"):
        load_claim_rules(str(folder))


def test_rule_id_must_match_file_name(tmp_path):
    folder = _copy_rules(tmp_path)
    (folder / "mue.yaml").rename(folder / "unit-limits.yaml")
    with pytest.raises(DataFileError, match="does not match the file name 'unit-limits'"):
        load_claim_rules(str(folder))


def test_reason_elements_must_be_known_element_ids(tmp_path):
    folder = _copy_rules(tmp_path)
    path = folder / "one-simulation-per-date.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("time_dose_constraints]", "bid_reason]"),
                    encoding="utf-8")
    with pytest.raises(DataFileError, match="unknown element id 'bid_reason'"):
        load_claim_rules(str(folder))


def test_bad_mue_row_error_names_csv_line_and_column(tmp_path):
    folder = _copy_rules(tmp_path)
    path = folder / "mue_practitioner_example.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5].replace('"1",', '"one",', 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"mue_practitioner_example.csv:6: column 'Practitioner Services MUE "
                                            r"Values': 'one'"):
        load_claim_rules(str(folder))


def test_mue_file_without_header_is_refused(tmp_path):
    path = tmp_path / "mue.csv"
    path.write_text("code,units\n77290,1\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="no header row with a 'HCPCS/CPT Code' column"):
        load_mue_csv(path, "Practitioner Services MUE Values")


def test_code_ranges_expand(tmp_path):
    from rtaudit.claims.rules import _expand_codes

    assert _expand_codes(["77261-77263", "G0562"]) == ["77261", "77262", "77263", "G0562"]
    with pytest.raises(ValueError):
        _expand_codes(["77263-77261"])
