"""`citewise eval seed | compare | calibrate` end to end on the bundled index, with a small question set."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from citewise.cli import cli as app

PARO = "PAROAttention: Pattern-Aware ReOrdering for Efficient Sparse and Quantized Attention in Visual Generation Models"
TOKENSELECT = "TokenSelect: Efficient Long-Context Inference and Length Extrapolation for LLMs via Dynamic Token-Level KV Cache Selection"
DISTSERVE = "DistServe: Disaggregating Prefill and Decoding for Goodput-optimized Large Language Model Serving"
QUESTIONS = [
    {"id": "t-fig", "kind": "figure", "question": "What end-to-end latency speedup does PAROAttention achieve?",
     "gold_titles": [PARO], "required_facts": ["2.7x"], "answerable": True, "history": []},
    {"id": "t-method", "kind": "method", "question": "How does DistServe improve LLM serving?",
     "gold_titles": [DISTSERVE], "required_facts": ["disaggregat"], "answerable": True, "history": []},
    {"id": "t-follow", "kind": "followup", "question": "How much faster is its attention computation?",
     "gold_titles": [TOKENSELECT], "required_facts": ["23.84x"], "answerable": True,
     "history": ["What does TokenSelect select?"]},
    {"id": "t-none", "kind": "unanswerable", "question": "What is the boiling point of liquid nitrogen at sea level?",
     "gold_titles": [], "required_facts": [], "answerable": False, "history": []},
]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "mini.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS), encoding="utf-8")
    return path


def _invoke(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code in (0, 1), result.output + repr(result.exception)
    return result


@pytest.mark.slow
def test_eval_seed_writes_a_run_and_compare_reads_two(bundled_index_dir: Path, dataset: Path, tmp_path: Path):
    runs = tmp_path / "runs"
    common = ["--index-dir", str(bundled_index_dir), "--dataset", str(dataset), "--out", str(runs), "--quiet"]
    first = _invoke("eval", "seed", *common)
    assert first.exit_code == 0
    assert "ALL" in first.output and "Report:" in first.output
    (run,) = list(runs.iterdir())
    report = json.loads((run / "report.json").read_text())
    assert report["kind"] == "seed" and report["backend"] == "extractive" and report["overall"]["questions"] == 4
    assert set(report["per_kind"]) == {"figure", "method", "followup", "unanswerable"}
    follow = next(r for r in report["questions"] if r["id"] == "t-follow")
    assert "TokenSelect" in follow["search_query"]  # the follow-up was searched with the question it follows
    for name in ("report.md", "answers_per_kind.png", "retrieval_per_kind.png", "latency.png"):
        assert (run / name).is_file(), name
    from citewise.evals.report import latest_run

    assert latest_run(runs) == run

    second = _invoke("eval", "seed", *common, "--limit", "2")
    assert second.exit_code == 0
    other = latest_run(runs)
    assert other != run
    same = _invoke("eval", "compare", str(run), str(run))
    assert same.exit_code == 0 and "No regressions" in same.output
    # a run whose numbers are worse is flagged and the command fails (for CI)
    worse = json.loads((run / "report.json").read_text())
    worse["overall"]["citation_recall"] = (worse["overall"]["citation_recall"] or 0) - 0.5
    (tmp_path / "worse.json").write_text(json.dumps(worse))
    flagged = _invoke("eval", "compare", str(run), str(tmp_path / "worse.json"))
    assert flagged.exit_code == 1 and "REGRESSION" in flagged.output and "overall.citation_recall" in flagged.output


@pytest.mark.slow
def test_eval_seed_builds_the_bundled_index_when_missing(bundled_index_dir: Path, dataset: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    shutil.copytree(bundled_index_dir / "embedding-cache", index_dir / "embedding-cache")  # no re-embedding
    result = _invoke("eval", "seed", "--index-dir", str(index_dir), "--dataset", str(dataset), "--out",
                     str(tmp_path / "runs"), "--limit", "1", "--quiet")
    assert result.exit_code == 0
    assert "ingesting the bundled papers" in result.output
    assert (index_dir / "CURRENT").is_file()


@pytest.mark.slow
def test_eval_calibrate(bundled_index_dir: Path, dataset: Path, tmp_path: Path):
    result = _invoke("eval", "calibrate", "--index-dir", str(bundled_index_dir), "--dataset", str(dataset),
                     "--out", str(tmp_path / "runs"), "--quiet")
    assert result.exit_code == 0
    assert "leave-one-out" in result.output
    (run,) = list((tmp_path / "runs").iterdir())
    report = json.loads((run / "report.json").read_text())
    assert report["kind"] == "calibrate" and report["questions"] == 4
    assert 0.0 <= report["best_threshold"] <= 0.9 and 0.0 <= report["leave_one_out"]["accuracy"] <= 1.0
    assert report["engine_mismatches"] == []  # the mirrored refusal rule matches the assistant
    assert (run / "calibration.png").is_file()
