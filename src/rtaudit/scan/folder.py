"""Jobs for every file under a folder, in a stable order, without reading them and without following links out."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rtaudit.ingest.paths import is_inside
from rtaudit.scan.jobs import Job


@dataclass
class FolderStats:
    """What the walk left out on purpose (hidden files and folders), so the summary can say so."""

    hidden: int = 0


def _display(path: Path) -> str:
    return os.path.normpath(path)


def walk_folder(root: Path, exclude: Iterable[Path] = (), stats: FolderStats | None = None) -> Iterator[Job]:
    """A job per regular file under ``root`` (sorted, recursive); symlinks leading outside become error jobs.

    Hidden files and folders (``.name``) are left out and counted in ``stats``; ``exclude`` (the scan's own
    output files) is left out silently.
    """
    excluded = {Path(p).resolve() for p in exclude}
    for folder, dirs, files in os.walk(root, followlinks=False):
        base = Path(folder)
        if stats is not None:
            stats.hidden += sum(1 for d in dirs if d.startswith(".")) + sum(1 for f in files if f.startswith("."))
        linked = sorted(d for d in dirs if not d.startswith(".") and (base / d).is_symlink())
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in linked)
        for name in linked:
            yield Job(path=_display(base / name), error="symbolic link to a folder; not followed")
        for name in sorted(f for f in files if not f.startswith(".")):
            path = base / name
            if path.resolve() in excluded:
                continue
            if path.is_symlink() and not is_inside(path, [root]):
                yield Job(path=_display(path), error="symbolic link to a file outside the scanned folder; "
                          "refused")
                continue
            yield Job(path=_display(path), file=str(path.resolve()))
