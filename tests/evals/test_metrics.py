"""Metrics against hand-computed values, and the run bookkeeping around them."""

from __future__ import annotations

import json
import math

import pytest

from citewise.evals import compare
from citewise.evals import metrics, report

RANKED = ["a", "x", "b", "y"]
RELEVANT = {"a", "b", "c"}


def test_recall_at_k():
    assert metrics.recall_at_k(RANKED, RELEVANT, 1) == pytest.approx(1 / 3)
    assert metrics.recall_at_k(RANKED, RELEVANT, 2) == pytest.approx(1 / 3)
    assert metrics.recall_at_k(RANKED, RELEVANT, 3) == pytest.approx(2 / 3)
    assert metrics.recall_at_k(RANKED, RELEVANT, 100) == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        metrics.recall_at_k(RANKED, set(), 5)


def test_reciprocal_rank():
    assert metrics.reciprocal_rank(RANKED, RELEVANT) == 1.0
    assert metrics.reciprocal_rank(["x", "y", "b"], RELEVANT) == pytest.approx(1 / 3)
    assert metrics.reciprocal_rank(["x", "y", "b"], RELEVANT, k=2) == 0.0
    assert metrics.reciprocal_rank([], RELEVANT) == 0.0


def test_ndcg_at_10():
    # DCG = 1/log2(2) + 1/log2(4) = 1.5; ideal (3 relevant) = 1 + 1/log2(3) + 1/log2(4) = 2.1309
    assert metrics.ndcg_at_k(RANKED, RELEVANT, 10) == pytest.approx(1.5 / (1.5 + 1 / math.log2(3)))
    assert metrics.ndcg_at_k(RANKED, RELEVANT, 10) == pytest.approx(0.70392, abs=1e-5)
    assert metrics.ndcg_at_k(["a", "b", "c"], RELEVANT, 10) == pytest.approx(1.0)
    assert metrics.ndcg_at_k(["x", "a"], {"a"}, 1) == 0.0
    # the ideal is cut at k too: one relevant item at rank 1 of k=1 out of two relevant is perfect at k=1
    assert metrics.ndcg_at_k(["a"], {"a", "b"}, 1) == pytest.approx(1.0)


def test_average_precision():
    # hits at ranks 1 and 3: (1/1 + 2/3) / 3 relevant
    assert metrics.average_precision(RANKED, RELEVANT) == pytest.approx((1 + 2 / 3) / 3)
    assert metrics.average_precision(RANKED, RELEVANT, k=2) == pytest.approx(1 / 3)
    assert metrics.average_precision(["x", "a"], {"a"}) == pytest.approx(0.5)


def test_ranking_metrics_and_dedupe():
    chunks_by_paper = ["p1", "p1", "p2", "p3", "p2"]
    assert metrics.dedupe(chunks_by_paper) == ["p1", "p2", "p3"]
    out = metrics.ranking_metrics(metrics.dedupe(chunks_by_paper), {"p2"}, ks=(1, 5))
    assert out["recall@1"] == 0.0 and out["recall@5"] == 1.0
    assert out["mrr@10"] == 0.5
    assert out["ndcg@10"] == pytest.approx(1 / math.log2(3))
    assert out["map"] == pytest.approx(0.5)


def test_citation_precision_and_recall():
    cited = ["p1", "p1", "p2", "p3"]  # one entry per [n] marker
    assert metrics.citation_precision(cited, {"p1", "p2"}) == pytest.approx(3 / 4)
    assert metrics.citation_recall(cited, {"p1", "p2"}) == 1.0
    assert metrics.citation_recall(cited, {"p1", "p4"}) == 0.5
    assert metrics.citation_precision([], {"p1"}) is None
    assert metrics.citation_recall([], {"p1"}) == 0.0
    assert metrics.citation_recall(cited, set()) is None


def test_answer_correctness_normalises_case_space_and_emphasis():
    answer = "**PAROAttention** (2025): “achieving a **1.9x** to\n  2.7X end-to-end latency speedup” [1]"
    assert metrics.answer_correct(answer, ["1.9x to 2.7x", "paroattention"])
    assert metrics.facts_found(answer, ["1.9x to 2.7x", "3.1x"]) == [True, False]
    assert not metrics.answer_correct(answer, ["3.1x"])
    assert metrics.answer_correct(answer, [])
    assert metrics.normalize_text("A  ‘quoted’\tText") == "a 'quoted' text"


def test_refusal_accuracy():
    # (refused, answerable): right when it refuses exactly the unanswerable ones
    pairs = [(True, False), (False, True), (True, True), (False, False)]
    assert metrics.refusal_accuracy(pairs) == 0.5
    with pytest.raises(ValueError):
        metrics.refusal_accuracy([])


def test_statement_support():
    sentences = {"p1": ["First.", "Second one."], "p2": ["Only."]}
    quotes = [("p1", 1, "Second one."), ("p2", 0, "Only."), ("p1", 0, "First, paraphrased.")]
    assert metrics.extractive_support(quotes, sentences) == pytest.approx(2 / 3)
    assert metrics.extractive_support(quotes[:2], sentences, answer_text="“Second one.” [1] “Only.” [2]") == 1.0
    assert metrics.extractive_support(quotes[:2], sentences, answer_text="“Second one.” [1]") == 0.5
    assert metrics.extractive_support([("p9", 0, "x")], sentences) == 0.0
    assert metrics.extractive_support([], sentences) is None
    assert metrics.generative_support([True, False, True, True]) == 0.75
    assert metrics.generative_support([]) is None


def test_latency_percentiles_and_mean():
    out = metrics.percentiles([10, 20, 30, 40, 100])
    assert out["p50"] == 30
    assert out["p95"] == pytest.approx(88.0)  # 40 + 0.8 * (100 - 40), linear interpolation
    assert metrics.percentiles([]) == {"p50": None, "p95": None}
    assert metrics.mean([1.0, None, 0.0]) == 0.5
    assert metrics.mean([None]) is None


def test_run_folders_and_latest(tmp_path):
    from datetime import datetime

    assert report.latest_run(tmp_path / "none") is None
    first = report.new_run_dir(tmp_path, {"a": 1}, now=datetime(2025, 1, 1, 12, 0, 0))
    again = report.new_run_dir(tmp_path, {"a": 1}, now=datetime(2025, 1, 1, 12, 0, 0))
    later = report.new_run_dir(tmp_path, {"a": 2}, now=datetime(2025, 1, 2, 9, 0, 0))
    assert first.name == f"20250101-120000-{report.config_hash({'a': 1})}" and again.name == first.name + "-2"
    assert report.latest_run(tmp_path) is None  # no report written yet
    for folder in (first, later):
        report.write_report(folder, {"kind": "seed"}, "# x\n")
    assert report.latest_run(tmp_path) == later
    assert json.loads((later / "report.json").read_text())["kind"] == "seed"


def test_plots_are_written(tmp_path):
    report.plot_grouped_bars({"figure": {"a": 0.5, "b": None}, "list": {"a": 1.0, "b": 0.2}}, ["a", "b"], tmp_path / "bars.png", "t")
    report.plot_latency({"total": [10.0, 20.0, 35.0], "retrieve": [5.0, 8.0, 9.0]}, tmp_path / "lat.png")
    report.plot_curves([0.0, 0.5, 1.0], {"acc": [0.2, 0.9, 0.5]}, tmp_path / "c.png", "t", "x", marks={"best": 0.5})
    for name in ("bars.png", "lat.png", "c.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_flags_regressions():
    a = {"kind": "seed", "overall": {"answer_correctness": 0.90, "citation_recall": 0.80, "false_answers": 1, "questions": 40},
         "latency_ms": {"total": {"p50": 100.0}}, "questions": [{"x": 1}]}
    b = {"kind": "seed", "overall": {"answer_correctness": 0.85, "citation_recall": 0.79, "false_answers": 2, "questions": 41},
         "latency_ms": {"total": {"p50": 180.0}}, "questions": []}
    deltas = {d.metric: d for d in compare.compare_reports(a, b, tolerance=0.02, latency_tolerance=0.5)}
    assert set(deltas) == {"overall.answer_correctness", "overall.citation_recall", "overall.false_answers", "latency_ms.total.p50"}
    assert deltas["overall.answer_correctness"].regression  # -0.05 beyond 0.02
    assert not deltas["overall.citation_recall"].regression  # -0.01 within tolerance
    assert deltas["overall.false_answers"].regression  # a count of errors grew
    assert deltas["latency_ms.total.p50"].regression  # +80% beyond +50%
    assert deltas["overall.answer_correctness"].change == pytest.approx(-0.05)
