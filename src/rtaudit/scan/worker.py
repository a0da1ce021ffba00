"""Check one job in a worker: read the file, hash it, run the checker, return a plain record (never a Doc).

``start_worker`` is the pool initializer: it loads the pipeline and checklists once per process. A note that runs
longer than ``ScanOptions.timeout`` seconds, or breaks the engine, becomes an error record, not a lost note.
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

from rtaudit.scan.jobs import Job, ScanOptions
from rtaudit.scan.records import brief, error_record, result_record, strip_path

_STATE: dict[str, Any] = {}


class NoteTimeout(BaseException):
    """A note took longer than the per-note time limit (a BaseException, so readers' broad handlers let it by)."""


def prepare(options: ScanOptions) -> None:
    """Load the pipeline and the checklists in this process (once) and remember the options."""
    from rtaudit.nlp.text_pipeline import load_text_pipeline
    from rtaudit.rules.checklist import load_checklists

    load_text_pipeline()
    _STATE["options"] = options
    _STATE["checklists"] = load_checklists(options.checklist_dir)


def start_worker(options: ScanOptions, parent: int | None = None) -> None:
    """Pool initializer: Ctrl-C is the parent's business (it stops the pool); a worker whose parent was killed
    (``kill -9``) exits instead of waiting forever; then ``prepare``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent is not None:
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    try:
        prepare(options)
    except Exception as exc:  # noqa: BLE001 - a pool whose initializer raises respawns workers forever
        _STATE["options"] = options
        _STATE["broken"] = f"the worker could not load the pipeline or checklists ({type(exc).__name__})"


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _on_alarm(signum: int, frame: Any) -> None:  # noqa: ARG001
    raise NoteTimeout


def check_jobs(jobs: list[Job]) -> list[dict[str, Any]]:
    """``check_job`` for a few jobs at once (one round trip to a worker process for several notes)."""
    return [check_job(job) for job in jobs]


def check_job(job: Job) -> dict[str, Any]:
    """The output for one job: ``{"out": <rendered JSONL line or CSV rows>, "brief": <summary dict>,
    "record": <the JSON-able record, with --html only>, "text": <the note text, with --html only>}``."""
    options: ScanOptions = _STATE["options"]
    if _STATE.get("broken"):
        return render_result(error_record(job.path, _STATE["broken"], manifest=job.manifest), None, options)
    if job.error or job.file is None:
        return render_result(error_record(job.path, job.error or "no file", manifest=job.manifest), None, options)
    if threading.current_thread() is not threading.main_thread():
        return _check(job, options)  # signals (the per-note timer) work in the main thread only
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, options.timeout)
    try:
        return _check(job, options)
    except NoteTimeout:
        reason = f"took longer than {options.timeout:g} s; skipped (raise --timeout to allow more)"
        return render_result(error_record(job.path, reason, manifest=job.manifest), None, options)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _check(job: Job, options: ScanOptions) -> dict[str, Any]:
    from rtaudit.api import check_note
    from rtaudit.ingest import IngestError, read_bytes, read_file_bytes, sniff

    assert job.file is not None
    file = Path(job.file)
    digest: str | None = None
    detected: str | None = None
    try:
        data = read_file_bytes(file, options.limits)
        digest = hashlib.sha256(data).hexdigest()
        detected = _format_of(data, file.suffix, sniff)
        note = read_bytes(data, job.path, suffix=file.suffix, base=file.parent, limits=options.limits)
        detected = note.format
        report = check_note(note.text, job.codes, job.claim_codes, path=job.path, format=note.format,
                            encoding=note.encoding, checklists=_STATE["checklists"])
    except IngestError as exc:
        reason = strip_path(str(exc), job.path, str(file))
        record = error_record(job.path, reason, file_sha256=digest, format=detected, manifest=job.manifest)
        return render_result(record, None, options)
    except (NoteTimeout, KeyboardInterrupt):
        raise
    except Exception as exc:  # noqa: BLE001 - one broken note must not stop the scan; the message may quote text
        reason = f"internal error ({type(exc).__name__}) while checking this note; please report it"
        record = error_record(job.path, reason, file_sha256=digest, format=detected, manifest=job.manifest)
        return render_result(record, None, options)
    return render_result(result_record(report.model_dump(mode="json"), digest, job.manifest), note.text, options)


def render_result(record: dict[str, Any], text: str | None, options: ScanOptions) -> dict[str, Any]:
    """Plain values only: the rendered output, a brief for the summary, and (for the HTML report) the full record
    and the note text."""
    from rtaudit.scan.writers import CsvWriter, JsonlWriter

    writer = CsvWriter if options.output == "csv" else JsonlWriter
    full = options.include_text
    return {"out": writer.render(record), "brief": brief(record), "record": record if full else None,
            "text": text if full else None}


def _format_of(data: bytes, suffix: str, sniff: Any) -> str | None:
    try:
        return sniff(data, suffix)
    except ValueError:
        return None
