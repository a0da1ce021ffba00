"""The style sheet and script of the HTML report, inlined into the one file (no CDN, no request of any kind).

The script builds each note view from the embedded JSON with ``textContent`` only, so nothing in a note (an
HTML export with a ``<script>``, say) can run or be rendered as markup.
"""

from __future__ import annotations

CSS = """
:root { --ok:#2e7d32; --down:#c77c02; --bad:#c62828; --review:#6a1b9a; --err:#616161; --line:#d8dde3;
        --bg:#f6f7f9; --ink:#1d2329; --muted:#5f6b76; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif; color:var(--ink);
       background:var(--bg); }
header.top { background:#fff; border-bottom:1px solid var(--line); padding:14px 24px; }
header.top h1 { margin:0 0 2px; font-size:20px; }
header.top .meta { color:var(--muted); font-size:12.5px; }
.phi { margin:12px 24px 0; padding:8px 12px; border:1px solid #e0b44c; background:#fff8e1; border-radius:6px;
       font-size:12.5px; }
.interrupted { border-color:#d9534f; background:#fdecea; }
main { padding:12px 24px 40px; }
.cards { display:flex; flex-wrap:wrap; gap:10px; margin:8px 0 14px; }
.card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:10px 14px; min-width:118px; }
.card b { display:block; font-size:22px; }
.card span { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
.card.supported b { color:var(--ok); } .card.downcode b { color:var(--down); }
.card.unsupported b { color:var(--bad); } .card.needs_review b { color:var(--review); }
.card.error b { color:var(--err); }
.charts { display:grid; grid-template-columns:repeat(auto-fit,minmax(380px,1fr)); gap:12px; margin-bottom:14px; }
.chart { background:#fff; border:1px solid var(--line); border-radius:8px; padding:10px 14px; }
.chart h2 { font-size:14px; margin:0 0 6px; }
.chart svg { width:100%; height:auto; display:block; }
.chart .empty { color:var(--muted); font-style:italic; }
.legend { display:flex; flex-wrap:wrap; gap:10px; font-size:12px; color:var(--muted); margin-top:4px; }
.legend i { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:4px; vertical-align:-1px; }
.reasons { margin:0; padding-left:18px; font-size:12.5px; }
.controls { display:flex; flex-wrap:wrap; gap:8px; align-items:center; background:#fff; border:1px solid var(--line);
            border-radius:8px 8px 0 0; padding:8px 10px; position:sticky; top:0; z-index:2; }
.controls input[type=search] { flex:1 1 260px; padding:6px 8px; border:1px solid var(--line); border-radius:5px; }
.controls select { padding:5px 6px; border:1px solid var(--line); border-radius:5px; background:#fff; }
.controls .count { color:var(--muted); font-size:12.5px; margin-left:auto; }
table.notes { width:100%; border-collapse:collapse; background:#fff; border:1px solid var(--line); border-top:0; }
table.notes th, table.notes td { padding:6px 8px; border-bottom:1px solid #edf0f3; text-align:left;
                                 vertical-align:top; }
table.notes th { background:#f0f3f6; cursor:pointer; user-select:none; white-space:nowrap; font-size:12.5px; }
table.notes th[aria-sort=ascending]::after { content:" \\25B2"; font-size:10px; }
table.notes th[aria-sort=descending]::after { content:" \\25BC"; font-size:10px; }
table.notes tbody tr { cursor:pointer; }
table.notes tbody tr:hover { background:#f3f8ff; }
table.notes td.path { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:12.5px;
                      word-break:break-all; }
.badge { display:inline-block; padding:1px 7px; border-radius:10px; font-size:11.5px; font-weight:600; color:#fff;
         white-space:nowrap; }
.badge.supported { background:var(--ok); } .badge.downcode { background:var(--down); }
.badge.unsupported { background:var(--bad); } .badge.needs_review { background:var(--review); }
.badge.error { background:var(--err); }
.code { white-space:nowrap; display:inline-block; margin:0 6px 2px 0; }
.chip { display:inline-block; background:#eef1f4; border-radius:4px; padding:0 5px; margin:0 3px 2px 0;
        font-size:12px; }
.err { color:var(--bad); font-size:12.5px; }
#view { position:fixed; inset:0; background:rgba(20,26,32,.45); display:none; z-index:10; }
#view.open { display:block; }
#view .panel { position:absolute; inset:24px; background:#fff; border-radius:10px; display:flex;
               flex-direction:column; overflow:hidden; box-shadow:0 10px 40px rgba(0,0,0,.3); }
#view .bar { display:flex; gap:8px; align-items:center; padding:10px 14px; border-bottom:1px solid var(--line); }
#view .bar h2 { font-size:15px; margin:0; font-family:ui-monospace,Menlo,Consolas,monospace; word-break:break-all; }
#view .bar button { border:1px solid var(--line); background:#fff; border-radius:5px; padding:4px 10px;
                    cursor:pointer; }
#view .bar .spacer { flex:1; }
#view .body { display:grid; grid-template-columns:minmax(0,3fr) minmax(300px,2fr); flex:1; min-height:0; }
#view .text { overflow:auto; padding:12px 16px; border-right:1px solid var(--line); }
#view .text pre { white-space:pre-wrap; word-wrap:break-word; font:13px/1.9 ui-monospace,SFMono-Regular,Menlo,
                  Consolas,monospace; margin:0; }
#view .side { overflow:auto; padding:12px 16px; }
#view .side h3 { font-size:13px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted);
                 margin:14px 0 6px; }
.verdict { border:1px solid var(--line); border-radius:8px; padding:8px 10px; margin-bottom:8px; }
.verdict .head { font-weight:600; margin-bottom:4px; }
.verdict ul { margin:4px 0; padding-left:18px; font-size:12.5px; }
.verdict blockquote { margin:6px 0 0; padding:6px 8px; background:#f6f8fa; border-left:3px solid #9aa7b3;
                      font-size:12.5px; }
.verdict .src { color:var(--muted); font-size:11.5px; }
table.els { border-collapse:collapse; width:100%; font-size:12.5px; }
table.els td { border-bottom:1px solid #edf0f3; padding:3px 4px; vertical-align:top; }
table.els a { color:inherit; cursor:pointer; text-decoration:underline dotted; }
mark.ent { color:inherit; padding:1px 2px; border-radius:4px; border:1px solid transparent; }
mark.ent.negated { background:#f3f3f3 !important; border:1px dashed var(--bad); text-decoration:line-through;
                   text-decoration-color:rgba(198,40,40,.6); }
mark.ent.hypothetical { background:#fafafa !important; border:1px dotted #8d6e63; font-style:italic; }
mark.ent.historical { background:#f2f4f6 !important; border:1px double #78909c; color:#546e7a; }
mark.ent.flash { outline:3px solid #1e88e5; }
mark.cue { background:none; color:var(--bad); font-weight:700; text-decoration:underline wavy var(--bad); }
.lbl { font:600 9.5px/1 system-ui,Arial,sans-serif; text-transform:uppercase; letter-spacing:.03em;
       vertical-align:middle; margin-left:4px; padding:1px 3px; border-radius:3px; background:rgba(255,255,255,.75);
       color:#333; }
.swatch { display:inline-block; width:9px; height:9px; border-radius:2px; margin-right:5px; }
.keys { display:flex; flex-wrap:wrap; gap:8px; font-size:12px; color:var(--muted); margin-bottom:8px; }
.keys mark { font-size:12px; }
.note-missing { color:var(--muted); font-style:italic; }
@media print { #view { position:static; display:block; background:none; } .controls { position:static; } }
"""

JS = r"""
(function () {
  "use strict";
  var notes = JSON.parse(document.getElementById("rt-notes").textContent);
  var table = document.getElementById("notes");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var search = document.getElementById("q"), outcome = document.getElementById("f-outcome");
  var code = document.getElementById("f-code"), missing = document.getElementById("f-missing");
  var count = document.getElementById("count");
  var visible = rows.slice();

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function hue(name) {
    var h = 0;
    for (var i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) % 360;
    return h;
  }
  function colour(name) { return "hsl(" + hue(name) + ",70%,84%)"; }
  function words(name) { return String(name).replace(/_/g, " "); }

  function applyFilters() {
    var q = search.value.trim().toLowerCase(), o = outcome.value, c = code.value, m = missing.value;
    visible = [];
    rows.forEach(function (row) {
      var ok = (!q || row.textContent.toLowerCase().indexOf(q) >= 0) &&
        (!o || row.dataset.outcome === o) &&
        (!c || (" " + row.dataset.codes + " ").indexOf(" " + c + " ") >= 0) &&
        (!m || (" " + row.dataset.missing + " ").indexOf(" " + m + " ") >= 0);
      row.hidden = !ok;
      if (ok) visible.push(row);
    });
    count.textContent = visible.length + " of " + rows.length + " notes";
  }
  [search, outcome, code, missing].forEach(function (control) {
    control.addEventListener("input", applyFilters);
  });

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
    th.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var numeric = th.dataset.type === "number";
      rows.sort(function (a, b) {
        var x = a.cells[index].dataset.sort || a.cells[index].textContent;
        var y = b.cells[index].dataset.sort || b.cells[index].textContent;
        var r = numeric ? (parseFloat(x) || 0) - (parseFloat(y) || 0) : x.localeCompare(y, undefined, {numeric: true});
        return ascending ? r : -r;
      });
      rows.forEach(function (row) { body.appendChild(row); });
      applyFilters();
    });
  });

  function segments(text, spans) {
    var cuts = [0, text.length];
    spans.forEach(function (s) { cuts.push(s[0], s[1]); });
    cuts = cuts.filter(function (v, i, all) { return v >= 0 && v <= text.length && all.indexOf(v) === i; })
      .sort(function (a, b) { return a - b; });
    var out = [];
    for (var i = 0; i + 1 < cuts.length; i++) {
      var a = cuts[i], b = cuts[i + 1];
      var over = spans.filter(function (s) { return s[0] <= a && s[1] >= b; });
      out.push({start: a, end: b, spans: over});
    }
    return out;
  }

  function renderText(note, into) {
    var pre = el("pre");
    var spans = note.s || [];
    segments(note.t, spans).forEach(function (seg) {
      var piece = note.t.slice(seg.start, seg.end);
      var ents = seg.spans.filter(function (s) { return s[4] === "e"; });
      var cues = seg.spans.filter(function (s) { return s[4] === "t"; });
      if (!ents.length && !cues.length) { pre.appendChild(document.createTextNode(piece)); return; }
      var node;
      if (ents.length) {
        var main = ents.reduce(function (x, y) { return (y[1] - y[0]) < (x[1] - x[0]) ? y : x; });
        node = el("mark", "ent " + main[3], piece);
        node.style.background = colour(main[2]);
        node.id = "sp-" + main[5];
        node.title = ents.map(function (s) { return words(s[2]) + ": " + s[3]; }).join("\n");
        if (cues.length) node.classList.add("cue");
      } else {
        node = el("mark", "cue", piece);
        node.title = "cue: " + cues.map(function (s) { return words(s[2]) + " " + s[3]; }).join(", ");
      }
      pre.appendChild(node);
      ents.filter(function (s) { return s[1] === seg.end; }).forEach(function (s) {
        node.appendChild(el("span", "lbl", words(s[2]) + (s[3] === "present" ? "" : " \u00b7 " + s[3])));
      });
    });
    into.appendChild(pre);
  }

  function renderSide(note, into) {
    if (note.e) {
      into.appendChild(el("h3", null, "Error"));
      into.appendChild(el("p", "err", note.e));
    }
    if (note.c && note.c.length) into.appendChild(el("h3", null, "Checklist outcome"));
    (note.c || []).forEach(function (c) {
      var box = el("div", "verdict");
      var head = el("div", "head");
      head.appendChild(el("span", "code", c.code));
      head.appendChild(el("span", "badge " + c.verdict, c.verdict.replace("_", " ")));
      if (c.supported_code && c.supported_code !== c.code) {
        head.appendChild(el("span", null, "  \u2192 supports " + c.supported_code));
      }
      box.appendChild(head);
      if (c.missing && c.missing.length) {
        var line = el("div", null, "Missing: ");
        c.missing.forEach(function (m) { line.appendChild(el("span", "chip", words(m))); });
        box.appendChild(line);
      }
      if (c.reasons && c.reasons.length) {
        var ul = el("ul");
        c.reasons.forEach(function (r) { ul.appendChild(el("li", null, r)); });
        box.appendChild(ul);
      }
      if (c.query) box.appendChild(el("blockquote", null, "Query: " + c.query));
      if (c.checklist) box.appendChild(el("div", "src", "checklist " + c.checklist.id + " v" + c.checklist.version));
      into.appendChild(box);
    });
    if (note.cf && note.cf.length) {
      into.appendChild(el("h3", null, "Claim findings"));
      var list = el("ul", "reasons");
      note.cf.forEach(function (f) { list.appendChild(el("li", null, f)); });
      into.appendChild(list);
    }
    if (note.m) {
      into.appendChild(el("h3", null, "Manifest"));
      into.appendChild(el("div", "src", Object.keys(note.m).map(function (k) {
        var v = note.m[k]; return k + ": " + (Array.isArray(v) ? v.join(" ") : v);
      }).join(" \u00b7 ")));
    }
    if (note.el && note.el.length) {
      into.appendChild(el("h3", null, "Elements found"));
      var t = el("table", "els");
      note.el.forEach(function (e) {
        var tr = el("tr");
        var name = el("td");
        var sw = el("i", "swatch");
        sw.style.background = colour(e[0]);
        name.appendChild(sw);
        if (e[3] !== null && e[3] !== undefined && note.t) {
          var a = el("a", null, words(e[0]));
          a.addEventListener("click", function () {
            var target = document.getElementById("sp-" + e[3]);
            if (target) { target.scrollIntoView({block: "center"}); target.classList.add("flash");
              setTimeout(function () { target.classList.remove("flash"); }, 1200); }
          });
          name.appendChild(a);
        } else name.appendChild(document.createTextNode(words(e[0])));
        tr.appendChild(name);
        tr.appendChild(el("td", null, e[1] + (e[2] !== null && e[2] !== undefined ? " (" + e[2] + ")" : "")));
        t.appendChild(tr);
      });
      into.appendChild(t);
    }
  }

  var view = document.getElementById("view"), current = -1;
  function open(index) {
    var note = notes[index];
    if (!note) return;
    current = index;
    document.getElementById("v-title").textContent = note.p;
    var badge = document.getElementById("v-outcome");
    badge.className = "badge " + note.o; badge.textContent = note.o.replace("_", " ");
    var text = document.getElementById("v-text"), side = document.getElementById("v-side");
    text.textContent = ""; side.textContent = "";
    var keys = el("div", "keys");
    ["present", "negated", "hypothetical", "historical"].forEach(function (status) {
      var key = el("mark", "ent " + status, status);
      key.style.background = "#e3f2fd";
      keys.appendChild(key);
    });
    keys.appendChild(el("mark", "cue", "cue word"));
    if (note.t) { text.appendChild(keys); renderText(note, text); }
    else text.appendChild(el("p", "note-missing", note.e ? "No text: the note could not be read." :
      "Note text not included (the note was checked in an earlier run and could not be read again)."));
    renderSide(note, side);
    view.classList.add("open");
    if (location.hash !== "#note-" + index) history.replaceState(null, "", "#note-" + index);
  }
  function close() { view.classList.remove("open"); current = -1; history.replaceState(null, "", location.pathname); }
  function step(delta) {
    var order = visible.map(function (row) { return +row.dataset.index; });
    var at = order.indexOf(current);
    if (at >= 0 && order[at + delta] !== undefined) open(order[at + delta]);
  }
  body.addEventListener("click", function (event) {
    var row = event.target.closest("tr");
    if (row) open(+row.dataset.index);
  });
  document.getElementById("v-close").addEventListener("click", close);
  document.getElementById("v-prev").addEventListener("click", function () { step(-1); });
  document.getElementById("v-next").addEventListener("click", function () { step(1); });
  view.addEventListener("click", function (event) { if (event.target === view) close(); });
  document.addEventListener("keydown", function (event) {
    if (current < 0) return;
    if (event.key === "Escape") close();
    else if (event.key === "ArrowRight" || event.key === "j") step(1);
    else if (event.key === "ArrowLeft" || event.key === "k") step(-1);
  });
  applyFilters();
  var match = /^#note-(\d+)$/.exec(location.hash);
  if (match) open(+match[1]);
})();
"""
