"""The scan's HTML report: one self-contained file with summary charts (inline SVG), a sortable and filterable
table of notes, and per-note views with the evidence highlighted in the note text beside the checklist outcome.

It is written in a stream: each note's table row and view data go to temporary files as results arrive, and the
page is assembled at ``close``, so memory does not grow with the number of notes. The note text is in the file
only because the user asked for the report; the page says so and loads nothing from the network.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from rtaudit.ingest.parts import label as note_label
from rtaudit.report.html_assets import CSS, JS

VERDICT_COLOURS = {"supported": "#2e7d32", "downcode": "#c77c02", "unsupported": "#c62828",
                   "needs_review": "#6a1b9a", "error": "#9e9e9e"}
OUTCOME_ORDER = {"supported": 0, "downcode": 1, "needs_review": 2, "unsupported": 3, "error": 4}


def _json_for_script(value: Any) -> str:
    """JSON that can sit inside ``<script type="application/json">`` whatever the note says."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def note_view(record: dict[str, Any], text: str | None) -> dict[str, Any]:
    """The compact data a note view is drawn from: verdicts, elements, evidence and cue spans, text."""
    spans: list[list[Any]] = []
    elements: list[list[Any]] = []
    for name, finding in (record.get("elements") or {}).items():
        first: int | None = None
        for evidence in finding.get("evidence") or []:
            if not isinstance(evidence, dict) or evidence.get("start") is None:
                continue
            if text is not None and text[evidence["start"]:evidence["end"]] != evidence.get("text"):
                continue
            first = len(spans) if first is None else first
            spans.append([evidence["start"], evidence["end"], name, evidence.get("status") or finding["status"], "e",
                          len(spans)])
            if evidence.get("trigger_start") is not None and evidence.get("trigger_end") is not None:
                spans.append([evidence["trigger_start"], evidence["trigger_end"], name, evidence.get("status"), "t",
                              len(spans)])
        elements.append([name, finding.get("status"), finding.get("value") if not isinstance(
            finding.get("value"), dict) else None, first if text is not None else None])
    return {
        "p": note_label(record["note"]["path"], record["note"].get("part")), "o": record["outcome"],
        "f": record["note"].get("format"),
        "e": record.get("error"), "t": text, "s": spans, "el": elements,
        "c": [{k: code.get(k) for k in ("code", "verdict", "supported_code", "missing", "reasons", "query",
                                        "checklist")} | {"checklist": _checklist(code)} for code in record["codes"]],
        "cf": [f.get("message") for f in record.get("claim_findings") or []],
        "m": record.get("manifest"),
    }


def _checklist(code: dict[str, Any]) -> dict[str, str] | None:
    checklist = code.get("checklist")
    return {"id": checklist["id"], "version": checklist["version"]} if isinstance(checklist, dict) else None


def _row(index: int, record: dict[str, Any]) -> str:
    note, codes = record["note"], record["codes"]
    esc = html.escape
    outcome = record["outcome"]
    code_cells = "".join(
        f'<span class="code">{esc(c["code"])} <span class="badge {esc(c["verdict"])}">{esc(c["verdict"])}</span>'
        + (f' &rarr; {esc(c["supported_code"])}' if c.get("supported_code") not in (None, c["code"]) else "")
        + "</span>" for c in codes) or ('<span class="chip">no billed code</span>' if not record.get("error") else "")
    missing = sorted({m for c in codes for m in c.get("missing") or []})
    requested = (record.get("manifest") or {}).get("codes") or []
    code_list = " ".join(sorted({c["code"] for c in codes} | set(requested)))
    return (f'<tr data-index="{index}" data-outcome="{esc(outcome)}" data-codes="{esc(code_list)}" '
            f'data-missing="{esc(" ".join(missing))}">'
            f'<td data-sort="{index}">{index + 1}</td>'
            f'<td class="path">{esc(note_label(note["path"], note.get("part")))}</td>'
            f'<td>{esc(note.get("format") or "")}</td>'
            f'<td data-sort="{OUTCOME_ORDER.get(outcome, 9)}"><span class="badge {esc(outcome)}">{esc(outcome)}'
            f"</span></td><td>{code_cells}</td>"
            f'<td data-sort="{len(missing)}">{"".join(f"<span class=chip>{esc(m)}</span>" for m in missing)}</td>'
            f'<td class="err">{esc(record.get("error") or "")}</td></tr>\n')


_CHAR_WIDTH = 6.8  # px per character of a 12 px system-ui label (a generous average)


def _bars(rows: list[tuple[str, list[tuple[str, int, str]]]], label_width: int = 150, width: int = 440) -> str:
    """Horizontal (stacked) bars as inline SVG: ``rows`` of (label, [(part name, count, colour)])."""
    if not rows:
        return '<p class="empty">nothing to show</p>'
    # labels are right-aligned before the bars: widen the label column for long element names (up to half the
    # chart) and shorten what still does not fit, keeping the whole name in a tooltip
    label_width = min(max(label_width, int(_CHAR_WIDTH * max(len(label) for label, _ in rows)) + 12), width // 2)
    fits = int((label_width - 12) / _CHAR_WIDTH)
    top = max(sum(n for _, n, _ in parts) for _, parts in rows) or 1
    scale = (width - label_width - 50) / top
    height = 22 * len(rows) + 6
    out = [f'<svg viewBox="0 0 {width} {height}" role="img" xmlns="http://www.w3.org/2000/svg" '
           'font-family="system-ui,Arial,sans-serif" font-size="12">']
    for i, (label, parts) in enumerate(rows):
        y = 4 + 22 * i
        shown = label if len(label) <= fits else label[:fits - 1] + "…"
        out.append(f'<text x="{label_width - 6}" y="{y + 13}" text-anchor="end"><title>{html.escape(label)}</title>'
                   f"{html.escape(shown)}</text>")
        x = float(label_width)
        for name, count, colour in parts:
            if not count:
                continue
            w = count * scale
            out.append(f'<rect x="{x:.1f}" y="{y}" width="{max(w, 1):.1f}" height="17" rx="2" fill="{colour}">'
                       f"<title>{html.escape(label)}: {count} {html.escape(name)}</title></rect>")
            if w >= 22:
                out.append(f'<text x="{x + w / 2:.1f}" y="{y + 13}" text-anchor="middle" fill="#fff" '
                           f'font-size="11">{count}</text>')
            x += w
        total = sum(n for _, n, _ in parts)
        out.append(f'<text x="{x + 5:.1f}" y="{y + 13}" fill="#5f6b76">{total}</text>')
    out.append("</svg>")
    return "".join(out)


def _legend(names: list[str]) -> str:
    return '<div class="legend">' + "".join(
        f'<span><i style="background:{VERDICT_COLOURS[n]}"></i>{html.escape(n)}</span>' for n in names) + "</div>"


class HtmlReport:
    """Collects notes as they finish and writes the report file at ``close``."""

    def __init__(self, path: Path, title: str = "rtaudit scan report", source: str = "") -> None:
        self.path, self.title, self.source = Path(path), title, source
        self.rows: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")
        self.views: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")
        self.count = 0
        self.outcomes: Counter = Counter()
        self.by_code: dict[str, Counter] = defaultdict(Counter)
        self.missing: Counter = Counter()
        self.errors: Counter = Counter()
        self.codes_seen: set[str] = set()

    def add(self, record: dict[str, Any], text: str | None) -> None:
        """One note: its table row, its view data, and its share of the charts."""
        self.rows.write(_row(self.count, record))
        self.views.write(("," if self.count else "") + _json_for_script(note_view(record, text)) + "\n")
        self.count += 1
        self.outcomes[record["outcome"]] += 1
        if record.get("error"):
            self.errors[record["error"]] += 1
            for code in (record.get("manifest") or {}).get("codes") or []:
                self.by_code[code]["error"] += 1
        elif not record["codes"]:
            self.by_code["(none)"]["needs_review"] += 1
        for code in record["codes"]:
            self.by_code[code["code"]][code["verdict"]] += 1
            self.missing.update(code.get("missing") or [])
        self.codes_seen.update(c["code"] for c in record["codes"])
        self.codes_seen.update((record.get("manifest") or {}).get("codes") or [])

    def _summary(self, meta: dict[str, Any]) -> str:
        esc = html.escape
        cards = [("notes", self.count, "")] + [(name.replace("_", " "), self.outcomes[name], name) for name in
                                               ("supported", "downcode", "unsupported", "needs_review", "error")]
        out = ['<div class="cards">'] + [f'<div class="card {cls}"><b>{n}</b><span>{esc(label)}</span></div>'
                                         for label, n, cls in cards] + ["</div>"]
        order = ["supported", "downcode", "unsupported", "needs_review", "error"]
        by_code = sorted(self.by_code.items(), key=lambda item: (-sum(item[1].values()), item[0]))
        verdict_rows = [(code, [(v, counts[v], VERDICT_COLOURS[v]) for v in order]) for code, counts in by_code]
        missing_rows = [(m.replace("_", " "), [("notes missing it", n, "#5c7cfa")])
                        for m, n in self.missing.most_common(12)]
        out.append('<section class="charts">')
        out.append('<div class="chart"><h2>Verdicts by billed code</h2>' + _bars(verdict_rows, 90)
                   + _legend(order) + "</div>")
        out.append('<div class="chart"><h2>Most frequent missing elements</h2>' + _bars(missing_rows, 170) + "</div>")
        if self.errors:
            reasons = "".join(f"<li>{esc(r)} <b>&times;{n}</b></li>" for r, n in self.errors.most_common(10))
            out.append(f'<div class="chart"><h2>Errors by reason</h2><ol class="reasons">{reasons}</ol></div>')
        out.append("</section>")
        return "".join(out)

    def _controls(self) -> str:
        esc = html.escape
        outcomes = "".join(f'<option value="{o}">{o.replace("_", " ")}</option>' for o in OUTCOME_ORDER)
        codes = "".join(f'<option value="{esc(c)}">{esc(c)}</option>' for c in sorted(self.codes_seen))
        missing = "".join(f'<option value="{esc(m)}">{esc(m.replace("_", " "))}</option>'
                          for m, _ in self.missing.most_common())
        return ('<div class="controls"><input type="search" id="q" placeholder="Filter notes: path, code, element, '
                'error..." aria-label="filter">'
                f'<select id="f-outcome" aria-label="outcome"><option value="">all outcomes</option>{outcomes}</select>'
                f'<select id="f-code" aria-label="code"><option value="">all codes</option>{codes}</select>'
                f'<select id="f-missing" aria-label="missing element"><option value="">any missing element</option>'
                f'{missing}</select><span class="count" id="count"></span></div>')

    def close(self, meta: dict[str, Any] | None = None) -> None:
        """Write the report (atomically) and drop the temporary files."""
        meta = meta or {}
        esc = html.escape
        stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
        source = f" &middot; {esc(self.source)}" if self.source else ""
        interrupted = meta.get("interrupted")
        banner = ('<div class="phi interrupted"><b>Incomplete:</b> the scan was interrupted; this report shows the '
                  "notes finished before that. Rerun with --resume to finish.</div>") if interrupted else ""
        temporary = self.path.with_name(self.path.name + ".tmp")
        with open(temporary, "w", encoding="utf-8") as out:
            out.write('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                      '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
                      "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
                      '<meta name="viewport" content="width=device-width, initial-scale=1">'
                      f"<title>{esc(self.title)}</title><style>{CSS}</style></head><body>\n")
            out.write(f'<header class="top"><h1>{esc(self.title)}</h1><div class="meta">{self.count} notes'
                      f"{source} &middot; generated {stamp} by rtaudit</div></header>\n")
            out.write('<div class="phi"><b>Contains note text (PHI).</b> It is included only because this report '
                      "was requested (<code>--html</code>); store and share this file as you would the notes "
                      "themselves. The page loads nothing from the network.</div>\n" + banner)
            out.write("<main>" + self._summary(meta) + self._controls())
            out.write('<table class="notes" id="notes"><thead><tr><th data-type="number">#</th><th>Note</th>'
                      '<th>Format</th><th data-type="number">Outcome</th><th>Codes</th>'
                      '<th data-type="number">Missing</th><th>Error</th></tr></thead><tbody>\n')
            self.rows.seek(0)
            for chunk in iter(lambda: self.rows.read(1 << 20), ""):
                out.write(chunk)
            out.write("</tbody></table></main>\n")
            out.write('<div id="view" role="dialog" aria-modal="true"><div class="panel"><div class="bar">'
                      '<h2 id="v-title"></h2><span id="v-outcome"></span><span class="spacer"></span>'
                      '<button id="v-prev" title="previous (k)">&larr;</button>'
                      '<button id="v-next" title="next (j)">&rarr;</button>'
                      '<button id="v-close" title="close (Esc)">Close</button></div>'
                      '<div class="body"><div class="text" id="v-text"></div><div class="side" id="v-side"></div>'
                      "</div></div></div>\n")
            out.write('<script type="application/json" id="rt-notes">[')
            self.views.seek(0)
            for chunk in iter(lambda: self.views.read(1 << 20), ""):
                out.write(chunk)
            out.write(f"]</script>\n<script>{JS}</script>\n</body></html>\n")
        os.replace(temporary, self.path)
        self.rows.close()
        self.views.close()
