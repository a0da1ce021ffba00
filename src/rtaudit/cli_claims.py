"""The ``rtaudit hook``, ``rtaudit serve`` and ``rtaudit audit`` commands (pre-bill queue)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the claim commands to the CLI."""
