"""The ``rtaudit scan`` command (bulk audit of exported note folders).

Only typer and the standard library are imported here; the scan machinery is imported when the command runs, so
``rtaudit check`` starts as fast as before.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from rtaudit.cli_common import fail

EXIT_USAGE = 2


class ScanFormat(str, Enum):
    jsonl = "jsonl"
    csv = "csv"


def _fail(message: str) -> typer.Exit:
    return fail(message, "rtaudit scan")


def _progress(enabled: bool) -> tuple[Any, Any]:
    """A rich progress bar with notes/s and ETA on a terminal (``(None, hooks)`` that do nothing otherwise)."""
    from rtaudit.scan import Progress

    if not enabled:
        return None, Progress()
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as Bar
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:.1f} notes/s" if speed else "-- notes/s", style="cyan")

    bar = Bar(TextColumn("[bold]scanning"), BarColumn(), MofNCompleteColumn(), Rate(), TextColumn("ETA"),
              TimeRemainingColumn(), TimeElapsedColumn(), TextColumn("{task.fields[errors]} errors"),
              console=Console(stderr=True), transient=False)
    state: dict[str, Any] = {"task": None, "errors": 0, "total": 0}

    def start(total: int) -> None:
        bar.start()
        state["task"] = bar.add_task("scan", total=total, errors=0)
        state["total"] = total

    def add_total(count: int) -> None:  # a file held several notes
        state["total"] += count
        bar.update(state["task"], total=state["total"])

    def advance(record: dict[str, Any]) -> None:
        state["errors"] += record["outcome"] == "error"
        bar.update(state["task"], advance=1, errors=state["errors"])

    return bar, Progress(start=start, advance=advance, add_total=add_total)


def _print_summary(summary: Any, rich_output: bool) -> None:
    if not rich_output:
        for line in summary.lines():
            typer.echo(line, err=True)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="rtaudit scan", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    styles = {"supported": "green", "downcode": "yellow", "unsupported": "red", "needs_review": "magenta",
              "error": "bright_black"}
    table.add_row("notes", f"{summary.notes} ({summary.notes - summary.errors} checked, {summary.errors} errors"
                  + (f", {summary.resumed} from the earlier run" if summary.resumed else "") + ")")
    if summary.seconds and summary.notes > summary.resumed:
        rate = (summary.notes - summary.resumed) / summary.seconds
        table.add_row("time", f"{summary.seconds:.1f} s ({rate:.1f} notes/s)")
    table.add_row("codes", str(summary.codes))
    for verdict in ("supported", "downcode", "unsupported", "needs_review"):
        table.add_row(f"  [{styles[verdict]}]{verdict}[/]", str(summary.verdicts[verdict]))
    for line in summary.lines()[2:]:
        table.add_row("", line)
    Console(stderr=True).print(table)


def scan(
    folder: Annotated[Path, typer.Argument(help="Folder of exported notes, searched recursively (txt, rtf, docx, "
                                                "pdf, html, hl7, FHIR json). Hidden files are left out. An HL7 batch "
                                                "or a FHIR Bundle gives a record per note (note.part).")],
    manifest: Annotated[Path | None, typer.Option("--manifest", "-m", help="Charges CSV: note (path relative to "
                        "the manifest, or PATH#PART for one note of a multi-note file), codes, and optional "
                        "claim_codes, modifiers, date_of_service, patient_id, course_id, payer. Without it, the codes "
                        "written in each note are checked.")] = None,
    out: Annotated[str | None, typer.Option("--out", "-o", help="Output file, written as notes finish; '-' for "
                   "standard output. Default: scan-results.jsonl (or .csv).")] = None,
    output_format: Annotated[ScanFormat, typer.Option("--format", "-f", help="jsonl: one JSON object per note "
                             "(the check --format json contract); csv: one row per (note, code).")] = ScanFormat.jsonl,
    html: Annotated[Path | None, typer.Option("--html", help="Also write a self-contained HTML report (charts, "
                    "a filterable table, each note with its evidence highlighted). The report CONTAINS THE NOTE "
                    "TEXT (PHI): it is put there only because you ask for the report with this option.")] = None,
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1, help="Worker processes. Default: the "
                       "machine's cores.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Finish an interrupted run: notes already in --out with "
                      "the same path, part and file SHA-256 are kept, not checked again.")] = False,
    bom: Annotated[bool, typer.Option("--bom", help="Start a CSV with a UTF-8 byte-order mark (for Excel).")] = False,
    max_mb: Annotated[float, typer.Option("--max-mb", min=0.001, help="Largest file read, in MB.")] = 20.0,
    max_pages: Annotated[int, typer.Option("--max-pages", min=1, help="Most PDF pages read.")] = 200,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Seconds one note may take (each note of a "
                       "multi-note file).")] = 60.0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.")] = False,
) -> None:
    """Audit a folder of exported notes: one record per note (result or error), resumable, in parallel.

    A file that holds several notes (an HL7 v2 batch, a FHIR Bundle of DocumentReferences) gives one record per
    note, with note.part naming it (PATH#PART in CSV and the HTML report).

    Exit status: 0 every billed code supported, 1 any code not supported or a note needing review, 2 any note
    could not be read (or bad usage), 130 interrupted (the output stays valid; rerun with --resume). Note text
    never goes to the terminal or logs; it is in the JSONL evidence and, only with --html, in the report.
    """
    from rtaudit.ingest.limits import MB, ReadLimits
    from rtaudit.scan import FolderStats, ScanOptions, ScanRequest, run_scan, walk_folder

    if not folder.is_dir():
        raise _fail(f"{folder}: not a folder")
    fmt = output_format.value
    out_path = None if out == "-" else Path(out or f"scan-results.{fmt}")
    if resume and out_path is None:
        raise _fail("--resume needs an output file (--out), not standard output")
    if html is not None and html.suffix.lower() not in (".html", ".htm"):
        raise _fail(f"{html}: the HTML report's name should end in .html")
    generated = [p for p in (out_path, html, manifest) if p is not None]
    generated += [p.with_name(p.name + suffix) for p in generated for suffix in (".tmp", ".resume-tmp")]
    roots = (str(folder),) + ((str(manifest.parent),) if manifest else ())
    options = ScanOptions(limits=ReadLimits(max_bytes=int(max_mb * MB), max_pages=max_pages, roots=roots),
                          timeout=timeout)
    stats = FolderStats()
    if manifest is not None:
        jobs_list = _manifest_jobs(manifest, folder)
        listed = {Path(j.file) for j in jobs_list if j.file}
        unlisted, sidecars = _unlisted(folder, generated, listed)

        def jobs() -> Any:
            return iter(jobs_list)
    else:
        unlisted = sidecars = 0
        for _ in walk_folder(folder, generated, stats):
            pass

        def jobs() -> Any:
            return walk_folder(folder, generated)

    request = ScanRequest(jobs=jobs, out=out_path, format=fmt, bom=bom, resume=resume, html=html,
                          html_source=str(manifest or folder), workers=workers or 0, options=options,
                          hidden=stats.hidden, unlisted=unlisted, sidecars=sidecars)
    terminal = sys.stderr.isatty() and not quiet
    bar, progress = _progress(terminal)
    try:
        summary = run_scan(request, progress)
    finally:
        if bar is not None:
            bar.stop()
    if not quiet:
        _print_summary(summary, terminal)
    raise typer.Exit(summary.exit_code())


def _unlisted(folder: Path, generated: list[Path], listed: set[Path]) -> tuple[int, int]:
    """Files of the folder the manifest does not name: (others, label sidecars). A ``NAME.json`` beside a listed
    ``NAME.txt`` (or any listed ``NAME.*``) is a label, not a note the user forgot."""
    from rtaudit.scan import walk_folder

    stems = {(path.parent, path.stem) for path in listed}
    others = sidecars = 0
    for job in walk_folder(folder, generated):
        if not job.file or Path(job.file) in listed:
            continue
        path = Path(job.file)
        if path.suffix.lower() == ".json" and (path.parent, path.stem) in stems:
            sidecars += 1
        else:
            others += 1
    return others, sidecars


def _manifest_jobs(manifest: Path, folder: Path) -> list[Any]:
    from rtaudit.rules.checklist import load_checklists
    from rtaudit.scan import ManifestError, read_manifest

    if not manifest.is_file():
        raise _fail(f"{manifest}: no such manifest file")
    try:
        return read_manifest(manifest, folder, load_checklists().checklists)
    except ManifestError as exc:
        raise _fail(str(exc)) from None


def register(app: typer.Typer) -> None:
    """Add the scan command to the CLI."""
    app.command("scan")(scan)
