"""What the command modules share: the usage-error exit."""

from __future__ import annotations

import typer

EXIT_USAGE = 2


def fail(message: str, command: str = "rtaudit", code: int = EXIT_USAGE) -> typer.Exit:
    """Print a one-line reason on standard error and return the exit to raise (never quotes note text)."""
    typer.echo(f"{command}: {message}", err=True)
    return typer.Exit(code)
