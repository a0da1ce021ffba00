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


def _read_file_notes(path: str) -> tuple[str, list]:
    """The file's path and its notes as ``NotePart``s: one for most files, one per note of an HL7 batch or FHIR
    Bundle, and just the named one for ``PATH#PART``. The format readers load only for a non-text file."""
    from rtaudit.ingest import NotePart, read_note
    from rtaudit.ingest.parts import split_reference

    file, part = split_reference(path)
    if part is None and file.suffix.lower() in ("", ".txt", ".text"):
        return str(file), [NotePart(None, read_note(file))]
    from rtaudit.ingest import read_any, read_notes

    return str(file), [NotePart(part, read_any(file, part=part))] if part is not None else read_notes(file)


def _check_each(file: str, notes: list, codes: list[str], claim_codes: list[str], output: OutputFormat) -> int:
    """Check every note of a multi-note file: each under a heading naming its part (table), or one JSON object
    per line (json); returns the exit status (2 when a note could not be read, else 1 when a code is not
    supported)."""
    from rtaudit.api import check_note
    from rtaudit.ingest.parts import label

    status = EXIT_OK
    for index, part in enumerate(notes, start=1):
        if part.error is not None:
            status = EXIT_USAGE
            _emit_unreadable(file, part, index, len(notes), output)
            continue
        note = part.note
        report = check_note(note.text, codes, claim_codes, path=note.path, part=note.part, format=note.format,
                            encoding=note.encoding)
        if output is OutputFormat.json:
            typer.echo(report.to_json(indent=None))
        else:
            _heading(label(note.path, note.part), index, len(notes))
            _emit(report, output)
        if not report.all_supported and status == EXIT_OK:
            status = EXIT_FINDINGS
    return status


def _heading(name: str, index: int, count: int) -> None:
    """``── PATH#PART  (note i of n)``, never cut short however long the path."""
    from rich.console import Console
    from rich.text import Text

    Console().print(Text.assemble(("── ", "dim"), (name, "bold"), f"  (note {index} of {count})"), soft_wrap=True)


def _emit_unreadable(file: str, part, index: int, count: int, output: OutputFormat) -> None:  # noqa: ANN001
    """A note of the file that cannot be read: its reason (never the note's words) on standard error, and its
    place in the output (an error object with the report's keys, or its heading)."""
    typer.echo(f"rtaudit: {part.error}", err=True)
    name = f"{file}#{part.part}"
    reason = part.error.removeprefix(f"{name}: ")
    if output is OutputFormat.json:
        typer.echo(json.dumps({"note": {"path": file, "part": part.part, "sha256": None, "format": None,
                                        "encoding": None},
                               "elements": {}, "codes": [], "claim_findings": [], "error": reason},
                              separators=(",", ":")))
    else:
        _heading(name, index, count)
        typer.echo(f"not checked: {reason}")


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
    path: Annotated[str, typer.Argument(help="Note file (txt, rtf, docx, pdf, html, hl7, FHIR json), PATH#PART "
                                             "for one note of an HL7 batch or FHIR Bundle, or '-' for standard "
                                             "input (paste mode on a terminal).")] = "-",
    code: Annotated[list[str] | None, typer.Option("--code", "-c", help="Billed code (repeatable). "
                    "Default: the codes written in the note, e.g. 'CPT: 77290'.")] = None,
    claim_code: Annotated[list[str] | None, typer.Option("--claim-code", help="Another code on the same "
                          "claim/date (repeatable), e.g. 77295 for an add-on 77293.")] = None,
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="table or json. For a file of several "
                      "notes, json is JSON Lines: one compact object per note, one per line (an unreadable note: "
                      "an object with an 'error').")] = OutputFormat.table,
) -> None:
    """Check one note: supported / downcode / unsupported per billed code, what is missing, and why.

    A file of several notes (an HL7 v2 batch, a FHIR Bundle of DocumentReferences) has each note checked, under a
    heading with its part id; PATH#PART checks one of them. Exit status: 0 every code supported, 1 any not, 2 bad
    usage or a note that cannot be read.
    """
    codes, claim_codes = list(code or []), list(claim_code or [])
    if codes:
        _known_codes(codes)
    from rtaudit.ingest import IngestError, decode_text

    if path == "-" and _stdin_is_terminal():
        _interactive(codes, claim_codes, output)
        raise typer.Exit(EXIT_OK)
    note_part = None
    try:
        if path == "-":
            text, encoding = decode_text(sys.stdin.buffer.read())
            note_path, note_format = None, "txt"
        else:
            file, notes = _read_file_notes(path)
            if len(notes) > 1:
                raise typer.Exit(_check_each(file, notes, codes, claim_codes, output))
            note = notes[0].note
            text, encoding, note_path, note_format, note_part = (note.text, note.encoding, note.path, note.format,
                                                                 note.part)
    except IngestError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"{path}: cannot read ({exc.strerror})") from None
    from rtaudit.api import check_note

    report = check_note(text, codes, claim_codes, path=note_path, part=note_part, format=note_format,
                        encoding=encoding)
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
