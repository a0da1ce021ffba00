"""The HTML report: one self-contained file (nothing loaded from anywhere), a row per note, per-note views whose
evidence spans point at the right words, hostile note text kept inert, and a real headless-Chromium check."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile

import pytest
from typer.testing import CliRunner

from fixtures.scan.note_files import COMPLEX_SIM, make_export
from rtaudit.cli import app

runner = CliRunner()
HOSTILE = ("<html><body><p>CT SIMULATION NOTE</p><p>Plan: &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; "
           "&lt;img src=x onerror=alert(2)&gt; CT simulation performed; IV contrast: none.</p></body></html>")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    expected = make_export(folder, formats=("txt", "pdf", "hl7"))
    (folder / "hostile.html").write_text(HOSTILE, encoding="utf-8")
    html = folder.parent / "report.html"
    result = runner.invoke(app, ["scan", str(folder), "--out", str(folder.parent / "r.jsonl"), "--html", str(html),
                                 "-w", "1"])
    assert result.exit_code == 2, result.output
    return html, html.read_text(encoding="utf-8"), len(expected) + 1


def _notes(page: str) -> list[dict]:
    found = re.search(r'<script type="application/json" id="rt-notes">(.*?)</script>', page, re.S)
    assert found
    return json.loads(found.group(1))


def test_report_is_one_self_contained_file(report):
    _, page, _ = report
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert page.count("<script") == 2  # the data island and the inline script, nothing else


def test_a_row_and_a_view_per_note(report):
    _, page, count = report
    assert len(re.findall(r'<tr data-index="\d+"', page)) == count
    notes = _notes(page)
    assert len(notes) == count
    assert {n["o"] for n in notes} == {"supported", "downcode", "unsupported", "needs_review", "error"}
    assert "PHI" in page and "--html" in page  # the page says why the note text is in it


def test_evidence_spans_point_at_the_words(report):
    _, page, _ = report
    note = next(n for n in _notes(page) if n["p"].endswith("complex.txt"))
    assert note["t"] == COMPLEX_SIM
    evidence = [s for s in note["s"] if s[4] == "e"]
    assert {s[2] for s in evidence} >= {"tangential_ports", "complex_blocking", "contrast", "physician_signature"}
    tangential = next(s for s in evidence if s[2] == "tangential_ports")
    assert COMPLEX_SIM[tangential[0]:tangential[1]].lower().startswith("tangential")
    contrast = next(s for s in evidence if s[2] == "contrast")
    assert contrast[3] == "negated"
    cue = next(s for s in note["s"] if s[4] == "t" and s[2] == "contrast")
    assert COMPLEX_SIM[cue[0]:cue[1]].lower().startswith("none")
    assert note["c"][0]["verdict"] == "supported" and note["c"][0]["checklist"]["id"] == "77290"


def test_hostile_note_text_is_inert(report):
    _, page, _ = report
    assert "<script>alert(1)" not in page and "<img src=x" not in page  # never markup...
    assert "\\u003cimg src=x onerror=alert(2)\\u003e" in page  # ...only escaped data
    note = next(n for n in _notes(page) if n["p"].endswith("hostile.html"))
    assert "</script><script>alert(1)</script>" in note["t"]  # kept as text, escaped in the data island


def test_charts_show_verdicts_by_code_and_missing_elements(report):
    _, page, _ = report
    assert "Verdicts by billed code" in page and "Most frequent missing elements" in page
    assert re.search(r"<title>77290: \d+ supported</title>", page)
    assert "physician signature" in page and "Errors by reason" in page


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]


@pytest.mark.skipif(_chromium() is None, reason="headless Chromium is not installed (apt-get install chromium)")
def test_report_in_headless_chromium(report):
    html, page, count = report
    notes = _notes(page)
    index = next(i for i, n in enumerate(notes) if n["p"].endswith("complex.txt"))
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run([_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=5000",
                               "--dump-dom", f"{html.as_uri()}#note-{index}"],
                              capture_output=True, text=True, timeout=120)
    dom = done.stdout
    assert f"{count} of {count} notes" in dom, done.stderr[-2000:]  # the script ran and filled the counter
    assert 'id="view" role="dialog" aria-modal="true" class="open"' in dom  # the deep link opened the note
    assert re.search(r'<mark class="ent present"[^>]*>tangential', dom)  # evidence highlighted in the text
    assert 'class="ent negated' in dom and "Checklist outcome" in dom


def test_long_chart_labels_fit_their_column_with_the_full_name_in_a_tooltip():
    """A long element name ran off the left edge of the missing-elements chart and was clipped."""
    from rtaudit.report.html import _CHAR_WIDTH, _bars

    long = "respiratory motion management device"
    svg = _bars([(long, [("missing", 3, "#c00")]), ("contrast", [("missing", 1, "#c00")])], label_width=90)
    texts = re.findall(r'<text x="([\d.]+)" y="\d+" text-anchor="end">(?:<title>([^<]*)</title>)?([^<]*)</text>', svg)
    for x, _title, shown in texts:
        assert len(shown) * _CHAR_WIDTH <= float(x)  # the label ends at x and starts at or after 0
    assert (texts[0][1], texts[1][2]) == (long, "contrast")
