"""Large multi-note files split into several jobs, so that their notes spread over the workers and their records
are written as each chunk finishes (a run stopped midway keeps the chunks already written for ``--resume``).

The split happens in the parent, as jobs are handed to the pool. A file smaller than ``MIN_SPLIT_BYTES``, or whose
first bytes are not an HL7 batch or a FHIR Bundle, costs one ``stat`` (and a large one a read of its head) and
stays one job. Any other file is listed once here (parsing only: no note is read or checked); with more than
``SPLIT_ABOVE`` notes to check it becomes jobs of ``NOTES_PER_JOB`` notes each (``Job.only``), in file order.
Every note the file's job would check is in exactly one chunk; a file that cannot be listed stays one job, so the
worker reports it exactly as it would have.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from rtaudit.scan.jobs import Job, ScanOptions

#: A multi-note file with more notes to check than this is split into several jobs.
SPLIT_ABOVE = 64
#: Notes per job of a split file (a worker's round trip stays a few seconds).
NOTES_PER_JOB = 32
#: Smaller files are never listed in the parent: they cannot hold more than ``SPLIT_ABOVE`` real notes.
MIN_SPLIT_BYTES = SPLIT_ABOVE * 256
#: How much of a large file's head is read to tell an HL7 batch or a FHIR Bundle (what ``sniff`` looks at).
HEAD_BYTES = 65536
_MULTI_NOTE_FORMATS = ("hl7", "fhir")


@dataclass(frozen=True)
class Split:
    """The jobs for one file (one unless it was split) and its notes the manifest does not name (counted here
    for a split file, since none of its chunks covers them; 0 otherwise: the file's worker counts them)."""

    jobs: list[Job]
    unlisted: int = 0


def may_split(job: Job) -> bool:
    """Whether the job's file could be a multi-note file worth splitting: large enough, and its head reads as an
    HL7 batch or a FHIR Bundle. Cheap: a ``stat``, and for a large file a read of its first bytes."""
    from rtaudit.ingest import IngestError
    from rtaudit.ingest.dispatch import sniff

    if job.error or job.file is None or job.only is not None:
        return False
    try:
        if os.stat(job.file).st_size < MIN_SPLIT_BYTES:
            return False
        with open(job.file, "rb") as handle:
            head = handle.read(HEAD_BYTES)
        return sniff(head, Path(job.file).suffix) in _MULTI_NOTE_FORMATS
    except (OSError, IngestError):
        return False


def split_job(job: Job, options: ScanOptions) -> Split:
    """The job as chunks of ``NOTES_PER_JOB`` notes when its file has more than ``SPLIT_ABOVE`` notes to check
    (skipping those ``--resume`` kept), else unchanged."""
    if not may_split(job):
        return Split([job])
    names, unlisted = _listed(job, options)
    if len(names) <= SPLIT_ABOVE:
        return Split([job])
    chunks = [names[start:start + NOTES_PER_JOB] for start in range(0, len(names), NOTES_PER_JOB)]
    return Split([replace(job, only=frozenset(chunk)) for chunk in chunks], unlisted)


def split_jobs(jobs: Iterable[Job], options: ScanOptions, on_split: Callable[[Split], None]) -> Iterator[Job]:
    """Every job, large multi-note files as several; ``on_split`` hears of each file that was split."""
    for job in jobs:
        split = split_job(job, options)
        if len(split.jobs) > 1:
            on_split(split)
        yield from split.jobs


def _listed(job: Job, options: ScanOptions) -> tuple[list[str], int]:
    """``list_parts`` in this process, under the scan's time limit; ``([], 0)`` when it fails or runs out of
    time (the file then stays one job and its worker reports why)."""
    from rtaudit.scan.worker import NoteTimeout, list_parts, time_limit

    try:
        with time_limit(options.timeout):
            return list_parts(job, options.limits)
    except NoteTimeout:
        return [], 0
