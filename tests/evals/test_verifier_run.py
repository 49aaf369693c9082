"""`citewise eval verifier`: recorded answers replayed through the real openai backend and the citation check.

The bundled prompts were captured from the bundled index; answers were written for them as a capable model would
(faithful, and with one labelled wrong sentence). The gate on their test split (never tuned on) is in
evals/thresholds.toml; the run reports itself as recorded answers."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from citewise.cli import cli as app
from citewise.evals.recorded import ERROR_TYPES, load_answers, load_prompts

GATE = tomllib.loads((resources.files("citewise.evals") / "thresholds.toml").read_text(encoding="utf-8"))["verifier_test"]["strict"]


def test_bundled_answers_label_exactly_one_wrong_sentence_per_error_variant() -> None:
    prompts = {p.key for p in load_prompts()}
    answers = load_answers()
    assert {a.key for a in answers} <= prompts
    for a in answers:
        wrong = [s for s in a.sentences if s.error]
        assert len(wrong) == (1 if a.variant in ERROR_TYPES else 0), a
        assert all(s.error == a.variant for s in wrong)
    assert {p.split for p in load_prompts()} == {"dev", "test"}


def test_eval_verifier_writes_a_report_labelled_as_recorded_answers(bundled_index_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["eval", "verifier", "--split", "dev", "--limit", "2", "--index-dir", str(bundled_index_dir), "--out", str(tmp_path), "-q"]
    )
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert "Recorded answers" in result.output and "similarity (baseline)" in result.output
    (run,) = tmp_path.iterdir()
    assert (run / "verifier.png").stat().st_size > 0
    assert "These are recorded answers" in (run / "report.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def test_split_result(bundled_index_dir: Path) -> dict:
    from citewise.app.assistant import Assistant
    from citewise.evals.verifier_run import run_verifier
    from citewise.settings import load_settings

    assistant = Assistant(settings=load_settings(index_dir=bundled_index_dir))
    prompts = [p for p in load_prompts() if p.split == "test"]
    return run_verifier({"strict": assistant}, prompts, load_answers(), chunkings=("trailing", "split_markers"))


@pytest.mark.slow
def test_no_prompt_is_stale(test_split_result: dict) -> None:
    assert test_split_result["stale_prompts"] == [], "recapture with `citewise eval capture-prompts` and re-record"


@pytest.mark.slow
@pytest.mark.parametrize("metric", sorted(GATE))
def test_verifier_meets_its_gate_on_the_test_split(test_split_result: dict, metric: str) -> None:
    measured = test_split_result["per_method"]["strict"]
    value = measured["caught_per_type"].get(metric) if metric in ERROR_TYPES else measured[metric]
    assert value is not None and value >= GATE[metric], f"{metric} = {value} < gate {GATE[metric]}"
