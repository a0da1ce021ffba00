"""PDF notes through pypdf: the text layer only; a scanned page without one is an error that says so."""

from __future__ import annotations

import io
import logging

from rtaudit.ingest.limits import DEFAULT_LIMITS, ReadLimits
from rtaudit.ingest.text import IngestError


def read_pdf(data: bytes, source: str, limits: ReadLimits = DEFAULT_LIMITS) -> str:
    """The text layer of a PDF, page by page (pages separated by a blank line)."""
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)  # its warnings would flood a scan's terminal
    if b"%PDF-" not in data[:1024]:
        raise IngestError(f"{source}: not a PDF (no %PDF header)")
    if b"%%EOF" not in data[-2048:]:
        raise IngestError(f"{source}: truncated PDF (no %%EOF marker at the end)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(f"{source}: encrypted PDF (a password is needed)")
        pages = len(reader.pages)
        if pages == 0:
            raise IngestError(f"{source}: corrupt PDF (no readable pages)")
        if pages > limits.max_pages:
            raise IngestError(f"{source}: {pages} pages, over the {limits.max_pages}-page limit")
        texts: list[str] = []
        size = 0
        for page in reader.pages:
            texts.append((page.extract_text() or "").strip("\n"))
            size += len(texts[-1])
            if size > limits.max_chars:
                raise IngestError(f"{source}: over {limits.max_chars} characters of text")
    except IngestError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on a broken file
        name = type(exc).__name__
        if name in ("DependencyError", "FileNotDecryptedError"):
            raise IngestError(f"{source}: encrypted PDF that cannot be opened ({name})") from None
        raise IngestError(f"{source}: corrupt PDF ({name})") from None
    if not any(text.strip() for text in texts):
        raise IngestError(f"{source}: PDF has no text layer ({pages} page(s) of images?); run OCR on it first")
    return "\n\n".join(texts).strip("\n") + "\n"
