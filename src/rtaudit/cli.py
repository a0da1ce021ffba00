"""The ``rtaudit`` command line: check, codes, explain, eval."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from rtaudit.cli_common import fail

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Does a radiation-oncology note support the code billed for it? Verdicts with evidence.")

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class OutputFormat(str, Enum):
    table = "table"
    json = "json"


def _fail(message: str) -> typer.Exit:
    return fail(message)


def _known_codes(codes: list[str]) -> None:
    from rtaudit.rules.checklist import load_checklists

    checklists = load_checklists()
    unknown = [c for c in codes if checklists.get(c.strip().upper()) is None]
    if unknown:
        known = ", ".join(sorted(checklists.checklists))
        raise _fail(f"no checklist for {', '.join(unknown)} (known codes: {known})")


def _emit(report, output: OutputFormat) -> None:  # noqa: ANN001
    if output is OutputFormat.json:
        typer.echo(report.to_json())
    else:
        from rtaudit.report.table import print_report

        print_report(report)


def _read_any(path: str):  # noqa: ANN202 - the format readers load only for a non-text file
    from rtaudit.ingest import read_any

    return read_any(path)


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _interactive(codes: list[str], claim_codes: list[str], output: OutputFormat) -> None:
    from rtaudit.api import check_note

    typer.echo("Paste a note and end it with Ctrl-D on a new line; Ctrl-D on an empty note quits.", err=True)
    while True:
        typer.echo("--- note ---", err=True)
        text = sys.stdin.read()
        if not text.strip():
            typer.echo("bye", err=True)
            return
        _emit(check_note(text, codes, claim_codes), output)


@app.command()
def check(
    path: Annotated[str, typer.Argument(help="Note file (txt, rtf, docx, pdf, html, hl7, FHIR json), or '-' "
                                             "for standard input (paste mode on a terminal).")] = "-",
    code: Annotated[list[str] | None, typer.Option("--code", "-c", help="Billed code (repeatable). "
                    "Default: the codes written in the note, e.g. 'CPT: 77290'.")] = None,
    claim_code: Annotated[list[str] | None, typer.Option("--claim-code", help="Another code on the same "
                          "claim/date (repeatable), e.g. 77295 for an add-on 77293.")] = None,
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="table or json.")] = OutputFormat.table,
) -> None:
    """Check one note: supported / downcode / unsupported per billed code, what is missing, and why."""
    codes, claim_codes = list(code or []), list(claim_code or [])
    if codes:
        _known_codes(codes)
    from rtaudit.ingest import IngestError, decode_text, read_note

    if path == "-" and _stdin_is_terminal():
        _interactive(codes, claim_codes, output)
        raise typer.Exit(EXIT_OK)
    try:
        if path == "-":
            text, encoding = decode_text(sys.stdin.buffer.read())
            note_path, note_format = None, "txt"
        else:
            note = read_note(path) if Path(path).suffix.lower() in ("", ".txt", ".text") else _read_any(path)
            text, encoding, note_path, note_format = note.text, note.encoding, note.path, note.format
    except IngestError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"{path}: cannot read ({exc.strerror})") from None
    from rtaudit.api import check_note

    report = check_note(text, codes, claim_codes, path=note_path, format=note_format, encoding=encoding)
    _emit(report, output)
    raise typer.Exit(EXIT_OK if report.all_supported else EXIT_FINDINGS)


@app.command()
def codes() -> None:
    """List the codes rtaudit has checklists for."""
    from rtaudit.rules.checklist import load_checklists

    checklists = load_checklists()
    for checklist in sorted(checklists.checklists.values(), key=lambda c: c.code):
        ladder = f" [{checklist.ladder} level {checklist.level}]" if checklist.ladder else ""
        typer.echo(f"{checklist.code}  {checklist.title}{ladder}  (v{checklist.version})")


@app.command()
def explain(code: Annotated[str, typer.Argument(help="A billing code, e.g. 77290.")]) -> None:
    """Print what a note must show for CODE, with the checklist's sources."""
    from rtaudit.rules.checklist import load_checklists

    _known_codes([code])
    checklist = load_checklists().get(code.strip().upper())
    assert checklist is not None
    typer.echo(f"{checklist.code}: {checklist.title} (checklist v{checklist.version})")
    typer.echo("\nThe note must show all of:")
    for requirement in checklist.required:
        options = [a if isinstance(a, str) else " + ".join(a) for a in requirement.any_of]
        signer = " (physician or physicist)" if requirement.signer == "physician_or_physicist" else ""
        typer.echo(f"  - {' or '.join(options)}{signer}")
    if checklist.claim:
        typer.echo(f"  - on the claim: one of {', '.join(checklist.claim.any_of)}")
    if checklist.level_criteria:
        typer.echo("\nAnd any one of these level criteria:")
        for criterion in checklist.level_criteria:
            typer.echo(f"  - {criterion.describe()}")
    if checklist.ladder:
        ladder = " < ".join(c.code for c in load_checklists().ladder(checklist.ladder))
        typer.echo(f"\nLadder: {ladder}; a note that supports only a lower level is downcoded to it.")
    if checklist.advisory:
        typer.echo(f"\nAlso expected (advisory): {', '.join(checklist.advisory)}")
    if checklist.notes:
        typer.echo(f"\nNote: {checklist.notes}")
    typer.echo("\nSources:")
    for source in checklist.sources:
        typer.echo(f"  - {source}")


@app.command("eval")
def eval_command(
    folder: Annotated[Path, typer.Argument(help="Folder of labeled notes (NAME.txt + NAME.json).")],
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List each wrong case.")] = False,
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="table or json.")] = OutputFormat.table,
) -> None:
    """Score the checker on a labeled corpus: verdicts, false passes/holds, elements, statuses, counts."""
    from rtaudit.evaluation import evaluate_corpus

    if not folder.is_dir():
        raise _fail(f"{folder}: not a folder")
    try:
        scores = evaluate_corpus(folder)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    figures = scores.figures()
    if output is OutputFormat.json:
        typer.echo(json.dumps(figures | ({"mistakes": scores.mistakes} if verbose else {}), indent=2))
        return
    if verbose:
        for mistake in scores.mistakes:
            typer.echo(f"  x {mistake}")
        typer.echo("")
    for name, value in figures.items():
        typer.echo(f"{name:>22}: {value}")


def _register_commands() -> None:
    from rtaudit import cli_claims, cli_scan

    cli_scan.register(app)
    cli_claims.register(app)


_register_commands()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
