"""CI quality gate: the question-set evaluations (extractive backend, bundled index) must stay at or above the
thresholds in evals/thresholds.toml: the seed set, and the test split of the held-out set (written by someone who
never saw the code, and never tuned on). A failure lists the questions that went wrong."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest

THRESHOLDS = tomllib.loads((resources.files("citewise.evals") / "thresholds.toml").read_text(encoding="utf-8"))
GATE = THRESHOLDS["seed"]["extractive"]
HELDOUT_GATE = THRESHOLDS["heldout_test"]["extractive"]


def _run(bundled_index_dir: Path, dataset: str, split: str | None) -> dict:
    from citewise.app.assistant import Assistant
    from citewise.evals.datasets import load_seed
    from citewise.evals.seed_run import failures, run_seed
    from citewise.settings import load_settings

    assistant = Assistant(settings=load_settings(index_dir=bundled_index_dir))
    result = run_seed(assistant, load_seed(dataset, split), "extractive")  # type: ignore[arg-type]
    result["failures"] = failures(result)
    return result


@pytest.fixture(scope="module")
def seed_result(bundled_index_dir: Path):
    return _run(bundled_index_dir, "seed", None)


@pytest.fixture(scope="module")
def heldout_test_result(bundled_index_dir: Path):
    return _run(bundled_index_dir, "heldout", "test")


def _problems(result: dict) -> str:
    return "\n".join(f"  {f['id']} ({f['kind']}): {'; '.join(f['problems'])}" for f in result["failures"]) or "  none"


@pytest.mark.slow
@pytest.mark.parametrize("metric", sorted(GATE["overall"]))
def test_seed_metric_meets_threshold(seed_result: dict, metric: str):
    value = seed_result["overall"][metric]
    threshold = GATE["overall"][metric]
    assert value is not None, f"{metric} is undefined on the seed set"
    assert value >= threshold, f"{metric} = {value:.3f} < gate {threshold:.3f}. Questions with problems:\n{_problems(seed_result)}"


@pytest.mark.slow
@pytest.mark.parametrize("kind_metric", sorted(f"{k}.{m}" for k, ms in GATE.get("per_kind", {}).items() for m in ms))
def test_seed_metric_per_kind_meets_threshold(seed_result: dict, kind_metric: str):
    kind, metric = kind_metric.split(".", 1)
    value = seed_result["per_kind"][kind][metric]
    threshold = GATE["per_kind"][kind][metric]
    assert value is not None and value >= threshold, (
        f"{kind}: {metric} = {value} < gate {threshold:.3f}. Questions with problems:\n{_problems(seed_result)}"
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "kind_metric",
    sorted(["overall." + m for m in HELDOUT_GATE["overall"]] + [f"{k}.{m}" for k, ms in HELDOUT_GATE.get("per_kind", {}).items() for m in ms]),
)
def test_heldout_test_split_meets_threshold(heldout_test_result: dict, kind_metric: str):
    kind, metric = kind_metric.split(".", 1)
    value = (heldout_test_result["overall"] if kind == "overall" else heldout_test_result["per_kind"][kind])[metric]
    threshold = (HELDOUT_GATE["overall"] if kind == "overall" else HELDOUT_GATE["per_kind"][kind])[metric]
    assert value is not None and value >= threshold, (
        f"held-out test split, {kind}: {metric} = {value} < gate {threshold:.3f}. Questions with problems:\n{_problems(heldout_test_result)}"
    )


@pytest.mark.slow
def test_extractive_quotes_are_verbatim(seed_result: dict):
    """Every extractive citation quotes its paper's sentence exactly, and the answer shows it."""
    assert seed_result["overall"]["statement_support"] == 1.0


@pytest.mark.slow
def test_every_gold_title_resolves(seed_result: dict):
    answerable = [r for r in seed_result["questions"] if r["answerable"]]
    assert all(len(r["gold_ids"]) == len(r["gold_titles"]) for r in seed_result["questions"])
    assert all(r["gold_ids"] for r in answerable), "an answerable seed question has no gold paper"
