"""What a contract run shows a person: a live progress bar, then a table by rule."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from kore_contract.contract.rules import RULES
from kore_contract.run.results import RunResult


@contextlib.contextmanager
def progress_bar(stream: TextIO, total: int) -> Iterator[Callable[[str], None]]:
    """A progress bar on a terminal; elsewhere a line every tenth of the run."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(file=stream, no_color=bool(os.environ.get("NO_COLOR")))
    if not console.is_terminal:
        done = 0

        def advance_plain(case_id: str) -> None:
            nonlocal done
            done += 1
            if done * 10 // max(total, 1) != (done - 1) * 10 // max(total, 1):
                stream.write(f"  {done}/{total} cases\n")

        yield advance_plain
        return
    with Progress(
        TextColumn("[bold]contract"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("", total=total)

        def advance(case_id: str) -> None:
            progress.update(task, advance=1, description=case_id[:40])

        yield advance


def print_summary(result: RunResult, out: TextIO, written: list[Path]) -> None:
    """The table by rule, the first failure of each failing rule, the verdict. What a server
    said is printed as text: no markup, and every control character escaped (`terminal`)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from kore_contract.common.escape import terminal
    from kore_contract.run.headline import headline

    console = Console(
        file=out,
        no_color=bool(os.environ.get("NO_COLOR")),
        width=max(100, int(os.environ.get("COLUMNS", "100"))),
    )
    table = Table(title="Contract by rule", title_justify="left")
    for column in ("rule", "call", "status", "checks", "failures", "what it says"):
        table.add_column(column, overflow="fold")
    styles = {"passed": "green", "failed": "bold red", "not_exercised": "yellow"}
    for row in sorted(result.rules, key=lambda r: r.status != "failed"):  # failing rules first
        rule = RULES.get(row.id)
        table.add_row(
            escape(terminal(row.id)),
            escape(terminal(row.call)),
            f"[{styles[row.status]}]{row.status.replace('_', ' ')}[/]",
            str(row.checks),
            str(row.failures),
            (rule.title if rule else "")
            + (escape(terminal(f" (why: {row.reason})")) if row.reason else ""),
        )
    console.print(table)
    cases = {case.id: case for case in result.cases}
    failed, shown = [row for row in result.rules if row.status == "failed"], set()
    for row in failed:
        if row.id in shown:  # the first failing case of each rule, once
            continue
        shown.add(row.id)
        case = cases.get(row.first_failure or "")
        if case is None:
            continue
        finding = next(iter(case.findings_of(row.id) or case.findings), None)
        console.print(
            f"\n[bold red]{escape(terminal(row.id))}[/] "
            f"({escape(terminal(row.call))}) first failed in case "
            f"[bold]{escape(terminal(case.id))}[/]:",
            highlight=False,
        )
        if finding:
            console.print(
                terminal(f"  {finding.pointer or '/'}: {finding.message}"),
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        console.print(
            terminal(f"  Reproduce with: {case.curl}"),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    reasons: dict[str, list[str]] = {}  # why rules were not exercised, each reason once
    for row in result.rules:
        if row.status == "not_exercised" and row.reason:
            reasons.setdefault(row.reason, []).append(row.id)
    for reason, ids in reasons.items():
        console.print()
        console.print(
            terminal(f"not exercised ({', '.join(ids)}): {reason}"),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    counts = {
        s: sum(1 for r in result.rules if r.status == s)
        for s in ("passed", "failed", "not_exercised")
    }
    label, sentence = headline(result)
    colour = {"PASS": "bold green", "NOTHING CHECKED": "bold yellow"}.get(label, "bold red")
    verdict = f"[{colour}]{label}[/]: {escape(terminal(sentence))}"
    console.print(
        f"\n{verdict}  ({counts['passed']} rule rows passed, {counts['failed']} failed, "
        f"{counts['not_exercised']} not exercised; {len(result.cases)} cases, "
        f"{result.run.requests} requests, {result.run.duration_s:.1f} s)"
    )
    if written:
        console.print(
            terminal("reports: " + ", ".join(str(p) for p in written)),
            markup=False,
            highlight=False,
        )
