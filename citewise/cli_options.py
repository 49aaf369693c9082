"""Options and error handling shared by every `citewise` command group (app and evaluation alike)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer

from citewise.errors import CitewiseError
from citewise.settings import Settings, load_settings

ConfigOpt = Annotated[Optional[Path], typer.Option("--config", help="TOML settings file (default: ./citewise.toml).")]
PresetOpt = Annotated[Optional[str], typer.Option("--preset", help="Named preset: fast, thorough.")]
IndexDirOpt = Annotated[Optional[Path], typer.Option("--index-dir", help="Index folder (default: ~/.local/share/citewise/index).")]


def command_settings(config: Path | None, preset: str | None, index_dir: Path | None, **groups: dict) -> Settings:
    """Settings for one command: its flags (``groups``: setting group -> flag values, None = not given) win."""
    overrides = {name: {k: v for k, v in values.items() if v is not None} for name, values in groups.items()}
    return load_settings(config=config, preset=preset, index_dir=index_dir, **{k: v for k, v in overrides.items() if v})


def fail(exc: CitewiseError) -> NoReturn:
    """The one-line error every command prints, and exit status 2."""
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)
