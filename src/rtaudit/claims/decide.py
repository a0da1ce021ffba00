"""Claim -> decision: each linked note checked once (``rtaudit.api.check_note``) for the codes of its lines, the
claim rules applied to the whole claim and course, and pass or hold per line and for the claim.

Reasons cite note evidence by character offsets, not by its words, so decisions and the audit trail carry no
note text.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from rtaudit.api import check_note
from rtaudit.claims.audit import AuditEntry, AuditLog
from rtaudit.claims.model import Claim, Decision, InputError, LineDecision, RuleFinding, Versions
from rtaudit.claims.notes import NoteError, NoteResolver, ResolvedNote
from rtaudit.claims.rules import ClaimFacts, ClaimRules, LineFacts, load_claim_rules
from rtaudit.report.model import Report
from rtaudit.rules.checklist import ChecklistSet, load_checklists
from rtaudit.rules.evaluate import CodeVerdict

NO_NOTE = "no note is linked to this line: its documentation was not checked"
NLP_LOCK = threading.Lock()  # one note at a time through the shared pipeline, whatever the thread
def content_hash(claim: Claim, notes: dict[str, ResolvedNote]) -> str:
    """sha256 of the claim with each note replaced by the sha256 of its text."""
    data = claim.model_dump(mode="json", exclude={"notes"})
    data["notes"] = {note_id: notes[note_id].sha256 for note_id in sorted(notes)}
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _present(report: Report | None) -> frozenset[str]:
    if report is None:
        return frozenset()
    return frozenset(name for name, finding in report.elements.items() if finding.status == "present")


def _verdict_of(report: Report | None, code: str) -> CodeVerdict | None:
    return next((v for v in report.codes if v.code == code), None) if report else None


def overall(decisions: Iterable[str]) -> Literal["pass", "hold", "error"]:
    """``error`` when any claim could not be decided, else ``hold`` when any is held, else ``pass``."""
    outcomes = set(decisions)
    return "error" if "error" in outcomes else "hold" if "hold" in outcomes else "pass"


def _line_label(code: str, modifiers: list[str]) -> str:
    return "-".join([code, *modifiers])


class ClaimChecker:
    """Decides claims with the shipped (or given) checklists and claim rules; records them when given an audit
    log, and returns the recorded decision for claim content it has seen."""

    def __init__(self, *, rules: ClaimRules | None = None, checklists: ChecklistSet | None = None,
                 notes_dir: Path | None = None, audit: AuditLog | None = None, channel: str = "hook") -> None:
        self.rules = rules or load_claim_rules()
        self.checklists = checklists or load_checklists()
        self.resolver = NoteResolver(notes_dir)
        self.audit = audit
        self.channel = channel
        self.versions = Versions(checklists=self.checklists.version(), rules=self.rules.version)

    def _reports(self, claim: Claim, notes: dict[str, ResolvedNote]) -> dict[str, Report]:
        all_codes = [line.code for line in claim.lines]
        reports = {}
        for note_id, note in notes.items():
            codes = list(dict.fromkeys(line.code for line in claim.lines if line.note == note_id))
            if codes:
                with NLP_LOCK:
                    reports[note_id] = check_note(note.text, codes, all_codes, format=note.format,
                                                  encoding=note.encoding, checklists=self.checklists,
                                                  quote_words=False,  # decisions and audit rows carry no PHI
                                                  bundling=False)  # the claim rules below bundle, with dates
        return reports

    def _findings(self, claim: Claim, reports: dict[str, Report]) -> list[RuleFinding]:
        facts = ClaimFacts(
            lines=tuple(LineFacts(number, line.code, frozenset(line.modifiers), line.units, line.date_of_service,
                                  _present(reports.get(line.note or ""))) for number, line in
                        enumerate(claim.lines, start=1)),
            prior=tuple(LineFacts(None, p.code, frozenset(p.modifiers), p.units, p.date_of_service)
                        for p in claim.prior_lines),
            payer=claim.payer, place_of_service=claim.place_of_service)
        findings = self.rules.apply(facts)
        own = {rule.id for rule in self.rules.rules}
        for note_id, report in reports.items():
            for found in report.claim_findings:
                if found.rule not in own:
                    lines = [n for n, line in enumerate(claim.lines, 1) if line.note == note_id and line.code in
                             found.codes]
                    findings.append(RuleFinding(**found.model_dump(), lines=lines))
        return findings

    def decide(self, claim: Claim, notes: dict[str, ResolvedNote]) -> Decision:
        """The decision for a claim whose notes are resolved (no audit)."""
        reports = self._reports(claim, notes)
        findings = self._findings(claim, reports)
        policy = self.rules.policy.verdicts
        lines = []
        for number, line in enumerate(claim.lines, start=1):
            verdict = _verdict_of(reports.get(line.note or ""), line.code)
            own = [f for f in findings if number in f.lines]
            reasons = list(verdict.reasons) if verdict else [NO_NOTE]
            reasons += [f"{f.rule} ({f.severity}): {f.message}" for f in own]
            name = verdict.verdict if verdict else "needs_review"
            held = policy[name] == "hold" or any(f.severity == "hold" for f in own)
            lines.append(LineDecision(line=number, code=line.code, decision="hold" if held else "pass", verdict=name,
                                      supported_code=verdict.supported_code if verdict else None,
                                      missing=verdict.missing if verdict else [], reasons=reasons,
                                      query=verdict.query if verdict else None))
        held = any(d.decision == "hold" for d in lines) or any(f.severity == "hold" for f in findings)
        return Decision(claim_id=claim.claim_id, decision="hold" if held else "pass", lines=lines,
                        claim_findings=findings, versions=self.versions)

    def check(self, claim: Claim) -> Decision:
        """Resolve the notes, then return the recorded decision for this content or decide and record it.

        Raises NoteError when a linked note cannot be read or may not be followed."""
        notes = {note.id: self.resolver.resolve(note) for note in claim.notes}
        key = content_hash(claim, notes)
        if self.audit is not None:
            recorded = self.audit.lookup(key, self.versions)
            if recorded is not None:
                return recorded
        decision = self.decide(claim, notes)
        if self.audit is None:
            return decision
        reasons = [f"line {d.line} {d.code}: {d.decision} ({d.verdict}): {reason}"
                   for d in decision.lines for reason in d.reasons]
        entry = AuditEntry(channel=self.channel, content_sha256=key,
                           note_sha256=sorted({n.sha256 for n in notes.values()}),
                           codes=[_line_label(line.code, line.modifiers) for line in claim.lines], reasons=reasons,
                           decision=decision)
        return self.audit.record(entry)

    def run(self, item: Claim | InputError, source: str) -> Decision | InputError:
        """A decision, or an error record for input that could not be decided."""
        if isinstance(item, InputError):
            return item
        try:
            return self.check(item)
        except NoteError as exc:
            return InputError(claim_id=item.claim_id, source=source, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - one claim's failure must not stop the queue; no text in the record
            return InputError(claim_id=item.claim_id, source=source,
                              error=f"internal error while deciding this claim ({type(exc).__name__})")
