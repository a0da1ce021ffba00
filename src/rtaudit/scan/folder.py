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


def walk_folder(root: Path, exclude: Iterable[Path] = (), stats: FolderStats | None = None) -> Iterator[Job]:
    """A job per regular file under ``root`` (sorted, recursive); symlinks leading outside become error jobs.

    Hidden files and folders (``.name``) are left out and counted in ``stats``; ``exclude`` (the scan's own
    output files) is left out silently. Links are never followed, so a file's real path is its folder's real path
    plus its name unless the file itself is a link: only links are resolved (a scan walks the folder more than
    once, and resolving every path cost more than reading small notes).
    """
    excluded = {os.path.realpath(p) for p in exclude}
    yield from _walk(os.path.normpath(root), os.path.realpath(root), Path(root), excluded, stats)


def _walk(folder: str, real_folder: str, root: Path, excluded: set[str], stats: FolderStats | None
          ) -> Iterator[Job]:
    with os.scandir(folder) as scan:
        entries = sorted(scan, key=lambda entry: entry.name)
    visible = [entry for entry in entries if not entry.name.startswith(".")]
    if stats is not None:
        stats.hidden += len(entries) - len(visible)
    folders = []
    for entry in visible:
        if entry.is_dir(follow_symlinks=False):
            folders.append(entry)
        elif entry.is_symlink() and entry.is_dir():
            yield Job(path=os.path.join(folder, entry.name), error="symbolic link to a folder; not followed")
    for entry in visible:
        if entry.is_dir():
            continue
        path = os.path.join(folder, entry.name)
        real = os.path.realpath(path) if entry.is_symlink() else os.path.join(real_folder, entry.name)
        if real in excluded:
            continue
        if entry.is_symlink() and not is_inside(Path(path), [root]):
            yield Job(path=path, error="symbolic link to a file outside the scanned folder; refused")
            continue
        yield Job(path=path, file=real)
    for entry in folders:
        yield from _walk(os.path.join(folder, entry.name), os.path.join(real_folder, entry.name), root, excluded,
                         stats)
