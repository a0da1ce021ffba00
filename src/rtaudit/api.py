"""The public Python API: ``check_note`` and friends, the same engine the CLI, scan and hook use."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from rtaudit.billed_codes import billed_codes_in
from rtaudit.findings import summarize
from rtaudit.report.model import ClaimFinding, NoteInfo, Report
from rtaudit.rules.checklist import ChecklistSet, load_checklists
from rtaudit.rules.evaluate import CodeVerdict, evaluate


def find_elements(text: str) -> list[dict]:
    """The element mentions of a note (plain dicts with status, trigger, section and offsets)."""
    from rtaudit.nlp.text_pipeline import annotate_text

    return annotate_text(text)["rt_mentions"]  # the pipeline's own annotators, on the text (no token Doc needed)


def check_note(text: str, codes: Iterable[str] = (), claim_codes: Iterable[str] = (), *,
               path: str | None = None, part: str | None = None, format: str = "txt", encoding: str | None = None,
               checklists: ChecklistSet | None = None, quote_words: bool = True, bundling: bool = True) -> Report:
    """Check one note against the checklists of ``codes`` (or of the codes written in the note).

    ``part`` names the note inside a file that holds several (``PATH#PART``).
    ``claim_codes`` are other codes on the same claim/date: they satisfy add-on rules such as 77293's, and with
    ``bundling`` a billed code that is inside one of them (77370 or 77331 with IMRT planning 77301) is unsupported.
    Callers that apply the claim rules themselves, with dates, payer and modifiers (the hook), pass
    ``bundling=False``. ``quote_words=False`` keeps the note's words out of the verdicts' reasons (they cite
    character offsets only); the evidence in ``Report.elements`` still quotes the note.
    """
    rules = checklists or load_checklists()
    billed = [c.strip().upper() for c in codes if c.strip()] or billed_codes_in(text)
    others = [c.strip().upper() for c in claim_codes if c.strip()]
    mentions = find_elements(text)
    findings = summarize(mentions, text)
    verdicts = evaluate(billed, findings, rules, others, words=quote_words)
    claim_findings = [
        ClaimFinding(rule="addon-without-primary", codes=[v.code], severity="hold",
                     message=f"{v.code} is an add-on code and no primary planning code is on the claim")
        for v in verdicts if "primary_plan" in v.missing
    ]
    if bundling:
        claim_findings += _mark_bundled(verdicts, billed + [c for c in others if c not in billed])
    if not billed:
        claim_findings.append(ClaimFinding(
            rule="no-billed-code", codes=[], severity="hold",
            message="no billed code was given and none is written in the note (e.g. 'CPT: 77290')"))
    note = NoteInfo(path=path, part=part, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), format=format,
                    encoding=encoding)
    return Report(note=note, elements=findings, codes=verdicts, claim_findings=claim_findings)


def _mark_bundled(verdicts: list[CodeVerdict], codes: list[str]) -> list[ClaimFinding]:
    """Make each billed code that is inside a primary on the same claim unsupported, with the claim rule's reason."""
    from rtaudit.claims.rules import BundleRule, load_claim_rules

    found = []
    for rule in load_claim_rules().rules:
        if not isinstance(rule, BundleRule):
            continue
        inside = rule.inside_primary(codes)
        for verdict in verdicts:
            primary = inside.get(verdict.code)
            if primary is None:
                continue
            message = (f"{verdict.code} is inside {primary} on the same claim ({rule.title[0].lower()}"
                       f"{rule.title[1:]}; window: {rule.default_window.name}); bill it separately only for a "
                       "different tumor or course")
            verdict.verdict, verdict.supported_code = "unsupported", None
            verdict.reasons.insert(0, message)  # the deciding reason first
            found.append(ClaimFinding(rule=rule.id, codes=[verdict.code, primary], severity=rule.severity,
                                      message=message))
    return found
