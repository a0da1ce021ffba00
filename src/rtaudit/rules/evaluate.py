"""From findings to a verdict per billed code: supported, downcode, unsupported or needs_review, with reasons."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel

from rtaudit.elements import COUNT_ELEMENTS
from rtaudit.findings import ElementFinding, Findings
from rtaudit.rules.checklist import Checklist, ChecklistSet, Criterion, Requirement

Verdict = Literal["supported", "downcode", "unsupported", "needs_review"]

_SIGNERS = {"physician": {"physician", "unknown"}, "physician_or_physicist": {"physician", "unknown", "physicist"}}


class ChecklistRef(BaseModel):
    """Which checklist decided, so a verdict can be traced to its rules and sources."""

    id: str
    version: str
    sources: list[str]


class CodeVerdict(BaseModel):
    """The decision for one billed code."""

    code: str
    verdict: Verdict
    supported_code: str | None
    missing: list[str]
    reasons: list[str]
    query: str | None
    checklist: ChecklistRef | None


def _present(findings: Findings, element: str, signer: str = "physician") -> bool:
    finding = findings.get(element)
    if finding is None or finding.status != "present":
        return False
    if element == "physician_signature" and isinstance(finding.value, dict):
        return finding.value.get("role", "unknown") in _SIGNERS[signer]
    return True


def _quote(finding: ElementFinding, words: bool) -> str:
    """Where the note says it: its words and offsets (``words=False``: offsets only, for outputs kept without PHI)."""
    first = finding.evidence[0]
    if not words:
        return f"chars {first.start}-{first.end}"
    cue = f", cue '{first.trigger}'" if first.trigger else ""
    return f"'{first.text}' at {first.start}-{first.end}{cue}"


def _describe_absence(findings: Findings, element: str, words: bool) -> str:
    finding = findings.get(element)
    name = element.replace("_", " ")
    if finding is None:
        return f"{name}: not documented"
    if finding.status == "present":
        if element == "physician_signature":
            return f"{name}: signed by a {finding.value.get('role', 'non-physician')} only ({_quote(finding, words)})"
        return f"{name}: {_quote(finding, words)} does not meet the requirement"
    return f"{name}: {finding.status} ({_quote(finding, words)})"


def _requirement_met(findings: Findings, requirement: Requirement) -> bool:
    for alternative in requirement.any_of:
        elements = [alternative] if isinstance(alternative, str) else alternative
        if all(_present(findings, e, requirement.signer) for e in elements):
            return True
    return False


def _criterion_met(findings: Findings, criterion: Criterion) -> bool:
    if not _present(findings, criterion.element):
        return False
    if criterion.not_from and findings[criterion.element].evidence and \
            findings[criterion.element].evidence[0].rule in criterion.not_from:
        return False  # e.g. three ports that are an opposed pair plus a boost do not converge
    if criterion.element in COUNT_ELEMENTS:
        value = findings[criterion.element].value
        if not isinstance(value, int):
            return False
        return (criterion.min is None or value >= criterion.min) and (criterion.max is None or value <= criterion.max)
    return True


def _met_criteria(findings: Findings, checklist: Checklist) -> list[Criterion]:
    return [c for c in checklist.level_criteria if _criterion_met(findings, c)]


def _pointed_at(findings: Findings, checklist: Checklist) -> list[str]:
    """The level criteria of ``checklist`` the note points to but does not support."""
    unmet = [c for c in checklist.level_criteria if not _criterion_met(findings, c)]
    spoken_against = [c.element for c in unmet if c.element in findings
                      and findings[c.element].status != "present" and c.element not in COUNT_ELEMENTS]
    if spoken_against:
        return list(dict.fromkeys(spoken_against))
    counted = [c.element for c in unmet if c.element in COUNT_ELEMENTS and c.element in findings]
    if counted:
        return list(dict.fromkeys(counted))
    return checklist.no_level_missing or list(dict.fromkeys(c.element for c in unmet))


def _query(checklist: Checklist, missing: Iterable[str]) -> str | None:
    sentences = [checklist.queries[m] for m in missing if m in checklist.queries]
    return " ".join(dict.fromkeys(sentences)) or None


def _ref(checklist: Checklist) -> ChecklistRef:
    return ChecklistRef(id=checklist.code, version=checklist.version, sources=checklist.sources)


def _criteria_reason(findings: Findings, checklist: Checklist, met: list[Criterion], words: bool) -> str:
    shown = "; ".join(f"{c.describe()} ({_quote(findings[c.element], words)})" for c in met[:3])
    return f"{checklist.code} level criterion met: {shown}"


def evaluate_code(code: str, findings: Findings, checklists: ChecklistSet, claim_codes: set[str],
                  words: bool = True) -> CodeVerdict:
    """The verdict for one billed ``code``; ``claim_codes`` holds every other code billed or on the claim.

    Reasons point at the note's evidence by its words and offsets; ``words=False`` gives offsets only ("chars
    120-131"), for outputs that must carry no note text (the pre-bill hook's decisions and audit trail)."""
    checklist = checklists.get(code)
    if checklist is None:
        return CodeVerdict(code=code, verdict="needs_review", supported_code=None, missing=[],
                           reasons=[f"no checklist for {code}: rtaudit cannot judge this code"], query=None,
                           checklist=None)
    reasons: list[str] = []
    missing: list[str] = []
    for requirement in checklist.required:
        if not _requirement_met(findings, requirement):
            ids = requirement.missing_ids()
            missing.extend(i for i in ids if i not in missing)
            reasons.append("required " + "; ".join(_describe_absence(findings, i, words) for i in ids))
    if checklist.claim and not (set(checklist.claim.any_of) & claim_codes):
        missing.append(checklist.claim.missing)
        reasons.append(checklist.claim.reason)

    if checklist.ladder is None:
        if checklist.level_criteria:
            met = _met_criteria(findings, checklist)
            if met:
                reasons.append(_criteria_reason(findings, checklist, met, words))
            else:
                pointed = _pointed_at(findings, checklist)
                missing.extend(p for p in pointed if p not in missing)
                reasons.append(f"no {checklist.code} criterion documented: " +
                               "; ".join(_describe_absence(findings, p, words) for p in pointed))
        verdict: Verdict = "unsupported" if missing else "supported"
        return CodeVerdict(code=code, verdict=verdict, supported_code=None if missing else code, missing=missing,
                           reasons=reasons or [f"every {code} requirement is documented"],
                           query=_query(checklist, missing), checklist=_ref(checklist))
    return _evaluate_ladder(checklist, findings, checklists, missing, reasons, words)


def _evaluate_ladder(checklist: Checklist, findings: Findings, checklists: ChecklistSet, missing: list[str],
                     reasons: list[str], words: bool) -> CodeVerdict:
    levels = checklists.ladder(checklist.ladder or "")
    supported: Checklist | None = None
    supported_met: list[Criterion] = []
    for level in reversed(levels):
        met = _met_criteria(findings, level)
        if met:
            supported, supported_met = level, met
            break
    code = checklist.code
    if missing:
        return CodeVerdict(code=code, verdict="unsupported", supported_code=None, missing=missing, reasons=reasons,
                           query=_query(checklist, missing), checklist=_ref(checklist))
    if supported is None:
        pointed = checklist.no_level_missing or _pointed_at(findings, levels[0])
        reasons.append("no level criterion of the ladder is documented: " +
                       "; ".join(_describe_absence(findings, p, words) for p in pointed))
        return CodeVerdict(code=code, verdict="unsupported", supported_code=None, missing=pointed, reasons=reasons,
                           query=_query(checklist, pointed), checklist=_ref(checklist))
    reasons.append(_criteria_reason(findings, supported, supported_met, words))
    if (supported.level or 0) >= (checklist.level or 0):
        return CodeVerdict(code=code, verdict="supported", supported_code=code, missing=[], reasons=reasons,
                           query=None, checklist=_ref(checklist))
    pointed = _pointed_at(findings, checklist)
    reasons.append(f"{code} needs any of: " + ", ".join(c.describe() for c in checklist.level_criteria) +
                   "; " + "; ".join(_describe_absence(findings, p, words) for p in pointed))
    return CodeVerdict(code=code, verdict="downcode", supported_code=supported.code, missing=pointed,
                       reasons=reasons, query=_query(checklist, pointed), checklist=_ref(checklist))


def evaluate(codes: Iterable[str], findings: Findings, checklists: ChecklistSet,
             claim_codes: Iterable[str] = (), *, words: bool = True) -> list[CodeVerdict]:
    """Verdicts for every billed code, in order; the other billed codes count as on the claim (``words``: see
    :func:`evaluate_code`)."""
    billed = list(dict.fromkeys(codes))
    context = set(billed) | set(claim_codes)
    return [evaluate_code(code, findings, checklists, context - {code}, words) for code in billed]
