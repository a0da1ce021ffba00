"""Word ``.docx`` notes: paragraphs, tables, content controls, headers and footers, in order.

Only the text a reader of the printed page sees: tracked deletions, field codes and comments are left out, and a
legacy form check box becomes ``[x]`` or ``[ ]`` so an unticked template option is not read as documentation.

The reader opens only the parts that carry text (the main document and the headers and footers its sections
name) with lxml, the XML library under python-docx, rather than building python-docx's whole ``Document``: that
parses every part of the package (styles, numbering, theme, settings) and cost ~10 ms per note in a bulk scan.
Headers and footers follow python-docx's rule: a section's default header or footer, unless linked to the previous.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Iterator
from typing import Any

from rtaudit.ingest.limits import DEFAULT_LIMITS, ReadLimits
from rtaudit.ingest.tables import row_text
from rtaudit.ingest.text import IngestError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CHECKED_SYMBOLS = {"F0FD", "F0FE", "F078", "00FD", "00FE"}
_EMPTY_SYMBOLS = {"F0A8", "F06F", "00A8", "006F"}
_FALSE = {"0", "false", "off"}
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def _checkbox(element: Any) -> str:
    checked = element.find(f"{W}checked")
    default = element.find(f"{W}default")
    mark = checked if checked is not None else default
    on = mark is not None and mark.get(f"{W}val", "1").lower() not in _FALSE
    return "[x] " if on else "[ ] "


def _paragraph(paragraph: Any) -> str:
    """The visible text of a ``w:p`` (runs, hyperlinks, inserted text, inline content controls)."""
    parts: list[str] = []
    _collect(paragraph, parts)
    return "".join(parts)


def _collect(node: Any, parts: list[str]) -> None:
    for child in node:
        tag = child.tag
        if tag == f"{W}t":
            parts.append(child.text or "")
        elif tag == f"{W}tab":
            parts.append("\t")
        elif tag in (f"{W}br", f"{W}cr"):
            parts.append("\n")
        elif tag == f"{W}checkBox":
            parts.append(_checkbox(child))
        elif tag == f"{W}sym":
            char = (child.get(f"{W}char") or "").upper()
            parts.append("☒" if char in _CHECKED_SYMBOLS else "☐" if char in _EMPTY_SYMBOLS else "")
        elif tag == f"{W}p" and parts:
            parts.append("\n")
            _collect(child, parts)
        elif isinstance(tag, str) and tag != _FALLBACK:
            _collect(child, parts)


def _cell(cell: Any) -> str:
    return " ".join(line for line in _blocks(cell) if line.strip())


def _rows(table: Any) -> Iterator[str]:
    for child in table:
        if child.tag == f"{W}tr":
            yield row_text([_cell(cell) for cell in _row_cells(child)])
        elif child.tag == f"{W}sdt" and (content := child.find(f"{W}sdtContent")) is not None:
            yield from _rows(content)


def _row_cells(row: Any) -> Iterator[Any]:
    for child in row:
        if child.tag == f"{W}tc":
            yield child
        elif child.tag == f"{W}sdt" and (content := child.find(f"{W}sdtContent")) is not None:
            yield from _row_cells(content)


def _blocks(container: Any) -> Iterator[str]:
    """Paragraph and table-row lines of a body, cell, header or footer, in document order."""
    for child in container:
        tag = child.tag
        if tag == f"{W}p":
            yield _paragraph(child)
        elif tag == f"{W}tbl":
            yield from _rows(child)
        elif tag in (f"{W}sdt", f"{W}customXml", f"{W}sdtContent"):
            content = child.find(f"{W}sdtContent") if tag == f"{W}sdt" else child
            if content is not None:
                yield from _blocks(content)


def _check_zip(data: bytes, source: str, limits: ReadLimits) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise IngestError(f"{source}: corrupt or truncated .docx (not a readable ZIP archive)") from None
    names = {entry.filename for entry in entries}
    if "word/document.xml" not in names:
        kind = "OpenDocument text (save it as .docx)" if "content.xml" in names else "a ZIP archive"
        raise IngestError(f"{source}: {kind}, not a Word .docx document")
    unzipped = sum(entry.file_size for entry in entries)
    if unzipped > limits.max_unzipped_bytes:
        raise IngestError(f"{source}: .docx unzips to {unzipped} bytes, over the {limits.max_unzipped_bytes}-byte "
                          "limit")


_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_MAIN_PART = "word/document.xml"


def _xml(archive: zipfile.ZipFile, name: str) -> Any:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.fromstring(archive.read(name), parser)


def _part_targets(archive: zipfile.ZipFile) -> dict[str, str]:
    """Relationship id -> part name of the main document's internal relationships."""
    rels = "word/_rels/document.xml.rels"
    if rels not in archive.namelist():
        return {}
    targets = {}
    for rel in _xml(archive, rels).iter(_RELATIONSHIP):
        target = rel.get("Target") or ""
        if rel.get("TargetMode") == "External" or not target:
            continue
        name = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"word/{target}")
        targets[rel.get("Id") or ""] = name
    return targets


def _header_footer_lines(archive: zipfile.ZipFile, body: Any, kind: str, targets: dict[str, str]) -> list[str]:
    """The distinct default headers (or footers) of the document's sections, in section order."""
    lines: list[str] = []
    seen: set[str] = set()
    for section in body.iter(f"{W}sectPr"):
        reference = next((ref for ref in section.iterchildren(f"{W}{kind}Reference")
                          if ref.get(f"{W}type", "default") == "default"), None)
        part = targets.get(reference.get(f"{_R}id") or "") if reference is not None else None
        if part is None or part not in archive.namelist():
            continue  # linked to the previous section's (or none)
        text = "\n".join(line for line in _blocks(_xml(archive, part)) if line.strip())
        if text and text not in seen:
            seen.add(text)
            lines.append(text)
    return lines


def read_docx(data: bytes, source: str, limits: ReadLimits = DEFAULT_LIMITS) -> str:
    """The text of a .docx: headers, then the body (tables as ``Key: value`` lines), then footers."""
    _check_zip(data, source, limits)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            body = _xml(archive, _MAIN_PART).find(f"{W}body")
            if body is None:
                raise IngestError(f"{source}: corrupt .docx (the document part has no body)")
            targets = _part_targets(archive)
            lines = _header_footer_lines(archive, body, "header", targets)
            lines += list(_blocks(body))
            lines += _header_footer_lines(archive, body, "footer", targets)
    except IngestError:
        raise
    except Exception as exc:  # noqa: BLE001 - zipfile and lxml raise many kinds on a broken package
        raise IngestError(f"{source}: corrupt .docx ({type(exc).__name__})") from None
    text = "\n".join(line.rstrip() for line in lines).strip("\n")
    if not text.strip():
        raise IngestError(f"{source}: Word document has no text")
    return text + "\n"
