"""Terminal rendering of a report with rich: verdicts first, then the evidence behind them."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from rtaudit.report.model import Report

VERDICT_STYLE = {"supported": "bold green", "downcode": "bold yellow", "unsupported": "bold red",
                 "needs_review": "bold magenta"}
STATUS_STYLE = {"present": "green", "negated": "red", "hypothetical": "yellow", "historical": "cyan"}


def verdict_panel(report: Report) -> Panel:
    """One block per billed code: verdict, what is missing, why, and the query to send."""
    parts = []
    for verdict in report.codes:
        line = Text.assemble((f"{verdict.code}  ", "bold"), (verdict.verdict.upper(), VERDICT_STYLE[verdict.verdict]))
        if verdict.verdict == "downcode":
            line.append(f"  -> {verdict.supported_code}", style="bold yellow")
        parts.append(line)
        if verdict.missing:
            parts.append(Text(f"  missing: {', '.join(verdict.missing)}"))
        for reason in verdict.reasons:
            parts.append(Text(f"  - {reason}", style="dim"))
        if verdict.query:
            parts.append(Text(f"  query: {verdict.query}", style="italic"))
    for finding in report.claim_findings:
        parts.append(Text(f"{finding.severity.upper()} [{finding.rule}] {finding.message}", style="bold red"))
    title = report.note.path or "note"
    title += f"#{report.note.part}" if report.note.part is not None else ""
    return Panel(Group(*parts) if parts else Text("no billed code"), title=f"rtaudit: {title}", expand=True)


def evidence_table(report: Report) -> Table:
    """Every element found, with its status, value and the words that show it."""
    table = Table(title="Elements found", show_lines=False, expand=True)
    table.add_column("element", style="bold")
    table.add_column("status")
    table.add_column("value", justify="right")
    table.add_column("evidence (text @ offsets; cue)")
    for element, finding in sorted(report.elements.items()):
        first = finding.evidence[0] if finding.evidence else None
        evidence = ""
        if first is not None:
            evidence = f"'{first.text}' @{first.start}-{first.end}"
            if first.trigger:
                evidence += f"; cue '{first.trigger}'"
            if first.section:
                evidence += f"; section {first.section}"
        value = finding.value if finding.value is None or isinstance(finding.value, int) else \
            finding.value.get("role", "") if isinstance(finding.value, dict) else str(finding.value)
        table.add_row(element, Text(finding.status, style=STATUS_STYLE[finding.status]),
                      "" if value is None else str(value), evidence)
    return table


def print_report(report: Report, console: Console | None = None) -> None:
    """Print the verdicts and the evidence table."""
    console = console or Console()
    console.print(verdict_panel(report))
    console.print(evidence_table(report))
