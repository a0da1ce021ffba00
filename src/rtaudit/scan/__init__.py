"""Bulk scan of exported note folders: jobs from a folder or a charges manifest, a worker pool, resumable
JSONL/CSV output, a summary. The CLI (``rtaudit scan``) and the HTML report sit on top of ``run_scan``."""

from rtaudit.scan.jobs import Job, ScanOptions
from rtaudit.scan.runner import run_scan
from rtaudit.scan.summary import Summary

__all__ = ["Job", "ScanOptions", "Summary", "run_scan"]
