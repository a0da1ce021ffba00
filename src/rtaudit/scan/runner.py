"""A whole scan: plan the resume, stream every job's record to the output (and the HTML report), count.

Every note yields exactly one record: a result or an error (a file that holds several notes yields one per note;
a file that cannot be read at all, one for the file). A large multi-note file is split into several jobs on the
way to the pool (``split.py``). With ``resume``, notes already done keep their records and are not checked again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rtaudit.ingest.parts import Part
from rtaudit.scan.jobs import Job, ScanOptions
from rtaudit.scan.pool import ResultStream, default_workers
from rtaudit.scan.resume import NoteId, done_parts, keep_done, previous_keys
from rtaudit.scan.split import Split, may_split, split_jobs
from rtaudit.scan.summary import Summary
from rtaudit.scan.writers import CsvWriter, JsonlWriter


@dataclass
class ScanRequest:
    """What to scan and where to write. ``jobs`` must give a fresh iterator each call (resume walks it twice)."""

    jobs: Callable[[], Iterable[Job]]
    out: Path | None = None
    format: str = "jsonl"
    bom: bool = False
    resume: bool = False
    html: Path | None = None
    html_title: str = "rtaudit scan report"
    html_source: str = ""
    workers: int = 0
    options: ScanOptions = field(default_factory=ScanOptions)
    hidden: int = 0
    unlisted: int = 0
    sidecars: int = 0


@dataclass
class Progress:
    """Hooks for a progress display: ``start(total)`` once (the number of files), then ``advance(record)`` per
    finished note; ``add_total(n)`` when a job turned out to hold ``n + 1`` notes (``n`` may be -1: none left), or
    a large file became ``n + 1`` jobs."""

    start: Callable[[int], None] = lambda total: None
    advance: Callable[[dict[str, Any]], None] = lambda record: None
    add_total: Callable[[int], None] = lambda count: None


class _KeptTexts:
    """The text of notes kept from an earlier run, for the HTML report (ingest only, no checking). The file read
    last stays open, so the notes of a multi-note file come from one read of it."""

    def __init__(self, jobs: dict[str, Job], options: ScanOptions) -> None:
        self.jobs, self.options = jobs, options
        self.path: str | None = None
        self.parts: dict[str | None, Part] = {}

    def text(self, note: dict[str, Any]) -> str | None:
        from rtaudit.ingest import IngestError

        if note["path"] != self.path:
            self.path, self.parts = note["path"], self._open(self.jobs.get(note["path"]))
        part = self.parts.get(note.get("part"))
        try:
            return part.read().text if part is not None else None
        except (IngestError, OSError):
            return None

    def _open(self, job: Job | None) -> dict[str | None, Part]:
        from rtaudit.ingest import IngestError, open_bytes, read_file_bytes

        if job is None or job.file is None:
            return {}
        try:
            file = Path(job.file)
            data = read_file_bytes(file, self.options.limits)
            parts = open_bytes(data, job.path, suffix=file.suffix, base=file.parent, limits=self.options.limits)
        except (IngestError, OSError):
            return {}
        return {part.id: part for part in parts}


@dataclass
class _ResumePlan:
    """What an earlier run finished: the notes whose records are kept, the files with nothing left to do, the
    multi-note files with some notes left (and the notes done), and the jobs of kept notes (for the HTML text)."""

    done: set[NoteId] = field(default_factory=set)
    finished: set[str] = field(default_factory=set)
    partly: dict[str, frozenset[str]] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)

    def remaining(self, jobs: Iterable[Job]) -> Iterator[Job]:
        """The jobs still to run, each skipping the notes already done."""
        for job in jobs:
            if job.path in self.finished:
                continue
            yield replace(job, skip_parts=self.partly[job.path]) if job.path in self.partly else job


def _plan_resume(request: ScanRequest) -> _ResumePlan:
    assert request.out is not None
    earlier = previous_keys(request.out, request.format)
    plan = _ResumePlan()
    for job in request.jobs():
        parts = done_parts(job, earlier.get(job.path, {}), request.format)
        if not parts:
            continue
        plan.done |= {(job.path, part) for part in parts}
        if None in parts:
            plan.finished.add(job.path)
        else:
            plan.partly[job.path] = frozenset(p for p in parts if p is not None)
        if request.html is not None:
            plan.jobs[job.path] = job
    return plan


def _count(result: dict[str, Any], summary: Summary, report: Any, progress: Progress) -> None:
    """Add a file's records (one per note) to the summary, the HTML report and the progress display."""
    briefs = result["briefs"]
    summary.unlisted_notes += result["unlisted"]
    added = len(briefs) - result.get("jobs", 1)  # the total counted this job as one note
    if added:
        progress.add_total(added)
    for index, brief in enumerate(briefs):
        summary.add(brief)
        if report is not None:
            report.add(result["records"][index], result["texts"][index])
        progress.advance(brief)


def _count_jobs(jobs: Iterable[Job]) -> tuple[int, bool]:
    """How many jobs there are, and whether any may be split into several (then no cap on the workers)."""
    total, splits = 0, False
    for job in jobs:
        total += 1
        splits = splits or may_split(job)
    return total, splits


def run_scan(request: ScanRequest, progress: Progress | None = None) -> Summary:
    """Run the scan; returns the summary (``interrupted`` set when Ctrl-C stopped it; the output stays valid)."""
    progress = progress or Progress()
    summary = Summary(hidden=request.hidden, unlisted=request.unlisted, sidecars=request.sidecars)
    started = time.perf_counter()
    report = None
    if request.html is not None:
        from rtaudit.report.html import HtmlReport

        report = HtmlReport(request.html, title=request.html_title, source=request.html_source)
    plan = _ResumePlan()
    if request.resume and request.out is not None:
        plan = _plan_resume(request)
        kept_texts = _KeptTexts(plan.jobs, request.options)

        def keep(record: dict[str, Any]) -> None:
            summary.add(record, resumed=True)
            if report is not None:
                report.add(record, kept_texts.text(record["note"]))

        keep_done(request.out, request.format, plan.done, keep)
    append = request.resume and request.out is not None
    writer = CsvWriter(request.out, append, request.bom) if request.format == "csv" else JsonlWriter(request.out,
                                                                                                      append)

    def remaining() -> Iterator[Job]:
        return plan.remaining(request.jobs())

    total, splits = _count_jobs(remaining())
    workers = request.workers or default_workers()
    if not splits:  # no more workers than jobs
        workers = min(workers, max(total, 1))
    options = replace(request.options, output=request.format, include_text=request.html is not None)

    def split(file: Split) -> None:  # the total counted the file as one job
        progress.add_total(len(file.jobs) - 1)
        summary.unlisted_notes += file.unlisted

    try:
        jobs = split_jobs(remaining(), options, split) if total else iter(())
        with ResultStream(jobs, options, workers if total else 0) as results:
            progress.start(total)
            for result in results:
                writer.write_text(result["out"])
                _count(result, summary, report, progress)
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        writer.close()
        summary.seconds = time.perf_counter() - started
    if report is not None:
        report.close(summary.as_dict())
    return summary
