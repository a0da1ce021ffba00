"""Check one job in a worker: read the file, hash it, run the checker on each of its notes, return plain records
(never a Doc): one for a single-note file, one per note of an HL7 batch or a FHIR Bundle.

``start_worker`` is the pool initializer: it loads the pipeline and checklists once per process. A note that runs
longer than ``ScanOptions.timeout`` seconds, or breaks the engine, becomes an error record, not a lost note.
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rtaudit.ingest.limits import ReadLimits
from rtaudit.ingest.parts import Part, describe, label
from rtaudit.scan.jobs import Charges, Job, ScanOptions
from rtaudit.scan.records import brief, error_record, result_record, strip_path

_STATE: dict[str, Any] = {}
#: A record and (for the HTML report) the note's text.
Outcome = tuple[dict[str, Any], str | None]


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
    """``check_job`` for a few jobs at once (one round trip to a worker process for several files)."""
    return [check_job(job) for job in jobs]


def check_job(job: Job) -> dict[str, Any]:
    """The output for one file, one record per note (see ``render``)."""
    options: ScanOptions = _STATE["options"]
    if _STATE.get("broken"):
        return render(refused(job, _STATE["broken"]), options)
    if job.error or job.file is None:
        return render(refused(job, job.error or "no file"), options)
    outcomes, unlisted = _check(job, options)
    return render(outcomes, options, unlisted)


def refused(job: Job, reason: str, file_sha256: str | None = None, format: str | None = None) -> list[Outcome]:
    """Error records for a file none of whose notes could be checked: one for the file (its ``PATH`` manifest
    row, or no manifest) and one per note the manifest names by ``PATH#PART``. A job limited to some notes (a
    retry, note by note) gets one per note it covers, never one for the whole file."""
    names = sorted(job.only) if job.only is not None else list(job.parts)
    records = [error_record(job.path, reason, file_sha256=file_sha256, format=format, manifest=job.manifest)
               ] if job.every_part and job.only is None else []
    for name in names:
        if not job.wants(name):
            continue
        charges = job.charges(name)
        own = charges.error if charges is not None else None
        why = reason if own in (None, reason) else f"{reason}; {own}"
        records.append(error_record(job.path, why, part=name, file_sha256=file_sha256, format=format,
                                    manifest=charges.manifest if charges is not None else None))
    return [(record, None) for record in records]


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise ``NoteTimeout`` after ``seconds`` (in the main thread only: signals work nowhere else)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _timeout_reason(options: ScanOptions) -> str:
    return f"took longer than {options.timeout:g} s; skipped (raise --timeout to allow more)"


def _internal_error(exc: Exception) -> str:
    return f"internal error ({type(exc).__name__}) while checking this note; please report it"


def _check(job: Job, options: ScanOptions) -> tuple[list[Outcome], int]:
    """Read the file once, then check each of its notes the job covers (each under its own time limit).

    Returns the records (with the note text) and how many notes the manifest does not name (not checked).
    """
    from rtaudit.ingest import IngestError, open_bytes, read_file_bytes, sniff

    assert job.file is not None
    file = Path(job.file)
    digest: str | None = None
    detected: str | None = None
    try:
        with time_limit(options.timeout):
            data = read_file_bytes(file, options.limits)
            digest = hashlib.sha256(data).hexdigest()
            detected = _format_of(data, file.suffix, sniff)
            parts = _opened(job, data, digest, lambda: open_bytes(data, job.path, suffix=file.suffix,
                                                                  base=file.parent, limits=options.limits))
    except NoteTimeout:
        reason = _timeout_reason(options)
    except IngestError as exc:
        reason = strip_path(str(exc), job.path, str(file))
    except Exception as exc:  # noqa: BLE001 - one broken file must not stop the scan; the message may quote text
        reason = _internal_error(exc)
    else:
        return _FileRead(job, str(file), digest, detected).check_all(parts, options)
    return refused(job, reason, digest, detected), 0


def _opened(job: Job, data: bytes, digest: str, open_parts: Callable[[], list[Part]]) -> list[Part]:
    """The notes of the file's bytes. A job limited to some notes (a chunk of a large file, a retry) keeps them
    for the next such job of the same file and bytes, so a worker splits a large file once, not once per chunk."""
    if job.only is None:
        return open_parts()
    key = (job.file, digest)
    cached = _STATE.get("opened")
    if cached is not None and cached[0] == key:
        return cached[1]
    _STATE.pop("opened", None)  # the last file's notes go before the next file is split
    parts = open_parts()
    _STATE["opened"] = (key, parts)
    return parts


class _FileRead:
    """A file read for a job: checks its notes one by one into records."""

    def __init__(self, job: Job, file: str, digest: str | None, detected: str | None) -> None:
        self.job, self.file, self.digest, self.detected = job, file, digest, detected

    def check_all(self, parts: list[Part], options: ScanOptions) -> tuple[list[Outcome], int]:
        """Every note the job covers, then the named notes the file lacks; and the count of unnamed notes."""
        outcomes: list[Outcome] = []
        unlisted = 0
        for part in parts:
            if not self.job.wants(part.id):
                continue
            charges = self.job.charges(part.id)
            if charges is None:
                unlisted += 1
            else:
                outcomes.append(self.check(part, charges, options))
        return outcomes + self.missing([part.id for part in parts]), unlisted

    def error(self, part: str | None, reason: str, manifest: dict[str, Any] | None,
              format: str | None = None) -> Outcome:
        return error_record(self.job.path, reason, part=part, file_sha256=self.digest,
                            format=format or self.detected, manifest=manifest), None

    def check(self, part: Part, charges: Charges, options: ScanOptions) -> Outcome:
        """One note: read it, check it against ``charges``; any problem is an error record for this note."""
        from rtaudit.api import check_note
        from rtaudit.ingest import IngestError

        if charges.error:
            return self.error(part.id, charges.error, charges.manifest)
        fmt = None
        try:
            with time_limit(options.timeout):
                note = part.read()
                fmt = note.format
                report = check_note(note.text, charges.codes, charges.claim_codes, path=self.job.path,
                                    part=part.id, format=note.format, encoding=note.encoding,
                                    checklists=_STATE["checklists"])
        except NoteTimeout:
            return self.error(part.id, _timeout_reason(options), charges.manifest, fmt)
        except IngestError as exc:
            reason = strip_path(str(exc), label(self.job.path, part.id), self.job.path, self.file)
            return self.error(part.id, reason, charges.manifest)
        except Exception as exc:  # noqa: BLE001 - one broken note must not stop the scan; the message may quote text
            return self.error(part.id, _internal_error(exc), charges.manifest, fmt)
        return result_record(report.model_dump(mode="json"), self.digest, charges.manifest), note.text

    def missing(self, ids: list[str | None]) -> list[Outcome]:
        """Error records for the notes the manifest names by ``PATH#PART`` that are not in the file, and for the
        notes of a chunk that the file no longer holds (it changed after the scan listed its notes)."""
        held = "it holds a single note" if ids == [None] else f"its notes: {describe(ids)}"
        named = [self.error(name, f"no note '{name}' in this file, though the manifest names it ({held})",
                            charges.manifest)
                 for name, charges in self.job.parts.items() if name not in ids and self.job.wants(name)]
        present = set(ids) | set(self.job.parts)
        gone = sorted(name for name in self.job.only or () if name not in present and self.job.wants(name))
        return named + [self.error(name, f"no note '{name}' in this file any more (it changed while the scan ran)",
                                   _manifest_of(self.job.charges(name)))
                        for name in gone]


def _manifest_of(charges: Charges | None) -> dict[str, Any] | None:
    return charges.manifest if charges is not None else None


def list_parts(job: Job, limits: ReadLimits | None = None) -> tuple[list[str], int]:
    """The notes of a multi-note file this job would check (named but missing ones too), and how many it would
    leave out as not named in the manifest; ``([], 0)`` for a single-note or unreadable file. The pool asks this
    after a file killed its worker, to try its notes one at a time; the scan asks it in the parent (with the
    scan's ``limits``) to split a large file into several jobs. Parsing only: no note is read."""
    from rtaudit.ingest import open_bytes, read_file_bytes

    if job.error or job.file is None:
        return [], 0
    limits = limits or _STATE["options"].limits
    file = Path(job.file)
    try:
        data = read_file_bytes(file, limits)
        ids = [p.id for p in open_bytes(data, job.path, suffix=file.suffix, base=file.parent, limits=limits)]
    except Exception:  # noqa: BLE001 - an unreadable file (or a reader's bug) is reported when the file is checked
        return [], 0
    if ids == [None]:
        return [], 0
    named = [n for n in ids if n is not None and job.wants(n) and job.charges(n) is not None]
    missing = [n for n in job.parts if n not in ids and job.wants(n)]
    unlisted = sum(1 for n in ids if n is not None and job.wants(n) and job.charges(n) is None)
    return named + missing, unlisted


def render(outcomes: list[Outcome], options: ScanOptions, unlisted: int = 0) -> dict[str, Any]:
    """Plain values only: ``out``, the rendered output of every record (JSONL lines or CSV rows), written whole;
    ``briefs`` for the summary; with --html, the full ``records`` and the note ``texts``; ``unlisted``, the notes
    of the file the manifest does not name."""
    from rtaudit.scan.writers import CsvWriter, JsonlWriter

    writer = CsvWriter if options.output == "csv" else JsonlWriter
    full = options.include_text
    return {"out": "".join(writer.render(record) for record, _ in outcomes),
            "briefs": [brief(record) for record, _ in outcomes],
            "records": [record for record, _ in outcomes] if full else None,
            "texts": [text for _, text in outcomes] if full else None, "unlisted": unlisted}
def _format_of(data: bytes, suffix: str, sniff: Any) -> str | None:
    try:
        return sniff(data, suffix)
    except ValueError:
        return None
