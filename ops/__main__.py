"""CLI for operators: python -m ops report (volume, abstentions, content gaps, 👎 reasons from the query log)."""

from __future__ import annotations

from jauap.installed import require_installed

require_installed()  # before any third-party import: a clear line, not a ModuleNotFoundError traceback

import typer

from ops.report_cli import report_command

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
app.command("report")(report_command)


@app.callback()
def main() -> None:
    """Operator tools (`report` reads the query log the API and the bot write)."""


if __name__ == "__main__":
    app()
