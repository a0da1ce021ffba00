"""A whole scan: plan the resume, stream every job's record to the output (and the HTML report), count.

Every job yields exactly one record: a result or an error. With ``resume``, notes already done keep their
records and are not checked again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rtaudit.scan.jobs import Job, ScanOptions
from rtaudit.scan.pool import ResultStream, default_workers
from rtaudit.scan.resume import job_key, keep_done, previous_keys
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


@dataclass
class Progress:
    """Hooks for a progress display: ``start(total)`` once, then ``advance(record)`` per finished note."""

    start: Callable[[int], None] = lambda total: None
    advance: Callable[[dict[str, Any]], None] = lambda record: None


def _reread_text(job: Job, options: ScanOptions) -> str | None:
    """The text of a note kept from an earlier run, for the HTML report (ingest only, no checking)."""
    from rtaudit.ingest import IngestError, read_bytes, read_file_bytes

    if job.file is None:
        return None
    try:
        file = Path(job.file)
        data = read_file_bytes(file, options.limits)
        return read_bytes(data, job.path, suffix=file.suffix, base=file.parent, limits=options.limits).text
    except (IngestError, OSError):
        return None


def _plan_resume(request: ScanRequest) -> tuple[set[str], dict[str, Job]]:
    """The paths whose earlier record still holds, and their jobs (for the HTML report's note text)."""
    assert request.out is not None
    earlier = previous_keys(request.out, request.format)
    done: set[str] = set()
    jobs: dict[str, Job] = {}
    for job in request.jobs():
        if job.path in earlier and earlier[job.path] == job_key(job, request.format):
            done.add(job.path)
            if request.html is not None:
                jobs[job.path] = job
    return done, jobs


def run_scan(request: ScanRequest, progress: Progress | None = None) -> Summary:
    """Run the scan; returns the summary (``interrupted`` set when Ctrl-C stopped it; the output stays valid)."""
    progress = progress or Progress()
    summary = Summary(hidden=request.hidden, unlisted=request.unlisted)
    started = time.perf_counter()
    report = None
    if request.html is not None:
        from rtaudit.report.html import HtmlReport

        report = HtmlReport(request.html, title=request.html_title, source=request.html_source)
    done: set[str] = set()
    if request.resume and request.out is not None:
        done, kept_jobs = _plan_resume(request)

        def keep(record: dict[str, Any]) -> None:
            summary.add(record, resumed=True)
            if report is not None:
                job = kept_jobs.get(record["note"]["path"])
                report.add(record, _reread_text(job, request.options) if job else None)

        keep_done(request.out, request.format, done, keep)
    append = request.resume and request.out is not None
    writer = CsvWriter(request.out, append, request.bom) if request.format == "csv" else JsonlWriter(request.out,
                                                                                                      append)

    def remaining() -> Iterator[Job]:
        return (job for job in request.jobs() if job.path not in done)

    total = sum(1 for _ in remaining())
    workers = min(request.workers or default_workers(), max(total, 1))
    options = replace(request.options, output=request.format, include_text=request.html is not None)
    try:
        with ResultStream(remaining() if total else iter(()), options, workers if total else 0) as results:
            progress.start(total)
            for result in results:
                writer.write_text(result["out"])
                summary.add(result["brief"])
                if report is not None:
                    report.add(result["record"], result["text"])
                progress.advance(result["brief"])
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        writer.close()
        summary.seconds = time.perf_counter() - started
    if report is not None:
        report.close(summary.as_dict())
    return summary
