"""The ``rtaudit hook``, ``rtaudit serve`` and ``rtaudit audit`` commands (pre-bill queue).

Only typer and the standard library are imported here; the engine, FastAPI and uvicorn are imported inside the
commands so that ``rtaudit check`` starts fast.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from rtaudit.cli_common import fail

EXIT_PASS, EXIT_MALFORMED, EXIT_HOLD = 0, 2, 3

AuditDb = Annotated[Path | None, typer.Option("--audit-db", help="Audit SQLite file (default: $RTAUDIT_AUDIT_DB, "
                                              "else ./rtaudit-audit.sqlite3).")]
ClaimRulesDir = Annotated[Path | None, typer.Option("--claim-rules", help="Folder of claim rule YAML files "
                                                    "(default: the shipped claim_rules/).")]


class ExportFormat(str, Enum):
    csv = "csv"
    jsonl = "jsonl"


def _fail(message: str) -> typer.Exit:
    return fail(message, code=EXIT_MALFORMED)


def hook(
    audit_db: AuditDb = None,
    notes_dir: Annotated[Path, typer.Option("--notes-dir", help="Linked note paths are followed only inside this "
                                            "folder.")] = Path("."),
    claim_rules: ClaimRulesDir = None,
) -> None:
    """Pre-bill queue: claims on stdin, one pass/hold decision per claim as a JSON line on stdout.

    Input: JSON lines (answered line by line), one JSON document (a claim or a list), an HL7 v2 DFT^P03 + MDM^T02
    batch, or a FHIR Claim/Bundle. Exit 0: all pass; 3: any hold; 2: malformed input (each bad claim gets an error
    record; the others are still decided). Every decision is recorded in the audit trail.
    """
    import sqlite3

    from rtaudit.claims.audit import AuditLog, audit_path
    from rtaudit.claims.decide import ClaimChecker, overall
    from rtaudit.claims.inputs import read_claims
    from rtaudit.claims.model import InputError
    from rtaudit.claims.rules import load_claim_rules
    from rtaudit.datafiles import DataFileError

    try:
        rules = load_claim_rules(str(claim_rules) if claim_rules else None)
        checker = ClaimChecker(rules=rules, notes_dir=notes_dir, audit=AuditLog(audit_path(audit_db)))
    except (DataFileError, OSError) as exc:
        raise _fail(str(exc)) from None
    except sqlite3.Error as exc:
        raise _fail(f"cannot open the audit trail: {exc}") from None
    if sys.stdin.isatty():
        typer.echo("rtaudit hook: reading claims from standard input (Ctrl-D to end)", err=True)
    outcomes: set[str] = set()
    for source, item in read_claims(sys.stdin.buffer):
        result = checker.run(item, source)
        if isinstance(result, InputError):
            typer.echo(f"rtaudit: {result.source}: {result.error}", err=True)
        outcomes.add(result.decision)
        sys.stdout.write(result.model_dump_json() + "\n")
        sys.stdout.flush()
    status = {"pass": EXIT_PASS, "hold": EXIT_HOLD, "error": EXIT_MALFORMED}[overall(outcomes)]
    raise typer.Exit(status)


def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8787,
    token_file: Annotated[Path | None, typer.Option("--token-file", help="File holding the bearer token "
                                                    "(or set $RTAUDIT_TOKEN).")] = None,
    no_token: Annotated[bool, typer.Option("--no-token", help="Serve without a token; allowed only on "
                                           "127.0.0.1.")] = False,
    audit_db: AuditDb = None,
    notes_dir: Annotated[Path | None, typer.Option("--notes-dir", help="Folder that linked note paths may name "
                                                   "(default: paths are refused).")] = None,
    max_body_bytes: Annotated[int, typer.Option("--max-body-bytes", help="Largest request body accepted.")] = (
        5 * 1024 * 1024),
    workers: Annotated[int, typer.Option(help="Worker processes (each loads the pipeline).")] = 1,
    claim_rules: ClaimRulesDir = None,
) -> None:
    """HTTP service: POST /v1/check, POST /v1/claims, POST /v1/claims/batch, GET /v1/checklists, GET /healthz.

    A bearer token ($RTAUDIT_TOKEN or --token-file) is required, except on 127.0.0.1 with --no-token.
    """
    from rtaudit.claims.audit import audit_path
    from rtaudit.server import read_token, startup_problem

    if token_file is not None:
        os.environ["RTAUDIT_TOKEN_FILE"] = str(token_file)
    try:
        token = read_token(token_file)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    problem = startup_problem(host, token, no_token)
    if problem:
        raise _fail(f"refusing to start: {problem}")
    os.environ["RTAUDIT_AUDIT_DB"] = str(audit_path(audit_db).resolve())
    os.environ["RTAUDIT_MAX_BODY_BYTES"] = str(max_body_bytes)
    os.environ["RTAUDIT_NO_TOKEN"] = "1" if no_token else "0"
    for name, value in (("RTAUDIT_NOTES_DIR", notes_dir), ("RTAUDIT_CLAIM_RULES", claim_rules)):
        if value is not None:
            os.environ[name] = str(value.resolve())
    import uvicorn

    uvicorn.run("rtaudit.server:app_from_env", factory=True, host=host, port=port, workers=workers)


def export(
    output_format: Annotated[ExportFormat, typer.Option("--format", "-f", help="csv or jsonl.")] = ExportFormat.jsonl,
    audit_db: AuditDb = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
) -> None:
    """Export the audit trail (hashes, codes, decisions, reasons, versions; never note text)."""
    from rtaudit.claims.audit import AuditLog, audit_path, export_csv, export_jsonl

    path = audit_path(audit_db)
    if not path.is_file():
        raise _fail(f"{path}: no audit trail there")
    chunks = (export_csv if output_format is ExportFormat.csv else export_jsonl)(AuditLog(path))
    if output is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        return
    with open(output, "w", encoding="utf-8", newline="") as handle:
        handle.writelines(chunks)


def register(app: typer.Typer) -> None:
    """Add the claim commands to the CLI."""
    app.command()(hook)
    app.command()(serve)
    audit_app = typer.Typer(no_args_is_help=True, help="The audit trail of hook and serve decisions.")
    audit_app.command("export")(export)
    app.add_typer(audit_app, name="audit")
