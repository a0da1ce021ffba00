"""The public Python API: ``check_note`` and friends, the same engine the CLI, scan and hook use."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from rtaudit.billed_codes import billed_codes_in
from rtaudit.findings import summarize
from rtaudit.report.model import ClaimFinding, NoteInfo, Report
from rtaudit.rules.checklist import ChecklistSet, load_checklists
from rtaudit.rules.evaluate import evaluate


def find_elements(text: str) -> list[dict]:
    """The element mentions of a note (plain dicts with status, trigger, section and offsets)."""
    from rtaudit.nlp.text_pipeline import annotate_text

    return annotate_text(text)["rt_mentions"]  # the pipeline's own annotators, on the text (no token Doc needed)


def check_note(text: str, codes: Iterable[str] = (), claim_codes: Iterable[str] = (), *,
               path: str | None = None, part: str | None = None, format: str = "txt", encoding: str | None = None,
               checklists: ChecklistSet | None = None, quote_words: bool = True) -> Report:
    """Check one note against the checklists of ``codes`` (or of the codes written in the note).

    ``part`` names the note inside a file that holds several (``PATH#PART``).
    ``claim_codes`` are other codes on the same claim/date (they satisfy add-on rules such as 77293's).
    ``quote_words=False`` keeps the note's words out of the verdicts' reasons (they cite character offsets only);
    the evidence in ``Report.elements`` still quotes the note.
    """
    rules = checklists or load_checklists()
    billed = [c.strip().upper() for c in codes if c.strip()] or billed_codes_in(text)
    mentions = find_elements(text)
    findings = summarize(mentions, text)
    verdicts = evaluate(billed, findings, rules, [c.strip().upper() for c in claim_codes], words=quote_words)
    claim_findings = [
        ClaimFinding(rule="addon-without-primary", codes=[v.code], severity="hold",
                     message=f"{v.code} is an add-on code and no primary planning code is on the claim")
        for v in verdicts if "primary_plan" in v.missing
    ]
    if not billed:
        claim_findings.append(ClaimFinding(
            rule="no-billed-code", codes=[], severity="hold",
            message="no billed code was given and none is written in the note (e.g. 'CPT: 77290')"))
    note = NoteInfo(path=path, part=part, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), format=format,
                    encoding=encoding)
    return Report(note=note, elements=findings, codes=verdicts, claim_findings=claim_findings)
