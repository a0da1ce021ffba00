"""Follow a reference (a manifest path, a FHIR attachment url) only inside the folders the user pointed at."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from rtaudit.ingest.text import IngestError


def is_inside(path: Path, roots: Iterable[str | Path]) -> bool:
    """True when ``path``, with symlinks resolved, lies in one of ``roots``."""
    resolved = path.resolve()
    return any(resolved.is_relative_to(Path(root).resolve()) for root in roots)


def resolve_reference(reference: str, base: Path, roots: Iterable[str | Path]) -> Path:
    """The local file a reference names, relative to ``base``; refuses links out and paths outside ``roots``.

    Error messages name the reference (a path or url written by the exporting system), never note text.
    """
    if not reference.strip():
        raise IngestError("empty reference")
    parts = urlsplit(reference)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise IngestError(f"reference '{_short(reference)}' points to another host; links out are not followed")
        target = Path(unquote(parts.path))
    elif len(scheme) > 1:
        raise IngestError(f"reference '{_short(reference)}' is a link out ({scheme}:); only local files are followed")
    else:
        target = Path(reference)
    path = target if target.is_absolute() else base / target
    allowed = list(roots) or [base]
    if not is_inside(path, allowed):
        raise IngestError(f"reference '{_short(reference)}' leads outside the scanned folder and the manifest's "
                          "folder; refused")
    return path


def _short(reference: str, limit: int = 160) -> str:
    return reference if len(reference) <= limit else reference[:limit] + "..."
