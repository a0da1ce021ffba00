"""Run jobs in a pool of worker processes (or in this process), streaming results as they finish.

Workers load the pipeline once (the initializer) and return plain dicts. Input is pulled lazily and at most a
fixed window of jobs is in flight, so memory stays flat however many notes there are.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from rtaudit.scan.jobs import Job, ScanOptions
from rtaudit.scan.worker import check_job, prepare, start_worker

CHUNK = 4
WINDOW_PER_WORKER = 16


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def iter_results(jobs: Iterable[Job], options: ScanOptions, workers: int) -> Iterator[dict[str, Any]]:
    """``check_job`` for every job, in completion order. ``workers <= 1`` runs in this process."""
    if workers <= 1:
        prepare(options)
        for job in jobs:
            yield check_job(job)
        return
    window = threading.Semaphore(workers * WINDOW_PER_WORKER)
    stop = threading.Event()

    def gated() -> Iterator[Job]:
        for job in jobs:
            window.acquire()
            if stop.is_set():
                return
            yield job

    pool = _context().Pool(workers, initializer=start_worker, initargs=(options, os.getpid()))
    try:
        for result in pool.imap_unordered(check_job, gated(), CHUNK):
            window.release()
            yield result
        pool.close()
        pool.join()
    finally:
        stop.set()
        for _ in range(workers * WINDOW_PER_WORKER + CHUNK):
            window.release()
        pool.terminate()
