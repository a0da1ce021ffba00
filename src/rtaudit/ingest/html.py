"""HTML notes with the standard library's parser: visible text only, laid out in lines.

Scripts, styles and hidden elements are dropped; a check box becomes ``[x]`` or ``[ ]`` and a ``<select>`` shows
its chosen option only, so an unticked template option is not read as documentation. Nothing is fetched.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from rtaudit.ingest.tables import row_text
from rtaudit.ingest.text import IngestError, decode_text

_BLOCK = frozenset(
    "address article aside blockquote body br caption center dd details dialog div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hr html legend li main nav ol p pre section summary table tbody tfoot "
    "thead ul".split())
_SKIP = frozenset("script style template noscript head iframe object svg math canvas button".split())
_SPACED = frozenset("h1 h2 h3 h4 h5 h6 table hr section".split())
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


class _TextParser(HTMLParser):
    """Collects visible text; tracks open elements to skip hidden subtrees and to lay out table rows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.stack: list[tuple[str, bool]] = []
        self.rows: list[list[str]] = []
        self.cells: list[list[str]] = []
        self.select_keep: list[bool] = []
        self.pre = 0

    @property
    def hidden(self) -> bool:
        return any(skip for _, skip in self.stack)

    def _emit(self, text: str) -> None:
        if self.hidden or (self.select_keep and not self.select_keep[-1]):
            return
        (self.cells[-1] if self.cells else self.current).append(text)

    def _break(self, blank: bool = False) -> None:
        """End the current line; ``blank`` also leaves one empty line (after a heading, table or rule)."""
        if self.cells:
            self.cells[-1].append(" ")
            return
        line = "".join(self.current)
        line = line.rstrip() if self.pre else " ".join(line.split())
        if line.strip() or (self.pre and self.current):
            self.lines.append(line)
        if blank and self.lines and self.lines[-1]:
            self.lines.append("")
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        skip = tag in _SKIP or "hidden" in values or bool(_HIDDEN_STYLE.search(values.get("style") or ""))
        skip = skip or (tag == "input" and (values.get("type") or "").lower() == "hidden")
        if tag not in _VOID:
            self.stack.append((tag, skip))
        if skip:
            return
        if tag == "tr":
            self._break()
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self.cells.append([])
        elif tag == "input":
            kind = (values.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                self._emit("[x] " if "checked" in values else "[ ] ")
            elif kind == "text" and values.get("value"):
                self._emit(values["value"] or "")
        elif tag == "option":
            self.select_keep.append("selected" in values)
        elif tag == "pre":
            self.pre += 1
        if tag in _BLOCK and tag != "dd":
            self._break()
        if tag == "li":
            self._emit("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or not any(open_tag == tag for open_tag, _ in self.stack):
            return
        while self.stack:
            open_tag, skip = self.stack.pop()
            self._close(open_tag, skip)
            if open_tag == tag:
                break

    def _close(self, tag: str, skip: bool) -> None:
        if skip or self.hidden:
            return
        if tag in ("td", "th") and self.cells:
            cell = "".join(self.cells.pop())
            if self.rows:
                self.rows[-1].append(cell)
        elif tag == "tr" and self.rows:
            cells = self.rows.pop()
            self._emit(row_text(cells))
            self._break()
        elif tag == "option" and self.select_keep:
            self.select_keep.pop()
            self._emit(" ")
        elif tag == "pre":
            self._break()
            self.pre = max(0, self.pre - 1)
        elif tag == "dt":
            self._emit(": ")
            return
        if tag in _BLOCK:
            self._break(blank=tag in _SPACED)

    def handle_data(self, data: str) -> None:
        if self.pre and not self.cells:
            for index, piece in enumerate(data.split("\n")):
                if index:
                    self._break()
                self._emit(piece)
        else:
            self._emit(data)

    def text(self) -> str:
        while self.stack:
            self.handle_endtag(self.stack[-1][0])
        self._break()
        return "\n".join(self.lines).strip("\n")


def _decode(data: bytes, source: str) -> tuple[str, str]:
    found = _CHARSET.search(data[:4096])
    if found and not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        charset = found.group(1).decode("ascii").lower()
        try:
            return data.decode(charset), charset
        except (LookupError, UnicodeDecodeError):
            pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    return decode_text(data, source)


def read_html(data: bytes, source: str) -> tuple[str, str]:
    """The visible text of an HTML note and its character set."""
    markup, encoding = _decode(data, source)
    parser = _TextParser()
    try:
        parser.feed(markup)
        parser.close()
        text = parser.text()
    except (AssertionError, ValueError, RecursionError) as exc:
        raise IngestError(f"{source}: malformed HTML ({type(exc).__name__})") from None
    if not text.strip():
        raise IngestError(f"{source}: HTML document has no visible text")
    return text.replace("\r\n", "\n").replace("\r", "\n") + "\n", encoding
