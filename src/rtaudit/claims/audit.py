"""The audit trail: one SQLite row per claim decision (WAL, safe with several writing processes).

A row holds the time, the claim id, the sha256 of the claim content and of each note (never note text), the codes,
the decision, its reasons and the checklist/rule versions. The same claim content decided under the same versions
is recorded once; sending it again returns the recorded decision.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rtaudit.claims.model import Decision, Versions

DEFAULT_AUDIT_DB = "rtaudit-audit.sqlite3"
AUDIT_ENV = "RTAUDIT_AUDIT_DB"
EXPORT_COLUMNS = ("recorded_at", "channel", "claim_id", "decision", "codes", "note_sha256", "reasons", "versions",
                  "versions_hash", "content_sha256")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at TEXT NOT NULL,
    channel TEXT NOT NULL,
    claim_id TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    note_sha256 TEXT NOT NULL,
    codes TEXT NOT NULL,
    decision TEXT NOT NULL,
    reasons TEXT NOT NULL,
    versions TEXT NOT NULL,
    versions_hash TEXT NOT NULL,
    decision_json TEXT NOT NULL,
    UNIQUE (content_sha256, versions_hash)
);
"""


def audit_path(option: str | Path | None = None) -> Path:
    """The audit database: the option, else $RTAUDIT_AUDIT_DB, else ./rtaudit-audit.sqlite3."""
    return Path(option or os.environ.get(AUDIT_ENV) or DEFAULT_AUDIT_DB)


def versions_hash(versions: Versions) -> str:
    """One short hash for the checklist and rule versions together."""
    return hashlib.sha256(versions.model_dump_json().encode()).hexdigest()[:16]


@dataclass(frozen=True)
class AuditEntry:
    """What is recorded for one decision (hashes, codes and reasons; no note text)."""

    channel: str
    content_sha256: str
    note_sha256: list[str]
    codes: list[str]
    reasons: list[str]
    decision: Decision


class AuditLog:
    """Append-only decision log in SQLite; one connection per thread, WAL journal, writers wait for each other."""

    def __init__(self, path: str | Path, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._local = threading.local()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = self._connection()
        connection.execute("PRAGMA journal_mode=WAL")
        connection.executescript(_SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            connection.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
            connection.execute("PRAGMA synchronous=FULL")
            self._local.connection = connection
        return connection

    def lookup(self, content_sha256: str, versions: Versions) -> Decision | None:
        """The decision recorded for this claim content under these versions, if any."""
        row = self._connection().execute(
            "SELECT decision_json FROM decisions WHERE content_sha256 = ? AND versions_hash = ?",
            (content_sha256, versions_hash(versions))).fetchone()
        return Decision.model_validate_json(row[0]) if row else None

    def record(self, entry: AuditEntry) -> Decision:
        """Append the decision unless the same content is already recorded; return the recorded decision."""
        decision = entry.decision
        key = (entry.content_sha256, versions_hash(decision.versions))
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute(
                "INSERT OR IGNORE INTO decisions (recorded_at, channel, claim_id, content_sha256, note_sha256, codes,"
                " decision, reasons, versions, versions_hash, decision_json) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"), entry.channel,
                 decision.claim_id, entry.content_sha256, json.dumps(entry.note_sha256), json.dumps(entry.codes),
                 decision.decision, json.dumps(entry.reasons), decision.versions.model_dump_json(), key[1],
                 decision.model_dump_json()))
            row = connection.execute("SELECT decision_json FROM decisions WHERE content_sha256 = ? AND "
                                     "versions_hash = ?", key).fetchone()
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return Decision.model_validate_json(row[0])

    def rows(self) -> Iterator[dict]:
        """Every recorded row in order, JSON columns decoded."""
        cursor = self._connection().execute(f"SELECT {', '.join(EXPORT_COLUMNS)} FROM decisions ORDER BY id")
        for values in cursor:
            row = dict(zip(EXPORT_COLUMNS, values, strict=True))
            for name in ("codes", "note_sha256", "reasons", "versions"):
                row[name] = json.loads(row[name])
            yield row

    def count(self) -> int:
        return self._connection().execute("SELECT COUNT(*) FROM decisions").fetchone()[0]


def export_jsonl(log: AuditLog) -> Iterator[str]:
    """One JSON object per recorded decision."""
    for row in log.rows():
        yield json.dumps(row, ensure_ascii=False) + "\n"


def export_csv(log: AuditLog) -> Iterator[str]:
    """A header, then one row per recorded decision (list columns joined with ' | ')."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for row in log.rows():
        flat = {k: " | ".join(v) if isinstance(v, list) else json.dumps(v) if isinstance(v, dict) else v
                for k, v in row.items()}
        writer.writerow([flat[c] for c in EXPORT_COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()
