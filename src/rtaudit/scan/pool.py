"""Run jobs in a pool of worker processes (or in this process), streaming results as they finish.

Workers load the pipeline once (the initializer) and return plain dicts (never Docs). Input is pulled lazily and
at most a fixed window of jobs is in flight, so memory stays flat however many notes there are.

A worker that dies (killed by the system when memory runs out, or crashed in a library) breaks the pool: the
jobs it and the others had in flight (files, or chunks of a large file) are run again one at a time in a fresh
pool, and a file that kills its worker again becomes an error record; a file of several notes (or a chunk) is
then tried note by note, so that only the note that kills its worker becomes an error record. Nothing is lost and
the scan never waits forever.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from typing import Any

from rtaudit.scan.jobs import Job, ScanOptions
from rtaudit.scan.records import error_record
from rtaudit.scan.worker import check_job, check_jobs, list_parts, prepare, refused, render, start_worker

CHUNK = 4  # notes per round trip to a worker (a whole file counts as one)
WINDOW_PER_WORKER = 4  # chunks in flight per worker
STOP_SECONDS = 2.0
WORKER_DIED = ("the worker process checking this note died (killed by the system, e.g. out of memory, or crashed); "
               "the note was tried again alone")


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _context() -> Any:
    """``fork`` where there is one (workers start from this process, with nothing to re-import), else ``spawn``.

    The pool is created before the progress bar starts its thread, so the fork copies a single-threaded process.
    """
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _next_chunk(jobs: Iterator[Job]) -> tuple[list[Job], bool]:
    """The next jobs for one round trip to a worker, ``CHUNK`` notes' worth (a job limited to some notes, such as
    a chunk of a large file, weighs its notes, so it mostly goes alone); and whether more jobs may follow."""
    chunk: list[Job] = []
    weight = 0
    for job in jobs:
        chunk.append(job)
        weight += len(job.only) if job.only is not None else 1
        if weight >= CHUNK:
            return chunk, True
    return chunk, False


class ResultStream:
    """``check_job`` for every job, in completion order; ``workers == 1`` runs in this process (0: no jobs).

    Use it as a context manager: entering starts the pool (or loads the pipeline here) before anything else
    starts a thread, and leaving stops it, also on Ctrl-C or an error.
    """

    def __init__(self, jobs: Iterable[Job], options: ScanOptions, workers: int) -> None:
        self.jobs, self.options, self.workers = jobs, options, workers
        self.executor: ProcessPoolExecutor | None = None
        self.finished = False
        self.broken = False

    def __enter__(self) -> ResultStream:
        if self.workers == 1:
            prepare(self.options)
        elif self.workers > 1:
            self.executor = self._new_pool()
        return self

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=_context(), initializer=start_worker,
                                   initargs=(self.options, os.getpid()))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if self.executor is None:
            for job in self.jobs:
                yield check_job(job)
            return
        jobs = iter(self.jobs)
        pending: dict[Future, list[Job]] = {}
        window = self.workers * WINDOW_PER_WORKER
        more = True
        while more or pending:
            while more and len(pending) < window:
                chunk, more = _next_chunk(jobs)
                if chunk:
                    pending[self.executor.submit(check_jobs, chunk)] = chunk
            if not pending:
                break
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            lost: list[Job] = []
            for future in done:
                chunk = pending.pop(future)
                try:
                    yield from future.result()
                except BrokenProcessPool:
                    lost += chunk
            if lost:  # every job still in flight is lost with the pool: run them again, one at a time
                for chunk in pending.values():
                    lost += chunk
                pending.clear()
                yield from self._retry_alone(lost)
        self.executor.shutdown(wait=True)
        self.finished = True

    def _retry_alone(self, lost: list[Job]) -> Iterator[dict[str, Any]]:
        """Each lost job once more, alone, so a file that kills its worker is known by name; the pool is replaced
        whenever it breaks (and a healthy one is left for the rest of the scan). A multi-note file that kills its
        worker again is tried note by note, so only the note that kills is lost."""
        self.broken = True
        for job in sorted(lost, key=lambda j: j.path):
            result = self._alone(check_job, job)
            yield from self._retry_notes(job) if result is None else (result,)
        if self.broken:
            self._replace_pool()

    def _retry_notes(self, job: Job) -> Iterator[dict[str, Any]]:
        """A file that killed its worker twice: each of its notes alone (a single-note file: an error record).

        The first result finishes the job (with the notes the manifest does not name); each note's result is
        marked ``jobs: 0``, so the progress display adds it to its total instead of counting a job done."""
        listed = self._alone(list_parts, job)
        names, unlisted = listed if listed is not None else ([], 0)
        if not names:
            yield render(refused(job, WORKER_DIED), self.options)
            return
        yield render([], self.options, unlisted)
        for name in names:
            result = self._alone(check_job, replace(job, only=frozenset({name}))) or self._died(job, name)
            yield result | {"jobs": 0}

    def _alone(self, function: Callable[[Job], Any], job: Job) -> Any:
        """``function(job)`` in the pool, alone; None when its worker died (the pool is replaced before the next
        call)."""
        if self.broken:
            self._replace_pool()
        try:
            result = self.executor.submit(function, job).result()  # type: ignore[union-attr]
        except BrokenProcessPool:
            self.broken = True
            return None
        self.broken = False
        return result

    def _died(self, job: Job, part: str | None) -> dict[str, Any]:
        charges = job.charges(part)
        manifest = charges.manifest if charges is not None else None
        return render([(error_record(job.path, WORKER_DIED, part=part, manifest=manifest), None)], self.options)

    def _replace_pool(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = self._new_pool()

    def __exit__(self, *exc: object) -> None:
        if self.executor is None or self.finished:
            return
        # Stopped early (Ctrl-C, an error): the results in flight are dropped; the output file is already complete
        # up to the last record written. Workers are killed first (a worker busy with a long note would otherwise
        # hold up the exit), and the rest of the shutdown gets a few seconds in a helper thread.
        for process in list((getattr(self.executor, "_processes", None) or {}).values()):
            if process.is_alive():
                process.kill()
        stopper = threading.Thread(target=self.executor.shutdown, kwargs={"wait": True, "cancel_futures": True},
                                   daemon=True)
        stopper.start()
        stopper.join(STOP_SECONDS)
