"""The `citewise` command: mounts the app's commands (ingest, ask, serve, index) and `citewise eval`, so neither
package imports the other's command line."""

from __future__ import annotations

import sys

import typer

from citewise.app.cli import commands as app_commands
from citewise.errors import CitewiseError
from citewise.evals.cli import eval_commands

cli = typer.Typer(help="Cited answers from research papers: abstracts and PDFs.", no_args_is_help=True, add_completion=False)
cli.add_typer(app_commands)
cli.add_typer(eval_commands, name="eval")


def main() -> None:
    try:
        cli()
    except CitewiseError as exc:  # raised outside a command's own handler
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
