"""Run jobs in a pool of worker processes (or in this process), streaming results as they finish.

Workers load the pipeline once (the initializer) and return plain dicts (never Docs). Input is pulled lazily and
at most a fixed window of jobs is in flight, so memory stays flat however many notes there are.
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
STOP_SECONDS = 2.0


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


class ResultStream:
    """``check_job`` for every job, in completion order; ``workers == 1`` runs in this process (0: no jobs).

    Use it as a context manager: entering starts the pool (or loads the pipeline here) before anything else
    starts a thread, and leaving stops it, also on Ctrl-C or an error.
    """

    def __init__(self, jobs: Iterable[Job], options: ScanOptions, workers: int) -> None:
        self.jobs, self.options, self.workers = jobs, options, workers
        self.pool: Any = None
        self.finished = False
        self.window = threading.Semaphore(workers * WINDOW_PER_WORKER)
        self.stop = threading.Event()

    def __enter__(self) -> ResultStream:
        if self.workers == 1:
            prepare(self.options)
        elif self.workers > 1:
            self.pool = _context().Pool(self.workers, initializer=start_worker, initargs=(self.options, os.getpid()))
        return self

    def _gated(self) -> Iterator[Job]:
        for job in self.jobs:
            self.window.acquire()
            if self.stop.is_set():
                return
            yield job

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if self.pool is None:
            for job in self.jobs:
                yield check_job(job)
            return
        for result in self.pool.imap_unordered(check_job, self._gated(), CHUNK):
            self.window.release()
            yield result
        self.pool.close()
        self.pool.join()
        self.finished = True

    def __exit__(self, *exc: object) -> None:
        if self.pool is None or self.finished:
            return
        # Stopped early (Ctrl-C, an error): the results in flight are dropped. Pool.terminate() can deadlock when
        # workers are blocked writing results nobody reads (and a lock interrupted by Ctrl-C may be left held), so
        # the workers are killed first and the rest of the shutdown gets a few seconds in a helper thread. The
        # output file is already complete up to the last record written.
        self.stop.set()
        for process in getattr(self.pool, "_pool", []):
            if process.is_alive():
                process.kill()
        stopper = threading.Thread(target=self._shut_down, daemon=True)
        stopper.start()
        stopper.join(STOP_SECONDS)

    def _shut_down(self) -> None:
        for _ in range(self.workers * WINDOW_PER_WORKER + CHUNK):
            self.window.release()  # unblocks the pool's task feeder, which then sees ``stop``
        self.pool.terminate()
