"""README.md is what a newcomer follows: its commands and its configuration reference must stay true."""

from __future__ import annotations

from pathlib import Path

from citewise.config_reference import reference_markdown

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_configuration_reference_matches_the_settings_model():
    assert reference_markdown() in README, "README's config reference is stale: run python -m citewise.config_reference README.md"


def test_ci_runs_the_readme_test_command():
    test_command = "bash scripts/setup.sh --test && .venv/bin/python -m pytest"
    opening = README.split("\n## ", 1)[0]
    assert test_command in opening, "README must open with the test command"
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
