"""RTF notes (what most EMR note editors export), through striprtf."""

from __future__ import annotations

import re

from rtaudit.ingest.tables import row_text
from rtaudit.ingest.text import IngestError

_CODEPAGE = re.compile(rb"\\ansicpg(\d+)")


_ESCAPE = re.compile(r"\\.", re.DOTALL)
_NOT_BRACE = re.compile(r"[^{}]+")


def _balanced(raw: str) -> bool:
    """Braces close where they open (an RTF cut short by a failed export does not)."""
    depth = 0
    for brace in _NOT_BRACE.sub("", _ESCAPE.sub("", raw)):  # escaped braces (``\{``) are text
        depth += 1 if brace == "{" else -1
        if depth < 0:
            return False
    return depth == 0


def _table_rows(text: str) -> str:
    """striprtf ends each table cell with ``|``; turn such rows into ``Key: value`` lines."""
    lines = []
    for line in text.split("\n"):
        if line.endswith("|") and line.count("|") >= 2:
            line = row_text(line[:-1].split("|"))
        lines.append(line.rstrip())
    return "\n".join(lines)


def read_rtf(data: bytes, source: str) -> tuple[str, str]:
    """The text of an RTF document and its code page; tables become ``Key: value`` lines."""
    from striprtf.striprtf import rtf_to_text

    if not data.lstrip().startswith(b"{\\rtf"):
        raise IngestError(f"{source}: not an RTF document (no {{\\rtf header)")
    raw = data.decode("latin-1")
    if not _balanced(raw):
        raise IngestError(f"{source}: truncated or malformed RTF (unbalanced braces)")
    found = _CODEPAGE.search(data[:4096])
    encoding = f"cp{found.group(1).decode()}" if found else "cp1252"
    try:
        text = rtf_to_text(raw, encoding="cp1252", errors="strict")
    except (UnicodeDecodeError, LookupError):
        raise IngestError(f"{source}: RTF characters not decodable in {encoding}") from None
    except (ValueError, IndexError, RecursionError) as exc:
        raise IngestError(f"{source}: malformed RTF ({type(exc).__name__})") from None
    text = _table_rows(text.replace("\r\n", "\n").replace("\r", "\n")).strip("\n")
    if not text.strip():
        raise IngestError(f"{source}: RTF document has no text")
    return text + "\n", encoding
