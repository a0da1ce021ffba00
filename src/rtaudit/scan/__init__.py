"""Bulk scan of exported note folders: jobs from a folder or a charges manifest, a worker pool, resumable
JSONL/CSV output, a summary. The CLI (``rtaudit scan``) and the HTML report sit on top of ``run_scan``.

    from rtaudit.scan import ScanRequest, run_scan, walk_folder

    summary = run_scan(ScanRequest(jobs=lambda: walk_folder(Path("export")), out=Path("results.jsonl")))
"""

from rtaudit.scan.folder import FolderStats, walk_folder
from rtaudit.scan.jobs import Job, ScanOptions
from rtaudit.scan.manifest import ManifestError, read_manifest
from rtaudit.scan.runner import Progress, ScanRequest, run_scan
from rtaudit.scan.summary import Summary

__all__ = ["FolderStats", "Job", "ManifestError", "Progress", "ScanOptions", "ScanRequest", "Summary",
           "read_manifest", "run_scan", "walk_folder"]
