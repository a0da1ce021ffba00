"""rtaudit: does a radiation-oncology note support the code billed for it? Verdicts with evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["check_note", "Report", "__version__"]

if TYPE_CHECKING:
    from rtaudit.api import check_note
    from rtaudit.report.model import Report


def __getattr__(name: str) -> Any:
    if name == "check_note":
        from rtaudit.api import check_note

        return check_note
    if name == "Report":
        from rtaudit.report.model import Report

        return Report
    raise AttributeError(name)
