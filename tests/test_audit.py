"""The audit trail: SQLite in WAL mode, one row per decision with hashes (never note text), idempotent re-sends,
two processes appending at once, and ``rtaudit audit export``."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rtaudit.claims.audit import AuditEntry, AuditLog
from rtaudit.claims.decide import ClaimChecker
from rtaudit.claims.model import Claim, Decision, LineDecision, Versions
from rtaudit.cli import app

NOTES = Path(__file__).parent / "fixtures" / "claims" / "notes"
VERSIONS = Versions(checklists="c1", rules="r1")


def decision(claim_id: str, outcome: str = "pass", versions: Versions = VERSIONS) -> Decision:
    line = LineDecision(line=1, code="77290", decision=outcome, verdict="supported", reasons=["ok"])
    return Decision(claim_id=claim_id, decision=outcome, lines=[line], versions=versions)


def entry(claim_id: str, content: str, outcome: str = "pass", versions: Versions = VERSIONS) -> AuditEntry:
    return AuditEntry(channel="hook", content_sha256=content, note_sha256=["ab" * 32], codes=["77290-26"],
                      reasons=["line 1 77290: ok"], decision=decision(claim_id, outcome, versions))


def test_audit_uses_wal_and_records_every_field(tmp_path):
    log = AuditLog(tmp_path / "audit.sqlite3")
    log.record(entry("C-1", "h1", "hold"))
    mode = sqlite3.connect(tmp_path / "audit.sqlite3").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    (row,) = list(log.rows())
    assert row["claim_id"] == "C-1" and row["decision"] == "hold" and row["codes"] == ["77290-26"]
    assert row["note_sha256"] == ["ab" * 32] and row["reasons"] == ["line 1 77290: ok"]
    assert row["versions"] == {"checklists": "c1", "rules": "r1"} and row["content_sha256"] == "h1"
    assert row["recorded_at"].endswith("+00:00") and row["channel"] == "hook"


def test_same_content_is_recorded_once_and_returns_the_first_decision(tmp_path):
    log = AuditLog(tmp_path / "audit.sqlite3")
    first = log.record(entry("C-1", "h1", "hold"))
    again = log.record(entry("C-1", "h1", "pass"))
    assert again == first and again.decision == "hold" and log.count() == 1
    assert log.lookup("h1", VERSIONS) == first and log.lookup("h2", VERSIONS) is None
    newer = Versions(checklists="c2", rules="r1")
    assert log.record(entry("C-1", "h1", "pass", newer)).decision == "pass" and log.count() == 2


def _append(path: str, worker: int, count: int, start) -> None:  # runs in a child process
    log = AuditLog(path)
    start.wait(10)
    for n in range(count):
        log.record(entry(f"W{worker}-{n}", f"w{worker}-{n}"))
        log.record(entry(f"S-{n}", f"shared-{n}"))


def test_two_processes_append_at_once(tmp_path):
    path = str(tmp_path / "audit.sqlite3")
    AuditLog(path)
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_append, args=(path, w, 40, start)) for w in (1, 2)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0]
    log = AuditLog(path)
    rows = list(log.rows())
    assert len(rows) == 40 * 2 + 40
    assert len({r["content_sha256"] for r in rows}) == len(rows)
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _note_claim(claim_id: str, text: str) -> Claim:
    return Claim.model_validate({"claim_id": claim_id, "lines": [{"code": "77290", "modifiers": ["26"],
                                                                  "date_of_service": "2025-03-04", "note": "n"}],
                                 "notes": [{"id": "n", "text": text}]})


def test_checker_records_hashes_never_note_text_and_replays(tmp_path, monkeypatch):
    path = tmp_path / "audit.sqlite3"
    text = (NOTES / "sim_complex.txt").read_text(encoding="utf-8").replace("Ada Testwell", "Quillon Vexmarrow")
    checker = ClaimChecker(audit=AuditLog(path))
    first = checker.check(_note_claim("C-9", text))
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    for words in ("Vexmarrow", "breast board", "'tangential'", "Three tattoos"):
        assert words.encode() not in blob
    (row,) = list(AuditLog(path).rows())
    import hashlib

    assert row["note_sha256"] == [hashlib.sha256(text.encode()).hexdigest()]

    def no_second_decision(*args, **kwargs):
        raise AssertionError("a recorded claim must not be decided again")

    monkeypatch.setattr(checker, "decide", no_second_decision)
    assert checker.check(_note_claim("C-9", text)) == first
    changed = text.replace("Three tattoos", "Four tattoos")
    monkeypatch.undo()
    checker.check(_note_claim("C-9", changed))
    assert AuditLog(path).count() == 2


runner = CliRunner()


@pytest.fixture
def filled(tmp_path):
    path = tmp_path / "audit.sqlite3"
    log = AuditLog(path)
    log.record(entry("C-1", "h1", "hold"))
    log.record(entry("C-2", "h2"))
    return path


def test_export_jsonl(filled):
    result = runner.invoke(app, ["audit", "export", "--format", "jsonl", "--audit-db", str(filled)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["claim_id"], r["decision"]) for r in rows] == [("C-1", "hold"), ("C-2", "pass")]


def test_export_csv_to_a_file(filled, tmp_path):
    out = tmp_path / "audit.csv"
    result = runner.invoke(app, ["audit", "export", "-f", "csv", "--audit-db", str(filled), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["claim_id"], r["decision"], r["codes"]) for r in rows] == [("C-1", "hold", "77290-26"),
                                                                         ("C-2", "pass", "77290-26")]
    assert json.loads(rows[0]["versions"]) == {"checklists": "c1", "rules": "r1"}


def test_export_of_a_missing_trail_fails_clearly(tmp_path):
    result = runner.invoke(app, ["audit", "export", "--audit-db", str(tmp_path / "none.sqlite3")])
    assert result.exit_code == 2 and "no audit trail" in result.output
