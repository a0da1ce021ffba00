"""Streaming output: one JSON line, or the CSV rows of one note, written whole and flushed as each note finishes.

An interrupted run therefore leaves a file whose every complete line is a whole record; ``resume`` trims a torn
last line. CSV is one row per (note, code), quoted for spreadsheets, optionally with a UTF-8 BOM for Excel; the
``part`` column names the note inside a multi-note file (empty otherwise).
"""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path
from typing import Any, TextIO

import pydantic_core

CSV_COLUMNS = ("path", "code", "verdict", "supported_code", "missing", "query", "reasons", "error", "outcome",
               "format", "file_sha256", "part")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _json_escape(found: re.Match[str]) -> str:
    """A non-ASCII character as JSON's ``\\uXXXX`` escape (a surrogate pair beyond the Basic Multilingual Plane)."""
    code = ord(found.group())
    if code > 0xFFFF:
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


class _Stream:
    """A text output that is a file (appended to) or standard output."""

    def __init__(self, path: Path | None, append: bool) -> None:
        self.path = path
        self.fresh = path is None or not append or not path.exists() or path.stat().st_size == 0
        if path is None:
            self.handle: TextIO = sys.stdout
        else:
            self.handle = open(path, "a" if append else "w", encoding="utf-8", newline="")  # noqa: SIM115

    def write(self, text: str) -> None:
        self.handle.write(text)
        self.handle.flush()

    def close(self) -> None:
        if self.path is not None:
            self.handle.close()


class _Writer:
    """Writes rendered records whole to one output stream (``render`` is the format's)."""

    stream: _Stream

    @staticmethod
    def render(record: dict[str, Any]) -> str:
        raise NotImplementedError

    def write(self, record: dict[str, Any]) -> None:
        self.write_text(self.render(record))

    def write_text(self, text: str) -> None:
        """Write rendered output whole, then flush."""
        self.stream.write(text)

    def close(self) -> None:
        self.stream.close()


class JsonlWriter(_Writer):
    """One JSON object per line (ASCII-escaped, so no character in a note can split a line)."""

    def __init__(self, path: Path | None, append: bool = False) -> None:
        self.stream = _Stream(path, append)

    @staticmethod
    def render(record: dict[str, Any]) -> str:
        """The line for one record (workers render it, so the parent only writes)."""
        line = pydantic_core.to_json(record).decode("utf-8")  # compact; several times faster than json.dumps
        if not line.isascii():
            line = _NON_ASCII.sub(_json_escape, line)  # outside strings JSON is ASCII, so this escapes strings only
        return line + "\n"



def _cell(value: Any) -> str:
    """A spreadsheet-safe cell: lists joined with ``; ``; text that a spreadsheet would run as a formula gets a
    leading apostrophe."""
    text = "; ".join(str(v) for v in value) if isinstance(value, list) else ("" if value is None else str(value))
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_rows(record: dict[str, Any]) -> list[list[str]]:
    """The rows of one record: a row per billed code, or a single row when there is none (or an error)."""
    note = record["note"]
    common = {"path": note["path"], "part": note.get("part"), "error": record.get("error"),
              "outcome": record["outcome"], "format": note.get("format"), "file_sha256": note.get("file_sha256")}
    rows = []
    for code in record["codes"]:
        rows.append(common | {k: code.get(k) for k in ("code", "verdict", "supported_code", "missing", "query",
                                                       "reasons")})
    if not rows:
        requested = (record.get("manifest") or {}).get("codes") or [None]
        if record.get("error"):
            rows = [common | {"code": code, "verdict": "error"} for code in requested]
        else:
            reasons = [f["message"] for f in record.get("claim_findings", []) if f.get("rule") == "no-billed-code"]
            rows = [common | {"code": None, "verdict": "needs_review", "reasons": reasons}]
    return [[_cell(row.get(column)) for column in CSV_COLUMNS] for row in rows]


class CsvWriter(_Writer):
    """CSV with a header, CRLF line ends and minimal quoting; ``bom`` starts a new file with a UTF-8 BOM."""

    def __init__(self, path: Path | None, append: bool = False, bom: bool = False) -> None:
        self.stream = _Stream(path, append)
        if self.stream.fresh:
            self.stream.write(("\ufeff" if bom else "") + self._rows([list(CSV_COLUMNS)]))

    @staticmethod
    def _rows(rows: list[list[str]]) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(rows)
        return buffer.getvalue()

    @staticmethod
    def render(record: dict[str, Any]) -> str:
        """The rows of one record (workers render them, so the parent only writes)."""
        return CsvWriter._rows(csv_rows(record))

